/**
 * A single-producer / single-consumer ring of framed records in a SharedArrayBuffer, after Agrona's
 * one-to-one ring buffer. It carries main -> worker ops and worker -> main results (src/shm/records.ts).
 * Runs on both sides: RingProducer on exactly one thread, RingConsumer on exactly one other thread.
 *
 *   byte 0    +--------------------------------------------------------------+
 *             | HEAD          i32  written by the consumer, once per drain   |  own 64-byte line
 *   byte 64   +--------------------------------------------------------------+
 *             | TAIL          i32  written by the producer, once per publish |  own 64-byte line
 *   byte 128  +--------------------------------------------------------------+
 *             | SPACE_WANTED  i32  producer sets/clears, consumer reads      |  own 64-byte line
 *   byte 192  +--------------------------------------------------------------+
 *             | data area: dataBytes, a power of two (offset = position & mask)
 *             |                                                              |
 *             |  +--------+--------+------------------------+-----------+   |
 *             |  | length | type   | payload (length bytes) | pad to 8  |   |  one record
 *             |  | u32    | i32    | starts 8-aligned       |           |   |
 *             |  +--------+--------+------------------------+-----------+   |
 *             +--------------------------------------------------------------+
 *
 *   A record never splits across the end. When it would not fit before the end, a pad record
 *   (type PAD_RECORD_TYPE, length = the bytes left - 8) fills the end and the record starts at 0;
 *   the pad and the record are claimed (and so published) together:
 *
 *     0                        head & mask             old tail & mask            dataBytes
 *     |[len|type|payload..]  free  |[unread records ...]|[left-8|PAD| skipped ...]|
 *      ^ the record that did not fit before the end; the new tail follows it
 *
 * Positions (HEAD, TAIL and the cached copies) are free-running int32 counters that wrap through
 * 2^32; `(tail - head) | 0` is the fill and `position & mask` the offset. Every record span is a
 * multiple of 8, so the bytes left before the end are always 0 or >= 8: a pad header always fits.
 *
 * Memory ordering: the producer writes headers and payload with plain stores, then makes a whole
 * batch visible with ONE Atomics.store(TAIL); the consumer reads TAIL with Atomics.load before it
 * reads the records (seq-cst Atomics give release/acquire), and re-reads it only when it has walked
 * up to the TAIL it saw. The consumer frees space with ONE Atomics.store(HEAD) per drain. The producer caches HEAD and re-reads it only when the ring looks
 * full. Why batch: each Atomics op costs 25-30 ns here and a publish that wakes the consumer costs a
 * futex wake (4-7 us under load, 11-15 us from idle). Publishing per 32 records instead of per record
 * took 64-byte records from 3.07 M/s to 9.51 M/s main -> worker (node-budget.md §1).
 *
 * Wake-ups (the ring owns no doorbell; src/shm/doorbell.ts has the protocol and its costs):
 * - producer.consumerBell: publish() rings it, which costs one Atomics.load unless the consumer
 *   announced it is going to sleep. The consumer sleeps with `bell.sleep(() => consumer.hasData())`
 *   after it found the ring empty and called release().
 * - consumer.producerBell: release() rings it when SPACE_WANTED is set. A producer that got -1 does
 *   `publish(); requestSpaceSignal(); bell.sleep(() => producer.canClaim(n))` (or sleepAsync on the
 *   main thread), then claims again. It must publish first, or the consumer may never see the
 *   records that fill the ring, and both sides sleep forever.
 * - Only the producer clears SPACE_WANTED (on its next successful claim). If the consumer cleared it,
 *   a release that frees too little would consume the request, the producer would re-check, find too
 *   little room, and sleep with nobody left to ring it. A stale SPACE_WANTED costs the consumer one
 *   Atomics.load of the bell per release.
 *
 * Invariants: one producer and one consumer per ring; record types are int32 >= 0 (-1 is the pad);
 * a payload is readable by the consumer until its next release() after moving past it, and is
 * written by the producer only between tryClaim() and publish().
 */
import type { Doorbell } from './doorbell.js';

