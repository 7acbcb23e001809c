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
 *
 * PUBLISH looks its channel up by bytes instead (getBytes): a hash of the ring bytes picks a chain
 * of sets, and the bytes are compared, so a publish allocates no key string. The string key cost
 * the worker a latin1 slice plus a string hash per publish (about 10% of its busy time in the
 * profile of a 1 -> 1 PUBLISH load). Subscription changes keep the string map: they are rarer,
 * and CHANNELS / NUMSUB walk it.
 */
import { ENCODING_COUNT } from '../shm/records.js';

export class SubscriberSet {
  readonly ids: number[] = [];
  readonly encodings: number[] = [];
  /** How many subscribers want each encoding: publish encodes one frame per non-zero count. */
  readonly countByEncoding: number[] = new Array(ENCODING_COUNT).fill(0);
  private readonly positionById = new Map<number, number>();
  /** hashName of `bytes`, and the next set with the same hash (SubscriptionTable's byte index). */
  readonly hash: number;
  nextSameHash: SubscriberSet | null = null;
  private readonly view: DataView;

  constructor(
    /** The channel or pattern itself (a private copy, not a view of ring memory). */
    readonly bytes: Buffer,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.hash = hashName(this.view, 0, bytes.length);
  }

  /** True if src[off, off+len) is this set's name (compared 4 bytes at a time). */
  hasName(src: DataView, off: number, len: number): boolean {
    if (len !== this.bytes.length) return false;
    const own = this.view;
    let i = 0;
    for (; i + 4 <= len; i += 4) if (own.getUint32(i, true) !== src.getUint32(off + i, true)) return false;
    for (; i < len; i++) if (own.getUint8(i) !== src.getUint8(off + i)) return false;
    return true;
  }

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

/**
 * MurmurHash3 (x86, 32-bit) of the bytes, read 4 at a time, cut to 30 bits so the Map key stays a
 * small integer. Only compared with itself, inside one worker. (FNV-1a fed whole words mixes too
 * little: multiplication carries bits upward only, and 200 k room names gave 2,107 colliding
 * chains; with murmur3 they give about the 19 a 30-bit hash should.)
 */
function hashName(src: DataView, off: number, len: number): number {
  let h = len;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    let k = Math.imul(src.getUint32(off + i, true), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; i < len; i++, shift += 8) k |= src.getUint8(off + i) << shift;
  if ((len & 3) !== 0) {
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  }
  h ^= len;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

export class SubscriptionTable {
  readonly byName = new Map<string, SubscriberSet>();
  /** hashName -> first set of the chain with that hash (see SubscriberSet.nextSameHash). */
  private readonly byHash = new Map<number, SubscriberSet>();

  get size(): number {
    return this.byName.size;
  }

  get(key: string): SubscriberSet | undefined {
    return this.byName.get(key);
  }

  /** The set whose name is src[off, off+len), without building a key string (the publish path). */
  getBytes(src: DataView, off: number, len: number): SubscriberSet | undefined {
    let set = this.byHash.get(hashName(src, off, len)) ?? null;
    while (set !== null && !set.hasName(src, off, len)) set = set.nextSameHash;
    return set ?? undefined;
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
      set.nextSameHash = this.byHash.get(set.hash) ?? null;
      this.byHash.set(set.hash, set);
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
    this.unlinkHash(set);
    return set;
  }

  private unlinkHash(set: SubscriberSet): void {
    const first = this.byHash.get(set.hash)!;
    if (first === set) {
      if (set.nextSameHash === null) this.byHash.delete(set.hash);
      else this.byHash.set(set.hash, set.nextSameHash);
    } else {
      let prev = first;
      while (prev.nextSameHash !== set) prev = prev.nextSameHash!;
      prev.nextSameHash = set.nextSameHash;
    }
    set.nextSameHash = null;
  }
}
