/**
 * The payload every generated PUBLISH carries, and the clock its timestamp comes from. Shared by
 * the publisher and subscriber sides (generator processes).
 *
 *   offset 0        4        8                16                          payloadBytes
 *          [stream u32][seq u32][sendTimeUs f64 ][ filler 'x' ... ]
 *           little-endian
 *
 * - stream: which (publisher connection, channel) pair sent it: publisherIndex * channelCount +
 *   channelIndex. Sequence numbers count per stream, from 1.
 * - seq: u32; a run would need 4 billion messages on one stream to wrap, far beyond any duration.
 * - sendTimeUs: microseconds on the shared clock below, read once per written batch.
 *
 * The shared clock. Latency is measured across processes (the publisher's process stamps, a
 * subscriber's process reads), so the clock must be one all processes share.
 * process.hrtime.bigint() is documented as relative to an arbitrary per-process origin, so it is
 * not used. `performance.timeOrigin + performance.now()` is: the wall-clock time at which this
 * process started (µs resolution) plus a monotonic elapsed time (ns resolution), i.e. wall-clock
 * time that does not jump during the run. As a double of ~1.8e15 µs it resolves 0.25 µs. Two
 * processes can disagree by the error with which each sampled the wall clock at start-up
 * (typically about a microsecond); the coordinator measures that disagreement (`clockSkewUs` in the
 * result) by comparing each process's offset between this clock and CLOCK_MONOTONIC.
 */

export const PAYLOAD_HEADER_BYTES = 16;
/** The smallest payload the generator can send: the header alone. */
export const MIN_PAYLOAD_BYTES = PAYLOAD_HEADER_BYTES;
const FILLER_BYTE = 0x78; // 'x'
const CLOCK_OFFSET_SAMPLES = 20;

/** Shared-clock time in microseconds (see the header). */
export function sharedClockUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/**
 * This process's offset (µs) between the shared clock and process.hrtime (CLOCK_MONOTONIC on
 * Linux, which is system-wide). Two processes whose shared clocks agree report the same offset;
 * the spread of offsets across processes is the clock skew between them. The two clocks are read
 * back to back; a pair can be split by a preemption (or, on the first call, by lazy start-up work),
 * which only ever makes the difference larger, so the smallest of several pairs is the estimate.
 */
export function sharedClockOffsetUs(): number {
  let best = Infinity;
  for (let i = 0; i < CLOCK_OFFSET_SAMPLES; i++) {
    const monotonicUs = Number(process.hrtime.bigint()) / 1000;
    const offset = sharedClockUs() - monotonicUs;
    if (offset < best) best = offset;
  }
  return best;
}

/** A payload-sized buffer holding the filler; the header bytes are overwritten per message. */
export function payloadTemplate(payloadBytes: number): Buffer {
  if (payloadBytes < MIN_PAYLOAD_BYTES) {
    throw new RangeError(`payload must be at least ${MIN_PAYLOAD_BYTES} bytes (the stream/sequence/time header), got ${payloadBytes}`);
  }
  return Buffer.alloc(payloadBytes, FILLER_BYTE);
}

export function writePayloadHeader(buf: Buffer, offset: number, stream: number, seq: number, sendTimeUs: number): void {
  buf.writeUInt32LE(stream, offset);
  buf.writeUInt32LE(seq, offset + 4);
  buf.writeDoubleLE(sendTimeUs, offset + 8);
}

export function readPayloadStream(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset);
}

export function readPayloadSeq(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4);
}

export function readPayloadSendTimeUs(buf: Buffer, offset: number): number {
  return buf.readDoubleLE(offset + 8);
}
