/**
 * Keyspace commands (main thread): strings (GET, SET, SETEX, PSETEX, MGET, MSET, INCR...), generic key
 * commands (DEL, EXISTS, TYPE, EXPIRE family, TTL family, PERSIST, KEYS, SCAN, DBSIZE, FLUSHDB,
 * FLUSHALL), lists and sorted sets. Thin handlers over src/store/keyspace.ts, after Redis's
 * t_string.c, db.c, expire.c, t_list.c and t_zset.c: each parses in Redis's order (so the same bad
 * input gets the same error), looks the key up, replies, then notifies and propagates what it
 * changed.
 *
 * Every handler works on `ctx.client.db`. Replies, errors and event names are Redis 7.2's; where
 * 7.0 differs it is said where the difference lives (scores: src/store/score.ts; ZRANK WITHSCORE).
 * Propagated forms: the command as sent, except relative or second-based expiries, which become
 * `PEXPIREAT key ms` / `SET key value PXAT ms`, an EXPIRE in the past, which becomes `DEL key`, and
 * SET ... GET, which drops GET.
 */
import {
  addArrayHeader, addError, addInteger, addNull, addNullArray, addOk, addSimple, type ReplyTarget,
} from '../protocol/reply.js';
import { Deque } from '../store/deque.js';
import { type KeyEntry, typeName } from '../store/keyspace.js';
import {
  NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_STRING, NOTIFY_ZSET,
} from '../store/keyspace-events.js';
import { formatScore, parseRangeBound, parseScore } from '../store/score.js';
import { type LexBound, type LexRange, type ScoreRange, SortedSet, type SortedSetNode } from '../store/sorted-set.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './table.js';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
const NOT_A_FLOAT = 'ERR value is not a valid float';
const SYNTAX_ERROR = 'ERR syntax error';
const NOT_POSITIVE = 'ERR value is out of range, must be positive';
const BAD_SCORE_RANGE = 'ERR min or max is not a float';
const BAD_LEX_RANGE = 'ERR min or max not valid string range item';

const LLONG_MAX = 2n ** 63n - 1n;
const LLONG_MIN = -(2n ** 63n);

// ---- argument and reply helpers ----------------------------------------------------------------

/** Redis's string2ll on latin1 text: no sign but '-', no leading zeros, within 64 bits. */
function parseLongLong(text: string): bigint | null {
  if (!/^(0|-?[1-9]\d{0,18})$/.test(text)) return null;
  const n = BigInt(text);
  return n < LLONG_MIN || n > LLONG_MAX ? null : n;
}

/** Argument i as a 64-bit integer (bigint); null when Redis would say "not an integer". */
function argBigInt(ctx: CommandContext, i: number): bigint | null {
  return parseLongLong(ctx.argKey(i));
}

/**
 * Argument i as a Redis `long` for indexes and counts, as a number: values beyond 2^53 lose
 * precision, which cannot change an index into anything that holds fewer than 2^53 elements.
 */
function argLong(ctx: CommandContext, i: number): number | null {
  const small = ctx.argInteger(i);
  if (small !== null) return small;
  const n = argBigInt(ctx, i);
  return n === null ? null : Number(n);
}

// Replies are built as latin1 text and written with one appendAscii per reply: each append is a
// Buffer.write call (~0.3 µs here), so one per element made LRANGE 0 99 five times slower
// (measured with redis-benchmark -t lrange_100 and a micro loop over OutputBuffer).

/** `$<len>\r\n<bytes>\r\n` for a latin1 string (keys, values, elements, members). */
function bulkText(text: string): string {
  return '$' + text.length + '\r\n' + text + '\r\n';
}

/** An array header's text. */
function arrayText(count: number): string {
  return '*' + count + '\r\n';
}

/** Redis's addReplyDouble as text: a RESP3 double, or a bulk string in RESP2; the digits are Redis 7.2's. */
function scoreText(t: ReplyTarget, score: number): string {
  const text = formatScore(score);
  return t.resp === 3 ? ',' + text + '\r\n' : '$' + text.length + '\r\n' + text + '\r\n';
}

/** Writes reply text built by a handler. */
function addText(t: ReplyTarget, text: string): void {
  if (!t.muted) t.out.appendAscii(text);
}

/** An array of bulk strings, written at once. */
function addBulkTexts(t: ReplyTarget, items: readonly string[]): void {
  let text = arrayText(items.length);
  for (const item of items) text += bulkText(item);
  addText(t, text);
}

/**
 * The command as sent, for propagation: views into the parser's buffer, not copies (the log
 * encodes them before propagate returns; see KeyspaceHooks.propagate).
 */
function commandArgs(ctx: CommandContext, skip?: (i: number) => boolean): Buffer[] {
  const args: Buffer[] = [];
  for (let i = 0; i < ctx.argc; i++) if (skip === undefined || !skip(i)) args.push(ctx.arg(i));
  return args;
}

function propagateCommand(ctx: CommandContext): void {
  ctx.broker.keyspace.propagate(ctx.client.db, commandArgs(ctx));
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Redis's "normalize an index pair against a length" for LRANGE, ZRANGE and the removals; null when empty. */
function clampRange(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  return [start, Math.min(end, length - 1)];
}

// ---- strings -----------------------------------------------------------------------------------

/** GET's reply for `key`; false (after the WRONGTYPE error) when it holds another type. */
function replyWithString(ctx: CommandContext, key: string): boolean {
  const entry = ctx.broker.keyspace.lookupRead(ctx.client.db, key);
  if (entry === undefined) {
    addNull(ctx.client);
    return true;
  }
  if (typeof entry.value !== 'string') {
    addError(ctx.client, WRONGTYPE);
    return false;
  }
  addText(ctx.client, bulkText(entry.value));
  return true;
}

function get(ctx: CommandContext): void {
  replyWithString(ctx, ctx.argKey(1));
}

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EX = 16;
const SET_PX = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const SET_ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/** Which expiry option argument j is (SET_EX...), or 0. */
function expiryOption(ctx: CommandContext, j: number): number {
  if (ctx.argIs(j, 'ex')) return SET_EX;
  if (ctx.argIs(j, 'px')) return SET_PX;
  if (ctx.argIs(j, 'exat')) return SET_EXAT;
  if (ctx.argIs(j, 'pxat')) return SET_PXAT;
  return 0;
}

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL], with Redis's option grammar:
 * conflicting options are a syntax error, repeating one is not (the last expiry wins).
 */
function set(ctx: CommandContext): void {
  let flags = 0;
  let expireArg = -1;
  for (let j = 3; j < ctx.argc; j++) {
    if (ctx.argIs(j, 'nx') && (flags & SET_XX) === 0) flags |= SET_NX;
    else if (ctx.argIs(j, 'xx') && (flags & SET_NX) === 0) flags |= SET_XX;
    else if (ctx.argIs(j, 'get')) flags |= SET_GET;
    else if (ctx.argIs(j, 'keepttl') && (flags & SET_ANY_EXPIRE) === 0) flags |= SET_KEEPTTL;
    else {
      const flag = expiryOption(ctx, j);
      if (flag === 0 || j === ctx.argc - 1 || (flags & (SET_KEEPTTL | (SET_ANY_EXPIRE & ~flag))) !== 0) {
        addError(ctx.client, SYNTAX_ERROR);
        return;
      }
      flags |= flag;
      expireArg = ++j;
    }
  }
  setGeneric(ctx, flags, 1, 2, expireArg);
}

