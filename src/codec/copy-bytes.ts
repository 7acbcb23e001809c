/**
 * Byte copies src[start, end) -> dst[at] without allocating for short runs (both threads). Two
 * forms, by what the caller holds:
 *
 * - copyView, between DataViews: the publish path (channel and payload into an ops record on the
 *   main thread, into a frame on the worker; frames into a connection's staging buffer), where the
 *   same few arrays are copied over and over and their views are kept (ViewCache).
 * - copyBytes, between Uint8Arrays: everything else (subscription records, replies of any buffer).
 *
 * Why not `dst.set(src.subarray(...))`: on Node 20 it allocates a view per call (about 120 ns before
 * the memcpy, and garbage); the CPU profile of a 1-subscriber PUBLISH load had subarray/FastBuffer
 * at ~8% of the main thread. A byte loop pays about 3 ns per byte for typed-array element access;
 * moving 4 bytes per DataView get/set allocates nothing and, into cold ring lines, copies 64 bytes
 * in 92 ns against 214 (byte loop) and 151 (set of a subarray), 8 bytes in 20 ns against 33 and
 * 125 (bench/micro/byte-copy.ts). Above the loop limits the memcpy behind set() catches up (1 KiB:
 * 532 against 561 ns), so longer runs take that path.
 */

/** copyBytes: runs up to this long are copied with a plain loop. */
const LOOP_MAX_BYTES = 64;

export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  const len = end - start;
  if (len <= LOOP_MAX_BYTES) {
    for (let i = 0; i < len; i++) dst[at + i] = src[start + i];
  } else {
    dst.set(src.subarray(start, end), at);
  }
}

/** copyView: runs longer than this are copied with one native set() (two views, then a memcpy). */
const VIEW_LOOP_MAX_BYTES = 256;

/** Copies src[start, end) to dst[at]. The ranges may not overlap (different buffers). */
export function copyView(src: DataView, start: number, end: number, dst: DataView, at: number): void {
  const len = end - start;
  if (len > VIEW_LOOP_MAX_BYTES) {
    new Uint8Array(dst.buffer, dst.byteOffset + at, len).set(new Uint8Array(src.buffer, src.byteOffset + start, len));
    return;
  }
  let i = start;
  const lastWord = end - 4;
  for (; i <= lastWord; i += 4, at += 4) dst.setUint32(at, src.getUint32(i, true), true);
  for (; i < end; i++, at++) dst.setUint8(at, src.getUint8(i));
}

/**
 * Arrays larger than this get a view without being remembered: a socket chunk is at most 64 KiB,
 * and the cache must not pin a parser's scratch buffer that grew for a huge bulk. Rings are
 * remembered whatever their size (the worker's, see src/partition/frames.ts).
 */
const CACHE_MAX_BYTES = 1 << 20;

/**
 * The DataView of the last Uint8Array asked for. The hot paths copy from and to the same few arrays
 * (a ring, the socket chunk being parsed), so one entry makes a view per array, not per copy.
 */
export class ViewCache {
  private bytes: Uint8Array | null = null;
  private view: DataView | null = null;

  /** pinLarge: remember arrays over CACHE_MAX_BYTES too (for arrays that live anyway: rings). */
  constructor(private readonly pinLarge = false) {}

  of(bytes: Uint8Array): DataView {
    if (bytes !== this.bytes) {
      if (bytes.byteLength > CACHE_MAX_BYTES && !this.pinLarge) return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.view!;
  }
}
