/**
 * The main thread's side of the partitions: routes ops into the rings and applies the answers in
 * exactly the order the commands arrived (main thread).
 *
 * Ordering (docs/architecture.md has the full argument). Commands are executed on the main thread
 * one at a time, in arrival order, and every op they send to a partition goes through that
 * partition's FIFO ring, so each partition sees ops in arrival order. Answers come back through
 * per-partition FIFO rings, but different partitions finish at different times, so the router keeps
 * an order queue: one entry per command whose output depends on a partition (PUBLISH, PUBSUB
 * queries) and one per piece of output produced locally while older entries were still pending.
 * Output is applied strictly from the head of that queue. The head's answer is always the next
 * record of its partition's results ring (partitions answer in op order), so applying never
 * searches and never waits for anything but the head. The result: every client observes its
 * replies and messages in the order single-threaded Redis would produce for the same arrival order.
 *
 * Subscription changes need no answer: the main thread knows each client's subscription sets and
 * writes the (un)subscribe confirmations itself; the op only has to reach the owning partition
 * before any later publish, which the ring order guarantees.
 */
import type { Client } from '../transport/client.js';
import type { ClientRegistry } from '../transport/client-registry.js';
import { Doorbell, createDoorbellBuffer } from '../shm/doorbell.js';
import * as R from '../shm/records.js';
import { frameTail } from '../partition/frames.js';
import { jsonText } from '../codec/json-text.js';
import { copyBytes, copyView, ViewCache } from '../codec/copy-bytes.js';
import { OutputBuffer } from '../transport/output-buffer.js';
import { addError, addInteger } from '../protocol/reply.js';
import { PartitionLink } from './partition-link.js';

/** Payloads at least this big stay on the main thread; only their length crosses the ring. */
export const HELD_PAYLOAD_BYTES = 8 * 1024;
/** Result records applied before the consumed ring space is handed back to the worker. */
const RECORDS_PER_RELEASE = 64;
/**
 * Output appended per poll before the rest waits for the next turn: the flush writes in between,
 * so a fast reader's output stays bounded per turn even when a full ring is drained.
 */
const APPLY_BYTES_PER_POLL = 4 * 1024 * 1024;
/**
 * Longest the main thread blocks for the head's answer in one poll (Router.waitForAnswer). A
 * batch's answer usually lands within 10-100 us; past this the doorbell's async wait takes over.
 */
const ANSWER_WAIT_MS = 0.5;
/**
 * The first part of that wait is spent polling the rings instead of sleeping (Router.spinForAnswer).
 * Caught awake, the answer costs no futex wake on the worker and no wake-up from a halted vCPU on
 * the main thread: on the 1 -> 1 pipelined load the wait per turn went from 45 to 27-30 us on
 * average, and fan-out 1 -> 100 went from 0.67x to 0.78x redis-server (interleaved runs, 2 cores).
 */
const ANSWER_SPIN_MS = 0.1;
/**
 * PUBLISHes dispatched in one turn after which they are made visible to the partition at once
 * instead of at the end of the turn (see Router.publish): the worker's wake-up and its work on
 * them then overlap the parsing of the rest of the turn's input, and poll() waits for the rest.
 * 1 -> 1 pipelined: 0.58x -> 0.67x redis-server (394 k -> 455 k msgs/s, medians of 6 interleaved
 * 5 s runs on 2 cores); fan-out 1 -> 100, rooms and the 10 k/s latency load unchanged within noise.
 * Publishing at the end of the first read instead gained nothing; publishing early without
 * waiting for the rest in poll() lost 4% and raised p99 2-3x (the rest came by waitAsync).
 */
const EARLY_COMMIT_PUBLISHES = 16;
/** Ring checks between two reads of the clock while spinning (a check is ~30-60 ns, the clock ~50 ns). */
const CHECKS_PER_CLOCK_READ = 32;
/**
 * Largest run of messages gathered for one set of recipients before it is copied out (see
 * Router.extendRun): the size of an OutputBuffer staging buffer, so a run is one copy each.
 */
const RUN_MAX_BYTES = 16 * 1024;
/** Worker restarts tolerated per minute before the broker gives up and exits. */
const MAX_RESTARTS_PER_MINUTE = 5;

const K_LOCAL = 1;
const K_PUBLISH = 2;
const K_QUERY = 3;
/** A quitting client's close, ordered behind its older output. */
const K_CLOSE = 4;
/** The pushes a client sent itself during its EXEC, released behind the whole EXEC reply. */
const K_RELEASE_OWN = 5;

/** A query answered by every partition; `finish` writes the merged reply. */
export interface QueryState {
  names: Buffer[];
  counts: number[];
  finish(client: Client, names: Buffer[], counts: number[]): void;
}

/** One order-queue entry. Entries are pooled: fields are reset, objects reused. */
class Pending {
  kind = 0;
  client: Client | null = null;
  partition = -1;
  epoch = 0;
  payload: Buffer | null = null;
  local: Buffer | null = null;
  query: QueryState | null = null;
  /** The command's reply is dropped (CLIENT REPLY OFF/SKIP when it ran); deliveries still happen. */
  muted = false;
  /** K_PUBLISH inside the publisher's EXEC: frames to the publisher itself wait (see beginExec). */
  holdOwn = false;
  /** K_QUERY: per partition, the epoch asked, or -1 once its final answer was merged. */
  waiting: number[] = [];
}