/** MGET: one bulk per key; a missing key or one of another type is a null, never WRONGTYPE. */
function mget(ctx: CommandContext): void {
  const c = ctx.client;
  addArrayHeader(c, ctx.argc - 1);
  for (let i = 1; i < ctx.argc; i++) {
    const entry = ctx.broker.keyspace.lookupRead(c.db, ctx.argKey(i));
    if (entry === undefined || typeof entry.value !== 'string') addNull(c);
    else addText(c, bulkText(entry.value));
  }
}

/**
 * MSET and MSETNX (Redis's msetGenericCommand): pairs, each set as a plain SET (any TTL dropped,
 * one `set` notification per key). MSETNX sets nothing if any key exists, and answers 1 or 0.
 */
function msetGeneric(ctx: CommandContext, onlyIfNoneExists: boolean): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  if (ctx.argc % 2 === 0) {
    addError(c, `ERR wrong number of arguments for '${ctx.fullName}' command`);
    return;
  }
  if (onlyIfNoneExists) {
    for (let i = 1; i < ctx.argc; i += 2) {
      if (ks.lookupWrite(c.db, ctx.argKey(i)) !== undefined) {
        addInteger(c, 0);
        return;
      }
    }
  }
  for (let i = 1; i < ctx.argc; i += 2) {
    const key = ctx.argKey(i);
    const value = ctx.argKey(i + 1);
    const entry = ks.lookupWrite(c.db, key);
    if (entry === undefined) ks.add(c.db, key, value);
    else ks.overwrite(c.db, entry, value, false);
    ks.notify(c.db, NOTIFY_STRING, 'set', key);
  }
  propagateCommand(ctx);
  if (onlyIfNoneExists) addInteger(c, 1);
  else addOk(c);
}

/**
 * What SET, SETEX and PSETEX share (Redis's setGenericCommand): the expiry argument is checked
 * before anything else, then GET and the NX/XX condition; the write notifies `set` (and `expire`)
 * and is propagated with an absolute PXAT. `expireArg` is -1 when there is no expiry; its unit
 * comes from `flags` (SET_EX, SET_PX, SET_EXAT or SET_PXAT).
 */
function setGeneric(ctx: CommandContext, flags: number, keyArg: number, valueArg: number, expireArg: number): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  let expireAtMs = -1;
  if (expireArg >= 0) {
    const at = absoluteExpiry(ctx, expireArg, (flags & (SET_EX | SET_EXAT)) !== 0, (flags & (SET_EX | SET_PX)) !== 0);
    if (at === null) return;
    expireAtMs = at;
  }
  const key = ctx.argKey(keyArg);
  if ((flags & SET_GET) !== 0 && !replyWithString(ctx, key)) return;
  const entry = ks.lookupWrite(c.db, key);
  if (((flags & SET_NX) !== 0 && entry !== undefined) || ((flags & SET_XX) !== 0 && entry === undefined)) {
    if ((flags & SET_GET) === 0) addNull(c);
    return;
  }
  const value = ctx.argKey(valueArg);
  let target: KeyEntry;
  if (entry === undefined) target = ks.add(c.db, key, value);
  else {
    ks.overwrite(c.db, entry, value, (flags & SET_KEEPTTL) !== 0);
    target = entry;
  }
  ks.notify(c.db, NOTIFY_STRING, 'set', key);
  if (expireAtMs >= 0) {
    ks.setExpire(c.db, target, expireAtMs);
    ks.propagate(c.db, [bytes('SET'), Buffer.from(ctx.arg(keyArg)), Buffer.from(ctx.arg(valueArg)), bytes('PXAT'), bytes(String(expireAtMs))]);
    ks.notify(c.db, NOTIFY_GENERIC, 'expire', key);
  } else {
    ks.propagate(c.db, commandArgs(ctx, (i) => i >= 3 && ctx.argIs(i, 'get')));
  }
  if ((flags & SET_GET) === 0) addOk(c);
}

/**
 * SET's expiry argument as absolute ms (Redis's getExpireMillisecondsOrReply): must be > 0, and
 * neither the unit conversion nor adding the current time may pass 2^63-1. Null after the error.
 */
function absoluteExpiry(ctx: CommandContext, i: number, seconds: boolean, relative: boolean): number | null {
  const value = argBigInt(ctx, i);
  if (value === null) {
    addError(ctx.client, NOT_AN_INTEGER);
    return null;
  }
  let ms = value;
  if (ms <= 0n || (seconds && ms > LLONG_MAX / 1000n)) {
    addError(ctx.client, `ERR invalid expire time in '${ctx.fullName}' command`);
    return null;
  }
  if (seconds) ms *= 1000n;
  if (relative) ms += BigInt(ctx.broker.keyspace.now());
  if (ms > LLONG_MAX) {
    addError(ctx.client, `ERR invalid expire time in '${ctx.fullName}' command`);
    return null;
  }
  return Number(ms);
}

/** INCR / DECR / INCRBY / DECRBY: 64-bit arithmetic on a string holding an integer; keeps the TTL. */
function incrementBy(ctx: CommandContext, delta: bigint): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry !== undefined && typeof entry.value !== 'string') {
    addError(c, WRONGTYPE);
    return;
  }
  const current = entry === undefined ? 0n : parseLongLong(entry.value as string);
  if (current === null) {
    addError(c, NOT_AN_INTEGER);
    return;
  }
  const next = current + delta;
  if (next > LLONG_MAX || next < LLONG_MIN) {
    addError(c, 'ERR increment or decrement would overflow');
    return;
  }
  const text = next.toString();
  if (entry === undefined) ks.add(c.db, key, text);
  else ks.overwrite(c.db, entry, text, true);
  ks.notify(c.db, NOTIFY_STRING, 'incrby', key);
  propagateCommand(ctx);
  addText(c, ':' + text + '\r\n');
}

function incrementByArg(ctx: CommandContext, negate: boolean): void {
  const delta = argBigInt(ctx, 2);
  if (delta === null) {
    addError(ctx.client, NOT_AN_INTEGER);
    return;
  }
  if (negate && delta === LLONG_MIN) {
    addError(ctx.client, 'ERR decrement would overflow');
    return;
  }
  incrementBy(ctx, negate ? -delta : delta);
}

// ---- generic key commands ----------------------------------------------------------------------

/** DEL / UNLINK: one `del` event per key removed. */
function del(ctx: CommandContext): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  let deleted = 0;
  for (let i = 1; i < ctx.argc; i++) {
    const key = ctx.argKey(i);
    const entry = ks.lookupWrite(c.db, key);
    if (entry === undefined) continue;
    ks.remove(c.db, entry);
    ks.notify(c.db, NOTIFY_GENERIC, 'del', key);
    deleted++;
  }
  if (deleted > 0) propagateCommand(ctx);
  addInteger(c, deleted);
}

