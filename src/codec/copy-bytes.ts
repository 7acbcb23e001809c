/**
 * copyBytes: src[start, end) -> dst[at], without allocating for small runs (both threads).
 *
 * `dst.set(src.subarray(...))` allocates a view per call, and so does Buffer#copy for a partial
 * source; on the publish path that is several allocations per message (the CPU profile of a
 * 1-subscriber PUBLISH load showed subarray/FastBuffer at ~8% of the main thread). Short runs, the
 * common case for channels, small payloads and frames, are copied with a plain loop instead.
 */
const LOOP_MAX_BYTES = 64;

export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  const len = end - start;
  if (len <= LOOP_MAX_BYTES) {
    for (let i = 0; i < len; i++) dst[at + i] = src[start + i];
  } else {
    dst.set(src.subarray(start, end), at);
  }
}
