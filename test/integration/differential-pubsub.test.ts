// Differential tests: the same script of raw RESP commands runs against a real redis-server and
// against ringcast, and the two transcripts of reply bytes must be equal. Covers subscription
// frames and counts, PUBLISH/SPUBLISH fan-out, PUBSUB introspection, the RESP2 pub/sub context,
// command and protocol errors, in RESP2 and RESP3. Runs in the vitest process; both servers are
// child processes started once for the file.
//
// Invariants: every test starts with an empty keyspace, notifications off and no subscription on
// either server (beforeEach: resetServer, bounded); only fields that legitimately vary (HELLO's
// version and client id) are normalised; where Redis leaves an order unspecified (hash order) the
// frames are compared as a multiset, and the test says so; a 1 MiB reply is compared by length and
// digest so a failure stays readable.
//
// Differences from redis-server 7.0.15 this file knows about (ringcast follows 7.2+):
//   1. HELLO's `version` field: ringcast answers 7.2.4. Normalised in comparisons, asserted on
//      ringcast alone.
//   2. CLIENT SETINFO exists in 7.2 (+OK); 7.0.15 answers "unknown subcommand 'SETINFO'".
//      Asserted on ringcast alone.
//   3. RESP3 self-publish: in 7.2+ (#12326) the PUBLISH reply `:1` comes before the pushes it
//      causes; 7.0.15 sends the pushes first. Asserted on ringcast alone.
//   4. Argument-less PUNSUBSCRIBE order: subscription order in 7.0, hash order in 7.2+. Not a
//      contract either way: such frames are compared as a multiset.
// Not a 7.0/7.2 difference but not comparable either: the broker listens on port 0 (any free
// port), so `CONFIG GET port` is 0 there; tests read another parameter.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { compareWithRedis, resetServer, runScript, type Step } from '../helpers/differential.js';
import { encodeCommand } from '../helpers/resp-reply.js';
import { requireTool, startRedis, type RedisHandle } from '../helpers/redis-server.js';

// Throws when CI=true and redis-server is missing (the file must fail there); warns and skips otherwise.
const hasRedis = requireTool('redis-server');

const ONE_MIB = 1024 * 1024;

type Protocol = 2 | 3;

let redis: RedisHandle;
let broker: BrokerHandle;

/** HELLO's version and id differ between any two servers; everything else in the reply must match. */
function normalizeHello(line: string): string {
  return line
    .replace(/(\$7\\r\\nversion\\r\\n)\$\d+\\r\\n[0-9.]+\\r\\n/, '$1<version>')
    .replace(/(\$2\\r\\nid\\r\\n):\d+\\r\\n/, '$1<id>');
}

/**
 * With protocol 3, prefixes each connection's first use (and first use after a close) with a
 * `HELLO 3` step, listed in `prologue`. Those replies are checked by the HELLO tests, not in every
 * transcript.
 */
function withProtocol(protocol: Protocol, steps: Step[]): { steps: Step[]; prologue: Set<Step> } {
  const prologue = new Set<Step>();
  if (protocol === 2) return { steps, prologue };
  const open = new Set<string>();
  const out: Step[] = [];
  for (const step of steps) {
    if ('conn' in step) {
      const closes = 'close' in step || 'readUntilClosed' in step;
      if (!open.has(step.conn) && !closes) {
        const hello: Step = { conn: step.conn, send: ['HELLO', '3'], expect: 1 };
        prologue.add(hello);
        out.push(hello);
        open.add(step.conn);
      }
      if (closes) open.delete(step.conn);
    }
    out.push(step);
  }
  return { steps: out, prologue };
}

/**
 * The transcript without the lines of `prologue` steps. Lines map to steps in order: a reading
 * step wrote `expect` lines, a readUntilClosed step wrote lines up to its `<closed...>` line.
 */
function withoutPrologue(steps: Step[], prologue: Set<Step>, lines: string[]): string[] {
  const kept: string[] = [];
  let next = 0;
  for (const step of steps) {
    let count = 0;
    if ('expect' in step) count = step.expect;
    else if ('readUntilClosed' in step) {
      while (!/^\w+: <closed/.test(lines[next + count] ?? '<closed')) count++;
      count++;
    }
    if (!prologue.has(step)) kept.push(...lines.slice(next, next + count));
    next += count;
  }
  return kept;
}

/** Runs `steps` on ringcast and on redis-server in `protocol` and returns both transcripts. */
async function differential(
  protocol: Protocol,
  steps: Step[],
  normalize?: (line: string) => string,
): Promise<{ ours: string[]; theirs: string[] }> {
  const script = withProtocol(protocol, steps);
  const opts = normalize === undefined ? {} : { normalize };
  const { ours, theirs } = await compareWithRedis(script.steps, broker.port, redis.port, opts);
  return {
    ours: withoutPrologue(script.steps, script.prologue, ours),
    theirs: withoutPrologue(script.steps, script.prologue, theirs),
  };
}

/** Runs the script on both servers and expects equal transcripts; returns ringcast's. */
async function expectSameAsRedis(protocol: Protocol, steps: Step[], normalize?: (line: string) => string): Promise<string[]> {
  const { ours, theirs } = await differential(protocol, steps, normalize);
  expect(ours).toEqual(theirs);
  return ours;
}

/**
 * For frames whose order Redis leaves to its hash tables: lines [start, end) are sorted, so the
 * comparison checks the multiset of frames.
 */
function sortRange(lines: string[], start: number, end: number): string[] {
  return [...lines.slice(0, start), ...lines.slice(start, end).sort(), ...lines.slice(end)];
}

