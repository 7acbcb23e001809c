// Single-thread behaviour of the SPSC ring (src/shm/ring.ts): framing, wrap with pad records,
// backpressure, trimLast, limits, and the doorbell wiring. Cross-thread behaviour is in
// test/concurrency/ring-threads.test.ts.
import { describe, expect, it } from 'vitest';
import { createDoorbellBuffer, Doorbell } from '../../src/shm/doorbell.js';
import {
  createRingBuffer,
  PAD_RECORD_TYPE,
  RECORD_HEADER_BYTES,
  RING_CONTROL_BYTES,
  RingConsumer,
  RingProducer,
} from '../../src/shm/ring.js';

const SMALL_RING_BYTES = 4096;

function ringPair(dataBytes = SMALL_RING_BYTES): { producer: RingProducer; consumer: RingConsumer; sab: SharedArrayBuffer } {
  const sab = createRingBuffer(dataBytes);
  return { producer: new RingProducer(sab), consumer: new RingConsumer(sab), sab };
}

/** Claims, fills with `fill`, returns the offset; fails the test if the ring is full. */
function put(producer: RingProducer, type: number, payloadBytes: number, fill = type & 0xff): number {
  const offset = producer.tryClaim(type, payloadBytes);
  expect(offset).toBeGreaterThanOrEqual(0);
  producer.bytes.fill(fill, offset, offset + payloadBytes);
  return offset;
}

function takeAll(consumer: RingConsumer): Array<{ type: number; offset: number; payload: number[] }> {
  const records: Array<{ type: number; offset: number; payload: number[] }> = [];
  for (let i = 0; i < 100_000 && consumer.next(); i++) {
    records.push({
      type: consumer.type,
      offset: consumer.offset,
      payload: Array.from(consumer.bytes.subarray(consumer.offset, consumer.offset + consumer.length)),
    });
  }
  return records;
}

/** Moves both sides to offset 4048 of a 4096-byte ring, empty: 4 spans of 1000 + 1 of 48. */
function leaveBytesBeforeEnd48(producer: RingProducer, consumer: RingConsumer): void {
  for (let i = 0; i < 4; i++) put(producer, 1, 992);
  put(producer, 2, 40);
  producer.publish();
  expect(takeAll(consumer).map((r) => r.type)).toEqual([1, 1, 1, 1, 2]);
  consumer.release();
  expect(producer.freeBytes()).toBe(SMALL_RING_BYTES);
}

function spanBytes(payloadBytes: number): number {
  return (RECORD_HEADER_BYTES + payloadBytes + 7) & ~7;
}

