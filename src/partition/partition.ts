/**
 * One partition of the subscription space, run by a partition worker thread (or, with
 * `--workers 0`, by the main thread itself: see drain() and docs/architecture.md §1).
 *
 * It owns the channels (and shard channels) that hash to it, and a full copy of the pattern
 * subscriptions (they are broadcast to every partition, so a publish is answered by the channel's
 * owner alone, without asking anyone else). For each OP_PUBLISH it finds the receivers, encodes one
 * frame per (subscription, encoding) and writes the fan-out list to the main thread:
 *
 *   main --ops ring--> [Partition.handle] --results ring--> main (copies frames to sockets)
 *
 * Records are read and written in place in ring memory; nothing is allocated per publish (the
 * channel is looked up by its bytes, SubscriptionTable.getBytes). Ops are handled strictly in ring order and every
 * answer is written in that order (the ordering invariant in src/shm/records.ts).
 */
import type { RingConsumer, RingProducer } from '../shm/ring.js';
import type { Doorbell } from '../shm/doorbell.js';
import * as R from '../shm/records.js';
import { SubscriberSet, SubscriptionTable } from './subscription-table.js';
import { PatternIndex } from './pattern-index.js';
import { globMatch } from './glob.js';
import { FrameEncoder, KIND_MESSAGE, KIND_PMESSAGE, KIND_SMESSAGE } from './frames.js';

/** Ops handled before results are published and the main thread can start applying them. */
const OPS_PER_BATCH = 256;

export class Partition {
  private readonly channels = new SubscriptionTable();
  private readonly shardChannels = new SubscriptionTable();
  private readonly patterns = new SubscriptionTable();
  private readonly patternIndex = new PatternIndex<SubscriberSet>();
  private readonly matched: SubscriberSet[] = [];
  private readonly frames = new FrameEncoder();
  private readonly inBuf: Buffer;
  private readonly outBytes: Uint8Array;
  private readonly outView: DataView;
  private stopped = false;
  // The answer being written: the current record (offset, capacity) and its group count.
  private recOffset = -1;
  private recCapacity = 0;
  private recUsed = 0;
  private recGroups = 0;

  /**
   * `waitForRoom(ready)` returns once the results ring may have room (ready() is the test): a worker
   * sleeps on its doorbell until the main thread frees space; the main thread running a partition
   * in-thread applies answers itself. Either way a full results ring never drops a record.
   */
  constructor(
    private readonly ops: RingConsumer,
    private readonly results: RingProducer,
    private readonly waitForRoom: (ready: () => boolean) => void,
  ) {
    this.inBuf = Buffer.from(ops.bytes.buffer, ops.bytes.byteOffset, ops.bytes.byteLength);
    this.outBytes = results.bytes;
    this.outView = results.view;
  }

  /** A worker's loop until OP_STOP: drain ops, publish results, sleep on the doorbell when idle. */
  run(bell: Doorbell): void {
    const hasOps = (): boolean => this.ops.hasData();
    while (!this.stopped) {
      this.drain();
      if (!this.stopped) bell.sleep(hasOps);
    }
  }

  /** Ops are waiting in the ops ring. */
  hasOps(): boolean {
    return this.ops.hasData();
  }

  /**
   * Handles the ops in the ops ring, publishing results every OPS_PER_BATCH ops so the main thread
   * can start applying them, and once at the end. With `keepRoom`, stops before an op while the
   * results ring has less than that many bytes free (in-thread: the main thread applies the
   * answers, then drains again, so a full ops ring does not pile up in memory at once).
   */
  drain(keepRoom = 0): void {
    let handled = 0;
    // The room is checked every 16 ops (an Atomics.load and a sum each); answers written past it
    // meanwhile are applied in place if the ring fills (waitForRoom), so the check is only a bound.
    while ((keepRoom === 0 || (handled & 15) !== 0 || this.results.canClaim(keepRoom)) && this.ops.next()) {
      this.handle();
      if (++handled === OPS_PER_BATCH) {
        this.ops.release();
        this.results.publish();
        handled = 0;
      }
      if (this.stopped) break;
    }
    this.ops.release();
    this.results.publish();
  }

  private handle(): void {
    const off = this.ops.offset;
    const v = this.ops.view;
    switch (this.ops.type) {
      case R.OP_SUBSCRIBE:
      case R.OP_UNSUBSCRIBE:
      case R.OP_PSUBSCRIBE:
      case R.OP_PUNSUBSCRIBE:
        this.subscription(this.ops.type, off, v);
        break;
      case R.OP_PUBLISH:
        this.publish(off, v);
        break;
      case R.OP_CHANNELS:
        this.channelsQuery(off, v);
        break;
      case R.OP_NUMSUB:
        this.numsubQuery(off, v);
        break;
      case R.OP_NUMPAT:
        this.answerCounts([this.patterns.size]);
        break;
      case R.OP_STATS:
        this.answerCounts([this.channels.size, this.shardChannels.size, this.patterns.size]);
        break;
      case R.OP_STOP:
        this.stopped = true;
        break;
      default:
        throw new Error(`partition: unknown op type ${this.ops.type} (ring corrupt?)`);
    }
  }