export const RECORD_HEADER_BYTES = 8;
/** Type of the record that fills the end of the data area at a wrap; never returned by next(). */
export const PAD_RECORD_TYPE = -1;
/** Bytes before the data area: HEAD, TAIL and SPACE_WANTED, each on its own 64-byte line. */
export const RING_CONTROL_BYTES = 192;
export const MIN_RING_DATA_BYTES = 4096;
/** Fill is an int32 difference of positions, so the area must stay below 2^31 bytes. */
export const MAX_RING_DATA_BYTES = 1 << 30;

// Int32 indices into the control block.
const HEAD_INDEX = 0;
const TAIL_INDEX = 16;
const SPACE_WANTED_INDEX = 32;
const CONTROL_WORDS = RING_CONTROL_BYTES / 4;

function isValidDataBytes(dataBytes: number): boolean {
  return (
    Number.isInteger(dataBytes) &&
    dataBytes >= MIN_RING_DATA_BYTES &&
    dataBytes <= MAX_RING_DATA_BYTES &&
    (dataBytes & (dataBytes - 1)) === 0
  );
}

/** Allocates a zeroed ring (HEAD = TAIL = 0). Throws RangeError unless dataBytes is a power of two in [4096, 2^30]. */
export function createRingBuffer(dataBytes: number): SharedArrayBuffer {
  if (!isValidDataBytes(dataBytes)) {
    throw new RangeError(
      `ring dataBytes must be a power of two in [${MIN_RING_DATA_BYTES}, ${MAX_RING_DATA_BYTES}], got ${dataBytes}`,
    );
  }
  return new SharedArrayBuffer(RING_CONTROL_BYTES + dataBytes);
}

function ringDataBytes(sab: SharedArrayBuffer): number {
  if (!(sab instanceof SharedArrayBuffer)) {
    throw new TypeError('a ring must be a SharedArrayBuffer made by createRingBuffer()');
  }
  const dataBytes = sab.byteLength - RING_CONTROL_BYTES;
  if (!isValidDataBytes(dataBytes)) {
    throw new RangeError(`SharedArrayBuffer of ${sab.byteLength} bytes is not a ring made by createRingBuffer()`);
  }
  return dataBytes;
}

/**
 * A quarter of the area: a record plus the pad before it (< one record span) then takes at most half
 * the ring, so a producer waiting for canClaim() is satisfied once the consumer drains, even while
 * the consumer still holds one record under its cursor (1/4 + 1/2 <= 1).
 */
function maxPayloadBytesOf(dataBytes: number): number {
  return dataBytes / 4 - RECORD_HEADER_BYTES;
}

/** Span of a record in the data area: header + payload, rounded up to 8. */
function recordSpanBytes(payloadBytes: number): number {
  return (RECORD_HEADER_BYTES + payloadBytes + 7) & ~7;
}

