/**
 * The keyspace (main thread): 16 databases mapping keys to values (strings, lists, sorted sets),
 * per-key expiry with lazy and active expiration, keyspace notifications, write propagation for
 * the append-only log, SCAN cursors, and the dump that recreates everything (log rewrite).
 *
 * This is the low-level layer, after Redis's db.c: lookups (which expire lazily), add / overwrite /
 * remove, expiry, notify and propagate. The commands (src/commands/keyspace.ts) decide what to
 * notify and what to propagate, as Redis's t_*.c do; the keyspace itself only notifies and
 * propagates the expirations it performs.
 *
 * Invariants:
 * - Keys, string values, list elements and members are latin1 strings: one char per byte, so any
 *   bytes round-trip and JS string order is Redis's byte order.
 * - A key is expired when now > expireAtMs (Redis's keyIsExpired); an expired key is deleted on
 *   its next lookup or by activeExpireCycle, whichever comes first, and each deletion emits the
 *   `expired` event and propagates `DEL key`.
 * - Every database keeps its entries in creation order (`scanOrder`, by `seq`), which is what SCAN
 *   cursors index: a key present for a whole SCAN is returned exactly once. Removed entries stay
 *   there as dead slots (their value dropped) until more than half the slots are dead.
 * - Pub/sub is not per database: notifications go to the broker's hooks, which publish them on the
 *   one global channel space, with the database number in the channel name.
 */
import { globMatch } from '../partition/glob.js';
import { Deque } from './deque.js';
import {
  NOTIFY_EXPIRED, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_KEY_MISS, NOTIFY_NEW,
} from './keyspace-events.js';
import { formatScore } from './score.js';
import { SortedSet } from './sorted-set.js';

export const DATABASE_COUNT = 16;

/** What the broker provides to the keyspace. */
export interface KeyspaceHooks {
  /** Publish a keyspace notification (the broker routes it through the pub/sub partitions). */
  publish(channel: Buffer, message: Buffer): void;
  /**
   * A write happened: for the append-only file (args are the command as it should be replayed;
   * e.g. expiry made absolute: PEXPIREAT, SET ... PXAT; an expired key as DEL). The buffers may be
   * views into a command's input: valid only during the call, so copy what must be kept.
   */
  propagate(db: number, args: Buffer[]): void;
}

/** The settings the keyspace reads on every notification (the broker's live Config). */
export interface KeyspaceSettings {
  /** notify-keyspace-events as flag bits (src/store/keyspace-events.ts). */
  readonly notifyKeyspaceEvents: number;
}

export type Value = string | Deque | SortedSet;
export type TypeName = 'string' | 'list' | 'zset';

/** TYPE's answer for a value. */
export function typeName(value: Value): TypeName {
  return typeof value === 'string' ? 'string' : value instanceof Deque ? 'list' : 'zset';
}

export class KeyEntry {
  /** Unix time in ms after which the key is gone; -1: no expiry. */
  expireAtMs = -1;
  /** Removed from its database; only a SCAN-order slot still points here. */
  dead = false;

  constructor(
    readonly key: string,
    public value: Value,
    /** Creation order within the database: SCAN cursors are these numbers. */
    readonly seq: number,
  ) {}
}

/** What SCAN returns: the cursor to continue from (0 when done) and the keys of this call. */
export interface ScanPage {
  cursor: number;
  keys: string[];
}

/** Keys sampled per round of the active expire cycle (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP). */
const EXPIRE_KEYS_PER_ROUND = 20;
/** Another round runs while more than this share of the sampled keys had expired (Redis 7: 10%). */
const EXPIRE_STALE_PERCENT = 10;
/** Redis's slow cycle budget: 25% of a 100 ms tick. */
const ACTIVE_EXPIRE_TIME_LIMIT_MS = 25;
/** Dead SCAN-order slots tolerated before a compaction (and more than half the slots must be dead). */
const MIN_DEAD_SLOTS_TO_COMPACT = 64;
/** Elements per RPUSH / ZADD in a dump (Redis's AOF_REWRITE_ITEMS_PER_CMD). */
const DUMP_ITEMS_PER_COMMAND = 64;

const DEL = Buffer.from('DEL');