function exists(ctx: CommandContext): void {
  let count = 0;
  for (let i = 1; i < ctx.argc; i++) if (ctx.broker.keyspace.lookupRead(ctx.client.db, ctx.argKey(i)) !== undefined) count++;
  addInteger(ctx.client, count);
}

function typeOf(ctx: CommandContext): void {
  const entry = ctx.broker.keyspace.lookupRead(ctx.client.db, ctx.argKey(1));
  addSimple(ctx.client, entry === undefined ? 'none' : typeName(entry.value));
}

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT] (Redis's expireGenericCommand). */
function expireGeneric(ctx: CommandContext, relative: boolean, seconds: boolean): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  let flags = 0;
  for (let j = 3; j < ctx.argc; j++) {
    if (ctx.argIs(j, 'nx')) flags |= EXPIRE_NX;
    else if (ctx.argIs(j, 'xx')) flags |= EXPIRE_XX;
    else if (ctx.argIs(j, 'gt')) flags |= EXPIRE_GT;
    else if (ctx.argIs(j, 'lt')) flags |= EXPIRE_LT;
    else {
      addError(c, `ERR Unsupported option ${ctx.argKey(j)}`, 'latin1');
      return;
    }
  }
  if ((flags & EXPIRE_NX) !== 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) !== 0) {
    addError(c, 'ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if ((flags & EXPIRE_GT) !== 0 && (flags & EXPIRE_LT) !== 0) {
    addError(c, 'ERR GT and LT options at the same time are not compatible');
    return;
  }
  let when = argBigInt(ctx, 2);
  if (when === null) {
    addError(c, NOT_AN_INTEGER);
    return;
  }
  const invalid = `ERR invalid expire time in '${ctx.fullName}' command`;
  if (seconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) {
      addError(c, invalid);
      return;
    }
    when *= 1000n;
  }
  const now = ks.now();
  const base = relative ? BigInt(now) : 0n;
  if (when > LLONG_MAX - base) {
    addError(c, invalid);
    return;
  }
  when += base;
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry === undefined) {
    addInteger(c, 0);
    return;
  }
  const whenMs = Number(when);
  const current = entry.expireAtMs;
  if (((flags & EXPIRE_NX) !== 0 && current !== -1) ||
      ((flags & EXPIRE_XX) !== 0 && current === -1) ||
      ((flags & EXPIRE_GT) !== 0 && (current === -1 || whenMs <= current)) ||
      ((flags & EXPIRE_LT) !== 0 && current !== -1 && whenMs >= current)) {
    addInteger(c, 0);
    return;
  }
  if (whenMs <= now) {
    // Already in the past: the key goes now, replayed as a DEL.
    ks.remove(c.db, entry);
    ks.propagate(c.db, [bytes('DEL'), Buffer.from(ctx.arg(1))]);
    ks.notify(c.db, NOTIFY_GENERIC, 'del', key);
    addInteger(c, 1);
    return;
  }
  ks.setExpire(c.db, entry, whenMs);
  addInteger(c, 1);
  ks.propagate(c.db, [bytes('PEXPIREAT'), Buffer.from(ctx.arg(1)), bytes(when.toString())]);
  ks.notify(c.db, NOTIFY_GENERIC, 'expire', key);
}

/** TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 no key, -1 no expiry. */
function ttlGeneric(ctx: CommandContext, milliseconds: boolean, absolute: boolean): void {
  const ks = ctx.broker.keyspace;
  const entry = ks.lookupRead(ctx.client.db, ctx.argKey(1));
  if (entry === undefined) {
    addInteger(ctx.client, -2);
    return;
  }
  if (entry.expireAtMs < 0) {
    addInteger(ctx.client, -1);
    return;
  }
  const ms = Math.max(0, absolute ? entry.expireAtMs : entry.expireAtMs - ks.now());
  // Seconds are rounded to the nearest, for EXPIRETIME as for TTL (Redis's ttlGenericCommand).
  addInteger(ctx.client, milliseconds ? ms : Math.floor((ms + 500) / 1000));
}

function persist(ctx: CommandContext): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry === undefined || !ks.persist(c.db, entry)) {
    addInteger(c, 0);
    return;
  }
  ks.notify(c.db, NOTIFY_GENERIC, 'persist', key);
  propagateCommand(ctx);
  addInteger(c, 1);
}

function keys(ctx: CommandContext): void {
  const found = ctx.broker.keyspace.keys(ctx.client.db, ctx.arg(1));
  addBulkTexts(ctx.client, found);
}

/**
 * A SCAN cursor the way Redis's strtoul-based parser takes it: optional sign, digits, at most
 * 2^64-1; the empty text is 0; a negative one wraps to a huge cursor (past every key). Null: invalid.
 */
function parseCursor(text: string): number | null {
  if (text === '') return 0;
  const m = /^([+-]?)(\d+)$/.exec(text);
  if (m === null) return null;
  const value = BigInt(m[2]);
  if (value > 2n ** 64n - 1n) return null;
  if (m[1] === '-' && value !== 0n) return Number.MAX_SAFE_INTEGER;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]. */
function scan(ctx: CommandContext): void {
  const c = ctx.client;
  const cursor = parseCursor(ctx.argKey(1));
  if (cursor === null) {
    addError(c, 'ERR invalid cursor');
    return;
  }
  let count = 10;
  let pattern: Buffer | null = null;
  let typeFilter: string | null = null;
  for (let i = 2; i < ctx.argc;) {
    const hasValue = ctx.argc - i >= 2;
    if (ctx.argIs(i, 'count') && hasValue) {
      const n = argLong(ctx, i + 1);
      if (n === null) {
        addError(c, NOT_AN_INTEGER);
        return;
      }
      if (n < 1) {
        addError(c, SYNTAX_ERROR);
        return;
      }
      count = n;
    } else if (ctx.argIs(i, 'match') && hasValue) {
      pattern = ctx.arg(i + 1);
    } else if (ctx.argIs(i, 'type') && hasValue) {
      typeFilter = ctx.argKey(i + 1).toLowerCase();
    } else {
      addError(c, SYNTAX_ERROR);
      return;
    }
    i += 2;
  }
  const page = ctx.broker.keyspace.scan(c.db, cursor, count, pattern, typeFilter);
  addText(c, arrayText(2) + bulkText(String(page.cursor)));
  addBulkTexts(c, page.keys);
}

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: both run synchronously (no event per key, as in Redis). */
function flush(ctx: CommandContext, all: boolean): void {
  if (ctx.argc > 2 || (ctx.argc === 2 && !ctx.argIs(1, 'async') && !ctx.argIs(1, 'sync'))) {
    addError(ctx.client, SYNTAX_ERROR);
    return;
  }
  const ks = ctx.broker.keyspace;
  if (all) ks.clear();
  else ks.flushDb(ctx.client.db);
  ctx.broker.watches.touchDatabase(all ? -1 : ctx.client.db);
  propagateCommand(ctx);
  addOk(ctx.client);
}