export class Router {
  readonly links: PartitionLink[] = [];
  private readonly bells: SharedArrayBuffer;
  private readonly mainBell: Doorbell;
  // The order queue: a growable circular array of pooled entries.
  private queue: Pending[] = [];
  private head = 0;
  private count = 0;
  // The command being executed, and whether its output is being deferred.
  private current: Client | null = null;
  private realOut: OutputBuffer | null = null;
  private readonly scratch = new OutputBuffer();
  private readonly pausedClients: Client[] = [];
  private armed = false;
  private stopping = false;
  private restarts: number[] = [];
  /** Set by the broker: a fatal condition (workers keep dying). */
  onFatal: (err: Error) => void = (err) => { throw err; };

  /** The main thread runs the one partition itself (`--workers 0`, see runInThread). */
  private readonly inThread: boolean;

  constructor(
    workerCount: number,
    private readonly ringBytes: number,
    private readonly clients: ClientRegistry,
    private readonly workerUrl: URL,
  ) {
    this.inThread = workerCount === 0;
    this.bells = createDoorbellBuffer(workerCount + 1);
    this.mainBell = new Doorbell(this.bells, 0);
    for (let i = 0; i < Math.max(1, workerCount); i++) this.startLink(i, 1);
    for (let i = 0; i < 64; i++) this.queue.push(new Pending());
    clients.beforeFlush = () => this.poll();
  }

  get partitionCount(): number {
    return this.links.length;
  }

  /** Largest channel or pattern name accepted: a pmessage frame with both must fit one record. */
  get maxNameBytes(): number {
    return Math.floor(this.links[0].maxRecordBytes / 4);
  }

  /** True while any ops ring is full and new input must wait. */
  get congested(): boolean {
    for (const link of this.links) if (link.congested) return true;
    return false;
  }

  /** Which partition owns a channel: FNV-1a over its bytes (stable across runs and threads). */
  partitionOf(bytes: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    return (h >>> 0) % this.links.length;
  }

  // ---- command bracket: output ordering for locally produced replies --------------------------

  /** The client whose command is running (between beginCommand and endCommand), else null. */
  get runningClient(): Client | null {
    return this.current;
  }

  /** Called before a command runs: its replies are deferred while older entries are pending. */
  beginCommand(c: Client): void {
    this.current = c;
    if (this.count > 0) this.redirect(c);
  }

  /** Called after a command ran: deferred replies become a queue entry behind what it dispatched. */
  endCommand(c: Client): void {
    if (this.realOut !== null) {
      this.sealScratch(c);
      c.out = this.realOut;
      this.realOut = null;
    }
    this.current = null;
    const deferred = this.deferredPublishes;
    if (deferred.length > 0) {
      // Guarded: setting an array's length is a runtime call, ~1% of the main thread per command.
      for (let i = 0; i < deferred.length; i += 2) this.publishInternal(deferred[i], deferred[i + 1]);
      deferred.length = 0;
    }
    if (c.quitting && !c.closeAfterFlush && !c.closeQueued) {
      if (this.count === 0) c.closeAfterFlush = true;
      else {
        c.closeQueued = true;
        this.pushEntry(K_CLOSE, c);
      }
    }
    if (!c.out.isEmpty || c.closeAfterFlush) this.clients.markDirty(c);
  }

  // ---- EXEC: a client's own pushes after its whole reply ------------------------------------

  /** The client whose EXEC is running, and how many of its publishes hold frames back. */
  private execClient: Client | null = null;
  private execPublishes = 0;
  /** Frames a client sent itself during its EXEC, waiting for that EXEC's K_RELEASE_OWN. */
  private readonly ownFrames = new Map<Client, Buffer[]>();

  /**
   * Called when EXEC starts running its queue. Redis 7.2+ (redis#12326) delivers the pushes a
   * client causes to itself inside a transaction after the whole EXEC reply; every PUBLISH of this
   * client until endExec sets the frames addressed to the client itself aside.
   */
  beginExec(c: Client): void {
    this.execClient = c;
    this.execPublishes = 0;
  }

  /** EXEC's queue has run: the frames set aside are released by an entry behind its reply. */
  endExec(c: Client): void {
    this.execClient = null;
    if (this.execPublishes > 0) this.push(K_RELEASE_OWN, c);
  }

  /** Output for a client other than the current one (MONITOR lines), in order. */
  emitTo(target: Client, bytes: Buffer): void {
    if (this.count === 0 && target !== this.current) {
      target.out.appendBytes(bytes, 0, bytes.length);
      this.clients.markDirty(target);
      return;
    }
    if (target === this.current && this.realOut === null) {
      target.out.appendBytes(bytes, 0, bytes.length);
      return;
    }
    const e = this.push(K_LOCAL, target);
    e.local = bytes;
  }

  private redirect(c: Client): void {
    if (this.realOut !== null) return;
    this.realOut = c.out;
    c.out = this.scratch;
  }