export class RingProducer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly maxPayloadBytes: number;
  /** Rung by publish() when it made records visible (the consumer's doorbell). */
  consumerBell: Doorbell | null = null;

  private readonly control: Int32Array;
  private readonly headerWords: Int32Array;
  private readonly dataBytes: number;
  private readonly mask: number;
  /** Position after the last claimed record (published or not). */
  private tail: number;
  private publishedTail: number;
  /** Last HEAD read from the consumer; the real HEAD is never behind it. */
  private cachedHead: number;
  /** Position of the newest claimed record's header while it is unpublished (trimLast). */
  private lastClaimPosition = 0;
  private lastClaimOpen = false;
  private spaceSignalArmed = false;

  constructor(sab: SharedArrayBuffer) {
    this.dataBytes = ringDataBytes(sab);
    this.mask = this.dataBytes - 1;
    this.maxPayloadBytes = maxPayloadBytesOf(this.dataBytes);
    this.control = new Int32Array(sab, 0, CONTROL_WORDS);
    this.headerWords = new Int32Array(sab, RING_CONTROL_BYTES, this.dataBytes / 4);
    this.bytes = new Uint8Array(sab, RING_CONTROL_BYTES, this.dataBytes);
    this.view = new DataView(sab, RING_CONTROL_BYTES, this.dataBytes);
    this.tail = Atomics.load(this.control, TAIL_INDEX);
    this.publishedTail = this.tail;
    this.cachedHead = Atomics.load(this.control, HEAD_INDEX);
  }

  /**
   * Reserves a record (and the pad before it, at a wrap) and writes its header. Returns the payload's
   * offset in `bytes` (8-aligned), or -1 when there is no room now: nothing is written, and the
   * caller applies backpressure (see the header for the wait protocol). The record is visible only
   * after publish(). Throws RangeError for payloadBytes outside [0, maxPayloadBytes] or a type < 0.
   */
  tryClaim(type: number, payloadBytes: number): number {
    this.checkPayloadBytes(payloadBytes);
    if ((type | 0) !== type || type < 0) {
      throw new RangeError(`record type must be an int32 >= 0, got ${type}`);
    }
    const spanBytes = recordSpanBytes(payloadBytes);
    let tail = this.tail;
    let offset = tail & this.mask;
    const bytesToEnd = this.dataBytes - offset;
    const padBytes = spanBytes > bytesToEnd ? bytesToEnd : 0;
    const neededBytes = padBytes + spanBytes;
    if (this.dataBytes - ((tail - this.cachedHead) | 0) < neededBytes) {
      this.cachedHead = Atomics.load(this.control, HEAD_INDEX);
      if (this.dataBytes - ((tail - this.cachedHead) | 0) < neededBytes) return -1;
    }
    const words = this.headerWords;
    if (padBytes !== 0) {
      words[offset >> 2] = padBytes - RECORD_HEADER_BYTES;
      words[(offset >> 2) + 1] = PAD_RECORD_TYPE;
      tail = (tail + padBytes) | 0;
      offset = 0;
    }
    words[offset >> 2] = payloadBytes;
    words[(offset >> 2) + 1] = type;
    this.lastClaimPosition = tail;
    this.lastClaimOpen = true;
    this.tail = (tail + spanBytes) | 0;
    if (this.spaceSignalArmed) {
      this.spaceSignalArmed = false;
      Atomics.store(this.control, SPACE_WANTED_INDEX, 0);
    }
    return offset + RECORD_HEADER_BYTES;
  }

  /**
   * Shrinks the newest unpublished claim to payloadBytes (claim an upper bound, write, then trim).
   * Throws if no claim is unpublished, RangeError if payloadBytes exceeds the claimed size.
   */
  trimLast(payloadBytes: number): void {
    if (!this.lastClaimOpen) throw new Error('trimLast: no unpublished record to trim');
    const headerIndex = (this.lastClaimPosition & this.mask) >> 2;
    const claimedBytes = this.headerWords[headerIndex]!;
    if ((payloadBytes >>> 0) !== payloadBytes || payloadBytes > claimedBytes) {
      throw new RangeError(`trimLast: payloadBytes must be an integer in [0, ${claimedBytes}], got ${payloadBytes}`);
    }
    this.headerWords[headerIndex] = payloadBytes;
    this.tail = (this.lastClaimPosition + recordSpanBytes(payloadBytes)) | 0;
  }

  /** One Atomics.store(TAIL) for every record claimed since the last publish, then consumerBell.ring(). */
  publish(): void {
    this.lastClaimOpen = false;
    if (this.tail === this.publishedTail) return;
    this.publishedTail = this.tail;
    Atomics.store(this.control, TAIL_INDEX, this.tail);
    if (this.consumerBell !== null) this.consumerBell.ring();
  }

  /**
   * True if tryClaim(_, payloadBytes) would succeed now, counting the pad a wrap would need; re-reads
   * HEAD. This is the condition to sleep on when waiting for space: `freeBytes() >= payloadBytes`
   * can be true while the claim still fails (the pad), which turns the wait into a spin.
   */
  canClaim(payloadBytes: number): boolean {
    this.checkPayloadBytes(payloadBytes);
    const spanBytes = recordSpanBytes(payloadBytes);
    const bytesToEnd = this.dataBytes - (this.tail & this.mask);
    const neededBytes = spanBytes > bytesToEnd ? bytesToEnd + spanBytes : spanBytes;
    return this.freeBytes() >= neededBytes;
  }

  /** Re-reads HEAD (one Atomics.load); claimed but unpublished records count as used. */
  freeBytes(): number {
    this.cachedHead = Atomics.load(this.control, HEAD_INDEX);
    return this.dataBytes - ((this.tail - this.cachedHead) | 0);
  }

  /** Call before every sleep for space (after publish()); the next successful tryClaim disarms it. */
  requestSpaceSignal(): void {
    this.spaceSignalArmed = true;
    Atomics.store(this.control, SPACE_WANTED_INDEX, 1);
  }

  private checkPayloadBytes(payloadBytes: number): void {
    if ((payloadBytes >>> 0) !== payloadBytes || payloadBytes > this.maxPayloadBytes) {
      throw new RangeError(`payloadBytes must be an integer in [0, ${this.maxPayloadBytes}], got ${payloadBytes}`);
    }
  }
}