// ---- lists -------------------------------------------------------------------------------------

/** The list at `entry`, or null after the WRONGTYPE error. */
function asList(ctx: CommandContext, entry: KeyEntry): Deque | null {
  if (entry.value instanceof Deque) return entry.value;
  addError(ctx.client, WRONGTYPE);
  return null;
}

/** LPUSH / RPUSH / LPUSHX / RPUSHX. */
function push(ctx: CommandContext, front: boolean, onlyIfExists: boolean): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  const key = ctx.argKey(1);
  let entry = ks.lookupWrite(c.db, key);
  let list: Deque;
  if (entry !== undefined) {
    const existing = asList(ctx, entry);
    if (existing === null) return;
    list = existing;
  } else {
    if (onlyIfExists) {
      addInteger(c, 0);
      return;
    }
    list = new Deque();
    entry = ks.add(c.db, key, list);
  }
  for (let i = 2; i < ctx.argc; i++) {
    if (front) list.pushFront(ctx.argKey(i));
    else list.pushBack(ctx.argKey(i));
  }
  addInteger(c, list.length);
  ks.notify(c.db, NOTIFY_LIST, front ? 'lpush' : 'rpush', key);
  propagateCommand(ctx);
}

/** LPOP / RPOP key [count]: a bulk without count, an array with one. */
function pop(ctx: CommandContext, front: boolean): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  if (ctx.argc > 3) {
    addError(c, `ERR wrong number of arguments for '${ctx.fullName}' command`);
    return;
  }
  const hasCount = ctx.argc === 3;
  let count = 0;
  if (hasCount) {
    const n = argLong(ctx, 2);
    if (n === null || n < 0) {
      addError(c, NOT_POSITIVE);
      return;
    }
    count = n;
  }
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry === undefined) {
    if (hasCount) addNullArray(c);
    else addNull(c);
    return;
  }
  const list = asList(ctx, entry);
  if (list === null) return;
  if (hasCount && count === 0) {
    addArrayHeader(c, 0);
    return;
  }
  if (!hasCount) {
    addText(c, bulkText(front ? list.popFront() : list.popBack()));
  } else {
    const n = Math.min(count, list.length);
    let text = arrayText(n);
    for (let i = 0; i < n; i++) text += bulkText(front ? list.popFront() : list.popBack());
    addText(c, text);
  }
  ks.notify(c.db, NOTIFY_LIST, front ? 'lpop' : 'rpop', key);
  if (list.length === 0) {
    ks.remove(c.db, entry);
    ks.notify(c.db, NOTIFY_GENERIC, 'del', key);
  }
  propagateCommand(ctx);
}

function lrange(ctx: CommandContext): void {
  const c = ctx.client;
  const start = argLong(ctx, 2);
  const end = argLong(ctx, 3);
  if (start === null || end === null) {
    addError(c, NOT_AN_INTEGER);
    return;
  }
  const entry = ctx.broker.keyspace.lookupRead(c.db, ctx.argKey(1));
  if (entry === undefined) {
    addArrayHeader(c, 0);
    return;
  }
  const list = asList(ctx, entry);
  if (list === null) return;
  const range = clampRange(start, end, list.length);
  if (range === null) {
    addArrayHeader(c, 0);
    return;
  }
  let text = arrayText(range[1] - range[0] + 1);
  for (let i = range[0]; i <= range[1]; i++) text += bulkText(list.at(i));
  addText(c, text);
}

function llen(ctx: CommandContext): void {
  const entry = ctx.broker.keyspace.lookupRead(ctx.client.db, ctx.argKey(1));
  if (entry === undefined) {
    addInteger(ctx.client, 0);
    return;
  }
  const list = asList(ctx, entry);
  if (list !== null) addInteger(ctx.client, list.length);
}

/** LINDEX: the key is looked up before the index is parsed (Redis's order). */
function lindex(ctx: CommandContext): void {
  const c = ctx.client;
  const entry = ctx.broker.keyspace.lookupRead(c.db, ctx.argKey(1));
  if (entry === undefined) {
    addNull(c);
    return;
  }
  const list = asList(ctx, entry);
  if (list === null) return;
  let index = argLong(ctx, 2);
  if (index === null) {
    addError(c, NOT_AN_INTEGER);
    return;
  }
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) addNull(c);
  else addText(c, bulkText(list.at(index)));
}

/** LTRIM: `ltrim` is announced even when nothing was cut; only a real cut is propagated. */
function ltrim(ctx: CommandContext): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  const start = argLong(ctx, 2);
  const end = argLong(ctx, 3);
  if (start === null || end === null) {
    addError(c, NOT_AN_INTEGER);
    return;
  }
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry === undefined) {
    addOk(c);
    return;
  }
  const list = asList(ctx, entry);
  if (list === null) return;
  const length = list.length;
  const range = clampRange(start, end, length);
  const fromFront = range === null ? length : range[0];
  const fromBack = range === null ? 0 : length - range[1] - 1;
  list.trimFront(fromFront);
  list.trimBack(fromBack);
  ks.notify(c.db, NOTIFY_LIST, 'ltrim', key);
  if (list.length === 0) {
    ks.remove(c.db, entry);
    ks.notify(c.db, NOTIFY_GENERIC, 'del', key);
  }
  if (fromFront + fromBack > 0) propagateCommand(ctx);
  addOk(c);
}

function lrem(ctx: CommandContext): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  const count = argLong(ctx, 2);
  if (count === null) {
    addError(c, NOT_AN_INTEGER);
    return;
  }
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry === undefined) {
    addInteger(c, 0);
    return;
  }
  const list = asList(ctx, entry);
  if (list === null) return;
  const removed = list.remove(ctx.argKey(3), Math.abs(count), count < 0);
  if (removed > 0) {
    ks.notify(c.db, NOTIFY_LIST, 'lrem', key);
    if (list.length === 0) {
      ks.remove(c.db, entry);
      ks.notify(c.db, NOTIFY_GENERIC, 'del', key);
    }
    propagateCommand(ctx);
  }
  addInteger(c, removed);
}

// ---- sorted sets -------------------------------------------------------------------------------

function asSortedSet(ctx: CommandContext, entry: KeyEntry): SortedSet | null {
  if (entry.value instanceof SortedSet) return entry.value;
  addError(ctx.client, WRONGTYPE);
  return null;
}

/** A score bound: `(` makes it exclusive; otherwise raw strtod (Redis's zslParseRange). */
function parseScoreBound(text: string): { value: number; exclusive: boolean } | null {
  const exclusive = text.charCodeAt(0) === 0x28; // '('
  const value = parseRangeBound(exclusive ? text.slice(1) : text);
  return value === null ? null : { value, exclusive };
}

function parseScoreRange(minText: string, maxText: string): ScoreRange | null {
  const min = parseScoreBound(minText);
  const max = parseScoreBound(maxText);
  if (min === null || max === null) return null;
  return { min: min.value, max: max.value, minExclusive: min.exclusive, maxExclusive: max.exclusive };
}