  /** Moves what the current command wrote so far into a K_LOCAL entry. */
  private sealScratch(c: Client): void {
    if (this.scratch.isEmpty) return;
    const bytes = Buffer.concat(this.scratch.take());
    this.scratch.afterWrite(true);
    const e = this.pushEntry(K_LOCAL, c);
    e.local = bytes;
  }

  // ---- dispatch ------------------------------------------------------------------------------

  /** SUBSCRIBE / UNSUBSCRIBE / SSUBSCRIBE / SUNSUBSCRIBE: fire and forget to the owner. */
  sendSubscription(type: number, c: Client, space: number, name: Uint8Array, start: number, end: number): void {
    this.writeSubscription(this.links[this.partitionOf(name, start, end)], type, c.id, space, c.encoding, name, start, end);
  }

  /** PSUBSCRIBE / PUNSUBSCRIBE: every partition keeps every pattern. */
  broadcastPattern(type: number, c: Client, pattern: Uint8Array, start: number, end: number): void {
    for (const link of this.links) this.writeSubscription(link, type, c.id, R.SPACE_GLOBAL, c.encoding, pattern, start, end);
  }

  private writeSubscription(link: PartitionLink, type: number, clientId: number, space: number, encoding: number, name: Uint8Array, start: number, end: number): void {
    const len = end - start;
    const off = link.claim(type, R.SUB_NAME + len);
    const v = link.targetView;
    v.setUint32(off + R.SUB_CLIENT, clientId, true);
    v.setUint32(off + R.SUB_SPACE, space, true);
    v.setUint32(off + R.SUB_ENCODING, encoding, true);
    v.setUint32(off + R.SUB_NAME_LEN, len, true);
    copyBytes(name, start, end, link.targetBytes, off + R.SUB_NAME);
  }

  /**
   * A publish the broker makes itself (keyspace notifications): no reply. During a command it is
   * sent when the command ends, so the command's own reply comes first (Redis 7.2+ defers pushes
   * a command causes until after its reply).
   */
  publishInternal(channel: Buffer, message: Buffer): void {
    if (this.current !== null) {
      this.deferredPublishes.push(channel, message);
      return;
    }
    this.publish(null, R.SPACE_GLOBAL, Buffer.concat([channel, message]), 0, channel.length, channel.length, channel.length + message.length);
  }

  /** Channel, message pairs published by the running command, sent at endCommand. */
  private readonly deferredPublishes: Buffer[] = [];

  /** DataView of the buffer PUBLISH arguments come from (the parser's current chunk). */
  private readonly sourceViews = new ViewCache();

  /** PUBLISH / SPUBLISH: the owner answers with the fan-out; the reply is its receiver count. */
  publish(c: Client | null, space: number, src: Uint8Array, chStart: number, chEnd: number, plStart: number, plEnd: number): void {
    const partition = this.partitionOf(src, chStart, chEnd);
    const link = this.links[partition];
    const channelLen = chEnd - chStart;
    const payloadLen = plEnd - plStart;
    const held = payloadLen >= HELD_PAYLOAD_BYTES;
    const size = R.PUB_CHANNEL + R.pad4(channelLen) + (held ? 0 : payloadLen);
    const off = link.claim(R.OP_PUBLISH, size);
    const v = link.targetView;
    v.setUint32(off + R.PUB_SPACE, space, true);
    v.setUint32(off + R.PUB_HELD, held ? 1 : 0, true);
    v.setUint32(off + R.PUB_CHANNEL_LEN, channelLen, true);
    v.setUint32(off + R.PUB_PAYLOAD_LEN, payloadLen, true);
    const from = this.sourceViews.of(src);
    copyView(from, chStart, chEnd, v, off + R.PUB_CHANNEL);
    if (!held) copyView(from, plStart, plEnd, v, off + R.PUB_CHANNEL + R.pad4(channelLen));
    const e = c === null ? this.pushEntry(K_PUBLISH, null) : this.push(K_PUBLISH, c);
    e.partition = partition;
    e.epoch = link.epoch;
    e.payload = held ? Buffer.from(src.subarray(plStart, plEnd)) : null;
    if (c !== null && c === this.execClient) {
      e.holdOwn = true;
      this.execPublishes++;
    }
    // Once per turn, so many small reads still cost one extra wake-up at most, not one each.
    if (++this.turnPublishes === EARLY_COMMIT_PUBLISHES) for (const l of this.links) l.publish();
  }

  /** PUBLISHes dispatched since the last poll. */
  private turnPublishes = 0;

  /**
   * A query every partition answers (PUBSUB CHANNELS / NUMSUB / NUMPAT): `write` encodes the op
   * into a partition's ring; `query.finish` writes the merged reply when all have answered.
   */
  broadcastQuery(c: Client, type: number, bodyBytes: number, write: (bytes: Uint8Array, view: DataView, off: number) => void, query: QueryState, onlyFirst = false): void {
    const e = this.push(K_QUERY, c);
    e.query = query;
    e.waiting.length = 0;
    for (let i = 0; i < this.links.length; i++) {
      const link = this.links[i];
      if (onlyFirst && i > 0) {
        e.waiting.push(-1);
        continue;
      }
      const off = link.claim(type, bodyBytes);
      write(link.targetBytes, link.targetView, off);
      e.waiting.push(link.epoch);
    }
  }