/** mulberry32: a tiny seeded PRNG so random runs replay exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('createRingBuffer', () => {
  it.each([0, 2048, 4095, 5000, 4096.5, -4096, 2 ** 31, Number.NaN])('rejects %s data bytes', (dataBytes) => {
    expect(() => createRingBuffer(dataBytes)).toThrow(RangeError);
  });

  it('accepts powers of two from 4096 and adds the control block', () => {
    expect(createRingBuffer(4096).byteLength).toBe(RING_CONTROL_BYTES + 4096);
    expect(createRingBuffer(1 << 20).byteLength).toBe(RING_CONTROL_BYTES + (1 << 20));
  });

  it('producer and consumer refuse a buffer that is not a ring', () => {
    expect(() => new RingProducer(new SharedArrayBuffer(RING_CONTROL_BYTES + 3000))).toThrow(RangeError);
    expect(() => new RingConsumer(new ArrayBuffer(RING_CONTROL_BYTES + 4096) as unknown as SharedArrayBuffer)).toThrow(
      TypeError,
    );
  });

  it('puts the data area on a 64-byte boundary after HEAD, TAIL and the flag line', () => {
    const { producer } = ringPair();
    expect(RING_CONTROL_BYTES % 64).toBe(0);
    expect(producer.bytes.byteOffset).toBe(RING_CONTROL_BYTES);
    expect(producer.view.byteOffset).toBe(RING_CONTROL_BYTES);
    expect(producer.bytes.byteLength).toBe(SMALL_RING_BYTES);
  });
});

describe('RingProducer / RingConsumer', () => {
  it('a claimed record stays invisible until publish, then reads back with its type and payload', () => {
    const { producer, consumer } = ringPair();
    const offset = producer.tryClaim(42, 5);
    producer.bytes.set([1, 2, 3, 4, 5], offset);
    expect(consumer.hasData()).toBe(false);
    expect(consumer.next()).toBe(false);

    producer.publish();
    expect(consumer.hasData()).toBe(true);
    expect(consumer.next()).toBe(true);
    expect(consumer.type).toBe(42);
    expect(consumer.length).toBe(5);
    expect(consumer.offset).toBe(offset);
    expect(Array.from(consumer.bytes.subarray(consumer.offset, consumer.offset + 5))).toEqual([1, 2, 3, 4, 5]);
    expect(consumer.next()).toBe(false);
  });

  it('numeric fields written through view read back little-endian on the consumer side', () => {
    const { producer, consumer } = ringPair();
    const offset = producer.tryClaim(1, 16);
    producer.view.setUint32(offset, 0xdeadbeef, true);
    producer.view.setFloat64(offset + 8, 1.5, true);
    producer.publish();
    expect(consumer.next()).toBe(true);
    expect(consumer.view.getUint32(consumer.offset, true)).toBe(0xdeadbeef);
    expect(consumer.bytes[consumer.offset]).toBe(0xef);
    expect(consumer.view.getFloat64(consumer.offset + 8, true)).toBe(1.5);
  });

  it('one publish makes a whole batch visible, in claim order', () => {
    const { producer, consumer } = ringPair();
    for (let type = 0; type < 10; type++) put(producer, type, type * 3);
    expect(consumer.hasData()).toBe(false);
    producer.publish();
    const records = takeAll(consumer);
    expect(records.map((r) => r.type)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    records.forEach((r) => expect(r.payload).toEqual(new Array(r.type * 3).fill(r.type)));
  });

  it('every payload offset is 8-byte aligned, whatever the previous payload lengths', () => {
    const { producer, consumer } = ringPair();
    const offsets: number[] = [];
    for (let length = 0; length <= 41; length++) {
      offsets.push(put(producer, 7, length));
      producer.publish();
      expect(consumer.next()).toBe(true);
      consumer.release();
    }
    expect(offsets.every((offset) => offset % 8 === 0)).toBe(true);
    expect(offsets[1]! - offsets[0]!).toBe(8);
    expect(offsets[2]! - offsets[1]!).toBe(16);
    expect(offsets[10]! - offsets[9]!).toBe(24);
  });

  it('zero-length payloads are delivered as records of length 0 taking only a header', () => {
    const { producer, consumer } = ringPair();
    const first = producer.tryClaim(3, 0);
    const second = producer.tryClaim(4, 0);
    expect(second - first).toBe(RECORD_HEADER_BYTES);
    producer.publish();
    expect(takeAll(consumer)).toEqual([
      { type: 3, offset: first, payload: [] },
      { type: 4, offset: second, payload: [] },
    ]);
  });

  it('a record that does not fit before the end wraps to offset 0 behind a pad the consumer never sees', () => {
    const { producer, consumer } = ringPair();
    leaveBytesBeforeEnd48(producer, consumer);

    const wrapped = put(producer, 3, 100, 0xab);
    expect(wrapped).toBe(RECORD_HEADER_BYTES);
    const padHeader = new Int32Array(producer.bytes.buffer, producer.bytes.byteOffset + 4048, 2);
    expect(Array.from(padHeader)).toEqual([48 - RECORD_HEADER_BYTES, PAD_RECORD_TYPE]);
    producer.publish();

    expect(takeAll(consumer)).toEqual([{ type: 3, offset: wrapped, payload: new Array(100).fill(0xab) }]);
    consumer.release();
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES);
  });

  it('a record that exactly fills the end needs no pad', () => {
    const { producer, consumer } = ringPair();
    for (let i = 0; i < 3; i++) put(producer, 1, 1016);
    const last = put(producer, 2, 1016);
    expect(last + 1016).toBe(SMALL_RING_BYTES);
    producer.publish();
    expect(takeAll(consumer).length).toBe(4);
    consumer.release();
    expect(put(producer, 5, 0)).toBe(RECORD_HEADER_BYTES);
  });

  it('a full ring returns -1, writes nothing, and takes the record once the consumer releases', () => {
    const { producer, consumer } = ringPair();
    for (let i = 0; i < 4; i++) put(producer, 1, 1016, i);
    expect(producer.freeBytes()).toBe(0);
    const before = Array.from(producer.bytes);
    expect(producer.tryClaim(9, 0)).toBe(-1);
    expect(Array.from(producer.bytes)).toEqual(before);
    producer.publish();

    expect(consumer.next()).toBe(true);
    expect(consumer.next()).toBe(true);
    consumer.release(); // frees the first record only: the second is under the cursor
    expect(producer.freeBytes()).toBe(1024);
    expect(producer.tryClaim(9, 1016)).toBe(RECORD_HEADER_BYTES);
    expect(producer.tryClaim(9, 0)).toBe(-1);
  });

  it('canClaim counts the pad a wrap needs, agreeing with tryClaim where freeBytes alone would not', () => {
    const { producer, consumer } = ringPair();
    put(producer, 1, 96); // span 104
    for (let i = 0; i < 3; i++) put(producer, 1, 992); // spans of 1000
    put(producer, 2, 936); // span 944: the tail is 48 bytes before the end
    producer.publish();
    consumer.next();
    consumer.next();
    consumer.release(); // frees the first record: 48 + 104 bytes free
    expect(producer.freeBytes()).toBe(152);

    expect(producer.canClaim(100)).toBe(false); // span 112 fits in 152, but not after a pad of 48
    expect(producer.tryClaim(1, 100)).toBe(-1);
    expect(producer.canClaim(96)).toBe(true); // pad 48 + span 104 = 152
    expect(producer.tryClaim(1, 96)).toBe(RECORD_HEADER_BYTES);
    expect(producer.canClaim(0)).toBe(false);
    expect(() => producer.canClaim(producer.maxPayloadBytes + 1)).toThrow(RangeError);
  });

  it('release keeps the record under the cursor and frees it after the cursor moves on', () => {
    const { producer, consumer } = ringPair();
    put(producer, 1, 100);
    put(producer, 2, 100);
    producer.publish();
    expect(consumer.next()).toBe(true);
    consumer.release();
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES - 2 * spanBytes(100));
    expect(consumer.next()).toBe(true);
    consumer.release();
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES - spanBytes(100));
    expect(consumer.next()).toBe(false);
    consumer.release();
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES);
  });

  it('freeBytes counts claimed but unpublished records as used', () => {
    const { producer } = ringPair();
    put(producer, 1, 10);
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES - spanBytes(10));
  });

  it('hasData looks ahead without moving the cursor', () => {
    const { producer, consumer } = ringPair();
    put(producer, 1, 1);
    put(producer, 2, 1);
    producer.publish();
    expect(consumer.hasData()).toBe(true);
    expect(consumer.hasData()).toBe(true);
    expect(consumer.next()).toBe(true);
    expect(consumer.type).toBe(1);
    expect(consumer.hasData()).toBe(true);
    expect(consumer.next()).toBe(true);
    expect(consumer.type).toBe(2);
    expect(consumer.hasData()).toBe(false);
  });

  it('trimLast shrinks the last claim so the next record follows the trimmed length', () => {
    const { producer, consumer } = ringPair();
    const first = producer.tryClaim(1, 500);
    producer.bytes.set([9, 8, 7], first);
    producer.trimLast(3);
    const second = put(producer, 2, 4);
    expect(second - first).toBe(spanBytes(3));
    producer.publish();
    expect(takeAll(consumer)).toEqual([
      { type: 1, offset: first, payload: [9, 8, 7] },
      { type: 2, offset: second, payload: [2, 2, 2, 2] },
    ]);
    consumer.release();
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES);
  });

  it('trimLast may trim to zero and may trim twice', () => {
    const { producer, consumer } = ringPair();
    producer.tryClaim(1, 64);
    producer.trimLast(40);
    producer.trimLast(0);
    expect(() => producer.trimLast(1)).toThrow(RangeError);
    producer.publish();
    expect(takeAll(consumer)).toEqual([{ type: 1, offset: RECORD_HEADER_BYTES, payload: [] }]);
  });

  it('trimLast refuses to grow a claim, and refuses after publish', () => {
    const { producer } = ringPair();
    expect(() => producer.trimLast(0)).toThrow(Error);
    producer.tryClaim(1, 8);
    expect(() => producer.trimLast(9)).toThrow(RangeError);
    producer.publish();
    expect(() => producer.trimLast(0)).toThrow(/no unpublished record/);
  });

  it('trimLast of a wrapped record keeps its pad', () => {
    const { producer, consumer } = ringPair();
    leaveBytesBeforeEnd48(producer, consumer);
    const wrapped = producer.tryClaim(3, 500);
    expect(wrapped).toBe(RECORD_HEADER_BYTES);
    producer.trimLast(1);
    producer.bytes[wrapped] = 77;
    producer.publish();
    expect(takeAll(consumer)).toEqual([{ type: 3, offset: RECORD_HEADER_BYTES, payload: [77] }]);
    consumer.release();
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES);
  });

  it('maxPayloadBytes is a quarter of the data area minus the header, and one byte more throws RangeError', () => {
    const { producer } = ringPair(1 << 16);
    expect(producer.maxPayloadBytes).toBe((1 << 16) / 4 - RECORD_HEADER_BYTES);
    expect(producer.tryClaim(1, producer.maxPayloadBytes)).toBe(RECORD_HEADER_BYTES);
    expect(() => producer.tryClaim(1, producer.maxPayloadBytes + 1)).toThrow(RangeError);
  });

  it.each([-1, 1.5, Number.NaN])('a payload length of %s throws RangeError', (payloadBytes) => {
    expect(() => ringPair().producer.tryClaim(1, payloadBytes)).toThrow(RangeError);
  });

  it.each([PAD_RECORD_TYPE, -7, 2.5, 2 ** 31])('record type %s is refused (negative types are reserved)', (type) => {
    expect(() => ringPair().producer.tryClaim(type, 0)).toThrow(RangeError);
  });

  it('a consumer attached to a ring in use starts at its HEAD', () => {
    const { producer, consumer, sab } = ringPair();
    put(producer, 1, 10);
    put(producer, 2, 10);
    producer.publish();
    expect(consumer.next()).toBe(true);
    expect(consumer.next()).toBe(true);
    consumer.release();
    put(producer, 3, 10);
    producer.publish();
    const lateConsumer = new RingConsumer(sab);
    expect(takeAll(lateConsumer).map((r) => r.type)).toEqual([2, 3]);
  });

  it('a header running past the end of the data area is reported as corruption', () => {
    const { producer, consumer } = ringPair();
    put(producer, 1, 8);
    new Int32Array(producer.bytes.buffer, producer.bytes.byteOffset, 1)[0] = SMALL_RING_BYTES;
    producer.publish();
    expect(() => consumer.next()).toThrow(/ring corrupt/);
  });
});

describe.each([
  ['0', 0],
  ['just below 2^31', 0x7fffffff - 8 * 1000 + 1 - 7],
  ['just below 2^32', -8 * 700],
])('free-running positions starting at %s', (_name, start) => {
  it('survive the int32 wrap: 20,000 records arrive in order with their payloads', () => {
    const sab = createRingBuffer(SMALL_RING_BYTES);
    const control = new Int32Array(sab, 0, RING_CONTROL_BYTES / 4);
    const startPosition = start & ~7;
    control[0] = startPosition; // HEAD
    control[16] = startPosition; // TAIL
    const producer = new RingProducer(sab);
    const consumer = new RingConsumer(sab);
    let sent = 0;
    let received = 0;
    let mismatchCount = 0;
    for (let round = 0; round < 100_000 && received < 20_000; round++) {
      for (let offset = 0; sent < 20_000; sent++) {
        offset = producer.tryClaim(sent & 0xffff, 4 + (sent % 300));
        if (offset < 0) break;
        producer.view.setUint32(offset, sent, true);
      }
      producer.publish();
      while (consumer.next()) {
        const intact =
          consumer.view.getUint32(consumer.offset, true) === received &&
          consumer.length === 4 + (received % 300) &&
          consumer.type === (received & 0xffff);
        if (!intact) mismatchCount++;
        received++;
      }
      consumer.release();
    }
    expect(received).toBe(20_000);
    expect(mismatchCount).toBe(0);
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES);
    expect(Atomics.load(control, 0)).not.toBe(startPosition);
  });
});

/** The consumer's current record equals `expected` (type, length and every byte); undefined is a record the model lacks. */
function sameRecord(consumer: RingConsumer, expected: { type: number; payload: Uint8Array } | undefined): boolean {
  if (expected === undefined || consumer.type !== expected.type || consumer.length !== expected.payload.length) return false;
  for (let i = 0; i < consumer.length; i++) {
    if (consumer.bytes[consumer.offset + i] !== expected.payload[i]) return false;
  }
  return true;
}