/** A lex bound: `-`, `+`, `(member` or `[member` (Redis's zslParseLexRangeItem). */
function parseLexBound(text: string): LexBound | null {
  const lead = text.charCodeAt(0);
  // Redis checks the byte after '-'/'+' for the C string's NUL, so "+\0..." also counts.
  const alone = text.length === 1 || text.charCodeAt(1) === 0;
  if (lead === 0x2b /* + */ && alone) return { infinity: 1, member: '', exclusive: true };
  if (lead === 0x2d /* - */ && alone) return { infinity: -1, member: '', exclusive: true };
  if (lead === 0x28 /* ( */) return { infinity: 0, member: text.slice(1), exclusive: true };
  if (lead === 0x5b /* [ */) return { infinity: 0, member: text.slice(1), exclusive: false };
  return null;
}

/** ZADD / ZINCRBY (Redis's zaddGenericCommand): options, all-or-nothing score parsing, then the adds. */
function zaddGeneric(ctx: CommandContext, incrCommand: boolean): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrCommand;
  let scoreIndex = 2;
  for (; scoreIndex < ctx.argc; scoreIndex++) {
    if (ctx.argIs(scoreIndex, 'nx')) nx = true;
    else if (ctx.argIs(scoreIndex, 'xx')) xx = true;
    else if (ctx.argIs(scoreIndex, 'ch')) ch = true;
    else if (ctx.argIs(scoreIndex, 'incr')) incr = true;
    else if (ctx.argIs(scoreIndex, 'gt')) gt = true;
    else if (ctx.argIs(scoreIndex, 'lt')) lt = true;
    else break;
  }
  const pairArgs = ctx.argc - scoreIndex;
  if (pairArgs === 0 || pairArgs % 2 !== 0) {
    addError(c, SYNTAX_ERROR);
    return;
  }
  const pairs = pairArgs / 2;
  if (nx && xx) {
    addError(c, 'ERR XX and NX options at the same time are not compatible');
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    addError(c, 'ERR GT, LT, and/or NX options at the same time are not compatible');
    return;
  }
  if (incr && pairs > 1) {
    addError(c, 'ERR INCR option supports a single increment-element pair');
    return;
  }
  const scores: number[] = [];
  for (let j = 0; j < pairs; j++) {
    const score = parseScore(ctx.argKey(scoreIndex + 2 * j));
    if (score === null) {
      addError(c, NOT_A_FLOAT);
      return;
    }
    scores.push(score);
  }
  const key = ctx.argKey(1);
  let entry = ks.lookupWrite(c.db, key);
  let zset: SortedSet;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  if (entry !== undefined) {
    const existing = asSortedSet(ctx, entry);
    if (existing === null) return;
    zset = existing;
  } else if (xx) {
    replyZadd(ctx, incr, ch, processed, lastScore, added, updated);
    return;
  } else {
    zset = new SortedSet();
    entry = ks.add(c.db, key, zset);
  }
  for (let j = 0; j < pairs; j++) {
    const member = ctx.argKey(scoreIndex + 2 * j + 1);
    let score = scores[j];
    const current = zset.score(member);
    if (current !== undefined) {
      if (nx) continue;
      if (incr) {
        score += current;
        if (Number.isNaN(score)) {
          addError(c, 'ERR resulting score is not a number (NaN)');
          return;
        }
      }
      if ((lt && score >= current) || (gt && score <= current)) continue;
      if (score !== current) {
        zset.updateScore(member, score);
        updated++;
      }
    } else if (!xx) {
      zset.insert(member, score);
      added++;
    } else {
      continue;
    }
    processed++;
    lastScore = score;
  }
  replyZadd(ctx, incr, ch, processed, lastScore, added, updated);
  if (added + updated > 0) {
    ks.notify(c.db, NOTIFY_ZSET, incr ? 'zincr' : 'zadd', key);
    propagateCommand(ctx);
  }
}

function replyZadd(ctx: CommandContext, incr: boolean, ch: boolean, processed: number, score: number, added: number, updated: number): void {
  if (!incr) addInteger(ctx.client, ch ? added + updated : added);
  else if (processed > 0) addText(ctx.client, scoreText(ctx.client, score));
  else addNull(ctx.client);
}

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/**
 * ZRANGE and its older forms (Redis's zrangeGenericCommand): options first (REV, BYSCORE, BYLEX,
 * LIMIT, WITHSCORES, each only where the command form allows it), then the range, then the key.
 * WITHSCORES replies are flat in RESP2 and [member, score] pairs in RESP3.
 */