  /** Makes every op written so far visible to the partitions now. */
  commit(): void {
    for (const link of this.links) link.publish();
    if (this.count > 0 || this.congested) this.arm();
  }

  /**
   * Makes the ops visible at the end of this event-loop turn (in the flush's poll), so the input of
   * every connection read in this turn reaches a partition with one publish and at most one
   * wake-up: the profile of a 50-connection PUBLISH load had 12% of the main thread in
   * Atomics.notify when committing per read (node-budget.md §1: batch to amortise wake-ups).
   */
  commitSoon(): void {
    this.clients.scheduleFlush();
  }

  /** Clients paused so far because a ring was full (INFO ringcast_backpressure_pauses). */
  backpressurePauses = 0;

  /** Ops that waited in an overflow queue so far, over all partitions and their replacements. */
  get overflowedOps(): number {
    return this.retiredOverflowedOps + this.links.reduce((n, l) => n + l.overflowedOps, 0);
  }

  private retiredOverflowedOps = 0;

  /** Pauses a client's input until the rings have room (backpressure to publishers). */
  pauseForRing(c: Client): void {
    if (c.pausedForRing) return;
    this.backpressurePauses++;
    c.pausedForRing = true;
    c.transport.pause();
    this.pausedClients.push(c);
    this.arm();
  }

  /** Forgets a closed client's subscriptions in the partitions. */
  dropSubscriptions(c: Client): void {
    for (const key of c.channels) this.sendSubscriptionKey(R.OP_UNSUBSCRIBE, c, R.SPACE_GLOBAL, key);
    for (const key of c.shardChannels) this.sendSubscriptionKey(R.OP_UNSUBSCRIBE, c, R.SPACE_SHARD, key);
    for (const key of c.patterns) {
      const b = Buffer.from(key, 'latin1');
      this.broadcastPattern(R.OP_PUNSUBSCRIBE, c, b, 0, b.length);
    }
    c.channels.clear();
    c.shardChannels.clear();
    c.patterns.clear();
    this.commit();
  }

  private sendSubscriptionKey(type: number, c: Client, space: number, key: string): void {
    const b = Buffer.from(key, 'latin1');
    this.sendSubscription(type, c, space, b, 0, b.length);
  }

  // ---- the order queue -----------------------------------------------------------------------

  /** Appends an entry; if the current command writes directly, later output of it is deferred. */
  private push(kind: number, c: Client): Pending {
    if (this.current !== null) {
      if (this.realOut === null) this.redirect(this.current);
      else this.sealScratch(this.current);
    }
    return this.pushEntry(kind, c);
  }

  private pushEntry(kind: number, c: Client | null): Pending {
    if (this.count === this.queue.length) this.grow();
    const e = this.queue[(this.head + this.count) % this.queue.length];
    this.count++;
    e.kind = kind;
    e.client = c;
    e.muted = c !== null && c.muted;
    e.holdOwn = false;
    return e;
  }

  private grow(): void {
    const old = this.queue;
    const next: Pending[] = [];
    for (let i = 0; i < this.count; i++) next.push(old[(this.head + i) % old.length]);
    for (let i = this.count; i < old.length * 2; i++) next.push(new Pending());
    this.queue = next;
    this.head = 0;
  }

  private popHead(): void {
    const e = this.queue[this.head];
    e.client = null;
    e.payload = null;
    e.local = null;
    e.query = null;
    this.head = (this.head + 1) % this.queue.length;
    this.count--;
  }

  /**
   * Applies every answer that is ready, in queue order. If the head is still unanswered, blocks once
   * for it (at most ANSWER_WAIT_MS, see waitForAnswer; also after an early commit, see
   * EARLY_COMMIT_PUBLISHES), applies what came, and otherwise arms the
   * doorbell so the rest is applied when it arrives.
   */
  poll(): void {
    // After an early commit the answers applied below are only the first part of this turn's:
    // wait for the rest too, or it would cost an async wake-up and a turn of its own.
    const committedEarly = this.turnPublishes >= EARLY_COMMIT_PUBLISHES;
    this.turnPublishes = 0;
    for (const link of this.links) link.publish();
    this.pumpOverflow();
    this.appliedBytes = 0;
    if (this.inThread) {
      this.runInThread(this.links[0]);
      return;
    }
    if ((this.applyReady() === 0 || committedEarly) && this.count > 0 && this.waitForAnswer()) this.applyReady();
    if (this.count > 0 || this.congested) this.arm();
  }

  /**
   * `--workers 0`: the main thread is the partition. Alternates applying the answers ready (those
   * a previous poll left at APPLY_BYTES_PER_POLL first) with handling the ops (the partition writes
   * its answers to the results ring, stopping while that ring is less than a quarter free), until no
   * op is left, or this poll's output reached the cap (applyReady then scheduled the next flush,
   * which goes on after this one has written). Records, order queue and output are exactly the
   * worker path's; only the hop is gone: no wake-ups, no waiting for an answer.
   */
  private runInThread(link: PartitionLink): void {
    for (;;) {
      this.applyReady();
      this.pumpOverflow();
      if (!link.hasOpsInThread()) return;
      if (this.appliedBytes >= APPLY_BYTES_PER_POLL) {
        this.clients.scheduleFlush();
        return;
      }
      try {
        link.runInThread();
      } catch (err) {
        this.onPartitionDied(link, err as Error);
        return;
      }
    }
  }