describe('random interleavings against a queue model', () => {
  it.each([1, 2, 3, 4])('seed %i: every published record arrives once, in order, intact', (seed) => {
    const random = seededRandom(seed);
    const { producer, consumer } = ringPair();
    const inFlight: Array<{ type: number; payload: Uint8Array }> = [];
    let unpublished = 0;
    let nextType = 0;
    let delivered = 0;
    let unpublishedSeen = 0;
    let mismatchCount = 0;
    for (let step = 0; step < 20_000; step++) {
      const action = random();
      if (action < 0.5) {
        const claimBytes = random() < 0.1 ? Math.floor(random() * (producer.maxPayloadBytes + 1)) : Math.floor(random() * 64);
        const offset = producer.tryClaim(nextType, claimBytes);
        if (offset < 0) continue;
        const finalBytes = random() < 0.2 ? Math.floor(random() * (claimBytes + 1)) : claimBytes;
        const payload = new Uint8Array(finalBytes).map(() => Math.floor(random() * 256));
        producer.bytes.set(payload, offset);
        if (finalBytes !== claimBytes) producer.trimLast(finalBytes);
        inFlight.push({ type: nextType, payload });
        nextType = (nextType + 1) & 0x7fffffff;
        unpublished++;
      } else if (action < 0.7) {
        producer.publish();
        unpublished = 0;
      } else {
        const limit = Math.floor(random() * 8);
        for (let i = 0; i < limit && consumer.next(); i++) {
          if (inFlight.length === unpublished) unpublishedSeen++;
          if (!sameRecord(consumer, inFlight.shift())) mismatchCount++;
          delivered++;
        }
        if (random() < 0.5) consumer.release();
      }
    }
    producer.publish();
    while (consumer.next()) {
      if (!sameRecord(consumer, inFlight.shift())) mismatchCount++;
      delivered++;
    }
    consumer.release();
    expect(unpublishedSeen).toBe(0);
    expect(mismatchCount).toBe(0);
    expect(inFlight).toEqual([]);
    expect(delivered).toBeGreaterThan(1000);
    expect(producer.freeBytes()).toBe(SMALL_RING_BYTES);
  });
});