export class RingConsumer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** The largest payload next() can return (the producer's maxPayloadBytes). */
  readonly maxPayloadBytes: number;
  /** Rung by release() when the producer asked for a space signal (the producer's doorbell). */
  producerBell: Doorbell | null = null;

  /** The current record, valid after next() returned true. */
  type = 0;
  offset = 0;
  length = 0;

  private readonly control: Int32Array;
  private readonly headerWords: Int32Array;
  private readonly dataBytes: number;
  private readonly mask: number;
  /** Position after the current record: where next() reads. */
  private nextPosition: number;
  /** Position up to which records are done (everything before the current record). */
  private consumedPosition: number;
  private releasedPosition: number;
  /** Last TAIL read from the producer; records before it are readable without another load. */
  private cachedTail: number;

  constructor(sab: SharedArrayBuffer) {
    this.dataBytes = ringDataBytes(sab);
    this.mask = this.dataBytes - 1;
    this.maxPayloadBytes = maxPayloadBytesOf(this.dataBytes);
    this.control = new Int32Array(sab, 0, CONTROL_WORDS);
    this.headerWords = new Int32Array(sab, RING_CONTROL_BYTES, this.dataBytes / 4);
    this.bytes = new Uint8Array(sab, RING_CONTROL_BYTES, this.dataBytes);
    this.view = new DataView(sab, RING_CONTROL_BYTES, this.dataBytes);
    this.nextPosition = Atomics.load(this.control, HEAD_INDEX);
    this.consumedPosition = this.nextPosition;
    this.releasedPosition = this.nextPosition;
    this.cachedTail = this.nextPosition;
  }

  /**
   * Marks the current record consumed and moves to the next published one. TAIL is re-read only when
   * the cursor reaches the last TAIL seen, so a drain costs one or two Atomics.loads. The caller caps
   * records per drain for fairness: a fast producer can keep this returning true indefinitely.
   * Throws on a header that runs past the end of the data area (corrupt shared memory).
   */
  next(): boolean {
    let position = this.nextPosition;
    this.consumedPosition = position;
    const words = this.headerWords;
    for (;;) {
      if (position === this.cachedTail) {
        this.cachedTail = Atomics.load(this.control, TAIL_INDEX);
        if (position === this.cachedTail) return false;
      }
      const offset = position & this.mask;
      const length = words[offset >> 2]!;
      if ((length >>> 0) > this.dataBytes - RECORD_HEADER_BYTES - offset) {
        throw new Error(`ring corrupt: record at offset ${offset} claims ${length >>> 0} payload bytes`);
      }
      const type = words[(offset >> 2) + 1]!;
      position = (position + recordSpanBytes(length)) | 0;
      if (type === PAD_RECORD_TYPE) {
        // A pad is published together with the record after it, so the loop reads on at offset 0.
        this.consumedPosition = position;
        continue;
      }
      this.nextPosition = position;
      this.type = type;
      this.offset = offset + RECORD_HEADER_BYTES;
      this.length = length;
      return true;
    }
  }

  /**
   * Frees every record before the cursor with one Atomics.store(HEAD), and rings producerBell if the
   * producer asked for space. The record next() last returned stays readable (it is freed by the
   * release after the next next()), so a consumer may release while it still reads the current one.
   */
  release(): void {
    const consumed = this.consumedPosition;
    if (consumed === this.releasedPosition) return;
    this.releasedPosition = consumed;
    Atomics.store(this.control, HEAD_INDEX, consumed);
    if (this.producerBell !== null && Atomics.load(this.control, SPACE_WANTED_INDEX) !== 0) {
      this.producerBell.ring();
    }
  }

  /** True if a record after the current one is published (a pad is never published alone). */
  hasData(): boolean {
    if (this.nextPosition !== this.cachedTail) return true;
    this.cachedTail = Atomics.load(this.control, TAIL_INDEX);
    return this.nextPosition !== this.cachedTail;
  }
}
