/**
 * Who is subscribed to what, inside one partition worker.
 *
 * A SubscriberSet is the list of clients on one channel (or one pattern), kept as parallel arrays
 * (client id, frame encoding) with an id -> position map for O(1) removal by swap. Publishing walks
 * the arrays: no iterator objects, no per-subscriber allocation. Order among subscribers is not
 * part of Redis's contract (7.2+ keeps them in a hash table), so swap-removal is fine.
 *
 * A SubscriptionTable maps a name (the channel's bytes as a latin1 string: one char per byte, so
 * binary names are safe) to its SubscriberSet. Global channels, shard channels and patterns are
 * three instances of the same type (Redis pubsub.c does the same for global and shard).
 */
import { ENCODING_COUNT } from '../shm/records.js';

export class SubscriberSet {
  readonly ids: number[] = [];
  readonly encodings: number[] = [];
  /** How many subscribers want each encoding: publish encodes one frame per non-zero count. */
  readonly countByEncoding: number[] = new Array(ENCODING_COUNT).fill(0);
  private readonly positionById = new Map<number, number>();

  constructor(
    /** The channel or pattern itself (a private copy, not a view of ring memory). */
    readonly bytes: Buffer,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  /** Adds the client, or updates its encoding if it is already here. Returns 1 if added, 0 if not. */
  add(clientId: number, encoding: number): number {
    const pos = this.positionById.get(clientId);
    if (pos !== undefined) {
      const old = this.encodings[pos];
      if (old !== encoding) {
        this.countByEncoding[old]--;
        this.countByEncoding[encoding]++;
        this.encodings[pos] = encoding;
      }
      return 0;
    }
    this.positionById.set(clientId, this.ids.length);
    this.ids.push(clientId);
    this.encodings.push(encoding);
    this.countByEncoding[encoding]++;
    return 1;
  }

  /** Removes the client. Returns 1 if it was here, 0 if not. */
  remove(clientId: number): number {
    const pos = this.positionById.get(clientId);
    if (pos === undefined) return 0;
    const last = this.ids.length - 1;
    this.countByEncoding[this.encodings[pos]]--;
    if (pos !== last) {
      const movedId = this.ids[last];
      this.ids[pos] = movedId;
      this.encodings[pos] = this.encodings[last];
      this.positionById.set(movedId, pos);
    }
    this.ids.pop();
    this.encodings.pop();
    this.positionById.delete(clientId);
    return 1;
  }
}

export class SubscriptionTable {
  readonly byName = new Map<string, SubscriberSet>();

  get size(): number {
    return this.byName.size;
  }

  get(key: string): SubscriberSet | undefined {
    return this.byName.get(key);
  }

  /**
   * Subscribes the client to `key`, whose bytes are source[off, off+len) (copied only when the name
   * is new: ring memory is reused). Returns the set when it was created (so a pattern index can add
   * it), else null.
   */
  add(key: string, source: Uint8Array, off: number, len: number, clientId: number, encoding: number): SubscriberSet | null {
    let set = this.byName.get(key);
    let created: SubscriberSet | null = null;
    if (set === undefined) {
      set = new SubscriberSet(Buffer.from(source.subarray(off, off + len)));
      this.byName.set(key, set);
      created = set;
    }
    set.add(clientId, encoding);
    return created;
  }

  /** Unsubscribes; returns the set when it became empty and was dropped (so an index can drop it). */
  remove(key: string, clientId: number): SubscriberSet | null {
    const set = this.byName.get(key);
    if (set === undefined || set.remove(clientId) === 0 || set.size > 0) return null;
    this.byName.delete(key);
    return set;
  }
}