describe('doorbell wiring', () => {
  function bellWord(sab: SharedArrayBuffer): Int32Array {
    return new Int32Array(sab, 0, 1);
  }

  it('publish rings the consumer bell when it published records, and only then', () => {
    const { producer } = ringPair();
    const bells = createDoorbellBuffer(1);
    producer.consumerBell = new Doorbell(bells, 0);
    Atomics.store(bellWord(bells), 0, 1); // the consumer announced it sleeps

    producer.publish();
    expect(Atomics.load(bellWord(bells), 0)).toBe(1);

    put(producer, 1, 1);
    expect(Atomics.load(bellWord(bells), 0)).toBe(1);
    producer.publish();
    expect(Atomics.load(bellWord(bells), 0)).toBe(0);
  });

  it('release rings the producer bell only after the producer asked for a space signal', () => {
    const { producer, consumer } = ringPair();
    const bells = createDoorbellBuffer(1);
    consumer.producerBell = new Doorbell(bells, 0);
    for (let i = 0; i < 4; i++) put(producer, 1, 1016);
    producer.publish();

    Atomics.store(bellWord(bells), 0, 1);
    consumer.next();
    consumer.next();
    consumer.release();
    expect(Atomics.load(bellWord(bells), 0)).toBe(1);

    producer.requestSpaceSignal();
    consumer.next();
    consumer.release();
    expect(Atomics.load(bellWord(bells), 0)).toBe(0);
  });

  it('the space signal stays armed across a release that frees too little, until the producer claims', () => {
    const { producer, consumer } = ringPair();
    const bells = createDoorbellBuffer(1);
    consumer.producerBell = new Doorbell(bells, 0);
    for (let i = 0; i < 32; i++) put(producer, 1, 120);
    producer.publish();
    expect(producer.tryClaim(1, 1016)).toBe(-1);
    producer.requestSpaceSignal();

    Atomics.store(bellWord(bells), 0, 1);
    consumer.next();
    consumer.next();
    consumer.release(); // frees 128 bytes: not enough for the producer
    expect(Atomics.load(bellWord(bells), 0)).toBe(0);

    Atomics.store(bellWord(bells), 0, 1); // the producer re-checked and sleeps again
    for (let i = 0; i < 8; i++) consumer.next();
    consumer.release();
    expect(Atomics.load(bellWord(bells), 0)).toBe(0);

    expect(producer.tryClaim(1, 1016)).toBeGreaterThanOrEqual(0); // disarms
    Atomics.store(bellWord(bells), 0, 1);
    consumer.next();
    consumer.release();
    expect(Atomics.load(bellWord(bells), 0)).toBe(1);
  });
});
