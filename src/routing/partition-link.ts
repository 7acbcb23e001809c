/**
 * The main thread's end of one partition: its two rings, the overflow queue that keeps a full ops
 * ring from ever dropping a record or blocking the event loop, and what runs the partition: a
 * worker thread, or (`--workers 0`, the in-thread baseline) the main thread itself, which drains
 * the ops ring synchronously in the router's poll (runInThread). Both read and write the same
 * records through the same rings, so the router cannot tell them apart except for when to run it.
 *
 *   main thread                                   partition worker i
 *   -----------                                   ------------------
 *   claim() -> ops ring (RingProducer) ---------> RingConsumer -> Partition.handle
 *   results ring (RingConsumer) <---------------- RingProducer <- answers
 *   mainBell.sleepAsync, or sleep <= 0.5 ms       workerBell.sleep (Atomics.wait)
 *     <--- ring() from the worker                   <--- ring() from the main thread
 *
 * When the ops ring is full, records go to `overflow` (copies, in order) and `congested` is set;
 * the router stops reading client sockets until pump() has moved the overflow into the ring.
 * Records are never reordered: while anything is in overflow, new records queue behind it.
 *
 * Why bare worker_threads and not piscina: a partition is a long-lived, stateful owner of part of
 * the subscription table, pinned to its rings for the broker's life. piscina schedules short,
 * stateless tasks onto interchangeable threads; hosting partitions in it would mean never-ending
 * tasks, an affinity balancer and resubmission on crash (node-budget.md §6), which is more code than
 * the supervisor below, not less. See docs/architecture.md.
 */
import { Worker } from 'node:worker_threads';
import { createRingBuffer, RingConsumer, RingProducer } from '../shm/ring.js';
import { Doorbell } from '../shm/doorbell.js';
import { Partition } from '../partition/partition.js';

/** workerData handed to workers/partition-worker.ts. */
export interface PartitionWorkerData {
  index: number;
  opsRing: SharedArrayBuffer;
  resultsRing: SharedArrayBuffer;
  bells: SharedArrayBuffer;
  workerBellIndex: number;
  mainBellIndex: number;
}


/**
 * What runs a partition: a worker thread started from `workerUrl`, or the main thread, which calls
 * `waitForRoom` when the results ring is full in the middle of an answer (it must apply answers).
 */
export type PartitionHost = { workerUrl: URL } | { waitForRoom: (ready: () => boolean) => void };

interface OverflowRecord {
  type: number;
  bytes: Buffer;
}

export class PartitionLink {
  readonly ops: RingProducer;
  readonly results: RingConsumer;
  /** The worker thread running the partition, or null when the main thread runs it. */
  readonly worker: Worker | null;
  /** The partition, when the main thread runs it. */
  private readonly local: Partition | null;
  /** Where the record being written lives: ring memory or an overflow copy. */
  targetBytes: Uint8Array;
  targetView: DataView;
  private readonly overflow: OverflowRecord[] = [];
  /** Ops were written since the last publish(). */
  private unpublished = false;
  /** Ops that found the ring full and waited in the overflow queue (INFO ringcast_ring_overflows). */
  overflowedOps = 0;
  /** Bumped each time the worker is replaced: pending answers from an older epoch are lost. */
  readonly epoch: number;

  constructor(
    readonly index: number,
    bells: SharedArrayBuffer,
    mainBellIndex: number,
    epoch: number,
    host: PartitionHost,
    ringBytes: number,
  ) {
    this.epoch = epoch;
    const opsRing = createRingBuffer(ringBytes);
    const resultsRing = createRingBuffer(ringBytes);
    this.ops = new RingProducer(opsRing);
    this.results = new RingConsumer(resultsRing);
    this.targetBytes = this.ops.bytes;
    this.targetView = this.ops.view;
    if ('waitForRoom' in host) {
      // Same thread on both ends: no doorbells, nobody to wake.
      this.worker = null;
      this.local = new Partition(new RingConsumer(opsRing), new RingProducer(resultsRing), host.waitForRoom);
      return;
    }
    this.local = null;
    const workerBell = new Doorbell(bells, index + 1);
    this.ops.consumerBell = workerBell;
    this.results.producerBell = workerBell;
    const data: PartitionWorkerData = {
      index,
      opsRing,
      resultsRing,
      bells,
      workerBellIndex: index + 1,
      mainBellIndex,
    };
    this.worker = new Worker(host.workerUrl, { workerData: data, name: `ringcast-partition-${index}` });
  }

  /** In-thread only: ops are waiting in the ops ring. */
  hasOpsInThread(): boolean {
    return this.local!.hasOps();
  }

  /** In-thread only: handles the published ops now, writing their answers to the results ring. */
  runInThread(): void {
    this.local!.drain(this.results.maxPayloadBytes);
  }

  get congested(): boolean {
    return this.overflow.length > 0;
  }

  /** True when the oldest overflow record would fit in the ring now (pump() would make progress). */
  overflowCanMove(): boolean {
    return this.overflow.length > 0 && this.ops.canClaim(this.overflow[0].bytes.length);
  }

  /** The largest op payload that fits one ring record. */
  get maxRecordBytes(): number {
    return this.ops.maxPayloadBytes;
  }

  /**
   * Starts a record of `bytes` payload; returns the offset to write it at in targetBytes/targetView.
   * Never fails: when the ring is full the record goes to the overflow queue.
   */
  claim(type: number, bytes: number): number {
    this.unpublished = true;
    if (this.overflow.length === 0) {
      const off = this.ops.tryClaim(type, bytes);
      if (off >= 0) {
        this.targetBytes = this.ops.bytes;
        this.targetView = this.ops.view;
        return off;
      }
      // Ask the worker to ring the main doorbell once it frees space.
      this.ops.publish();
      this.ops.requestSpaceSignal();
    }
    const copy = Buffer.alloc(bytes);
    this.overflow.push({ type, bytes: copy });
    this.overflowedOps++;
    this.targetBytes = copy;
    this.targetView = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
    return 0;
  }

  /** Makes written ops visible to the worker (one Atomics.store, a wake-up only if it sleeps). */
  publish(): void {
    if (this.unpublished) {
      this.unpublished = false;
      this.ops.publish();
    }
  }

  /** Moves overflow records into the ring while they fit. Returns true when the overflow is empty. */
  pump(): boolean {
    let moved = 0;
    while (moved < this.overflow.length) {
      const rec = this.overflow[moved];
      const off = this.ops.tryClaim(rec.type, rec.bytes.length);
      if (off < 0) break;
      this.ops.bytes.set(rec.bytes, off);
      moved++;
    }
    if (moved > 0) {
      this.overflow.splice(0, moved);
      this.ops.publish();
    }
    if (this.overflow.length > 0) this.ops.requestSpaceSignal();
    return this.overflow.length === 0;
  }

  /** Drops queued ops (the worker died; its replacement is rebuilt from client state). */
  clearOverflow(): void {
    this.overflow.length = 0;
  }
}