  /**
   * In-thread only: the partition found the results ring full in the middle of an answer (one
   * larger than the room it keeps, a fan-out to hundreds of thousands, or answers written between
   * two of its room checks); apply what is there, past the per-poll cap, so it can go on. Cannot fail to make room: every record in the ring is complete
   * and belongs to the order queue's entries, which are applied in order.
   */
  private readonly applyForRoom = (ready: () => boolean): void => {
    this.applyReady(false);
    if (!ready()) throw new Error('partition: no room in the results ring after applying every answer');
  };

  /**
   * Polls the rings for ANSWER_SPIN_MS, then blocks the main thread in Atomics.wait on its doorbell
   * until a partition rings it or ANSWER_WAIT_MS passed in all. Skipped while the async wait is armed: a bell has one sleeper, and
   * notify(bell, 1) would wake the async waiter and leave this one to time out.
   *
   * Why block the event loop: the head of the order queue holds back every later output, and its
   * answer normally comes within tens of microseconds (a worker wake-up plus the batch). Waiting
   * for it with waitAsync costs an eventfd write on the worker, an epoll wake-up, a platform task
   * and a promise reaction on the main thread, then a setImmediate before the flush writes; a
   * blocking wait is one futex wake-up, the flush that called poll() writes the answer at once, and
   * while the main thread sleeps its core is free for the worker. A 1 -> 1 PUBLISH load (window 64)
   * used 3.9 -> 3.6 us of main-thread and 2.9 -> 2.5 us of other-thread CPU per publish, and the
   * 10 k/s latency load 22 -> 17 and 14 -> 10 (per-thread CPU from /proc around `ringcast bench`
   * runs, interleaved with the old build). It is skipped when this poll applied something: that
   * output should be written now, and a 4-publisher, 1000-room load lost 5-10% when it waited
   * anyway. The bound keeps a slow or dead worker from stalling the loop longer than that per turn.
   */
  private waitForAnswer(): boolean {
    if (this.armed || this.stopping || this.appliedBytes >= APPLY_BYTES_PER_POLL) return false;
    if (!this.spinForAnswer()) this.mainBell.sleep(this.hasWork, ANSWER_WAIT_MS - ANSWER_SPIN_MS);
    return true;
  }

  /**
   * Polls the rings for up to ANSWER_SPIN_MS; true as soon as one has something to apply. The main
   * bell stays AWAKE meanwhile, so the worker's ring() is one Atomics.load instead of a futex wake,
   * and the answer is applied without a wake-up. Bounded because two cores are shared with the
   * clients (node-budget.md §5: nothing may spin for long); the blocking wait takes over after it.
   */
  private spinForAnswer(): boolean {
    const until = performance.now() + ANSWER_SPIN_MS;
    do {
      for (let i = 0; i < CHECKS_PER_CLOCK_READ; i++) if (this.hasWork()) return true;
    } while (performance.now() < until);
    return false;
  }

  /** Applies answers from the head of the order queue until one is not ready (or the byte cap); returns how many. */
  private applyReady(capped = true): number {
    let applied = 0;
    while (this.count > 0) {
      if (capped && this.appliedBytes >= APPLY_BYTES_PER_POLL) {
        // Fairness: write what was applied, continue on the next turn.
        this.clients.scheduleFlush();
        break;
      }
      const e = this.queue[this.head];
      if (e.kind !== K_PUBLISH) this.flushRun();
      if (e.kind === K_LOCAL) {
        this.applyLocal(e);
      } else if (e.kind === K_CLOSE) {
        e.client!.closeAfterFlush = true;
        this.clients.markDirty(e.client!);
      } else if (e.kind === K_RELEASE_OWN) {
        this.releaseOwnFrames(e.client!);
      } else if (e.kind === K_PUBLISH) {
        const link = this.links[e.partition];
        if (link.epoch !== e.epoch) {
          this.flushRun();
          this.failPublish(e);
        } else if (!this.applyDelivery(link, e)) {
          break;
        }
      } else if (!this.applyQuery(e)) {
        break;
      }
      this.popHead();
      if (++applied % RECORDS_PER_RELEASE === 0) {
        this.flushRun();
        this.releaseResults();
      }
    }
    this.flushRun();
    this.releaseResults();
    return applied;
  }

  /** Bytes appended to client output during the current poll. */
  private appliedBytes = 0;

  private releaseResults(): void {
    for (const link of this.links) link.results.release();
  }

  private applyLocal(e: Pending): void {
    const c = e.client!;
    if (c.closed) return;
    const bytes = e.local!;
    c.out.appendBytes(bytes, 0, bytes.length);
    this.clients.markDirty(c);
  }