class Database {
  keys = new Map<string, KeyEntry>();
  /** The entries with an expiry, in the order their expiry was first set. */
  expires = new Map<string, KeyEntry>();
  scanOrder: KeyEntry[] = [];
  deadSlots = 0;
  /** Where the active expire cycle resumes in `expires`; null: start a new pass. */
  expireCursor: Iterator<KeyEntry> | null = null;
  /** Running estimate of the remaining TTL of keys with an expiry (INFO keyspace avg_ttl). */
  avgTtlMs = 0;

  constructor(readonly id: number) {}

  reset(): void {
    this.keys = new Map();
    this.expires = new Map();
    this.scanOrder = [];
    this.deadSlots = 0;
    this.expireCursor = null;
    this.avgTtlMs = 0;
  }
}

export class Keyspace {
  private readonly dbs: Database[] = [];
  private nextSeq = 1;
  /** INFO stats counters: expired_keys, keyspace_hits, keyspace_misses. */
  readonly stats = { expiredKeys: 0, hits: 0, misses: 0 };
  // Reused for glob matching (KEYS, SCAN MATCH): a key's bytes.
  private keyBytes = Buffer.alloc(256);

  constructor(
    private readonly hooks: KeyspaceHooks,
    private readonly settings: KeyspaceSettings,
    /** The clock expiry is measured against (tests pass a controllable one). */
    private readonly nowMs: () => number = Date.now,
  ) {
    for (let i = 0; i < DATABASE_COUNT; i++) this.dbs.push(new Database(i));
  }

  /** The keyspace's current time in ms. */
  now(): number {
    return this.nowMs();
  }

  // ---- lookups ---------------------------------------------------------------------------------

  /**
   * A read command's lookup (Redis's lookupKeyRead): expires the key if due, counts a hit or a
   * miss, and emits `keymiss` on a miss.
   */
  lookupRead(db: number, key: string): KeyEntry | undefined {
    const entry = this.lookupWrite(db, key);
    if (entry !== undefined) {
      this.stats.hits++;
    } else {
      this.stats.misses++;
      this.notify(db, NOTIFY_KEY_MISS, 'keymiss', key);
    }
    return entry;
  }

  /** A write command's lookup (Redis's lookupKeyWrite): expires the key if due, nothing else. */
  lookupWrite(db: number, key: string): KeyEntry | undefined {
    const d = this.dbs[db];
    const entry = d.keys.get(key);
    if (entry === undefined || entry.expireAtMs < 0 || this.nowMs() <= entry.expireAtMs) return entry;
    this.expire(d, entry);
    return undefined;
  }

  // ---- changes ---------------------------------------------------------------------------------

  /** Creates a key that does not exist (Redis's dbAdd, which emits `new`). */
  add(db: number, key: string, value: Value): KeyEntry {
    const d = this.dbs[db];
    const entry = new KeyEntry(key, value, this.nextSeq++);
    d.keys.set(key, entry);
    d.scanOrder.push(entry);
    this.notify(db, NOTIFY_NEW, 'new', key);
    return entry;
  }

  /** Replaces a live key's value (Redis's dbOverwrite / setKey); its expiry goes unless `keepTtl`. */
  overwrite(db: number, entry: KeyEntry, value: Value, keepTtl: boolean): void {
    entry.value = value;
    if (!keepTtl) this.persist(db, entry);
  }

  /** Deletes a live key (no event: the command emits `del` or its own). */
  remove(db: number, entry: KeyEntry): void {
    const d = this.dbs[db];
    d.keys.delete(entry.key);
    if (entry.expireAtMs >= 0) d.expires.delete(entry.key);
    entry.dead = true;
    entry.value = '';
    d.deadSlots++;
    if (d.deadSlots >= MIN_DEAD_SLOTS_TO_COMPACT && d.deadSlots * 2 > d.scanOrder.length) {
      d.scanOrder = d.scanOrder.filter((e) => !e.dead);
      d.deadSlots = 0;
    }
  }

  /** Sets a live key's expiry (absolute ms). */
  setExpire(db: number, entry: KeyEntry, atMs: number): void {
    if (entry.expireAtMs < 0) this.dbs[db].expires.set(entry.key, entry);
    entry.expireAtMs = atMs;
  }

  /** Removes a live key's expiry; false when it had none. */
  persist(db: number, entry: KeyEntry): boolean {
    if (entry.expireAtMs < 0) return false;
    this.dbs[db].expires.delete(entry.key);
    entry.expireAtMs = -1;
    return true;
  }

  // ---- notifications and propagation -----------------------------------------------------------