function zrangeGeneric(ctx: CommandContext, rangeType: RangeType, direction: Direction): void {
  const c = ctx.client;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = 4; j < ctx.argc; j++) {
    if (ctx.argIs(j, 'withscores')) withScores = true;
    else if (ctx.argIs(j, 'limit') && ctx.argc - j - 1 >= 2) {
      const o = argLong(ctx, j + 1);
      const l = o === null ? null : argLong(ctx, j + 2);
      if (o === null || l === null) {
        addError(c, NOT_AN_INTEGER);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === 'auto' && ctx.argIs(j, 'rev')) direction = 'reverse';
    else if (rangeType === 'auto' && ctx.argIs(j, 'bylex')) rangeType = 'lex';
    else if (rangeType === 'auto' && ctx.argIs(j, 'byscore')) rangeType = 'score';
    else {
      addError(c, SYNTAX_ERROR);
      return;
    }
  }
  if (direction === 'auto') direction = 'forward';
  if (rangeType === 'auto') rangeType = 'rank';
  if (limit !== -1 && rangeType === 'rank') {
    addError(c, 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return;
  }
  if (withScores && rangeType === 'lex') {
    addError(c, 'ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return;
  }
  const reverse = direction === 'reverse';
  // BYSCORE / BYLEX with REV take the range as max, min.
  const minIndex = reverse && rangeType !== 'rank' ? 3 : 2;
  const maxIndex = reverse && rangeType !== 'rank' ? 2 : 3;
  let nodes: SortedSetNode[];
  if (rangeType === 'rank') {
    const start = argLong(ctx, 2);
    const end = start === null ? null : argLong(ctx, 3);
    if (start === null || end === null) {
      addError(c, NOT_AN_INTEGER);
      return;
    }
    const zset = lookupSortedSetForRead(ctx);
    if (zset === null) return;
    nodes = rankRange(zset, start, end, reverse);
  } else if (rangeType === 'score') {
    const range = parseScoreRange(ctx.argKey(minIndex), ctx.argKey(maxIndex));
    if (range === null) {
      addError(c, BAD_SCORE_RANGE);
      return;
    }
    const zset = lookupSortedSetForRead(ctx);
    if (zset === null) return;
    nodes = scoreRange(zset, range, reverse, offset, limit);
  } else {
    const min = parseLexBound(ctx.argKey(minIndex));
    const max = parseLexBound(ctx.argKey(maxIndex));
    if (min === null || max === null) {
      addError(c, BAD_LEX_RANGE);
      return;
    }
    const zset = lookupSortedSetForRead(ctx);
    if (zset === null) return;
    nodes = lexRange(zset, { min, max }, reverse, offset, limit);
  }
  replyNodes(c, nodes, withScores);
}

/** The sorted set for a read, an empty set's reply when missing (null, reply written), or WRONGTYPE (null). */
function lookupSortedSetForRead(ctx: CommandContext): SortedSet | null {
  const entry = ctx.broker.keyspace.lookupRead(ctx.client.db, ctx.argKey(1));
  if (entry === undefined) {
    addArrayHeader(ctx.client, 0);
    return null;
  }
  return asSortedSet(ctx, entry);
}

function rankRange(zset: SortedSet, start: number, end: number, reverse: boolean): SortedSetNode[] {
  const range = clampRange(start, end, zset.size);
  if (range === null) return [];
  const nodes: SortedSetNode[] = [];
  let node: SortedSetNode | null = zset.nodeAt(reverse ? zset.size - 1 - range[0] : range[0]);
  for (let n = range[1] - range[0] + 1; n > 0 && node !== null; n--) {
    nodes.push(node);
    node = reverse ? node.previous : node.next;
  }
  return nodes;
}

function scoreRange(zset: SortedSet, range: ScoreRange, reverse: boolean, offset: number, limit: number): SortedSetNode[] {
  const nodes: SortedSetNode[] = [];
  if (offset < 0 || (offset > 0 && offset >= zset.size)) return nodes;
  let node = reverse ? zset.lastInRange(range) : zset.firstInRange(range);
  for (; node !== null && offset > 0; offset--) node = reverse ? node.previous : node.next;
  for (; node !== null && limit !== 0; limit--) {
    if (reverse ? !SortedSet.inRangeMin(node, range) : !SortedSet.inRangeMax(node, range)) break;
    nodes.push(node);
    node = reverse ? node.previous : node.next;
  }
  return nodes;
}

function lexRange(zset: SortedSet, range: LexRange, reverse: boolean, offset: number, limit: number): SortedSetNode[] {
  const nodes: SortedSetNode[] = [];
  if (offset < 0 || (offset > 0 && offset >= zset.size)) return nodes;
  let node = reverse ? zset.lastInLexRange(range) : zset.firstInLexRange(range);
  for (; node !== null && offset > 0; offset--) node = reverse ? node.previous : node.next;
  for (; node !== null && limit !== 0; limit--) {
    if (reverse ? !SortedSet.inLexMin(node, range) : !SortedSet.inLexMax(node, range)) break;
    nodes.push(node);
    node = reverse ? node.previous : node.next;
  }
  return nodes;
}

function replyNodes(t: ReplyTarget, nodes: SortedSetNode[], withScores: boolean): void {
  const pairs = withScores && t.resp === 3;
  let text = arrayText(withScores && !pairs ? nodes.length * 2 : nodes.length);
  for (const node of nodes) {
    if (pairs) text += '*2\r\n';
    text += bulkText(node.member);
    if (withScores) text += scoreText(t, node.score);
  }
  addText(t, text);
}

function zcount(ctx: CommandContext): void {
  const c = ctx.client;
  const range = parseScoreRange(ctx.argKey(2), ctx.argKey(3));
  if (range === null) {
    addError(c, BAD_SCORE_RANGE);
    return;
  }
  const entry = ctx.broker.keyspace.lookupRead(c.db, ctx.argKey(1));
  if (entry === undefined) {
    addInteger(c, 0);
    return;
  }
  const zset = asSortedSet(ctx, entry);
  if (zset !== null) addInteger(c, zset.countInRange(range));
}

function zcard(ctx: CommandContext): void {
  const entry = ctx.broker.keyspace.lookupRead(ctx.client.db, ctx.argKey(1));
  if (entry === undefined) {
    addInteger(ctx.client, 0);
    return;
  }
  const zset = asSortedSet(ctx, entry);
  if (zset !== null) addInteger(ctx.client, zset.size);
}

function zscore(ctx: CommandContext): void {
  const entry = ctx.broker.keyspace.lookupRead(ctx.client.db, ctx.argKey(1));
  if (entry === undefined) {
    addNull(ctx.client);
    return;
  }
  const zset = asSortedSet(ctx, entry);
  if (zset === null) return;
  const score = zset.score(ctx.argKey(2));
  if (score === undefined) addNull(ctx.client);
  else addText(ctx.client, scoreText(ctx.client, score));
}

/** ZRANK / ZREVRANK key member [WITHSCORE] (WITHSCORE is Redis 7.2; 7.0 refuses the 4th argument). */
function zrank(ctx: CommandContext, reverse: boolean): void {
  const c = ctx.client;
  if (ctx.argc > 4) {
    addError(c, `ERR wrong number of arguments for '${ctx.fullName}' command`);
    return;
  }
  const withScore = ctx.argc === 4;
  if (withScore && !ctx.argIs(3, 'withscore')) {
    addError(c, SYNTAX_ERROR);
    return;
  }
  const missing = (): void => (withScore ? addNullArray(c) : addNull(c));
  const entry = ctx.broker.keyspace.lookupRead(c.db, ctx.argKey(1));
  if (entry === undefined) {
    missing();
    return;
  }
  const zset = asSortedSet(ctx, entry);
  if (zset === null) return;
  const member = ctx.argKey(2);
  const rank = zset.rank(member, reverse);
  if (rank < 0) {
    missing();
    return;
  }
  if (withScore) addText(c, arrayText(2) + ':' + rank + '\r\n' + scoreText(c, zset.score(member)!));
  else addInteger(c, rank);
}

function zrem(ctx: CommandContext): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry === undefined) {
    addInteger(c, 0);
    return;
  }
  const zset = asSortedSet(ctx, entry);
  if (zset === null) return;
  let deleted = 0;
  for (let i = 2; i < ctx.argc && zset.size > 0; i++) if (zset.remove(ctx.argKey(i))) deleted++;
  if (deleted > 0) {
    ks.notify(c.db, NOTIFY_ZSET, 'zrem', key);
    if (zset.size === 0) {
      ks.remove(c.db, entry);
      ks.notify(c.db, NOTIFY_GENERIC, 'del', key);
    }
    propagateCommand(ctx);
  }
  addInteger(c, deleted);
}