  private subscription(type: number, off: number, v: DataView): void {
    const clientId = v.getUint32(off + R.SUB_CLIENT, true);
    const space = v.getUint32(off + R.SUB_SPACE, true);
    const encoding = v.getUint32(off + R.SUB_ENCODING, true);
    const len = v.getUint32(off + R.SUB_NAME_LEN, true);
    const nameOff = off + R.SUB_NAME;
    const key = this.inBuf.toString('latin1', nameOff, nameOff + len);
    if (type === R.OP_PSUBSCRIBE) {
      const created = this.patterns.add(key, this.ops.bytes, nameOff, len, clientId, encoding);
      if (created) this.patternIndex.add(created);
    } else if (type === R.OP_PUNSUBSCRIBE) {
      const dropped = this.patterns.remove(key, clientId);
      if (dropped) this.patternIndex.remove(dropped);
    } else {
      const table = space === R.SPACE_SHARD ? this.shardChannels : this.channels;
      if (type === R.OP_SUBSCRIBE) table.add(key, this.ops.bytes, nameOff, len, clientId, encoding);
      else table.remove(key, clientId);
    }
  }

  private publish(off: number, v: DataView): void {
    const space = v.getUint32(off + R.PUB_SPACE, true);
    const held = v.getUint32(off + R.PUB_HELD, true) === 1;
    const channelLen = v.getUint32(off + R.PUB_CHANNEL_LEN, true);
    const payloadLen = v.getUint32(off + R.PUB_PAYLOAD_LEN, true);
    const channelOff = off + R.PUB_CHANNEL;
    const payloadOff = channelOff + R.pad4(channelLen);
    const shard = space === R.SPACE_SHARD;
    const subs = (shard ? this.shardChannels : this.channels).getBytes(v, channelOff, channelLen);
    let matches = 0;
    if (!shard && this.patternIndex.size > 0) {
      matches = this.patternIndex.collectMatches(this.ops.bytes, channelOff, channelLen, this.matched);
    }
    let receivers = subs === undefined ? 0 : subs.size;
    for (let i = 0; i < matches; i++) receivers += this.matched[i].size;

    const kind = shard ? KIND_SMESSAGE : KIND_MESSAGE;
    const src = this.ops.bytes;
    const frames = this.frames;
    // Size the answer first so the common case is claimed exactly (JSON frames are encoded twice
    // for that; only connections on the WebSocket json subprotocol pay it).
    let body = 0;
    // With a single group (the common answer: one channel, one encoding), the encoder still holds
    // its frame prepared below and the writing pass reuses it.
    let groups = 0;
    let lastSize = 0;
    for (let enc = 0; enc < R.ENCODING_COUNT; enc++) {
      if (subs !== undefined && subs.countByEncoding[enc] > 0) {
        lastSize = frames.prepare(kind, enc, src, 0, 0, src, channelOff, channelLen, payloadOff, payloadLen, held);
        body += groupBytes(lastSize, subs.countByEncoding[enc]);
        groups++;
      }
      for (let i = 0; i < matches; i++) {
        const pat = this.matched[i];
        if (pat.countByEncoding[enc] === 0) continue;
        lastSize = frames.prepare(KIND_PMESSAGE, enc, pat.bytes, 0, pat.bytes.length, src, channelOff, channelLen, payloadOff, payloadLen, held);
        body += groupBytes(lastSize, pat.countByEncoding[enc]);
        groups++;
      }
    }

    this.beginAnswer(R.R_DELIVERY, receivers, body);
    // Channel subscribers first, then patterns: a client subscribed both ways gets `message`
    // before its `pmessage`s, as in Redis.
    if (subs !== undefined) {
      for (let enc = 0; enc < R.ENCODING_COUNT; enc++) {
        if (subs.countByEncoding[enc] === 0) continue;
        const size = groups === 1 ? lastSize : frames.prepare(kind, enc, src, 0, 0, src, channelOff, channelLen, payloadOff, payloadLen, held);
        const frameOff = this.beginGroup(enc, size);
        frames.write(this.outBytes, frameOff);
        this.addRecipients(subs, enc, size, frameOff);
      }
    }
    for (let i = 0; i < matches; i++) {
      const pat = this.matched[i];
      for (let enc = 0; enc < R.ENCODING_COUNT; enc++) {
        if (pat.countByEncoding[enc] === 0) continue;
        const size = groups === 1 ? lastSize : frames.prepare(KIND_PMESSAGE, enc, pat.bytes, 0, pat.bytes.length, src, channelOff, channelLen, payloadOff, payloadLen, held);
        const frameOff = this.beginGroup(enc, size);
        frames.write(this.outBytes, frameOff);
        this.addRecipients(pat, enc, size, frameOff);
      }
      this.matched[i] = undefined as unknown as SubscriberSet; // do not pin dropped patterns
    }
    this.endAnswer();
  }

