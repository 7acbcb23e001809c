// Differential tests for the keyspace: the same scripts of raw RESP commands run against a real
// redis-server and against ringcast, and the transcripts of reply bytes must be equal. Covers
// strings, lists, sorted sets, generic key commands, expiry (lazy and active), SELECT and the 16
// databases, INFO keyspace, CONFIG notify-keyspace-events and the notification frames, the
// backlog recipes, in RESP2 and RESP3. Runs in the vitest process; both servers are child
// processes started once for the file.
//
// Invariants: every test starts from an empty keyspace with notifications off on both servers
// (beforeEach: resetServer, which also waits for no subscription); only what legitimately varies is
// normalised, and each normalisation says why; waits are bounded sleeps of a few hundred ms, used
// only to let keys expire (no timing is asserted).
//
// Differences from redis-server 7.0.15 this file knows about (ringcast follows 7.2+):
//   1. Score text: 7.0 prints %.17g (0.1 -> 0.10000000000000001, 1e18 -> 1e+18); 7.2 prints the
//      shortest round-trip text (0.1) and integral values up to 2^62 as integers. Differential
//      scripts use scores both print alike (integers, halves, 123456.789, 1e+20, inf); the 7.2 forms
//      are asserted on ringcast alone.
//   2. ZRANK / ZREVRANK WITHSCORE exist in 7.2 only. Asserted on ringcast alone.
//   3. A RESP3 client subscribed to its own keyspace events: 7.2 sends the command's reply before
//      the pushes it causes; 7.0 sends SET's pushes first. Asserted on ringcast alone.
//   4. HELLO's version (7.2.4 vs 7.0.15): the HELLO 3 prologue lines are not compared.
// Not differences but not comparable byte for byte: KEYS and SCAN pages come in hash order in
// Redis and creation order in ringcast (compared as sorted lists; SCAN cursors are opaque and
// compared only as "iterated to 0"); INFO keyspace avg_ttl is an estimate (normalised).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { compareWithRedis, resetServer, runScript, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireTool, startRedis, type RedisHandle } from '../helpers/redis-server.js';

// Throws when CI=true and redis-server is missing (the file must fail there); warns and skips otherwise.
const hasRedis = requireTool('redis-server');

/** Long enough for a 100 ms expiry to pass and both servers' 100 ms active expire cycle to run. */
const EXPIRY_WAIT_MS = 400;
const SCAN_CALL_LIMIT = 1_000;

type Protocol = 2 | 3;

let redis: RedisHandle;
let broker: BrokerHandle;

/** One command on connection `conn`, reading one reply. */
const on = (conn: string, ...args: (string | Buffer)[]): Step => ({ conn, send: args, expect: 1 });
/** One command on connection `a`. */
const a = (...args: (string | Buffer)[]): Step => on('a', ...args);
/** Reads `count` replies (pushes) on connection `conn` without sending. */
const read = (conn: string, count: number): Step => ({ conn, expect: count });

/**
 * With protocol 3, prefixes each connection's first use with `HELLO 3`, listed in `prologue` so
 * its reply (which names the server version) is left out of the comparison.
 */
function withProtocol(protocol: Protocol, steps: Step[]): { steps: Step[]; prologue: Set<Step> } {
  const prologue = new Set<Step>();
  if (protocol === 2) return { steps, prologue };
  const open = new Set<string>();
  const out: Step[] = [];
  for (const step of steps) {
    if ('conn' in step && !open.has(step.conn) && !('close' in step)) {
      const hello: Step = { conn: step.conn, send: ['HELLO', '3'], expect: 1 };
      prologue.add(hello);
      out.push(hello);
      open.add(step.conn);
    }
    if ('conn' in step && 'close' in step) open.delete(step.conn);
    out.push(step);
  }
  return { steps: out, prologue };
}

/** The transcript without the lines of the prologue steps (each reading step wrote `expect` lines). */
function withoutPrologue(steps: Step[], prologue: Set<Step>, lines: string[]): string[] {
  const kept: string[] = [];
  let next = 0;
  for (const step of steps) {
    const count = 'expect' in step ? step.expect : 0;
    if (!prologue.has(step)) kept.push(...lines.slice(next, next + count));
    next += count;
  }
  return kept;
}

async function differential(protocol: Protocol, steps: Step[], normalize?: (line: string) => string): Promise<{ ours: string[]; theirs: string[] }> {
  const script = withProtocol(protocol, steps);
  const { ours, theirs } = await compareWithRedis(script.steps, broker.port, redis.port, normalize === undefined ? {} : { normalize });
  return {
    ours: withoutPrologue(script.steps, script.prologue, ours),
    theirs: withoutPrologue(script.steps, script.prologue, theirs),
  };
}

/** Runs the script on both servers, expects equal transcripts, returns ringcast's. */
async function expectSameAsRedis(protocol: Protocol, steps: Step[], normalize?: (line: string) => string): Promise<string[]> {
  const { ours, theirs } = await differential(protocol, steps, normalize);
  expect(ours).toEqual(theirs);
  return ours;
}

/** Runs the script on ringcast alone (for 7.2 behaviour the 7.0 reference does not have). */
async function ringcastOnly(protocol: Protocol, steps: Step[]): Promise<string[]> {
  const script = withProtocol(protocol, steps);
  return withoutPrologue(script.steps, script.prologue, await runScript(broker.port, script.steps));
}