/** ZREMRANGEBYSCORE / ZREMRANGEBYRANK: range parsed first, then the key. */
function zremrange(ctx: CommandContext, byRank: boolean): void {
  const c = ctx.client;
  const ks = ctx.broker.keyspace;
  let start = 0;
  let end = 0;
  let range: ScoreRange | null = null;
  if (byRank) {
    const s = argLong(ctx, 2);
    const e = s === null ? null : argLong(ctx, 3);
    if (s === null || e === null) {
      addError(c, NOT_AN_INTEGER);
      return;
    }
    start = s;
    end = e;
  } else {
    range = parseScoreRange(ctx.argKey(2), ctx.argKey(3));
    if (range === null) {
      addError(c, BAD_SCORE_RANGE);
      return;
    }
  }
  const key = ctx.argKey(1);
  const entry = ks.lookupWrite(c.db, key);
  if (entry === undefined) {
    addInteger(c, 0);
    return;
  }
  const zset = asSortedSet(ctx, entry);
  if (zset === null) return;
  let deleted: number;
  if (range === null) {
    const ranks = clampRange(start, end, zset.size);
    deleted = ranks === null ? 0 : zset.removeRangeByRank(ranks[0], ranks[1]);
  } else {
    deleted = zset.removeRangeByScore(range);
  }
  if (deleted > 0) {
    ks.notify(c.db, NOTIFY_ZSET, byRank ? 'zremrangebyrank' : 'zremrangebyscore', key);
    if (zset.size === 0) {
      ks.remove(c.db, entry);
      ks.notify(c.db, NOTIFY_GENERIC, 'del', key);
    }
    propagateCommand(ctx);
  }
  addInteger(c, deleted);
}

// ---- the table ---------------------------------------------------------------------------------

const KEY: [number, number, number] = [1, 1, 1];
const ALL_KEYS: [number, number, number] = [1, -1, 1];
/** MSET's keys: every other argument from the first. */
const PAIRS: [number, number, number] = [1, -1, 2];

const spec = (
  name: string, arity: number, flags: string[], acl: string[], group: string, summary: string, since: string,
  handler: (ctx: CommandContext) => void, keys?: [number, number, number],
): CommandSpec => ({ name, arity, flags, acl, group, summary, since, handler, keys });

const READ_FAST = ['readonly', 'fast'];
const WRITE_FAST = ['write', 'fast'];
const WRITE_DENYOOM_FAST = ['write', 'denyoom', 'fast'];