  /** Applies the records of one delivery answer; false when its final record has not arrived. */
  private applyDelivery(link: PartitionLink, e: Pending): boolean {
    const ring = link.results;
    let records = 0;
    while (ring.next()) {
      const off = ring.offset;
      const v = ring.view;
      const flags = v.getUint32(off + R.DLV_FLAGS, true);
      const publisher = e.client;
      if (e.payload === null && (flags & WHOLE_ANSWER) === WHOLE_ANSWER && this.extendRun(v, off, publisher)) {
        if (publisher !== null && !publisher.closed && !e.muted) {
          addInteger(publisher, v.getUint32(off + R.DLV_RECEIVERS, true));
          this.clients.markDirty(publisher);
        }
        return true;
      }
      this.flushRun();
      if ((flags & R.FLAG_FIRST) !== 0 && publisher !== null && !publisher.closed && !e.muted) {
        // The reply goes before the deliveries: a RESP3 client publishing to itself gets `:n`
        // and then its own push (Redis 7.2+ defers self-pushes until after the reply).
        addInteger(publisher, v.getUint32(off + R.DLV_RECEIVERS, true));
        this.clients.markDirty(publisher);
      }
      this.applyGroups(ring.bytes, v, off, e.payload, e.holdOwn ? publisher : null);
      if ((flags & R.FLAG_FINAL) !== 0) return true;
      if (++records % RECORDS_PER_RELEASE === 0) ring.release();
    }
    return false;
  }

  // ---- runs: consecutive messages to the same recipients, copied out once per recipient ---------
  //
  // A fan-out turn applies tens of publishes to one channel, each to the same hundred subscribers:
  // copying every frame into every output was ~14% of the main thread (one ~125 ns native copy per
  // delivery). Instead, consecutive one-group answers with identical recipient lists gather their
  // frames in runBytes, and the run is copied into each recipient once when it ends. Any other
  // output (a different recipient list, a local reply, a query, a held payload, a publisher that is
  // also a recipient) ends the run first, so every connection still gets its bytes in queue order.
  // A run never outlives applyReady: its recipient ids are read from the results ring, which is
  // released only after the run was flushed.

  private readonly runBytes = Buffer.allocUnsafe(RUN_MAX_BYTES);
  private readonly runView = new DataView(this.runBytes.buffer, this.runBytes.byteOffset, RUN_MAX_BYTES);
  private runUsed = 0;
  /** Where the run's recipient ids are (a results ring), and how many. */
  private runIdsView: DataView | null = null;
  private runIdsPos = 0;
  private runRecipients = 0;

  /**
   * Adds a delivery record to the run when it can join one: a single group, in a byte-stream
   * encoding, to at least two recipients, not including the publisher (whose reply must stay
   * between its messages). Starts a new run when the recipients differ. False: apply it the
   * ordinary way (after flushRun).
   */
  private extendRun(v: DataView, off: number, publisher: Client | null): boolean {
    if (v.getUint32(off + R.DLV_GROUPS, true) !== 1) return false;
    const g = off + R.DLV_FIRST_GROUP;
    const encoding = v.getUint32(g + R.GROUP_ENCODING, true);
    const recipients = v.getUint32(g + R.GROUP_RECIPIENTS, true);
    if ((encoding !== R.ENC_RESP2 && encoding !== R.ENC_RESP3) || recipients < 2) return false;
    const frameStart = g + R.GROUP_FRAME;
    const frameLen = v.getUint32(g + R.GROUP_FRAME_LEN, true);
    const idPos = frameStart + R.pad4(frameLen);
    const publisherId = publisher === null ? 0 : publisher.id;
    if (this.runUsed + frameLen > RUN_MAX_BYTES || !this.sameRecipients(v, idPos, recipients, publisherId)) {
      this.flushRun();
      if (frameLen > RUN_MAX_BYTES || containsId(v, idPos, recipients, publisherId)) return false;
      this.runIdsView = v;
      this.runIdsPos = idPos;
      this.runRecipients = recipients;
    }
    copyView(v, frameStart, frameStart + frameLen, this.runView, this.runUsed);
    this.runUsed += frameLen;
    this.appliedBytes += recipients * frameLen;
    return true;
  }

  /** True when a run is open for exactly these recipients, none of them the publisher. */
  private sameRecipients(v: DataView, idPos: number, recipients: number, publisherId: number): boolean {
    const ids = this.runIdsView;
    if (ids === null || recipients !== this.runRecipients) return false;
    for (let i = 0, a = this.runIdsPos, b = idPos; i < recipients; i++, a += 4, b += 4) {
      const id = v.getUint32(b, true);
      if (id !== ids.getUint32(a, true) || id === publisherId) return false;
    }
    return true;
  }

  /** Copies the gathered run into each of its recipients (one native copy each) and closes it. */
  private flushRun(): void {
    const ids = this.runIdsView;
    if (ids === null) return;
    const frames = this.runBytes.subarray(0, this.runUsed);
    const byId = this.clients.byId;
    for (let i = 0, pos = this.runIdsPos; i < this.runRecipients; i++, pos += 4) {
      const c = byId.get(ids.getUint32(pos, true));
      if (c === undefined || c.closed) continue;
      c.out.appendWhole(frames);
      if (!c.dirty) this.clients.markDirty(c);
    }
    this.runIdsView = null;
    this.runUsed = 0;
  }

