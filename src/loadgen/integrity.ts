/**
 * Delivery integrity for one subscriber connection (generator processes): every (publisher
 * stream, channel) sequence it should receive must arrive complete, once each, in order.
 *
 * A stream is one publisher connection publishing on one channel (payload.ts); its sequence
 * numbers are consecutive from 1. For each stream the checker keeps the highest sequence seen.
 *   seq == last + 1   in order
 *   seq >  last + 1   a gap: the skipped numbers are remembered as missing
 *   seq <= last       a missing number arriving late is `reordered`; anything else is `duplicated`
 * After the run, `lost` = numbers still missing + numbers the publisher sent after the last one
 * seen (the publisher reports its final sequence per stream).
 *
 * Invariants: nothing is allocated for a subscriber that receives nothing (the 10,000 idle
 * connections of the connections scenario); in a clean run the per-message cost is one typed
 * array read and write; missing numbers are remembered only up to MAX_TRACKED_MISSING per
 * subscriber (beyond that they are counted as lost and a late arrival counts as a duplicate).
 */

const MAX_TRACKED_MISSING = 100_000;

export interface IntegrityCounts {
  lost: number;
  duplicated: number;
  reordered: number;
  /** Messages on a channel this subscriber did not subscribe to, or whose payload names another channel. */
  misrouted: number;
  /** Frames whose payload is not a generator payload of the expected size. */
  malformed: number;
}

export function emptyIntegrityCounts(): IntegrityCounts {
  return { lost: 0, duplicated: 0, reordered: 0, misrouted: 0, malformed: 0 };
}

export function addIntegrityCounts(into: IntegrityCounts, from: IntegrityCounts): void {
  into.lost += from.lost;
  into.duplicated += from.duplicated;
  into.reordered += from.reordered;
  into.misrouted += from.misrouted;
  into.malformed += from.malformed;
}

export class SequenceChecker {
  duplicated = 0;
  reordered = 0;
  misrouted = 0;
  malformed = 0;
  private lastSeq: Uint32Array | null = null;
  /** Per stream, the sequence numbers skipped by a gap and not seen since. */
  private missing: Map<number, Set<number>> | null = null;
  private trackedMissing = 0;
  private untrackedLost = 0;
  /** The one channel of a single-channel subscriber (the common case), else -1. */
  private readonly onlyChannel: number;

  /**
   * @param streamCount publishers × channels of the run
   * @param channelCount channels of the run (stream % channelCount is the stream's channel)
   * @param channels the channels this subscriber subscribed to, or 'all' for a pattern matching every one
   */
  constructor(
    private readonly streamCount: number,
    private readonly channelCount: number,
    private readonly channels: readonly number[] | 'all',
  ) {
    this.onlyChannel = channels !== 'all' && channels.length === 1 ? channels[0] : -1;
  }

  /** Checks one delivery: `channel` is parsed from the frame, `stream` and `seq` from the payload. */
  observe(channel: number, stream: number, seq: number): void {
    if (stream >= this.streamCount || stream % this.channelCount !== channel || !this.subscribes(channel)) {
      this.misrouted++;
      return;
    }
    const table = (this.lastSeq ??= new Uint32Array(this.streamCount));
    const last = table[stream];
    if (seq === last + 1) {
      table[stream] = seq;
    } else if (seq > last + 1) {
      this.rememberMissing(stream, last + 1, seq);
      table[stream] = seq;
    } else if (this.missing?.get(stream)?.delete(seq)) {
      this.trackedMissing--;
      this.reordered++;
    } else {
      this.duplicated++;
    }
  }

  /**
   * The final tally once publishers have stopped and deliveries have drained. `finalSeqs[stream]`
   * is the last sequence number the publisher sent on that stream.
   */
  counts(finalSeqs: ArrayLike<number>, publisherCount: number): IntegrityCounts {
    let lost = this.trackedMissing + this.untrackedLost;
    const channels = this.channels === 'all' ? null : this.channels;
    const channelTotal = channels === null ? this.channelCount : channels.length;
    for (let p = 0; p < publisherCount; p++) {
      for (let i = 0; i < channelTotal; i++) {
        const stream = p * this.channelCount + (channels === null ? i : channels[i]);
        const last = this.lastSeq === null ? 0 : this.lastSeq[stream];
        if (finalSeqs[stream] > last) lost += finalSeqs[stream] - last;
      }
    }
    return { lost, duplicated: this.duplicated, reordered: this.reordered, misrouted: this.misrouted, malformed: this.malformed };
  }

  private subscribes(channel: number): boolean {
    if (channel === this.onlyChannel || this.channels === 'all') return true;
    return this.onlyChannel === -1 && this.channels.includes(channel);
  }

  private rememberMissing(stream: number, from: number, toExclusive: number): void {
    const map = (this.missing ??= new Map());
    let set = map.get(stream);
    if (set === undefined) map.set(stream, (set = new Set()));
    for (let seq = from; seq < toExclusive; seq++) {
      if (this.trackedMissing >= MAX_TRACKED_MISSING) {
        this.untrackedLost += toExclusive - seq;
        return;
      }
      set.add(seq);
      this.trackedMissing++;
    }
  }
}