  private channelsQuery(off: number, v: DataView): void {
    const table = v.getUint32(off + R.CHANNELS_SPACE, true) === R.SPACE_SHARD ? this.shardChannels : this.channels;
    const hasPattern = v.getUint32(off + R.CHANNELS_HAS_PATTERN, true) === 1;
    const patLen = v.getUint32(off + R.CHANNELS_PATTERN_LEN, true);
    const pattern = Buffer.from(this.ops.bytes.subarray(off + R.CHANNELS_PATTERN, off + R.CHANNELS_PATTERN + patLen));
    const names: Buffer[] = [];
    for (const set of table.byName.values()) {
      if (!hasPattern || globMatch(pattern, 0, patLen, set.bytes, 0, set.bytes.length)) names.push(set.bytes);
    }
    this.answerNames(names);
  }

  private numsubQuery(off: number, v: DataView): void {
    const table = v.getUint32(off + R.NUMSUB_SPACE, true) === R.SPACE_SHARD ? this.shardChannels : this.channels;
    const count = v.getUint32(off + R.NUMSUB_COUNT, true);
    const counts: number[] = [];
    let pos = off + R.NUMSUB_NAMES;
    for (let i = 0; i < count; i++) {
      const len = v.getUint32(pos, true);
      const key = this.inBuf.toString('latin1', pos + 4, pos + 4 + len);
      counts.push(table.get(key)?.size ?? 0);
      pos += 4 + R.pad4(len);
    }
    this.answerCounts(counts);
  }

  // ---- writing answers ---------------------------------------------------------------------
  //
  // An answer is one or more records of the same type. Its size is computed before anything is
  // written, so the common answer is claimed exactly and fits one record. A delivery answer larger
  // than a record is split: a group whose recipient list does not fit continues in the next record
  // with its frame repeated (each record is self-contained, so the main thread can release ring
  // space record by record).

  private answerType = 0;
  private answerReceivers = 0;
  private answerFirst = true;
  /** Bytes of the answer not yet written (an estimate once a group is split). */
  private answerBytesLeft = 0;
  /** Offset of the group header being filled. */
  private groupHeader = 0;

  private beginAnswer(type: number, receivers: number, bodyBytes: number): void {
    this.answerType = type;
    this.answerReceivers = receivers;
    this.answerFirst = true;
    this.answerBytesLeft = bodyBytes;
    this.recOffset = -1;
  }

  /**
   * Claims ring space for a record: the rest of the answer when it fits, else a full record, but at
   * least `minBytes`. Waits for room (waitForRoom) while the ring is full: a full results ring never
   * drops a record.
   */
  private openRecord(headerBytes: number, minBytes: number): void {
    const capacity = this.results.maxPayloadBytes;
    if (minBytes > capacity) throw new Error(`partition: record of ${minBytes} bytes exceeds ring limit ${capacity}`);
    const desired = Math.min(capacity, Math.max(minBytes, headerBytes + this.answerBytesLeft));
    let size = desired;
    let off = this.results.tryClaim(this.answerType, desired);
    if (off < 0 && desired > minBytes) {
      size = minBytes;
      off = this.results.tryClaim(this.answerType, minBytes);
    }
    while (off < 0) {
      this.results.publish();
      this.results.requestSpaceSignal();
      this.waitForRoom(() => this.results.canClaim(size));
      off = this.results.tryClaim(this.answerType, size);
    }
    this.recOffset = off;
    this.recCapacity = size;
    this.recUsed = headerBytes;
    this.recGroups = 0;
  }

  private closeRecord(final: boolean): void {
    if (this.recOffset < 0) return;
    const v = this.outView;
    const off = this.recOffset;
    v.setUint32(off + R.DLV_FLAGS, (final ? R.FLAG_FINAL : 0) | (this.answerFirst ? R.FLAG_FIRST : 0), true);
    v.setUint32(off + R.DLV_RECEIVERS, this.answerReceivers, true);
    v.setUint32(off + R.DLV_GROUPS, this.recGroups, true);
    this.results.trimLast(this.recUsed);
    this.answerFirst = false;
    this.recOffset = -1;
  }