  /**
   * Copies each group's frame to each of its recipients. Byte-stream outputs get the frame copied
   * into their staging buffer: a lone recipient through the ring's DataView (no allocation), several
   * from one view of the frame made for the group (a native copy each; see OutputBuffer.appendWhole).
   * Message-oriented outputs (WebSocket json/msgpack) share one Buffer per group, built on first use.
   */
  private applyGroups(bytes: Uint8Array, v: DataView, off: number, payload: Buffer | null, holdFor: Client | null): void {
    const groups = v.getUint32(off + R.DLV_GROUPS, true);
    const byId = this.clients.byId;
    let g = off + R.DLV_FIRST_GROUP;
    for (let i = 0; i < groups; i++) {
      const encoding = v.getUint32(g + R.GROUP_ENCODING, true);
      const frameLen = v.getUint32(g + R.GROUP_FRAME_LEN, true);
      const recipients = v.getUint32(g + R.GROUP_RECIPIENTS, true);
      const frameStart = g + R.GROUP_FRAME;
      const frameEnd = frameStart + frameLen;
      const tail = payload === null ? null : this.heldTail(encoding, payload);
      let message: Buffer | null = null;
      let frame: Uint8Array | null = null;
      let idPos = frameStart + R.pad4(frameLen);
      for (let r = 0; r < recipients; r++, idPos += 4) {
        const c = byId.get(v.getUint32(idPos, true));
        if (c === undefined || c.closed) continue;
        if (c === holdFor) {
          this.holdOwnFrame(c, wholeFrame(bytes, frameStart, frameEnd, payload, tail));
          continue;
        }
        if (c.out.messageOriented) {
          message ??= wholeFrame(bytes, frameStart, frameEnd, payload, tail);
          c.out.appendMessage(message);
        } else if (payload !== null) {
          c.out.appendFrame(bytes, frameStart, frameEnd, payload, tail);
        } else if (recipients === 1) {
          c.out.appendFromView(v, frameStart, frameEnd);
        } else {
          frame ??= bytes.subarray(frameStart, frameEnd);
          c.out.appendWhole(frame);
        }
        if (!c.dirty) this.clients.markDirty(c);
      }
      this.appliedBytes += recipients * (frameLen + (payload === null ? 0 : payload.length + tail!.length));
      g = idPos;
    }
  }

  private holdOwnFrame(c: Client, frame: Buffer): void {
    const frames = this.ownFrames.get(c);
    if (frames === undefined) this.ownFrames.set(c, [frame]);
    else frames.push(frame);
  }

  private releaseOwnFrames(c: Client): void {
    const frames = this.ownFrames.get(c);
    if (frames === undefined) return;
    this.ownFrames.delete(c);
    if (c.closed) return;
    for (const frame of frames) c.out.appendMessage(frame);
    this.clients.markDirty(c);
  }

  // The JSON tail of the held payload being applied: its JSON text and `]`, built once per publish.
  private jsonTailFor: Buffer | null = null;
  private jsonTail: Buffer | null = null;

  /** What follows a held payload in `encoding` (src/partition/frames.ts). */
  private heldTail(encoding: number, payload: Buffer): Buffer {
    if (encoding !== R.ENC_JSON) return frameTail(encoding);
    if (this.jsonTailFor !== payload) {
      this.jsonTailFor = payload;
      this.jsonTail = Buffer.from(jsonText(payload, 0, payload.length) + ']', 'utf8');
    }
    return this.jsonTail!;
  }

  private failPublish(e: Pending): void {
    const c = e.client;
    if (c === null || c.closed || e.muted) return;
    addError(c, 'ERR ringcast: the partition for this channel crashed; the message was not delivered');
    this.clients.markDirty(c);
  }

  /** Merges partition answers into a query; true once every partition has answered. */
  private applyQuery(e: Pending): boolean {
    const q = e.query!;
    let done = true;
    for (let i = 0; i < this.links.length; i++) {
      if (e.waiting[i] === -1) continue;
      const link = this.links[i];
      if (link.epoch !== e.waiting[i]) {
        e.waiting[i] = -1;
        continue;
      }
      const ring = link.results;
      while (e.waiting[i] !== -1 && ring.next()) {
        const v = ring.view;
        const off = ring.offset;
        const n = v.getUint32(off + R.LIST_COUNT, true);
        let pos = off + R.LIST_ITEMS;
        if (ring.type === R.R_NAMES) {
          for (let k = 0; k < n; k++) {
            const len = v.getUint32(pos, true);
            q.names.push(Buffer.from(ring.bytes.subarray(pos + 4, pos + 4 + len)));
            pos += 4 + R.pad4(len);
          }
        } else {
          for (let k = 0; k < n; k++, pos += 4) {
            const value = v.getUint32(pos, true);
            if (q.counts.length <= k) q.counts.push(value);
            else q.counts[k] += value;
          }
        }
        if ((v.getUint32(off + R.LIST_FLAGS, true) & R.FLAG_FINAL) !== 0) e.waiting[i] = -1;
      }
      if (e.waiting[i] !== -1) done = false;
    }
    if (!done) return false;
    const c = e.client!;
    if (!c.closed && !e.muted) {
      q.finish(c, q.names, q.counts);
      this.clients.markDirty(c);
    }
    return true;
  }