/**
 * Unsubscribe-all frames come in hash order while their counts still count down: within each
 * [start, end) range the channel is cut out of each frame, so the counts are compared in order
 * and each range's channels as a sorted list.
 */
function splitChannels(lines: string[], ranges: [number, number][]): { shape: string[]; channels: string[][] } {
  const shape = [...lines];
  const channels = ranges.map(([start, end]) => {
    const names: string[] = [];
    for (let index = start; index < end; index++) {
      const match = /^(\w+: "[*>]3\\r\\n\$\d+\\r\\n\w+\\r\\n)\$\d+\\r\\n(.*)\\r\\n(:\d+\\r\\n")$/.exec(lines[index] ?? '');
      if (match === null) continue;
      names.push(match[2]!);
      shape[index] = `${match[1]}<channel>${match[3]}`;
    }
    return names.sort();
  });
  return { shape, channels };
}

/** An array reply of plain names (no `$` inside) with the names sorted, for hash-ordered lists. */
function sortNames(line: string): string {
  const match = /^(\w+: "[*~]\d+\\r\\n)(.*)"$/.exec(line);
  if (match === null) return line;
  const items = match[2]!.split(/(?=\$\d+\\r\\n)/);
  const name = (item: string): string => item.slice(item.indexOf('\\r\\n'));
  return `${match[1]}${items.sort((x, y) => (name(x) < name(y) ? -1 : name(x) > name(y) ? 1 : 0)).join('')}"`;
}

/** A 1 MiB line would make a failure diff unreadable: long lines are compared by length and digest. */
function digestLongLines(lines: string[]): string[] {
  return lines.map((line) =>
    line.length <= 200 ? line : `${line.slice(0, 60)}... ${line.length} chars sha256=${createHash('sha256').update(line).digest('hex')}`,
  );
}

// Both ways of running the partitions: 2 workers (cross-partition ordering) and the partition on
// the main thread (--workers 0, what `--workers auto` picks on 2 cores).
describe.skipIf(!hasRedis).each([2, 0])('ringcast (--workers %i) against redis-server, byte for byte', (workers) => {
  beforeAll(async () => {
    [redis, broker] = await Promise.all([startRedis().then((handle) => handle!), startBroker({ workers })]);
  });

  afterAll(async () => {
    await Promise.all([redis?.stop(), broker?.stop()]);
  });

  beforeEach(async () => {
    await Promise.all([resetServer(broker.port), resetServer(redis.port)]);
  });

  describe.each([{ protocol: 2 as Protocol }, { protocol: 3 as Protocol }])('RESP$protocol', ({ protocol }) => {
    describe('subscription frames and counts', () => {
      it('SUBSCRIBE a b confirms each channel with a growing count', async () => {
        await expectSameAsRedis(protocol, [{ conn: 'a', send: ['SUBSCRIBE', 'a', 'b'], expect: 2 }]);
      });

      it('SUBSCRIBE to the same channel three times confirms three times with count 1', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'chan1', 'chan1', 'chan1'], expect: 3 },
          { conn: 'b', send: ['PUBSUB', 'NUMSUB', 'chan1'], expect: 1 },
          { conn: 'b', send: ['PUBLISH', 'chan1', 'once'], expect: 1 },
          { conn: 'a', expect: 1 },
        ]);
      });

      it('command names are case-insensitive', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['subscribe', 'x'], expect: 1 },
          { conn: 'b', send: ['PuBlIsH', 'x', 'y'], expect: 1 },
          { conn: 'a', expect: 1 },
          { conn: 'a', send: ['uNsUbScRiBe', 'x'], expect: 1 },
        ]);
      });

      it('UNSUBSCRIBE with arguments answers per argument, subscribed or not', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'a', 'b', 'c'], expect: 3 },
          { conn: 'a', send: ['UNSUBSCRIBE', 'b', 'nope', 'b'], expect: 3 },
          { conn: 'a', send: ['UNSUBSCRIBE', 'c'], expect: 1 },
          { conn: 'a', send: ['UNSUBSCRIBE', 'a'], expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
      });

      it('UNSUBSCRIBE without arguments and one channel removes it and leaves pub/sub mode', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'only'], expect: 1 },
          { conn: 'a', send: ['UNSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
      });

      it('UNSUBSCRIBE without arguments removes every channel, counting down (channel order is hash order)', async () => {
        const { ours, theirs } = await differential(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'c1', 'c2', 'c3', 'c4'], expect: 4 },
          { conn: 'a', send: ['UNSUBSCRIBE'], expect: 4 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
        expect(splitChannels(ours, [[4, 8]])).toEqual(splitChannels(theirs, [[4, 8]]));
        expect(splitChannels(ours, [[4, 8]]).channels).toEqual([['c1', 'c2', 'c3', 'c4']]);
      });

      it('PUNSUBSCRIBE and SUNSUBSCRIBE without arguments remove everything, counting down (order is hash order)', async () => {
        const { ours, theirs } = await differential(protocol, [
          { conn: 'a', send: ['PSUBSCRIBE', 'p1*', 'p2*', 'p3*'], expect: 3 },
          { conn: 'a', send: ['SSUBSCRIBE', 's1', 's2'], expect: 2 },
          { conn: 'a', send: ['PUNSUBSCRIBE'], expect: 3 },
          { conn: 'a', send: ['SUNSUBSCRIBE'], expect: 2 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
        const ranges: [number, number][] = [[5, 8], [8, 10]];
        expect(splitChannels(ours, ranges)).toEqual(splitChannels(theirs, ranges));
        expect(splitChannels(ours, ranges).channels).toEqual([['p1*', 'p2*', 'p3*'], ['s1', 's2']]);
      });

      it('UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE with nothing subscribed send one frame with a null channel', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['UNSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['PUNSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['SUNSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['UNSUBSCRIBE', 'foo'], expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
      });

      it('channel and pattern counts are shared, shard counts are separate (spec §1.1 example)', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['PSUBSCRIBE', 'n*', 'm?'], expect: 2 },
          { conn: 'a', send: ['SUBSCRIBE', 'n1'], expect: 1 },
          { conn: 'a', send: ['SSUBSCRIBE', 's1', 's2'], expect: 2 },
          { conn: 'a', send: ['SUNSUBSCRIBE', 's1'], expect: 1 },
          { conn: 'a', send: ['SUNSUBSCRIBE'], expect: 1 },
          // Shard count 0, patterns still held: still in pub/sub mode.
          { conn: 'a', send: ['PING'], expect: 1 },
          { conn: 'a', send: ['PUNSUBSCRIBE', 'm?'], expect: 1 },
          { conn: 'a', send: ['PUNSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
          { conn: 'a', send: ['UNSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
      });

      it('empty channel names and empty patterns are legal', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', ''], expect: 1 },
          { conn: 'a', send: ['PSUBSCRIBE', ''], expect: 1 },
          { conn: 'b', send: ['PUBLISH', '', ''], expect: 1 },
          { conn: 'a', expect: 2 },
          { conn: 'a', send: ['PUNSUBSCRIBE', ''], expect: 1 },
          { conn: 'a', send: ['UNSUBSCRIBE', ''], expect: 1 },
        ]);
      });

      it('subscribe and unsubscribe commands pipelined in one write answer in order, interleaved with PING', async () => {
        const pipeline = Buffer.concat([
          ['SUBSCRIBE', 'a', 'b'], ['PSUBSCRIBE', 'b*'], ['UNSUBSCRIBE', 'a'], ['PING'], ['SSUBSCRIBE', 'c'],
          ['PUNSUBSCRIBE', 'b*'], ['SUNSUBSCRIBE', 'c'], ['UNSUBSCRIBE', 'b'], ['PING'], ['SUBSCRIBE', 'd'], ['RESET'], ['PING'],
        ].map((args) => encodeCommand(...args)));
        await expectSameAsRedis(protocol, [{ conn: 'a', sendRaw: pipeline, expect: 13 }]);
      });

      it('SUBSCRIBE and UNSUBSCRIBE of 1000 channels count up and down without gaps', async () => {
        const channels = Array.from({ length: 1000 }, (_, i) => `many:${i}`);
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', ...channels], expect: 1000 },
          { conn: 'b', send: ['PUBSUB', 'NUMSUB', 'many:0', 'many:999', 'many:1000'], expect: 1 },
          { conn: 'a', send: ['UNSUBSCRIBE', ...channels.slice(0, 500)], expect: 500 },
          { conn: 'a', send: ['PSUBSCRIBE', ...channels.slice(0, 500)], expect: 500 },
          { conn: 'b', send: ['PUBLISH', 'many:999', 'x'], expect: 1 },
          { conn: 'a', expect: 1 },
        ]);
      });

      it('argument-less UNSUBSCRIBE of 1000 channels counts down to 0 (channel order is hash order)', async () => {
        const channels = Array.from({ length: 1000 }, (_, i) => `all:${i}`);
        const { ours, theirs } = await differential(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', ...channels], expect: 1000 },
          { conn: 'a', send: ['UNSUBSCRIBE'], expect: 1000 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
        expect(splitChannels(ours, [[1000, 2000]])).toEqual(splitChannels(theirs, [[1000, 2000]]));
        expect(splitChannels(ours, [[1000, 2000]]).channels[0]).toEqual([...channels].sort());
      });
    });

    describe('PUBLISH and SPUBLISH', () => {
      it('PUBLISH counts one channel subscription plus every matching pattern (spec §1.3; pmessage order is hash order)', async () => {
        const { ours, theirs } = await differential(protocol, [
          { conn: 'sub', send: ['SUBSCRIBE', 'news'], expect: 1 },
          { conn: 'sub', send: ['PSUBSCRIBE', 'n*', '*s', 'ne?s', '[n]ews', '*'], expect: 5 },
          { conn: 'pub', send: ['PUBLISH', 'news', 'headline'], expect: 1 },
          { conn: 'sub', expect: 6 },
          { conn: 'pub', send: ['PUBLISH', 'nope', 'x'], expect: 1 },
          { conn: 'sub', expect: 2 },
        ]);
        expect(ours[6]).toBe('pub: ":6\\r\\n"');
        // The `message` frame comes first; the five pmessages in any order.
        expect(sortRange(sortRange(ours, 8, 13), 14, 16)).toEqual(sortRange(sortRange(theirs, 8, 13), 14, 16));
      });

      it('PUBLISH counts every subscriber across clients, channels and patterns, once each', async () => {
        const { ours, theirs } = await differential(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'k1', 'k2', 'k3'], expect: 3 },
          { conn: 'b', send: ['SUBSCRIBE', 'k1'], expect: 1 },
          { conn: 'b', send: ['PSUBSCRIBE', 'k*', 'k*', '?1'], expect: 3 },
          { conn: 'c', send: ['PSUBSCRIBE', 'k*'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'k1', 'one'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'k2', 'two'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'k3', 'three'], expect: 1 },
          { conn: 'a', expect: 3 },
          { conn: 'b', expect: 5 },
          { conn: 'c', expect: 3 },
          { conn: 'b', send: ['UNSUBSCRIBE', 'k*'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'k9', 'nine'], expect: 1 },
          { conn: 'c', expect: 1 },
        ]);
        // b's frames for k1 (lines 14..16): a message, then its two pmessages in hash order.
        expect(sortRange(ours, 15, 17)).toEqual(sortRange(theirs, 15, 17));
        expect(ours.slice(8, 11)).toEqual(['pub: ":5\\r\\n"', 'pub: ":3\\r\\n"', 'pub: ":3\\r\\n"']);
      });

      it('PUBLISH and SPUBLISH namespaces are disjoint, and patterns never see SPUBLISH', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'global', send: ['SUBSCRIBE', 'chan1'], expect: 1 },
          { conn: 'shard', send: ['SSUBSCRIBE', 'chan1'], expect: 1 },
          { conn: 'pattern', send: ['PSUBSCRIBE', 'chan*'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'chan1', 'to-global'], expect: 1 },
          { conn: 'pub', send: ['SPUBLISH', 'chan1', 'to-shard'], expect: 1 },
          { conn: 'global', expect: 1 },
          { conn: 'pattern', expect: 1 },
          { conn: 'shard', expect: 1 },
          // A PING behind the deliveries shows that nothing else arrived first.
          { conn: 'global', send: ['PING'], expect: 1 },
          { conn: 'shard', send: ['PING'], expect: 1 },
          { conn: 'pattern', send: ['PING'], expect: 1 },
        ]);
      });

      it('PUBLISH and SPUBLISH with no subscribers return 0', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'pub', send: ['PUBLISH', 'nobody', 'x'], expect: 1 },
          { conn: 'pub', send: ['SPUBLISH', 'nobody', 'x'], expect: 1 },
        ]);
      });

      it('binary channel names and payloads (CR, LF, NUL, 0xff) arrive unchanged', async () => {
        const channel = Buffer.from('bin\r\n\x00\xffchan', 'latin1');
        const payload = Buffer.from('\r\n\x00\xff\x80payload\r\n', 'latin1');
        await expectSameAsRedis(protocol, [
          { conn: 'sub', send: ['SUBSCRIBE', channel], expect: 1 },
          { conn: 'psub', send: ['PSUBSCRIBE', Buffer.from('bin\r\n*', 'latin1')], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', channel, payload], expect: 1 },
          { conn: 'sub', expect: 1 },
          { conn: 'psub', expect: 1 },
          { conn: 'pub', send: ['PUBSUB', 'NUMSUB', channel], expect: 1 },
        ]);
      });

      it('an empty payload is delivered as an empty bulk string', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'sub', send: ['SUBSCRIBE', 'e'], expect: 1 },
          { conn: 'sub', send: ['SSUBSCRIBE', 'e'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'e', ''], expect: 1 },
          { conn: 'pub', send: ['SPUBLISH', 'e', ''], expect: 1 },
          { conn: 'sub', expect: 2 },
        ]);
      });

      it('a 1 MiB payload arrives whole', async () => {
        const payload = Buffer.alloc(ONE_MIB);
        for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
        const { ours, theirs } = await differential(protocol, [
          { conn: 'sub', send: ['SUBSCRIBE', 'big'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'big', payload], expect: 1 },
          { conn: 'sub', expect: 1 },
          { conn: 'sub', send: ['UNSUBSCRIBE', 'big'], expect: 1 },
        ]);
        expect(digestLongLines(ours)).toEqual(digestLongLines(theirs));
      });

      it('messages from one publisher arrive in PUBLISH order', async () => {
        const publishes: Step[] = [];
        for (let i = 0; i < 20; i++) publishes.push({ conn: 'pub', send: ['PUBLISH', `seq${i % 3}`, `m${i}`], expect: 1 });
        await expectSameAsRedis(protocol, [
          { conn: 'sub', send: ['SUBSCRIBE', 'seq0', 'seq1', 'seq2'], expect: 3 },
          ...publishes,
          { conn: 'sub', expect: 20 },
        ]);
      });

      it('a pipelined batch of PUBLISH commands is answered in order', async () => {
        const batch = Buffer.concat(
          ['*3\r\n$7\r\nPUBLISH\r\n$2\r\np1\r\n$1\r\na\r\n', '*3\r\n$7\r\nPUBLISH\r\n$2\r\np2\r\n$1\r\nb\r\n', 'PING\r\n'].map(
            (text) => Buffer.from(text),
          ),
        );
        await expectSameAsRedis(protocol, [
          { conn: 'sub', send: ['SUBSCRIBE', 'p1'], expect: 1 },
          { conn: 'pub', sendRaw: batch, expect: 3 },
          { conn: 'sub', expect: 1 },
        ]);
      });
    });

    describe('PUBSUB introspection', () => {
      it('PUBSUB CHANNELS lists active channels, filtered by a glob', async () => {
        const { ours, theirs } = await differential(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'news.a', 'other'], expect: 2 },
          { conn: 'b', send: ['SUBSCRIBE', 'news.a'], expect: 1 },
          { conn: 'b', send: ['PSUBSCRIBE', 'news.*'], expect: 1 },
          { conn: 'b', send: ['SSUBSCRIBE', 'news.shard'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'CHANNELS', 'news.*'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'CHANNELS', 'nomatch*'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'channels', 'o[t]her'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'CHANNELS'], expect: 1 },
          { conn: 'a', send: ['UNSUBSCRIBE', 'other'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'CHANNELS', 'o*'], expect: 1 },
        ]);
        // The unfiltered list (index 8) holds two channels in hash order.
        const canonical = (lines: string[]): string[] => lines.map((line, index) => (index === 8 ? sortNames(line) : line));
        expect(canonical(ours)).toEqual(canonical(theirs));
        expect(canonical(ours)[8]).toBe('q: "*2\\r\\n$6\\r\\nnews.a\\r\\n$5\\r\\nother\\r\\n"');
      });

      it('PUBSUB NUMSUB counts channel subscribers only, in argument order; no arguments gives an empty array', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'foo', 'bar'], expect: 2 },
          { conn: 'b', send: ['SUBSCRIBE', 'foo'], expect: 1 },
          { conn: 'b', send: ['PSUBSCRIBE', 'ba*'], expect: 1 },
          { conn: 'b', send: ['SSUBSCRIBE', 'baz'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'NUMSUB', 'foo', 'bar', 'baz', 'foo'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'NUMSUB'], expect: 1 },
        ]);
      });

      it('PUBSUB NUMPAT counts unique patterns server-wide', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'q', send: ['PUBSUB', 'NUMPAT'], expect: 1 },
          { conn: 'a', send: ['PSUBSCRIBE', 'f*', 'g*'], expect: 2 },
          { conn: 'b', send: ['PSUBSCRIBE', 'f*'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'NUMPAT'], expect: 1 },
          { conn: 'a', send: ['PUNSUBSCRIBE', 'f*'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'NUMPAT'], expect: 1 },
          { conn: 'b', send: ['PUNSUBSCRIBE', 'f*'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'NUMPAT'], expect: 1 },
        ]);
      });

      it('PUBSUB SHARDCHANNELS and SHARDNUMSUB report shard channels only', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SSUBSCRIBE', 'sa'], expect: 1 },
          { conn: 'b', send: ['SSUBSCRIBE', 'sa'], expect: 1 },
          { conn: 'b', send: ['SUBSCRIBE', 'ga'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'SHARDCHANNELS'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'SHARDCHANNELS', 's*'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'SHARDCHANNELS', 'g*'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'SHARDNUMSUB', 'sa', 'ga', 'none'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'SHARDNUMSUB'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'NUMSUB', 'sa'], expect: 1 },
        ]);
      });

      it('PUBSUB HELP lists the subcommands', async () => {
        await expectSameAsRedis(protocol, [{ conn: 'q', send: ['PUBSUB', 'HELP'], expect: 1 }]);
      });

      it('PUBSUB errors: no subcommand, unknown subcommand, wrong argument counts', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'q', send: ['PUBSUB'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'foo'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'FoO', 'bar'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'CHANNELS', 'a', 'b'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'channels', 'a', 'b'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'SHARDCHANNELS', 'a', 'b'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'NUMPAT', 'x'], expect: 1 },
          { conn: 'q', send: ['PUBSUB', 'HELP', 'x'], expect: 1 },
          { conn: 'q', send: ['PING'], expect: 1 },
        ]);
      });
    });

    describe('errors and connection commands', () => {
      it('arity errors name the command in lower case', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['PUBLISH', 'a'], expect: 1 },
          { conn: 'a', send: ['PUBLISH', 'a', 'b', 'c'], expect: 1 },
          { conn: 'a', send: ['SPUBLISH', 'a'], expect: 1 },
          { conn: 'a', send: ['SUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['PSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['SSUBSCRIBE'], expect: 1 },
          { conn: 'a', send: ['ECHO'], expect: 1 },
          { conn: 'a', send: ['ECHO', 'a', 'b'], expect: 1 },
          { conn: 'a', send: ['SELECT'], expect: 1 },
          { conn: 'a', send: ['PING', 'a', 'b'], expect: 1 },
          { conn: 'a', send: ['CLIENT'], expect: 1 },
          { conn: 'a', send: ['CLIENT', 'ID', 'x'], expect: 1 },
          { conn: 'a', send: ['CONFIG'], expect: 1 },
          { conn: 'a', send: ['CONFIG', 'GET'], expect: 1 },
          { conn: 'a', send: ['RESET', 'x'], expect: 1 },
          { conn: 'a', send: ['Publish', 'a'], expect: 1 },
        ]);
      });

      it('unknown commands quote up to 128 bytes of name and arguments, CR and LF shown as spaces', async () => {
        const longArg = 'x'.repeat(200);
        const manyArgs = Array.from({ length: 30 }, (_, i) => `arg${i}`);
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['FOOBAR', 'x', 'y'], expect: 1 },
          { conn: 'a', send: ['FOOBAR'], expect: 1 },
          { conn: 'a', send: ['FOOBAR', longArg], expect: 1 },
          { conn: 'a', send: ['FOOBAR', ...manyArgs], expect: 1 },
          { conn: 'a', send: ['Z'.repeat(200), 'a'], expect: 1 },
          { conn: 'a', send: ['FOOBAR', 'a\r\nb', 'c\nd'], expect: 1 },
          { conn: 'a', send: ['FOO\r\nBAR'], expect: 1 },
          { conn: 'a', raw: 'FOOBAR inline  args\r\n', expect: 1 },
        ]);
      });

      it('unknown subcommands of CLIENT and CONFIG echo the typed name', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['CLIENT', 'FOO'], expect: 1 },
          { conn: 'a', send: ['client', 'foo', 'bar'], expect: 1 },
          { conn: 'a', send: ['CONFIG', 'FOO'], expect: 1 },
          { conn: 'a', send: ['CONFIG', 'Foo', 'x', 'y'], expect: 1 },
        ]);
      });

      it('HELLO rejects bad protocol versions and options', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['HELLO', '1'], expect: 1 },
          { conn: 'a', send: ['HELLO', '4'], expect: 1 },
          { conn: 'a', send: ['HELLO', 'abc'], expect: 1 },
          { conn: 'a', send: ['HELLO', '-1'], expect: 1 },
          { conn: 'a', send: ['HELLO', '3', 'AUTH', 'default'], expect: 1 },
          { conn: 'a', send: ['HELLO', '3', 'FOO'], expect: 1 },
          { conn: 'a', send: ['HELLO', '3', 'SETNAME'], expect: 1 },
          { conn: 'a', send: ['HELLO', '3', 'AUTH', 'nobody', 'pw'], expect: 1 },
          { conn: 'a', send: ['HELLO', '3', 'SETNAME', 'bad name'], expect: 1 },
          // None of the failures changed the protocol: PING still answers in the original one.
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
      });

      it('HELLO replies with the server facts; only version and client id differ', async () => {
        await expectSameAsRedis(
          protocol,
          [
            { conn: 'a', send: ['HELLO'], expect: 1 },
            { conn: 'a', send: ['HELLO', '2'], expect: 1 },
            { conn: 'a', send: ['HELLO', '3', 'SETNAME', 'named'], expect: 1 },
            { conn: 'a', send: ['CLIENT', 'GETNAME'], expect: 1 },
            { conn: 'a', send: ['HELLO', '2', 'AUTH', 'default', 'anything'], expect: 1 },
          ],
          normalizeHello,
        );
      });

      it('SELECT accepts 0..15 and rejects everything else', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SELECT', '0'], expect: 1 },
          { conn: 'a', send: ['SELECT', '15'], expect: 1 },
          { conn: 'a', send: ['SELECT', '16'], expect: 1 },
          { conn: 'a', send: ['SELECT', '-1'], expect: 1 },
          { conn: 'a', send: ['SELECT', 'abc'], expect: 1 },
          { conn: 'a', send: ['SELECT', '1.5'], expect: 1 },
          { conn: 'a', send: ['SELECT', ''], expect: 1 },
          { conn: 'a', send: ['SELECT', '99999999999999999999'], expect: 1 },
        ]);
      });

      it('a channel namespace is shared across databases', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'sub', send: ['SUBSCRIBE', 'dbless'], expect: 1 },
          { conn: 'pub', send: ['SELECT', '5'], expect: 1 },
          { conn: 'pub', send: ['PUBLISH', 'dbless', 'from-db5'], expect: 1 },
          { conn: 'sub', expect: 1 },
        ]);
      });

      it('ECHO and PING outside pub/sub mode', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['ECHO', 'hello'], expect: 1 },
          { conn: 'a', send: ['ECHO', ''], expect: 1 },
          { conn: 'a', send: ['ECHO', Buffer.from('\x00\r\n\xff', 'latin1')], expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
          { conn: 'a', send: ['PING', 'hello'], expect: 1 },
          { conn: 'a', send: ['PING', ''], expect: 1 },
          { conn: 'a', send: ['ping'], expect: 1 },
          { conn: 'a', raw: 'PING\r\n', expect: 1 },
          { conn: 'a', raw: 'PING\n', expect: 1 },
          { conn: 'a', raw: 'ECHO "a\\x41\\n b"\r\n', expect: 1 },
          { conn: 'a', raw: "ECHO 'c d'\r\n", expect: 1 },
          { conn: 'a', raw: 'ECHO "a b"\r\n', expect: 1 },
          { conn: 'a', raw: '\r\n\r\n*0\r\n*-1\r\nPING\r\n', expect: 1 },
        ]);
      });

      it('QUIT answers +OK and closes, even with arguments', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['QUIT'], expect: 1 },
          { conn: 'a', readUntilClosed: true },
          { conn: 'b', send: ['QUIT', 'extra', 'args'], expect: 1 },
          { conn: 'b', readUntilClosed: true },
        ]);
      });
    });

    describe('protocol errors close the connection after the error reply', () => {
      const cases: [string, string][] = [
        ['an invalid multibulk length', '*abc\r\n'],
        ['a multibulk length over 2^31', '*2147483648\r\n'],
        ['an invalid bulk length', '*3\r\n$x\r\n'],
        ['a negative bulk length', '*1\r\n$-5\r\n'],
        ['a missing $ before a bulk', '*1\r\nfoo\r\n'],
        ['unbalanced double quotes inline', 'ECHO "foo\r\n'],
        ['unbalanced single quotes inline', "ECHO 'foo\r\n"],
        ['a closing quote followed by a letter inline', 'ECHO "a"b\r\n'],
        ['a bulk length over proto-max-bulk-len', '*1\r\n$536870913\r\n'],
        ['an inline request over 64 KiB without a newline', 'x'.repeat(70_000)],
        ['a multibulk count line over 64 KiB', `*${'1'.repeat(70_000)}`],
        ['a bulk length line over 64 KiB', `*1\r\n$${'1'.repeat(70_000)}`],
      ];
      it.each(cases)('%s', async (_name, bytes) => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', sendRaw: bytes, expect: 0 },
          { conn: 'a', readUntilClosed: true },
        ]);
      });

      it('commands pipelined before the bad bytes are answered first', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', sendRaw: 'PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\nfoo\r\nPING\r\n', expect: 0 },
          { conn: 'a', readUntilClosed: true },
        ]);
      });

      it('a subscriber that sends bad bytes is dropped, and its subscription with it', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', send: ['SUBSCRIBE', 'gone'], expect: 1 },
          { conn: 'a', sendRaw: '*x\r\n', expect: 0 },
          { conn: 'a', readUntilClosed: true },
          { sleepMs: 100 },
          { conn: 'b', send: ['PUBLISH', 'gone', 'x'], expect: 1 },
        ]);
      });

      it('a protocol error after a pipelined SUBSCRIBE comes after the subscribe frame', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', sendRaw: '*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nb*\r\n*x\r\n', expect: 0 },
          { conn: 'a', readUntilClosed: true },
        ]);
      });

      it('the two bytes after a bulk payload are skipped unchecked, and an empty command name is unknown', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', sendRaw: '*1\r\n$4\r\nPINGxx*1\r\n$0\r\n\r\n', expect: 2 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
      });

      it('commands pipelined after QUIT are not answered', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', sendRaw: 'PING\r\nQUIT\r\nPING\r\n', expect: 0 },
          { conn: 'a', readUntilClosed: true },
        ]);
      });

      it('a line starting with a RESP type byte is an inline command, not a protocol error', async () => {
        await expectSameAsRedis(protocol, [
          { conn: 'a', raw: '+PING\r\n', expect: 1 },
          { conn: 'a', raw: ':1\r\n', expect: 1 },
          { conn: 'a', raw: '$-5\r\n', expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
        ]);
      });
    });
  });

  describe('RESP2 client in pub/sub mode', () => {
    it('PING answers with a pong frame, with or without an argument', async () => {
      await expectSameAsRedis(2, [
        { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
        { conn: 'a', send: ['PING'], expect: 1 },
        { conn: 'a', send: ['PING', 'hello'], expect: 1 },
        { conn: 'a', send: ['PING', ''], expect: 1 },
        { conn: 'a', send: ['PING', 'a', 'b'], expect: 1 },
      ]);
    });

    it("other commands get the Can't execute error with the lower-case full name, and the connection stays", async () => {
      await expectSameAsRedis(2, [
        { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
        { conn: 'a', send: ['ECHO', 'x'], expect: 1 },
        { conn: 'a', send: ['CLIENT', 'ID'], expect: 1 },
        { conn: 'a', send: ['CONFIG', 'GET', 'port'], expect: 1 },
        { conn: 'a', send: ['config', 'get', 'port'], expect: 1 },
        { conn: 'a', send: ['HELLO', '3'], expect: 1 },
        { conn: 'a', send: ['PUBLISH', 'x', 'y'], expect: 1 },
        { conn: 'a', send: ['SELECT', '1'], expect: 1 },
        { conn: 'a', send: ['PUBSUB', 'NUMSUB', 'x'], expect: 1 },
        // Unknown commands and arity errors are checked before the context.
        { conn: 'a', send: ['FOOBAR', 'x'], expect: 1 },
        { conn: 'a', send: ['ECHO'], expect: 1 },
        { conn: 'a', send: ['CLIENT', 'FOO'], expect: 1 },
        { conn: 'b', send: ['PUBLISH', 'x', 'still-subscribed'], expect: 1 },
        { conn: 'a', expect: 1 },
      ]);
    });

    it('subscribe commands are still allowed and keep counting', async () => {
      await expectSameAsRedis(2, [
        { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
        { conn: 'a', send: ['PSUBSCRIBE', 'y*'], expect: 1 },
        { conn: 'a', send: ['SSUBSCRIBE', 'z'], expect: 1 },
        { conn: 'a', send: ['SUNSUBSCRIBE', 'z'], expect: 1 },
        { conn: 'a', send: ['PUNSUBSCRIBE', 'y*'], expect: 1 },
        { conn: 'a', send: ['UNSUBSCRIBE', 'x'], expect: 1 },
        { conn: 'a', send: ['ECHO', 'free-again'], expect: 1 },
      ]);
    });

    it('QUIT answers +OK, closes, and drops the subscriptions', async () => {
      await expectSameAsRedis(2, [
        { conn: 'a', send: ['SUBSCRIBE', 'q'], expect: 1 },
        { conn: 'a', send: ['QUIT'], expect: 1 },
        { conn: 'a', readUntilClosed: true },
        { sleepMs: 100 },
        { conn: 'b', send: ['PUBLISH', 'q', 'x'], expect: 1 },
        { conn: 'b', send: ['PUBSUB', 'NUMSUB', 'q'], expect: 1 },
      ]);
    });

    it('RESET answers +RESET and silently drops every subscription', async () => {
      await expectSameAsRedis(2, [
        { conn: 'a', send: ['SUBSCRIBE', 'r1', 'r2'], expect: 2 },
        { conn: 'a', send: ['PSUBSCRIBE', 'r*'], expect: 1 },
        { conn: 'a', send: ['SSUBSCRIBE', 'r3'], expect: 1 },
        { conn: 'a', send: ['RESET'], expect: 1 },
        { conn: 'b', send: ['PUBLISH', 'r1', 'x'], expect: 1 },
        { conn: 'b', send: ['SPUBLISH', 'r3', 'x'], expect: 1 },
        { conn: 'b', send: ['PUBSUB', 'NUMPAT'], expect: 1 },
        { conn: 'a', send: ['PING'], expect: 1 },
        { conn: 'a', send: ['ECHO', 'normal'], expect: 1 },
      ]);
    });
  });

  describe('RESP3 client in pub/sub mode', () => {
    it('may run any command while subscribed, and pushes interleave with replies', async () => {
      await expectSameAsRedis(3, [
        { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
        { conn: 'a', send: ['PING'], expect: 1 },
        { conn: 'a', send: ['PING', 'hello'], expect: 1 },
        { conn: 'a', send: ['ECHO', 'x'], expect: 1 },
        // Not `port`: ringcast's tests listen on port 0 (any free port), which redis cannot.
        { conn: 'a', send: ['CONFIG', 'GET', 'client-output-buffer-limit'], expect: 1 },
        { conn: 'a', send: ['SELECT', '1'], expect: 1 },
        { conn: 'b', send: ['PUBLISH', 'x', 'between'], expect: 1 },
        { conn: 'a', send: ['ECHO', 'after'], expect: 2 },
      ]);
    });

    it('HELLO 2 while subscribed turns the client into a restricted RESP2 subscriber', async () => {
      await expectSameAsRedis(
        3,
        [
          { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
          { conn: 'a', send: ['HELLO', '2'], expect: 1 },
          { conn: 'a', send: ['PING'], expect: 1 },
          { conn: 'a', send: ['ECHO', 'x'], expect: 1 },
          { conn: 'b', send: ['PUBLISH', 'x', 'as-resp2'], expect: 1 },
          { conn: 'a', expect: 1 },
        ],
        normalizeHello,
      );
    });

    it('RESET drops the subscriptions and returns to RESP2', async () => {
      await expectSameAsRedis(3, [
        { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
        { conn: 'a', send: ['RESET'], expect: 1 },
        { conn: 'b', send: ['PUBLISH', 'x', 'y'], expect: 1 },
        { conn: 'a', send: ['UNSUBSCRIBE'], expect: 1 },
        { conn: 'a', send: ['PING'], expect: 1 },
      ]);
    });
  });

  describe('7.2+ behaviour ringcast follows (not compared with redis 7.0.15)', () => {
    it('HELLO reports redis version 7.2.4', async () => {
      const transcript = await runScript(broker.port, [{ conn: 'a', send: ['HELLO', '3'], expect: 1 }]);
      expect(transcript[0]).toMatch(/^a: "%7\\r\\n\$6\\r\\nserver\\r\\n\$5\\r\\nredis\\r\\n\$7\\r\\nversion\\r\\n\$5\\r\\n7\.2\.4\\r\\n\$5\\r\\nproto\\r\\n:3\\r\\n/);
    });

    it('CLIENT SETINFO LIB-NAME and LIB-VER answer +OK', async () => {
      const transcript = await runScript(broker.port, [
        { conn: 'a', send: ['CLIENT', 'SETINFO', 'LIB-NAME', 'ringcast-test'], expect: 1 },
        { conn: 'a', send: ['CLIENT', 'SETINFO', 'LIB-VER', '1.2.3'], expect: 1 },
      ]);
      expect(transcript).toEqual(['a: "+OK\\r\\n"', 'a: "+OK\\r\\n"']);
    });

    it('a RESP3 client publishing to its own channel gets the :1 reply before the message push', async () => {
      const transcript = await runScript(broker.port, [
        { conn: 'a', send: ['HELLO', '3'], expect: 1 },
        { conn: 'a', send: ['SUBSCRIBE', 'self'], expect: 1 },
        { conn: 'a', send: ['PUBLISH', 'self', 'me'], expect: 2 },
        { conn: 'a', send: ['SPUBLISH', 'self', 'not-shard-subscribed'], expect: 1 },
      ]);
      expect(transcript.slice(2)).toEqual([
        'a: ":1\\r\\n"',
        'a: ">3\\r\\n$7\\r\\nmessage\\r\\n$4\\r\\nself\\r\\n$2\\r\\nme\\r\\n"',
        'a: ":0\\r\\n"',
      ]);
    });

    it('pipelined self-publishes each reply before their own pushes, also through a pattern', async () => {
      const pipeline = Buffer.concat([
        ['SUBSCRIBE', 'me'], ['PSUBSCRIBE', 'm*'], ['PUBLISH', 'me', '1'], ['UNSUBSCRIBE', 'me'], ['PUBLISH', 'me', '2'],
      ].map((args) => encodeCommand(...args)));
      const transcript = await runScript(broker.port, [
        { conn: 'a', send: ['HELLO', '3'], expect: 1 },
        { conn: 'a', sendRaw: pipeline, expect: 8 },
      ]);
      expect(transcript.slice(1)).toEqual([
        'a: ">3\\r\\n$9\\r\\nsubscribe\\r\\n$2\\r\\nme\\r\\n:1\\r\\n"',
        'a: ">3\\r\\n$10\\r\\npsubscribe\\r\\n$2\\r\\nm*\\r\\n:2\\r\\n"',
        'a: ":2\\r\\n"',
        'a: ">3\\r\\n$7\\r\\nmessage\\r\\n$2\\r\\nme\\r\\n$1\\r\\n1\\r\\n"',
        'a: ">4\\r\\n$8\\r\\npmessage\\r\\n$2\\r\\nm*\\r\\n$2\\r\\nme\\r\\n$1\\r\\n1\\r\\n"',
        'a: ">3\\r\\n$11\\r\\nunsubscribe\\r\\n$2\\r\\nme\\r\\n:1\\r\\n"',
        'a: ":1\\r\\n"',
        'a: ">4\\r\\n$8\\r\\npmessage\\r\\n$2\\r\\nm*\\r\\n$2\\r\\nme\\r\\n$1\\r\\n2\\r\\n"',
      ]);
    });
  });
});