  /** Starts a group of `frameSize` bytes; returns where to write the frame. */
  private beginGroup(encoding: number, frameSize: number): number {
    const need = 12 + R.pad4(frameSize) + 4;
    if (this.recOffset < 0 || this.recCapacity - this.recUsed < need) {
      this.closeRecord(false);
      this.openRecord(R.DLV_FIRST_GROUP, R.DLV_FIRST_GROUP + need);
    }
    const g = this.recOffset + this.recUsed;
    this.outView.setUint32(g + R.GROUP_ENCODING, encoding, true);
    this.outView.setUint32(g + R.GROUP_FRAME_LEN, frameSize, true);
    this.outView.setUint32(g + R.GROUP_RECIPIENTS, 0, true);
    this.recUsed += 12 + R.pad4(frameSize);
    this.answerBytesLeft -= 12 + R.pad4(frameSize);
    this.recGroups++;
    this.groupHeader = g;
    return g + R.GROUP_FRAME;
  }

  /** Appends the ids of `set`'s subscribers that want `encoding`, splitting across records. */
  private addRecipients(set: SubscriberSet, encoding: number, frameSize: number, frameOff: number): void {
    const ids = set.ids;
    const encs = set.encodings;
    const v = this.outView;
    let count = 0;
    for (let i = 0; i < ids.length; i++) {
      if (encs[i] !== encoding) continue;
      if (this.recCapacity - this.recUsed < 4) {
        // Continue this group in a fresh record, frame repeated (cold: answers over a record).
        v.setUint32(this.groupHeader + R.GROUP_RECIPIENTS, count, true);
        const frameCopy = Buffer.from(this.outBytes.subarray(frameOff, frameOff + frameSize));
        this.closeRecord(false);
        this.answerBytesLeft += 12 + R.pad4(frameSize);
        frameOff = this.beginGroup(encoding, frameSize);
        this.outBytes.set(frameCopy, frameOff);
        count = 0;
      }
      v.setUint32(this.recOffset + this.recUsed, ids[i], true);
      this.recUsed += 4;
      this.answerBytesLeft -= 4;
      count++;
    }
    v.setUint32(this.groupHeader + R.GROUP_RECIPIENTS, count, true);
  }

  private endAnswer(): void {
    if (this.recOffset < 0) this.openRecord(R.DLV_FIRST_GROUP, R.DLV_FIRST_GROUP);
    this.closeRecord(true);
  }

  private answerNames(names: Buffer[]): void {
    let bytes = 0;
    for (const name of names) bytes += 4 + R.pad4(name.length);
    this.beginAnswer(R.R_NAMES, 0, bytes);
    let i = 0;
    do {
      this.openRecord(R.LIST_ITEMS, R.LIST_ITEMS + (i < names.length ? 4 + R.pad4(names[i].length) : 0));
      let used = R.LIST_ITEMS;
      let n = 0;
      while (i < names.length && this.recCapacity - used >= 4 + R.pad4(names[i].length)) {
        const name = names[i++];
        this.outView.setUint32(this.recOffset + used, name.length, true);
        this.outBytes.set(name, this.recOffset + used + 4);
        used += 4 + R.pad4(name.length);
        this.answerBytesLeft -= 4 + R.pad4(name.length);
        n++;
      }
      this.finishList(used, n, i >= names.length);
    } while (i < names.length);
  }

  private answerCounts(counts: number[]): void {
    this.beginAnswer(R.R_COUNTS, 0, 4 * counts.length);
    let i = 0;
    do {
      this.openRecord(R.LIST_ITEMS, R.LIST_ITEMS + 4);
      let used = R.LIST_ITEMS;
      let n = 0;
      while (i < counts.length && this.recCapacity - used >= 4) {
        this.outView.setUint32(this.recOffset + used, counts[i++], true);
        used += 4;
        this.answerBytesLeft -= 4;
        n++;
      }
      this.finishList(used, n, i >= counts.length);
    } while (i < counts.length);
  }


  private finishList(used: number, n: number, final: boolean): void {
    this.outView.setUint32(this.recOffset + R.LIST_FLAGS, final ? R.FLAG_FINAL : 0, true);
    this.outView.setUint32(this.recOffset + R.LIST_COUNT, n, true);
    this.results.trimLast(used);
    this.recOffset = -1;
  }
}

/** Bytes a group adds to a delivery answer: header, frame (padded), one id per recipient. */
function groupBytes(frameSize: number, recipients: number): number {
  return 12 + R.pad4(frameSize) + 4 * recipients;
}