  // ---- waking up -----------------------------------------------------------------------------

  /**
   * Sleeps on the main doorbell until a partition answers or frees ring space. Atomics.waitAsync
   * without a timeout (node-budget.md §3: timeouts leave delayed tasks behind and starve the loop);
   * armed only when there is something to wait for, re-checked after arming by sleepAsync.
   */
  private arm(): void {
    if (this.inThread) {
      // Nobody rings: the next flush's poll runs the partition.
      this.clients.scheduleFlush();
      return;
    }
    if (this.armed || this.stopping) return;
    this.armed = true;
    this.mainBell.sleepAsync(this.hasWork, this.onWake);
  }

  private readonly hasWork = (): boolean => {
    for (const link of this.links) {
      if (link.results.hasData()) return true;
      if (link.overflowCanMove()) return true;
    }
    return false;
  };

  private readonly onWake = (): void => {
    this.armed = false;
    if (this.stopping) return;
    this.poll();
  };

  private pumpOverflow(): void {
    let congested = false;
    for (const link of this.links) if (link.congested && !link.pump()) congested = true;
    if (!congested && this.pausedClients.length > 0) {
      const list = this.pausedClients.splice(0);
      for (const c of list) {
        c.pausedForRing = false;
        if (!c.closed) c.resumeInput();
      }
    }
  }

  // ---- partition workers ---------------------------------------------------------------------

  private startLink(index: number, epoch: number): void {
    const host = this.inThread ? { waitForRoom: this.applyForRoom } : { workerUrl: this.workerUrl };
    const link = new PartitionLink(index, this.bells, 0, epoch, host, this.ringBytes);
    this.links[index] = link;
    const worker = link.worker;
    if (worker === null) return;
    worker.on('error', (err) => this.onPartitionDied(link, err));
    worker.on('exit', (code) => {
      if (!this.stopping) this.onPartitionDied(link, new Error(`exited with code ${code}`));
    });
  }

  /**
   * A partition worker died, or an in-thread partition threw (a bug: partitions only ever see
   * well-formed records). Loudly: log it, start a replacement rebuilt from the clients'
   * subscription sets (the main thread's copy), and fail the publishes that were in flight on it.
   * Gives up after repeated deaths.
   */
  private onPartitionDied(link: PartitionLink, err: Error): void {
    if (this.links[link.index] !== link || this.stopping) return;
    const what = link.worker === null ? 'in-thread partition' : 'partition worker';
    console.error(`ringcast: ERROR ${what} ${link.index} died: ${err.stack ?? err.message}`);
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    this.restarts.push(now);
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE) {
      this.onFatal(new Error(`partitions died ${this.restarts.length} times in a minute; giving up`));
      return;
    }
    link.clearOverflow();
    this.retiredOverflowedOps += link.overflowedOps;
    void link.worker?.terminate();
    this.startLink(link.index, link.epoch + 1);
    const fresh = this.links[link.index];
    for (const c of this.clients.byId.values()) {
      for (const key of c.channels) this.rebuildOne(fresh, R.OP_SUBSCRIBE, c, R.SPACE_GLOBAL, key);
      for (const key of c.shardChannels) this.rebuildOne(fresh, R.OP_SUBSCRIBE, c, R.SPACE_SHARD, key);
      for (const key of c.patterns) {
        const b = Buffer.from(key, 'latin1');
        this.writeSubscription(fresh, R.OP_PSUBSCRIBE, c.id, R.SPACE_GLOBAL, c.encoding, b, 0, b.length);
      }
    }
    console.error(`ringcast: ${what} ${link.index} restarted and rebuilt from ${this.clients.size} clients' subscriptions`);
    this.commit();
    this.poll();
  }

  private rebuildOne(link: PartitionLink, type: number, c: Client, space: number, key: string): void {
    const b = Buffer.from(key, 'latin1');
    if (this.partitionOf(b, 0, b.length) === link.index) this.writeSubscription(link, type, c.id, space, c.encoding, b, 0, b.length);
  }

  /** Stops every partition loop and waits for the threads to end (terminates stragglers). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.links.map(async (link) => {
        if (link.worker === null) return;
        const worker = link.worker;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        link.clearOverflow();
        const off = link.ops.tryClaim(R.OP_STOP, 0);
        if (off >= 0) link.ops.publish();
        const timer = setTimeout(() => void worker.terminate(), off >= 0 ? 2000 : 0);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** A delivery answer that fits one record: its first record is also its last. */
const WHOLE_ANSWER = R.FLAG_FIRST | R.FLAG_FINAL;

/** True when one of the `count` ids at `pos` is `id`. */
function containsId(v: DataView, pos: number, count: number, id: number): boolean {
  for (let i = 0; i < count; i++, pos += 4) if (v.getUint32(pos, true) === id) return true;
  return false;
}

/** One Buffer holding a whole frame (with its held payload and tail), shared by message outputs. */
function wholeFrame(bytes: Uint8Array, start: number, end: number, payload: Buffer | null, tail: Buffer | null): Buffer {
  const frame = Buffer.from(bytes.subarray(start, end));
  return payload === null ? frame : Buffer.concat([frame, payload, tail!]);
}