/** Every keyspace command, in Redis 7.2's arity, flags, ACL categories and key positions. */
export const KEYSPACE_COMMANDS: CommandSpec[] = [
  // strings
  spec('get', 2, READ_FAST, ['read', 'string', 'fast'], 'string', 'Returns the string value of a key.', '1.0.0', get, KEY),
  spec('set', -3, ['write', 'denyoom'], ['write', 'string', 'slow'], 'string', "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", '1.0.0', set, KEY),
  spec('setex', 4, ['write', 'denyoom'], ['write', 'string', 'slow'], 'string', "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", '2.0.0', (ctx) => setGeneric(ctx, SET_EX, 1, 3, 2), KEY),
  spec('psetex', 4, ['write', 'denyoom'], ['write', 'string', 'slow'], 'string', "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", '2.6.0', (ctx) => setGeneric(ctx, SET_PX, 1, 3, 2), KEY),
  spec('mget', -2, READ_FAST, ['read', 'string', 'fast'], 'string', 'Atomically returns the string values of one or more keys.', '1.0.0', mget, ALL_KEYS),
  spec('mset', -3, ['write', 'denyoom'], ['write', 'string', 'slow'], 'string', 'Atomically creates or modifies the string values of one or more keys.', '1.0.1', (ctx) => msetGeneric(ctx, false), PAIRS),
  spec('msetnx', -3, ['write', 'denyoom'], ['write', 'string', 'slow'], 'string', 'Atomically modifies the string values of one or more keys only when all keys don\'t exist.', '1.0.1', (ctx) => msetGeneric(ctx, true), PAIRS),
  spec('incr', 2, WRITE_DENYOOM_FAST, ['write', 'string', 'fast'], 'string', "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", '1.0.0', (ctx) => incrementBy(ctx, 1n), KEY),
  spec('decr', 2, WRITE_DENYOOM_FAST, ['write', 'string', 'fast'], 'string', "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", '1.0.0', (ctx) => incrementBy(ctx, -1n), KEY),
  spec('incrby', 3, WRITE_DENYOOM_FAST, ['write', 'string', 'fast'], 'string', "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", '1.0.0', (ctx) => incrementByArg(ctx, false), KEY),
  spec('decrby', 3, WRITE_DENYOOM_FAST, ['write', 'string', 'fast'], 'string', "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", '1.0.0', (ctx) => incrementByArg(ctx, true), KEY),
  // generic
  spec('del', -2, ['write'], ['keyspace', 'write', 'slow'], 'generic', 'Deletes one or more keys.', '1.0.0', del, ALL_KEYS),
  spec('unlink', -2, WRITE_FAST, ['keyspace', 'write', 'fast'], 'generic', 'Asynchronously deletes one or more keys.', '4.0.0', del, ALL_KEYS),
  spec('exists', -2, READ_FAST, ['keyspace', 'read', 'fast'], 'generic', 'Determines whether one or more keys exist.', '1.0.0', exists, ALL_KEYS),
  spec('type', 2, READ_FAST, ['keyspace', 'read', 'fast'], 'generic', 'Determines the type of value stored at a key.', '1.0.0', typeOf, KEY),
  spec('expire', -3, WRITE_FAST, ['keyspace', 'write', 'fast'], 'generic', 'Sets the expiration time of a key in seconds.', '1.0.0', (ctx) => expireGeneric(ctx, true, true), KEY),
  spec('pexpire', -3, WRITE_FAST, ['keyspace', 'write', 'fast'], 'generic', 'Sets the expiration time of a key in milliseconds.', '2.6.0', (ctx) => expireGeneric(ctx, true, false), KEY),
  spec('expireat', -3, WRITE_FAST, ['keyspace', 'write', 'fast'], 'generic', 'Sets the expiration time of a key to a Unix timestamp.', '1.2.0', (ctx) => expireGeneric(ctx, false, true), KEY),
  spec('pexpireat', -3, WRITE_FAST, ['keyspace', 'write', 'fast'], 'generic', 'Sets the expiration time of a key to a Unix milliseconds timestamp.', '2.6.0', (ctx) => expireGeneric(ctx, false, false), KEY),
  spec('ttl', 2, READ_FAST, ['keyspace', 'read', 'fast'], 'generic', 'Returns the expiration time in seconds of a key.', '1.0.0', (ctx) => ttlGeneric(ctx, false, false), KEY),
  spec('pttl', 2, READ_FAST, ['keyspace', 'read', 'fast'], 'generic', 'Returns the expiration time in milliseconds of a key.', '2.6.0', (ctx) => ttlGeneric(ctx, true, false), KEY),
  spec('expiretime', 2, READ_FAST, ['keyspace', 'read', 'fast'], 'generic', 'Returns the expiration time of a key as a Unix timestamp.', '7.0.0', (ctx) => ttlGeneric(ctx, false, true), KEY),
  spec('pexpiretime', 2, READ_FAST, ['keyspace', 'read', 'fast'], 'generic', 'Returns the expiration time of a key as a Unix milliseconds timestamp.', '7.0.0', (ctx) => ttlGeneric(ctx, true, true), KEY),
  spec('persist', 2, WRITE_FAST, ['keyspace', 'write', 'fast'], 'generic', 'Removes the expiration time of a key.', '2.2.0', persist, KEY),
  spec('keys', 2, ['readonly'], ['keyspace', 'read', 'slow', 'dangerous'], 'generic', 'Returns all key names that match a pattern.', '1.0.0', keys),
  spec('scan', -2, ['readonly'], ['keyspace', 'read', 'slow'], 'generic', 'Iterates over the key names in the database.', '2.8.0', scan),
  spec('dbsize', 1, READ_FAST, ['keyspace', 'read', 'fast'], 'server', 'Returns the number of keys in the database.', '1.0.0', (ctx) => addInteger(ctx.client, ctx.broker.keyspace.size(ctx.client.db))),
  spec('flushdb', -1, ['write'], ['keyspace', 'write', 'slow', 'dangerous'], 'server', 'Remove all keys from the current database.', '1.0.0', (ctx) => flush(ctx, false)),
  spec('flushall', -1, ['write'], ['keyspace', 'write', 'slow', 'dangerous'], 'server', 'Removes all keys from all databases.', '1.0.0', (ctx) => flush(ctx, true)),
  // lists
  spec('lpush', -3, WRITE_DENYOOM_FAST, ['write', 'list', 'fast'], 'list', "Prepends one or more elements to a list. Creates the key if it doesn't exist.", '1.0.0', (ctx) => push(ctx, true, false), KEY),
  spec('rpush', -3, WRITE_DENYOOM_FAST, ['write', 'list', 'fast'], 'list', "Appends one or more elements to a list. Creates the key if it doesn't exist.", '1.0.0', (ctx) => push(ctx, false, false), KEY),
  spec('lpushx', -3, WRITE_DENYOOM_FAST, ['write', 'list', 'fast'], 'list', 'Prepends one or more elements to a list only when the list exists.', '2.2.0', (ctx) => push(ctx, true, true), KEY),
  spec('rpushx', -3, WRITE_DENYOOM_FAST, ['write', 'list', 'fast'], 'list', 'Appends an element to a list only when the list exists.', '2.2.0', (ctx) => push(ctx, false, true), KEY),
  spec('lpop', -2, WRITE_FAST, ['write', 'list', 'fast'], 'list', 'Returns the first elements in a list after removing it. Deletes the list if the last element was popped.', '1.0.0', (ctx) => pop(ctx, true), KEY),
  spec('rpop', -2, WRITE_FAST, ['write', 'list', 'fast'], 'list', 'Returns and removes the last elements of the list. Deletes the list if the last element was popped.', '1.0.0', (ctx) => pop(ctx, false), KEY),
  spec('lrange', 4, ['readonly'], ['read', 'list', 'slow'], 'list', 'Returns a range of elements from a list.', '1.0.0', lrange, KEY),
  spec('llen', 2, READ_FAST, ['read', 'list', 'fast'], 'list', 'Returns the length of a list.', '1.0.0', llen, KEY),
  spec('lindex', 3, ['readonly'], ['read', 'list', 'slow'], 'list', 'Returns an element from a list by its index.', '1.0.0', lindex, KEY),
  spec('ltrim', 4, ['write'], ['write', 'list', 'slow'], 'list', 'Removes elements from both ends a list. Deletes the list if all elements were trimmed.', '1.0.0', ltrim, KEY),
  spec('lrem', 4, ['write'], ['write', 'list', 'slow'], 'list', 'Removes elements from a list. Deletes the list if the last element was removed.', '1.0.0', lrem, KEY),
  // sorted sets
  spec('zadd', -4, WRITE_DENYOOM_FAST, ['write', 'sortedset', 'fast'], 'sorted-set', "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", '1.2.0', (ctx) => zaddGeneric(ctx, false), KEY),
  spec('zincrby', 4, WRITE_DENYOOM_FAST, ['write', 'sortedset', 'fast'], 'sorted-set', 'Increments the score of a member in a sorted set.', '1.2.0', (ctx) => zaddGeneric(ctx, true), KEY),
  spec('zrange', -4, ['readonly'], ['read', 'sortedset', 'slow'], 'sorted-set', 'Returns members in a sorted set within a range of indexes.', '1.2.0', (ctx) => zrangeGeneric(ctx, 'auto', 'auto'), KEY),
  spec('zrevrange', -4, ['readonly'], ['read', 'sortedset', 'slow'], 'sorted-set', 'Returns members in a sorted set within a range of indexes in reverse order.', '1.2.0', (ctx) => zrangeGeneric(ctx, 'rank', 'reverse'), KEY),
  spec('zrangebyscore', -4, ['readonly'], ['read', 'sortedset', 'slow'], 'sorted-set', 'Returns members in a sorted set within a range of scores.', '1.0.5', (ctx) => zrangeGeneric(ctx, 'score', 'forward'), KEY),
  spec('zrevrangebyscore', -4, ['readonly'], ['read', 'sortedset', 'slow'], 'sorted-set', 'Returns members in a sorted set within a range of scores in reverse order.', '2.2.0', (ctx) => zrangeGeneric(ctx, 'score', 'reverse'), KEY),
  spec('zrangebylex', -4, ['readonly'], ['read', 'sortedset', 'slow'], 'sorted-set', 'Returns members in a sorted set within a lexicographical range.', '2.8.9', (ctx) => zrangeGeneric(ctx, 'lex', 'forward'), KEY),
  spec('zrevrangebylex', -4, ['readonly'], ['read', 'sortedset', 'slow'], 'sorted-set', 'Returns members in a sorted set within a lexicographical range in reverse order.', '2.8.9', (ctx) => zrangeGeneric(ctx, 'lex', 'reverse'), KEY),
  spec('zcount', 4, READ_FAST, ['read', 'sortedset', 'fast'], 'sorted-set', 'Returns the count of members in a sorted set that have scores within a range.', '2.0.0', zcount, KEY),
  spec('zcard', 2, READ_FAST, ['read', 'sortedset', 'fast'], 'sorted-set', 'Returns the number of members in a sorted set.', '1.2.0', zcard, KEY),
  spec('zscore', 3, READ_FAST, ['read', 'sortedset', 'fast'], 'sorted-set', 'Returns the score of a member in a sorted set.', '1.2.0', zscore, KEY),
  spec('zrank', -3, READ_FAST, ['read', 'sortedset', 'fast'], 'sorted-set', 'Returns the index of a member in a sorted set ordered by ascending scores.', '2.0.0', (ctx) => zrank(ctx, false), KEY),
  spec('zrevrank', -3, READ_FAST, ['read', 'sortedset', 'fast'], 'sorted-set', 'Returns the index of a member in a sorted set ordered by descending scores.', '2.0.0', (ctx) => zrank(ctx, true), KEY),
  spec('zrem', -3, WRITE_FAST, ['write', 'sortedset', 'fast'], 'sorted-set', 'Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.', '1.2.0', zrem, KEY),
  spec('zremrangebyscore', 4, ['write'], ['write', 'sortedset', 'slow'], 'sorted-set', 'Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.', '1.2.0', (ctx) => zremrange(ctx, false), KEY),
  spec('zremrangebyrank', 4, ['write'], ['write', 'sortedset', 'slow'], 'sorted-set', 'Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.', '2.0.0', (ctx) => zremrange(ctx, true), KEY),
];