/** An array reply of bulk strings with its items sorted: for KEYS, whose order is Redis's hash order. */
function sortBulkItems(line: string): string {
  const match = /^(\w+: "[*~]\d+\\r\\n)(.*)"$/.exec(line);
  if (match === null) return line;
  const items = match[2].split(/(?=\$\d+\\r\\n)/);
  return `${match[1]}${items.sort().join('')}"`;
}

/** INFO keyspace's avg_ttl is the active expire cycle's running estimate; the bulk length follows it. */
function normalizeAverageTtl(line: string): string {
  return line.replace(/avg_ttl=\d+/g, 'avg_ttl=N').replace(/^(\w+: ")([$=])\d+/, '$1$2L');
}

/** Long replies are compared by length and digest so a failure stays readable. */
function digestLongLine(line: string): string {
  return line.length <= 300 ? line : `${line.slice(0, 60)}... ${line.length} chars sha256=${createHash('sha256').update(line).digest('hex')}`;
}

/** Iterates SCAN with `options` until the cursor comes back 0; returns the keys, sorted. */
async function scanAll(port: number, db: number, options: string[]): Promise<string[]> {
  const client = await RawClient.connect(port);
  try {
    await client.command('SELECT', String(db));
    const keys: string[] = [];
    let cursor = '0';
    for (let calls = 0; calls < SCAN_CALL_LIMIT; calls++) {
      const reply = (await client.command('SCAN', cursor, ...options)).toString('latin1');
      const match = /^\*2\r\n\$\d+\r\n(\d+)\r\n\*\d+\r\n(.*)$/s.exec(reply);
      if (match === null) throw new Error(`unexpected SCAN reply ${JSON.stringify(reply)}`);
      cursor = match[1];
      for (const item of match[2].matchAll(/\$\d+\r\n(.*?)\r\n/gs)) keys.push(item[1]);
      if (cursor === '0') return keys.sort();
    }
    throw new Error(`SCAN did not finish within ${SCAN_CALL_LIMIT} calls`);
  } finally {
    client.close();
  }
}

describe.skipIf(!hasRedis)('keyspace commands against redis-server, byte for byte', () => {
  beforeAll(async () => {
    [redis, broker] = await Promise.all([startRedis().then((handle) => handle!), startBroker()]);
  });

  afterAll(async () => {
    await Promise.all([redis?.stop(), broker?.stop()]);
  });

  beforeEach(async () => {
    await Promise.all([resetServer(broker.port), resetServer(redis.port)]);
  });

  describe.each([{ protocol: 2 as Protocol }, { protocol: 3 as Protocol }])('RESP$protocol', ({ protocol }) => {
    describe('strings', () => {
      it('GET and SET round-trip any bytes, and GET of a missing key is null', async () => {
        const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await expectSameAsRedis(protocol, [
          a('GET', 'nokey'), a('SET', 'k', binary), a('GET', 'k'), a('SET', binary, ''), a('GET', binary), a('SET', '', 'empty key'), a('GET', ''),
        ]);
      });

      it('SET NX, XX, GET and KEEPTTL behave and combine as in Redis', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 'k', 'v1', 'XX'), a('SET', 'k', 'v1', 'NX'), a('SET', 'k', 'v2', 'NX'), a('SET', 'k', 'v2', 'XX', 'GET'),
          a('SET', 'k', 'v3', 'NX', 'GET'), a('SET', 'new', 'v', 'GET'), a('SET', 'k', 'v4', 'EX', '100'), a('SET', 'k', 'v5', 'KEEPTTL'),
          a('TTL', 'k'), a('SET', 'k', 'v6'), a('TTL', 'k'), a('SET', 'k', 'v7', 'nx', 'nx'), a('SET', 'k', 'v8', 'ex', '10', 'ex', '20'), a('TTL', 'k'),
          a('GET', 'k'),
        ]);
      });

      it('SET refuses bad options and expire times with Redis errors', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 'k', 'v', 'NX', 'XX'), a('SET', 'k', 'v', 'EX', '10', 'PX', '10'), a('SET', 'k', 'v', 'KEEPTTL', 'EX', '10'),
          a('SET', 'k', 'v', 'EX'), a('SET', 'k', 'v', 'FOO'), a('SET', 'k', 'v', 'EX', '0'), a('SET', 'k', 'v', 'PX', '-1'),
          a('SET', 'k', 'v', 'EX', 'ten'), a('SET', 'k', 'v', 'EX', '9223372036854775807'), a('SET', 'k', 'v', 'EX', '9223372036854775'),
          a('SET', 'k', 'v', 'PX', '9223372036854775807'), a('SET', 'k', 'v', 'EXAT', '1.5'), a('SET', 'k'), a('EXISTS', 'k'),
        ]);
      });

      it('SETEX and PSETEX set a value with a TTL over any type, announce set then expire, and refuse bad times', async () => {
        await expectSameAsRedis(protocol, [
          on('sub', 'PSUBSCRIBE', '__key*__:*'), a('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'),
          a('SETEX', 'k', '100', 'v'), read('sub', 4), a('TTL', 'k'), a('GET', 'k'), a('RPUSH', 'l', 'x'), read('sub', 2),
          a('PSETEX', 'l', '100000', 'w'), read('sub', 4), a('TTL', 'l'), a('TYPE', 'l'), a('GET', 'l'),
          a('SETEX', 'k', '0', 'v'), a('SETEX', 'k', '-1', 'v'), a('PSETEX', 'k', '0', 'v'), a('SETEX', 'k', 'ten', 'v'),
          a('SETEX', 'k', '9223372036854775807', 'v'), a('PSETEX', 'k', '9223372036854775807', 'v'), a('SETEX', 'k', '10'), a('psetex', 'k', '1', 'v', 'x'),
          a('GET', 'k'), a('TTL', 'k'), on('sub', 'PING'),
        ]);
      });

      it('MSET, MSETNX and MGET: pairs, TTLs dropped, all-or-nothing NX, nulls for other types, one set event per key', async () => {
        await expectSameAsRedis(protocol, [
          on('sub', 'PSUBSCRIBE', '__key*__:*'), a('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'),
          a('SET', 'a', 'old', 'EX', '100'), read('sub', 4), a('MSET', 'a', '1', 'b', '2', 'a', '3'), read('sub', 6), a('TTL', 'a'),
          a('RPUSH', 'l', 'x'), read('sub', 2), a('MGET', 'a', 'b', 'l', 'missing'), a('MGET', 'b'),
          a('MSETNX', 'c', '1', 'b', '9'), a('MGET', 'b', 'c'), a('MSETNX', 'c', '1', 'd', '2'), read('sub', 4), a('MGET', 'c', 'd'),
          a('MSET', 'a'), a('MSET', 'a', '1', 'b'), a('MSETNX', 'a', '1', 'b'), a('MGET'), a('mset', 'l', 'string now'), read('sub', 2), a('TYPE', 'l'),
          on('sub', 'PING'),
        ]);
      });

      it('MSET inside MULTI dirties a WATCH on any of its keys', async () => {
        await expectSameAsRedis(protocol, [
          a('WATCH', 'y'), on('b', 'MSET', 'x', '1', 'y', '2'), a('MULTI'), a('GET', 'y'), a('EXEC'), a('MGET', 'x', 'y'),
        ]);
      });

      it('INCR, DECR, INCRBY and DECRBY count in 64 bits, keep the TTL, and refuse non-integers and overflow', async () => {
        await expectSameAsRedis(protocol, [
          a('INCR', 'n'), a('INCRBY', 'n', '41'), a('DECR', 'n'), a('DECRBY', 'n', '-10'), a('GET', 'n'), a('EXPIRE', 'n', '100'), a('INCR', 'n'), a('TTL', 'n'),
          a('SET', 'n', '9223372036854775806'), a('INCR', 'n'), a('INCR', 'n'), a('SET', 'n', '-9223372036854775808'), a('DECR', 'n'),
          a('DECRBY', 'n', '-9223372036854775808'), a('INCRBY', 'n', 'x'), a('INCRBY', 'n', '9223372036854775808'),
          a('SET', 'n', '00'), a('INCR', 'n'), a('SET', 'n', '+1'), a('INCR', 'n'), a('SET', 'n', ' 1'), a('INCR', 'n'), a('SET', 'n', '1.5'), a('INCR', 'n'),
          a('SET', 'n', '12345678901234567890'), a('INCR', 'n'), a('SET', 'n', '-0'), a('INCR', 'n'),
        ]);
      });

      it('string commands on other types answer WRONGTYPE, and SET replaces any type', async () => {
        await expectSameAsRedis(protocol, [
          a('RPUSH', 'l', 'x'), a('GET', 'l'), a('INCR', 'l'), a('SET', 'l', 'v', 'GET'), a('TYPE', 'l'), a('SET', 'l', 'v'), a('TYPE', 'l'), a('GET', 'l'),
        ]);
      });
    });

    describe('lists', () => {
      it('LPUSH, RPUSH and LRANGE with negative indexes, clamping and empty ranges', async () => {
        await expectSameAsRedis(protocol, [
          a('RPUSH', 'l', 'c', 'd', 'e'), a('LPUSH', 'l', 'b', 'a'), a('LRANGE', 'l', '0', '-1'), a('LRANGE', 'l', '-2', '-1'),
          a('LRANGE', 'l', '-100', '100'), a('LRANGE', 'l', '3', '1'), a('LRANGE', 'l', '5', '10'), a('LRANGE', 'l', '-1', '-5'),
          a('LRANGE', 'l', '0', '9223372036854775807'), a('LRANGE', 'l', 'x', '1'), a('LRANGE', 'l', '0', '1.5'), a('LRANGE', 'nokey', '0', '-1'),
        ]);
      });

      it('LPOP and RPOP with and without a count, zero, negative and missing keys', async () => {
        await expectSameAsRedis(protocol, [
          a('RPUSH', 'l', '1', '2', '3', '4', '5'), a('LPOP', 'l'), a('RPOP', 'l'), a('LPOP', 'l', '0'), a('LPOP', 'l', '-1'), a('LPOP', 'l', 'x'),
          a('RPOP', 'l', '2'), a('LPOP', 'l', '10'), a('EXISTS', 'l'), a('LPOP', 'l'), a('LPOP', 'l', '2'), a('RPOP', 'l', '0'), a('LPOP', 'l', '1', '2'),
        ]);
      });

      it('LINDEX, LLEN, LPUSHX and RPUSHX', async () => {
        await expectSameAsRedis(protocol, [
          a('LPUSHX', 'l', 'a'), a('RPUSHX', 'l', 'a'), a('EXISTS', 'l'), a('RPUSH', 'l', 'a', 'b', 'c'), a('LPUSHX', 'l', 'x', 'y'), a('RPUSHX', 'l', 'z'),
          a('LLEN', 'l'), a('LINDEX', 'l', '0'), a('LINDEX', 'l', '-1'), a('LINDEX', 'l', '-6'), a('LINDEX', 'l', '-7'), a('LINDEX', 'l', '6'),
          a('LINDEX', 'l', 'x'), a('LINDEX', 'nokey', 'x'), a('LLEN', 'nokey'),
        ]);
      });

      it('LTRIM keeps a window and deletes the list when the window is empty', async () => {
        await expectSameAsRedis(protocol, [
          a('RPUSH', 'l', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), a('LTRIM', 'l', '1', '-2'), a('LRANGE', 'l', '0', '-1'),
          a('LTRIM', 'l', '-3', '100'), a('LRANGE', 'l', '0', '-1'), a('LTRIM', 'l', '0', '-1'), a('LTRIM', 'l', 'x', '1'),
          a('LTRIM', 'l', '2', '1'), a('EXISTS', 'l'), a('LTRIM', 'nokey', '0', '1'),
        ]);
      });

      it('LREM from the head, from the tail and everywhere', async () => {
        await expectSameAsRedis(protocol, [
          a('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b'), a('LREM', 'l', '2', 'a'), a('LRANGE', 'l', '0', '-1'), a('LREM', 'l', '-1', 'b'),
          a('LRANGE', 'l', '0', '-1'), a('LREM', 'l', '0', 'zz'), a('LREM', 'l', 'x', 'a'), a('LREM', 'nokey', '0', 'a'), a('LREM', 'l', '0', 'a'),
          a('LREM', 'l', '0', 'b'), a('LREM', 'l', '0', 'c'), a('EXISTS', 'l'),
        ]);
      });

      it('list commands on other types answer WRONGTYPE', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 's', 'v'), a('LPUSH', 's', 'x'), a('RPUSHX', 's', 'x'), a('LPOP', 's'), a('RPOP', 's', '2'), a('LRANGE', 's', '0', '-1'),
          a('LLEN', 's'), a('LINDEX', 's', '0'), a('LTRIM', 's', '0', '1'), a('LREM', 's', '0', 'x'), a('LPOP', 's', '0'),
        ]);
      });

      it('the backlog recipe: LPUSH + LTRIM 0 99 per message, LRANGE 0 49 for the latest', async () => {
        const steps: Step[] = [];
        for (let i = 0; i < 150; i++) steps.push(a('LPUSH', 'backlog:room', `message ${i}`), a('LTRIM', 'backlog:room', '0', '99'));
        steps.push(a('LLEN', 'backlog:room'), a('LRANGE', 'backlog:room', '0', '49'), a('LINDEX', 'backlog:room', '-1'));
        await expectSameAsRedis(protocol, steps);
      });

      it('a 5000-element list replies in full and pops in order', async () => {
        const elements = Array.from({ length: 5000 }, (_, i) => `element-${i}`);
        await expectSameAsRedis(protocol, [
          a('RPUSH', 'big', ...elements), a('LRANGE', 'big', '0', '-1'), a('LRANGE', 'big', '2500', '2510'), a('LPOP', 'big', '100'), a('RPOP', 'big', '3'), a('LLEN', 'big'),
        ], digestLongLine);
      });
    });

    describe('sorted sets', () => {
      it('ZADD options NX, XX, GT, LT, CH and INCR, and their conflicts', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', 'XX', '1', 'a'), a('ZADD', 'z', '1', 'a', '2', 'b'), a('ZADD', 'z', 'NX', '5', 'a', '3', 'c'), a('ZADD', 'z', 'XX', 'CH', '5', 'a', '4', 'd'),
          a('ZADD', 'z', 'GT', 'CH', '1', 'a', '9', 'b'), a('ZADD', 'z', 'LT', 'CH', '0', 'a', '10', 'b', '7', 'e'), a('ZADD', 'z', 'CH', '1', 'a', '1', 'a'),
          a('ZADD', 'z', 'INCR', '2.5', 'a'), a('ZADD', 'z', 'NX', 'INCR', '1', 'a'), a('ZADD', 'z', 'XX', 'INCR', '1', 'nope'), a('ZADD', 'z', 'GT', 'INCR', '-1', 'a'),
          a('ZADD', 'z', 'NX', 'XX', '1', 'a'), a('ZADD', 'z', 'GT', 'LT', '1', 'a'), a('ZADD', 'z', 'NX', 'GT', '1', 'a'), a('ZADD', 'z', 'INCR', '1', 'a', '2', 'b'),
          a('ZADD', 'z', '1', 'a', '2'), a('ZADD', 'z', 'nx'), a('ZADD', 'z', 'x', 'a'), a('ZADD', 'z', 'nan', 'a'), a('ZADD', 'z', '1', 'a', 'x', 'b'),
          a('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), a('ZADD', 'xz', 'XX', '1', 'a'), a('EXISTS', 'xz'),
        ]);
      });

      it('scores parse like strtod: signs, exponents, hex, inf spellings; overflow, NaN and spaces are refused', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', '+1.5', 'a', '.5', 'b', '5.', 'c', '00002', 'd', '1e1', 'e', '0x10', 'f', '0x1.8p1', 'g', 'infinity', 'h', '-INF', 'i', '+inf', 'j'),
          a('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), a('ZADD', 'z', ' 1', 'x'), a('ZADD', 'z', '1 ', 'x'), a('ZADD', 'z', '1e400', 'x'), a('ZADD', 'z', '1e-400', 'x'),
          a('ZADD', 'z', '', 'x'), a('ZADD', 'z', '1e', 'x'), a('ZADD', 'z', '0x', 'x'), a('ZADD', 'z', '-nan', 'x'), a('ZINCRBY', 'z', 'x', 'a'),
          a('ZADD', 'z', 'INCR', 'inf', 'i'), a('ZINCRBY', 'z', '+inf', 'i'), a('ZSCORE', 'z', 'i'),
        ]);
      });

      it('scores both versions print alike: integers, halves, exact decimals, 1e+20 and infinities', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', '1', 'a', '-2', 'b', '1.5', 'c', '0.25', 'd', '123456.789', 'e', '1e20', 'f', 'inf', 'g', '-inf', 'h', '1700000000000.5', 'i', '-0', 'j'),
          a('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), a('ZSCORE', 'z', 'c'), a('ZSCORE', 'z', 'f'), a('ZSCORE', 'z', 'j'), a('ZSCORE', 'z', 'nope'),
          a('ZINCRBY', 'z', '0.5', 'c'), a('ZINCRBY', 'z', '-0', 'new'), a('ZSCORE', 'nokey', 'a'),
        ]);
      });

      it('ZRANGE by rank, BYSCORE, BYLEX, REV, LIMIT and WITHSCORES', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), a('ZRANGE', 'z', '0', '-1'), a('ZRANGE', 'z', '-2', '-1', 'WITHSCORES'),
          a('ZRANGE', 'z', '0', '-1', 'REV'), a('ZRANGE', 'z', '-100', '1'), a('ZRANGE', 'z', '2', '1'), a('ZRANGE', 'z', '-1', '-100'),
          a('ZRANGE', 'z', '1', '3', 'BYSCORE'), a('ZRANGE', 'z', '(1', '3', 'BYSCORE', 'LIMIT', '1', '1'), a('ZRANGE', 'z', '3', '1', 'BYSCORE', 'REV', 'WITHSCORES'),
          a('ZRANGE', 'z', '1', '5', 'BYSCORE', 'REV'), a('ZRANGE', 'z', '[a', '[c', 'BYLEX'), a('ZRANGE', 'z', '-', '+', 'BYLEX', 'LIMIT', '1', '2'),
          a('ZRANGE', 'z', '+', '-', 'BYLEX', 'REV'), a('ZRANGE', 'z', '0', '-1', 'WITHSCORES', 'WITHSCORES'), a('ZRANGE', 'z', '0', '5', 'BYSCORE', 'LIMIT', '-1', '2'),
          a('ZRANGE', 'z', '0', '5', 'BYSCORE', 'LIMIT', '1', '-5'), a('ZRANGE', 'z', '0', '5', 'BYSCORE', 'LIMIT', '5', '1'), a('ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '-1'),
          a('ZREVRANGE', 'z', '0', '1', 'WITHSCORES'), a('ZRANGEBYLEX', 'z', '(a', '(a'), a('ZRANGEBYLEX', 'z', '[b', '[a'), a('ZREVRANGEBYLEX', 'z', '[c', '-', 'LIMIT', '0', '2'),
          a('ZRANGE', 'nokey', '0', '-1', 'WITHSCORES'),
        ]);
      });

      it('ZRANGE option and range errors come in Redis order', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', '1', 'a'), a('ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'), a('ZRANGE', 'z', '0', '-1', 'BYSCORE', 'BYLEX'),
          a('ZRANGE', 'z', '[a', '[c', 'BYLEX', 'WITHSCORES'), a('ZRANGE', 'z', 'a', 'c', 'BYLEX'), a('ZRANGE', 'z', '0', '-1', 'FOO'),
          a('ZRANGE', 'z', '0', '-1', 'LIMIT'), a('ZRANGE', 'z', '0', '-1', 'BYSCORE', 'LIMIT', '0'), a('ZRANGE', 'z', '0', '-1', 'BYSCORE', 'LIMIT', 'x', '1'),
          a('ZRANGE', 'z', 'x', '1'), a('ZRANGE', 'z', '1', 'x', 'BYSCORE'), a('ZRANGE', 'nokey', 'x', '1', 'BYSCORE'), a('ZREVRANGE', 'z', '0', '1', 'REV'),
          a('ZRANGEBYSCORE', 'z', '1', '5', 'REV'), a('ZRANGEBYSCORE', 'z', '1', '5', 'LIMIT', '1'), a('ZRANGEBYLEX', 'z', '', '+'), a('ZRANGEBYLEX', 'z', '-x', '+'),
          a('SET', 's', 'v'), a('ZRANGE', 's', '0', '-1'), a('ZRANGE', 's', 'x', '-1'),
        ]);
      });

      it('ZRANGEBYSCORE and ZREVRANGEBYSCORE: exclusive bounds, infinities, LIMIT, and strtod bounds', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), a('ZRANGEBYSCORE', 'z', '-inf', '+inf'), a('ZRANGEBYSCORE', 'z', '(1', '(5'),
          a('ZRANGEBYSCORE', 'z', '(1', '(1'), a('ZRANGEBYSCORE', 'z', '3', '3'), a('ZRANGEBYSCORE', 'z', '(3', '3'), a('ZRANGEBYSCORE', 'z', '5', '1'),
          a('ZRANGEBYSCORE', 'z', '1', '5', 'LIMIT', '1', '2', 'WITHSCORES'), a('ZRANGEBYSCORE', 'z', '1', '5', 'WITHSCORES', 'LIMIT', '1', '2'),
          a('ZREVRANGEBYSCORE', 'z', '5', '(1', 'WITHSCORES'), a('ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '2', '2'), a('ZREVRANGEBYSCORE', 'z', '1', '5'),
          a('ZRANGEBYSCORE', 'z', ' 2', '(1e400'), a('ZRANGEBYSCORE', 'z', '', '2'), a('ZRANGEBYSCORE', 'z', '(', '2'), a('ZRANGEBYSCORE', 'z', '0x2', 'inf'),
          a('ZRANGEBYSCORE', 'z', '1e', '2'), a('ZRANGEBYSCORE', 'z', '(nan', '2'), a('ZRANGEBYSCORE', 'z', '1 ', '2'), a('ZRANGEBYSCORE', 'z', 'x', '2'),
        ]);
      });

      it('ZCOUNT, ZCARD, ZSCORE, ZRANK, ZREVRANK and ZREM', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'), a('ZCOUNT', 'z', '-inf', '+inf'), a('ZCOUNT', 'z', '(1', '(4'), a('ZCOUNT', 'z', '4', '1'),
          a('ZCOUNT', 'z', 'x', '1'), a('ZCOUNT', 'nokey', '1', '2'), a('ZCARD', 'z'), a('ZCARD', 'nokey'), a('ZRANK', 'z', 'a'), a('ZRANK', 'z', 'd'),
          a('ZREVRANK', 'z', 'a'), a('ZRANK', 'z', 'nope'), a('ZRANK', 'nokey', 'a'), a('ZREM', 'z', 'a', 'nope', 'a'), a('ZREM', 'z', 'b', 'c', 'd', 'e'),
          a('EXISTS', 'z'), a('ZREM', 'nokey', 'a'), a('ZREM', 'z'),
        ]);
      });

      it('ZREMRANGEBYSCORE and ZREMRANGEBYRANK, down to an empty (deleted) set', async () => {
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f'), a('ZREMRANGEBYSCORE', 'z', '(1', '2'), a('ZREMRANGEBYSCORE', 'z', '10', '20'),
          a('ZREMRANGEBYRANK', 'z', '-1', '-1'), a('ZREMRANGEBYRANK', 'z', '5', '10'), a('ZREMRANGEBYRANK', 'z', '2', '1'), a('ZRANGE', 'z', '0', '-1'),
          a('ZREMRANGEBYSCORE', 'z', 'x', '2'), a('ZREMRANGEBYRANK', 'z', '0', 'x'), a('ZREMRANGEBYSCORE', 'nokey', 'x', '2'), a('ZREMRANGEBYRANK', 'nokey', '0', '1'),
          a('ZREMRANGEBYRANK', 'z', '0', '-1'), a('EXISTS', 'z'),
        ]);
      });

      it('ZINCRBY creates, increments, refuses NaN, and treats option words as options', async () => {
        await expectSameAsRedis(protocol, [
          a('ZINCRBY', 'z', '1', 'a'), a('ZINCRBY', 'z', '2.5', 'a'), a('ZINCRBY', 'z', '-inf', 'a'), a('ZINCRBY', 'z', 'inf', 'a'), a('ZINCRBY', 'z', 'nan', 'a'),
          a('ZINCRBY', 'z', 'nx', 'a'), a('ZINCRBY', 'z', '1'), a('ZSCORE', 'z', 'a'),
        ]);
      });

      it('sorted-set commands on other types answer WRONGTYPE', async () => {
        await expectSameAsRedis(protocol, [
          a('RPUSH', 'l', 'x'), a('ZADD', 'l', '1', 'a'), a('ZINCRBY', 'l', '1', 'a'), a('ZSCORE', 'l', 'a'), a('ZCARD', 'l'), a('ZCOUNT', 'l', '0', '1'),
          a('ZRANK', 'l', 'a'), a('ZREM', 'l', 'a'), a('ZRANGEBYSCORE', 'l', '0', '1'), a('ZREMRANGEBYRANK', 'l', '0', '1'), a('ZRANGE', 'l', '0', '1'),
        ]);
      });

      it('a 300-member set (a skip list in Redis) agrees on ranges, ranks and removals', async () => {
        const pairs: string[] = [];
        for (let i = 0; i < 300; i++) pairs.push(String((i * 37) % 101), `member:${String(i).padStart(3, '0')}`);
        await expectSameAsRedis(protocol, [
          a('ZADD', 'z', ...pairs), a('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), a('ZRANGE', 'z', '100', '110', 'REV'), a('ZRANK', 'z', 'member:150'),
          a('ZREVRANK', 'z', 'member:150'), a('ZCOUNT', 'z', '(10', '50'), a('ZRANGEBYSCORE', 'z', '20', '22', 'WITHSCORES'), a('ZREMRANGEBYRANK', 'z', '10', '19'),
          a('ZREMRANGEBYSCORE', 'z', '90', '+inf'), a('ZCARD', 'z'), a('ZRANGE', 'z', '0', '-1'),
        ], digestLongLine);
      });

      it('the backlog recipe: ZADD by timestamp, ZRANGEBYSCORE windows, ZREMRANGEBYSCORE to cut old entries', async () => {
        const base = 1_700_000_000_000;
        const steps: Step[] = [];
        for (let i = 0; i < 60; i++) steps.push(a('ZADD', 'backlog:z', String(base + i * 1000), `event-${i}`));
        steps.push(
          a('ZRANGEBYSCORE', 'backlog:z', String(base + 10_000), String(base + 20_000), 'WITHSCORES'),
          a('ZRANGEBYSCORE', 'backlog:z', `(${base + 50_000}`, '+inf', 'LIMIT', '0', '5'),
          a('ZREVRANGEBYSCORE', 'backlog:z', '+inf', '-inf', 'LIMIT', '0', '3', 'WITHSCORES'),
          a('ZRANGE', 'backlog:z', String(base + 30_000), String(base + 31_500), 'BYSCORE'),
          a('ZREMRANGEBYSCORE', 'backlog:z', '-inf', `(${base + 30_000}`), a('ZCARD', 'backlog:z'), a('ZRANGE', 'backlog:z', '0', '0', 'WITHSCORES'),
        );
        await expectSameAsRedis(protocol, steps);
      });
    });

    describe('keys and expiry', () => {
      it('DEL, UNLINK, EXISTS and TYPE over several keys', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 's', 'v'), a('RPUSH', 'l', 'x'), a('ZADD', 'z', '1', 'm'), a('EXISTS', 's', 's', 'l', 'z', 'nokey'), a('TYPE', 's'), a('TYPE', 'l'),
          a('TYPE', 'z'), a('TYPE', 'nokey'), a('DEL', 's', 's', 'nokey'), a('UNLINK', 'l', 'z'), a('DEL', 'nokey'), a('EXISTS', 's', 'l', 'z'), a('DBSIZE'),
        ]);
      });

      it('EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with NX, XX, GT and LT', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 'k', 'v'), a('EXPIRE', 'k', '100', 'XX'), a('EXPIRE', 'k', '100', 'GT'), a('EXPIRE', 'k', '100', 'LT'), a('TTL', 'k'),
          a('EXPIRE', 'k', '200', 'NX'), a('EXPIRE', 'k', '200', 'XX'), a('EXPIRE', 'k', '50', 'GT'), a('EXPIRE', 'k', '50', 'lt'), a('TTL', 'k'),
          a('PEXPIRE', 'k', '100200'), a('TTL', 'k'), a('PEXPIRE', 'k', '100800'), a('TTL', 'k'), a('PEXPIREAT', 'k', '4102444800700'),
          a('PEXPIRETIME', 'k'), a('EXPIRETIME', 'k'), a('EXPIREAT', 'k', '4102444800'), a('EXPIRETIME', 'k'), a('PERSIST', 'k'), a('PERSIST', 'k'),
          a('TTL', 'k'), a('PTTL', 'k'), a('EXPIRETIME', 'k'), a('TTL', 'nokey'), a('PTTL', 'nokey'), a('PEXPIRETIME', 'nokey'), a('EXPIRE', 'nokey', '10'),
          a('PERSIST', 'nokey'),
        ]);
      });

      it('EXPIRE errors: options, integers and times that overflow', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 'k', 'v'), a('EXPIRE', 'k', '50', 'NX', 'XX'), a('EXPIRE', 'k', '50', 'GT', 'LT'), a('EXPIRE', 'k', '50', 'NX', 'GT'), a('EXPIRE', 'k', '50', 'FOO'),
          a('EXPIRE', 'k', 'x', 'FOO'), a('EXPIRE', 'k', 'x'), a('EXPIRE', 'k', '9223372036854775807'), a('EXPIRE', 'k', '9223372036854774'),
          a('PEXPIRE', 'k', '9223372036854775807'), a('EXPIREAT', 'k', '9223372036854775807'), a('EXPIRE', 'k', '9223372036854775808'), a('EXPIRE', 'k'),
          a('TTL', 'k'),
        ]);
      });

      it('an expiry in the past deletes the key at once', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 'a', 'v'), a('EXPIRE', 'a', '0'), a('SET', 'b', 'v'), a('EXPIRE', 'b', '-5'), a('SET', 'c', 'v'), a('EXPIREAT', 'c', '1'),
          a('SET', 'd', 'v'), a('PEXPIRE', 'd', '-9223372036854775808'), a('EXISTS', 'a', 'b', 'c', 'd'), a('DBSIZE'),
        ]);
      });

      it('keys expire: reads see them gone, and the active cycle removes keys nobody reads', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 'read-me', 'v', 'PX', '100'), a('RPUSH', 'unread-list', 'x'), a('PEXPIRE', 'unread-list', '100'), a('ZADD', 'unread-zset', '1', 'm'),
          a('PEXPIRE', 'unread-zset', '100'), a('SET', 'stays', 'v', 'EX', '1000'), a('SET', 'at', 'v', 'PXAT', '1'), a('DBSIZE'),
          { sleepMs: EXPIRY_WAIT_MS },
          a('DBSIZE'), a('GET', 'read-me'), a('TTL', 'read-me'), a('EXISTS', 'at'), a('KEYS', '*'), a('TTL', 'stays'),
        ]);
      });

      it('KEYS matches glob patterns on key bytes (sorted: Redis answers in hash order)', async () => {
        const keys = ['user:1', 'user:2', 'user:10', 'admin', 'h?llo', 'hello', 'hallo', 'hxllo', 'a*b', '', Buffer.from([0xff, 0x00]).toString('latin1')];
        const steps: Step[] = keys.map((k) => a('SET', Buffer.from(k, 'latin1'), 'v'));
        for (const pattern of ['*', 'user:*', 'user:?', 'h[ae]llo', 'h[^e]llo', 'h\\?llo', 'a\\*b', '', '*\x00', 'nomatch*']) steps.push(a('KEYS', Buffer.from(pattern, 'latin1')));
        const { ours, theirs } = await differential(protocol, steps);
        expect(ours.map(sortBulkItems)).toEqual(theirs.map(sortBulkItems));
      });

      it('SCAN with MATCH, COUNT and TYPE returns the same keys as Redis once iterated to cursor 0', async () => {
        const setup: Step[] = [];
        for (let i = 0; i < 120; i++) setup.push(a('SET', `key:${i}`, 'v'));
        for (let i = 0; i < 30; i++) setup.push(a('RPUSH', `list:${i}`, 'x'));
        setup.push(a('ZADD', 'zset:0', '1', 'm'));
        await expectSameAsRedis(protocol, setup);
        for (const options of [[], ['COUNT', '7'], ['MATCH', 'key:1*'], ['MATCH', 'key:1*', 'COUNT', '1000'], ['TYPE', 'list'], ['TYPE', 'ZSET'], ['TYPE', 'nosuchtype'], ['MATCH', 'list:*', 'TYPE', 'string']]) {
          const [ours, theirs] = await Promise.all([scanAll(broker.port, 0, options), scanAll(redis.port, 0, options)]);
          expect(ours, `SCAN ${options.join(' ')}`).toEqual(theirs);
        }
        expect(await scanAll(broker.port, 0, ['MATCH', 'key:1?'])).toHaveLength(10);
      });

      it('SCAN errors: bad cursor, COUNT and options', async () => {
        await expectSameAsRedis(protocol, [
          a('SCAN', 'x'), a('SCAN', '18446744073709551616'), a('SCAN', '+'), a('SCAN', '0', 'COUNT', '0'), a('SCAN', '0', 'COUNT', 'x'), a('SCAN', '0', 'MATCH'),
          a('SCAN', '0', 'FOO', 'bar'), a('SCAN', '0', 'TYPE'), a('SCAN', '0'), a('SCAN', ''), a('SCAN', '+0'),
        ]);
      });

      it('16 databases: SELECT isolates keys, DBSIZE and FLUSHDB are per database, FLUSHALL empties all', async () => {
        await expectSameAsRedis(protocol, [
          a('SET', 'k', 'db0'), a('SELECT', '3'), a('GET', 'k'), a('SET', 'k', 'db3'), a('RPUSH', 'l', 'x'), a('DBSIZE'), a('SELECT', '15'), a('SET', 'k', 'db15'),
          a('SELECT', '16'), a('SELECT', '-1'), a('SELECT', '0'), a('GET', 'k'), a('DBSIZE'), a('SELECT', '3'), a('FLUSHDB'), a('DBSIZE'), a('SELECT', '15'),
          a('GET', 'k'), a('FLUSHDB', 'ASYNC'), a('FLUSHDB', 'x'), a('FLUSHALL', 'SYNC', 'x'), a('SELECT', '0'), a('GET', 'k'), a('FLUSHALL'), a('DBSIZE'),
          on('b', 'GET', 'k'),
        ]);
      });

      it('INFO keyspace lists the non-empty databases with Redis field names', async () => {
        await expectSameAsRedis(protocol, [
          a('INFO', 'keyspace'), a('SET', 'a', '1'), a('SET', 'b', '1', 'EX', '100'), a('SELECT', '5'), a('RPUSH', 'l', 'x'), a('INFO', 'keyspace'),
          a('FLUSHDB'), a('INFO', 'keyspace'),
        ], normalizeAverageTtl);
      });

      it('keyspace commands are refused in RESP2 subscribed mode and allowed in RESP3', async () => {
        await expectSameAsRedis(protocol, [a('SUBSCRIBE', 'ch'), a('SET', 'k', 'v'), a('GET', 'k'), a('UNSUBSCRIBE', 'ch'), a('GET', 'k')]);
      });
    });

    describe('keyspace notifications', () => {
      const subscribe = (conn: string): Step => on(conn, 'PSUBSCRIBE', '__key*__:*');
      const events = (setting: string): Step => a('CONFIG', 'SET', 'notify-keyspace-events', setting);

      it('CONFIG SET notify-keyspace-events parses and re-prints the flag letters as Redis does', async () => {
        const steps: Step[] = [];
        for (const setting of ['KEA', 'AKEmn', 'g$lshzxetdKEmn', 'gl', 'Elg$', 'AKEAA', 'Kx', '']) steps.push(events(setting), a('CONFIG', 'GET', 'notify-keyspace-events'));
        steps.push(events('Kq'), events('kea'), a('CONFIG', 'GET', 'notify-keyspace-events'));
        await expectSameAsRedis(protocol, steps);
      });

      it('KEA: every write of every command here publishes __keyspace and __keyevent frames in order', async () => {
        await expectSameAsRedis(protocol, [
          subscribe('sub'), events('KEA'),
          a('SET', 'k', 'v'), read('sub', 2), a('SET', 'k', 'v2', 'EX', '100'), read('sub', 4), a('SET', 'k', 'v3', 'NX'), a('SET', 'k', 'v4', 'GET'), read('sub', 2),
          a('INCR', 'n'), read('sub', 2), a('LPUSH', 'l', 'x', 'y'), read('sub', 2), a('RPUSH', 'l', 'z'), read('sub', 2), a('LPOP', 'l'), read('sub', 2),
          a('LTRIM', 'l', '0', '-1'), read('sub', 2), a('LREM', 'l', '0', 'nope'), a('LREM', 'l', '0', 'x'), read('sub', 2), a('RPOP', 'l', '5'), read('sub', 4),
          a('ZADD', 'z', '1', 'm', '2', 'n'), read('sub', 2), a('ZADD', 'z', '1', 'm'), a('ZINCRBY', 'z', '2', 'm'), read('sub', 2), a('ZADD', 'z', 'INCR', '1', 'm'), read('sub', 2),
          a('ZREM', 'z', 'm'), read('sub', 2), a('ZADD', 'z', '5', 'o'), read('sub', 2), a('ZREMRANGEBYRANK', 'z', '0', '0'), read('sub', 2),
          a('ZREMRANGEBYSCORE', 'z', '-inf', '+inf'), read('sub', 4), a('EXPIRE', 'n', '100'), read('sub', 2), a('PERSIST', 'n'), read('sub', 2),
          a('PEXPIREAT', 'n', '1'), read('sub', 2), a('SET', 'a', '1'), a('SET', 'b', '2'), read('sub', 4), a('DEL', 'a', 'b', 'nokey'), read('sub', 4),
          a('GET', 'nokey'), a('SET', 'e', 'v', 'PX', '100'), read('sub', 4), { sleepMs: EXPIRY_WAIT_MS }, read('sub', 2), a('GET', 'e'), a('PING'),
        ]);
      });

      it('n and m add new-key and key-miss events; database numbers appear in the channel names', async () => {
        await expectSameAsRedis(protocol, [
          subscribe('sub'), events('KEAnm'), a('SELECT', '7'),
          a('SET', 'k', 'v'), read('sub', 4), a('GET', 'nokey'), read('sub', 2), a('LRANGE', 'nolist', '0', '-1'), read('sub', 2), a('EXISTS', 'k', 'nokey'), read('sub', 2),
          a('TYPE', 'nokey'), read('sub', 2), a('TTL', 'nokey'), read('sub', 2), a('ZSCORE', 'nozset', 'm'), read('sub', 2), a('LPUSHX', 'nolist', 'x'), a('DEL', 'nokey'),
          a('ZADD', 'z', '1', 'm'), read('sub', 4), a('SET', 'x', 'v', 'PX', '50'), read('sub', 6), { sleepMs: EXPIRY_WAIT_MS }, read('sub', 2), a('GET', 'x'), read('sub', 2),
        ]);
      });

      it('only the chosen classes and kinds are published (E alone, K alone, one class)', async () => {
        await expectSameAsRedis(protocol, [
          subscribe('sub'), events('E$'), a('SET', 'k', 'v'), read('sub', 1), a('LPUSH', 'l', 'x'), a('DEL', 'k'), a('INCR', 'n'), read('sub', 1),
          events('Kl'), a('LPUSH', 'l', 'y'), read('sub', 1), a('SET', 'k', 'v'), a('LPOP', 'l'), read('sub', 1), events('Kg'), a('EXPIRE', 'l', '0'), read('sub', 1),
          events(''), a('SET', 'k', 'v'), a('DEL', 'k'), on('sub', 'PING'),
        ]);
      });
    });

    describe('Redis 7.2 behaviour (ringcast alone; redis-server 7.0.15 differs)', () => {
      it('scores print as the shortest text that reads back (0.1, not 0.10000000000000001)', async () => {
        const lines = await ringcastOnly(protocol, [
          a('ZADD', 'z', '0.1', 'a', '1e18', 'b', '1e-7', 'c'), a('ZSCORE', 'z', 'a'), a('ZINCRBY', 'z', '0.2', 'a'), a('ZSCORE', 'z', 'b'), a('ZSCORE', 'z', 'c'),
          a('ZRANGE', 'z', '0', '0', 'WITHSCORES'),
        ]);
        const double = (text: string): string => (protocol === 3 ? `a: ",${text}\\r\\n"` : `a: "$${text.length}\\r\\n${text}\\r\\n"`);
        expect(lines.slice(1, 5)).toEqual([double('0.1'), double('0.30000000000000004'), double('1000000000000000000'), double('1e-7')]);
        expect(lines[5]).toBe(protocol === 3 ? 'a: "*1\\r\\n*2\\r\\n$1\\r\\nc\\r\\n,1e-7\\r\\n"' : 'a: "*2\\r\\n$1\\r\\nc\\r\\n$4\\r\\n1e-7\\r\\n"');
      });

      it('ZRANK and ZREVRANK take WITHSCORE', async () => {
        const lines = await ringcastOnly(protocol, [
          a('ZADD', 'z', '1.5', 'a', '2', 'b'), a('ZRANK', 'z', 'b', 'WITHSCORE'), a('ZREVRANK', 'z', 'b', 'withscore'), a('ZRANK', 'z', 'nope', 'WITHSCORE'),
          a('ZRANK', 'z', 'a', 'WITHSCORES'), a('ZRANK', 'z', 'a', 'WITHSCORE', 'x'),
        ]);
        const score = protocol === 3 ? ',2' : '$1\\r\\n2';
        expect(lines.slice(1)).toEqual([
          `a: "*2\\r\\n:1\\r\\n${score}\\r\\n"`, `a: "*2\\r\\n:0\\r\\n${score}\\r\\n"`, protocol === 3 ? 'a: "_\\r\\n"' : 'a: "*-1\\r\\n"',
          'a: "-ERR syntax error\\r\\n"', 'a: "-ERR wrong number of arguments for \'zrank\' command\\r\\n"',
        ]);
      });

      it('a RESP3 client notified of its own write gets the reply first, then the push', async () => {
        const lines = await ringcastOnly(3, [
          a('CONFIG', 'SET', 'notify-keyspace-events', 'E$'), a('PSUBSCRIBE', '__keyevent@0__:*'), { conn: 'a', send: ['SET', 'k', 'v'], expect: 2 },
        ]);
        expect(lines.slice(2)).toEqual(['a: "+OK\\r\\n"', 'a: ">4\\r\\n$8\\r\\npmessage\\r\\n$16\\r\\n__keyevent@0__:*\\r\\n$18\\r\\n__keyevent@0__:set\\r\\n$1\\r\\nk\\r\\n"']);
      });
    });
  });
});