  /**
   * Publishes `__keyspace@<db>__:<key>` -> event and `__keyevent@<db>__:<event>` -> key, as
   * notify-keyspace-events allows (Redis's notifyKeyspaceEvent). Costs nothing when disabled.
   */
  notify(db: number, type: number, event: string, key: string): void {
    const flags = this.settings.notifyKeyspaceEvents;
    if ((flags & type) === 0) return;
    if (flags & NOTIFY_KEYSPACE) {
      this.hooks.publish(Buffer.from(`__keyspace@${db}__:${key}`, 'latin1'), Buffer.from(event, 'latin1'));
    }
    if (flags & NOTIFY_KEYEVENT) {
      this.hooks.publish(Buffer.from(`__keyevent@${db}__:${event}`, 'latin1'), Buffer.from(key, 'latin1'));
    }
  }

  /** Hands a write to the append-only log, as the command that replays it. */
  propagate(db: number, args: Buffer[]): void {
    this.hooks.propagate(db, args);
  }

  // ---- whole databases -------------------------------------------------------------------------

  /** DBSIZE: keys in the database, including expired ones not yet removed (as Redis counts). */
  size(db: number): number {
    return this.dbs[db].keys.size;
  }

  /** Keys with an expiry (INFO keyspace `expires`). */
  expiresCount(db: number): number {
    return this.dbs[db].expires.size;
  }

  /** INFO keyspace `avg_ttl`: the running estimate the active expire cycle keeps. */
  averageTtlMs(db: number): number {
    return this.dbs[db].avgTtlMs;
  }

  /** KEYS: the live keys matching a glob pattern (Redis's stringmatchlen; `*` matches all). */
  keys(db: number, pattern: Buffer): string[] {
    const d = this.dbs[db];
    const all = pattern.length === 1 && pattern[0] === 0x2a;
    const now = this.nowMs();
    const found: string[] = [];
    for (const entry of d.keys.values()) {
      if (entry.expireAtMs >= 0 && now > entry.expireAtMs) continue;
      if (all || this.matches(pattern, entry.key)) found.push(entry.key);
    }
    return found;
  }

  /**
   * One SCAN call: examines up to `count` live keys from `cursor` on, in creation order, and
   * returns those that pass the filters (pattern, then type, then not expired: an expired key met
   * here is deleted, as Redis does).
   */
  scan(db: number, cursor: number, count: number, pattern: Buffer | null, type: string | null): ScanPage {
    const d = this.dbs[db];
    const order = d.scanOrder;
    let i = firstAtOrAfter(order, cursor);
    const keys: string[] = [];
    const expired: KeyEntry[] = [];
    const now = this.nowMs();
    const all = pattern === null || (pattern.length === 1 && pattern[0] === 0x2a);
    for (let examined = 0; i < order.length && examined < count; i++) {
      const entry = order[i];
      if (entry.dead) continue;
      examined++;
      if (!all && !this.matches(pattern!, entry.key)) continue;
      if (type !== null && typeName(entry.value) !== type) continue;
      if (entry.expireAtMs >= 0 && now > entry.expireAtMs) expired.push(entry);
      else keys.push(entry.key);
    }
    const next = i < order.length ? order[i].seq : 0;
    // Expired after the walk: a removal may compact scanOrder.
    for (const entry of expired) if (!entry.dead) this.expire(d, entry);
    return { cursor: next, keys };
  }

  /** FLUSHDB: empties one database (no events). */
  flushDb(db: number): void {
    this.dbs[db].reset();
  }

  /** FLUSHALL, and loading from scratch: empties every database (no events, no propagation). */
  clear(): void {
    for (const d of this.dbs) d.reset();
  }

  // ---- active expiry ---------------------------------------------------------------------------

  /**
   * Redis's slow active expire cycle, called every 100 ms by the broker: per database, samples up
   * to 20 keys with an expiry, deletes the expired ones, and samples again while more than 10%
   * of a sample had expired, within `timeLimitMs` of wall time. Sampling walks the expiry map
   * round robin (a persistent iterator) rather than at random, like Redis 6+'s bucket cursor, so
   * every key with an expiry is visited within a bounded number of cycles.
   * Returns how many keys it expired (the broker commits the notifications' publishes if any).
   */
  activeExpireCycle(timeLimitMs = ACTIVE_EXPIRE_TIME_LIMIT_MS): number {
    const startedMs = performance.now();
    let expiredTotal = 0;
    for (const d of this.dbs) {
      if (d.expires.size === 0) continue;
      let sampled: number;
      let expired: number;
      do {
        const now = this.nowMs();
        sampled = 0;
        expired = 0;
        let ttlSumMs = 0;
        let ttlSamples = 0;
        d.expireCursor ??= d.expires.values();
        while (sampled < EXPIRE_KEYS_PER_ROUND) {
          const step = d.expireCursor.next();
          if (step.done === true) {
            // End of a pass. A round that has sampled nothing yet starts the next pass at once.
            d.expireCursor = sampled === 0 && d.expires.size > 0 ? d.expires.values() : null;
            if (d.expireCursor === null) break;
            continue;
          }
          const entry = step.value;
          sampled++;
          if (now > entry.expireAtMs) {
            this.expire(d, entry);
            expired++;
          } else {
            ttlSumMs += entry.expireAtMs - now;
            ttlSamples++;
          }
        }
        if (ttlSamples > 0) {
          const sampleAvg = Math.floor(ttlSumMs / ttlSamples);
          if (d.avgTtlMs === 0) d.avgTtlMs = sampleAvg;
          d.avgTtlMs = Math.floor(d.avgTtlMs / 50) * 49 + Math.floor(sampleAvg / 50);
        }
        expiredTotal += expired;
        if (performance.now() - startedMs > timeLimitMs) return expiredTotal;
      } while (d.expireCursor !== null && expired * 100 > sampled * EXPIRE_STALE_PERCENT);
    }
    return expiredTotal;
  }

  // ---- dump ------------------------------------------------------------------------------------

  /**
   * Emits a minimal command sequence that recreates every live key (for a log rewrite):
   * `SET k v [PXAT ms]`, `RPUSH k e...` and `ZADD k s m...` in chunks of 64, then
   * `PEXPIREAT k ms` for lists and sorted sets with an expiry. Keys already expired are skipped.
   */
  dumpCommands(emit: (db: number, args: Buffer[]) => void): void {
    const now = this.nowMs();
    const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
    for (const d of this.dbs) {
      for (const entry of d.keys.values()) {
        if (entry.expireAtMs >= 0 && now > entry.expireAtMs) continue;
        const key = bytes(entry.key);
        const value = entry.value;
        if (typeof value === 'string') {
          const args = [bytes('SET'), key, bytes(value)];
          if (entry.expireAtMs >= 0) args.push(bytes('PXAT'), bytes(String(entry.expireAtMs)));
          emit(d.id, args);
          continue;
        }
        if (value instanceof Deque) {
          for (let i = 0; i < value.length; i += DUMP_ITEMS_PER_COMMAND) {
            const args = [bytes('RPUSH'), key];
            for (let j = i; j < Math.min(value.length, i + DUMP_ITEMS_PER_COMMAND); j++) args.push(bytes(value.at(j)));
            emit(d.id, args);
          }
        } else {
          let args: Buffer[] = [];
          for (const [member, score] of value.entries()) {
            if (args.length === 0) args = [bytes('ZADD'), key];
            args.push(bytes(formatScore(score)), bytes(member));
            if (args.length === 2 + 2 * DUMP_ITEMS_PER_COMMAND) {
              emit(d.id, args);
              args = [];
            }
          }
          if (args.length > 0) emit(d.id, args);
        }
        if (entry.expireAtMs >= 0) emit(d.id, [bytes('PEXPIREAT'), key, bytes(String(entry.expireAtMs))]);
      }
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Deletes an expired key: propagated as DEL, announced as `expired` (Redis's deleteExpiredKeyAndPropagate). */
  private expire(d: Database, entry: KeyEntry): void {
    this.remove(d.id, entry);
    this.stats.expiredKeys++;
    this.hooks.propagate(d.id, [DEL, Buffer.from(entry.key, 'latin1')]);
    this.notify(d.id, NOTIFY_EXPIRED, 'expired', entry.key);
  }

  private matches(pattern: Buffer, key: string): boolean {
    if (key.length > this.keyBytes.length) this.keyBytes = Buffer.alloc(Math.max(key.length, this.keyBytes.length * 2));
    const len = this.keyBytes.write(key, 0, 'latin1');
    return globMatch(pattern, 0, pattern.length, this.keyBytes, 0, len);
  }
}

/** Index of the first entry with seq >= cursor (scanOrder is sorted by seq). */
function firstAtOrAfter(order: KeyEntry[], cursor: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order[mid].seq < cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
