// Self-test of the shared test helpers (test/helpers): the reply reader on its own, then
// startRedis, RawClient and the differential runner against a real redis-server. The broker is
// not involved, so a failure here is a harness bug, not a broker bug.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { compareWithRedis, runScript, type Step } from '../helpers/differential.js';
import { startRedis, requireTool, type RedisHandle } from '../helpers/redis-server.js';
import { ReplyReader, encodeCommand, escapeBytes, type RespValue } from '../helpers/resp-reply.js';

// Throws when CI=true and redis-server is missing (the file must fail there); warns and skips otherwise.
const hasRedis = requireTool('redis-server');

/** Feeds `bytes` whole, byte by byte, and at seeded random split points; returns each way's replies. */
function readAllThreeWays(bytes: Buffer, seed: number): { raw: Buffer; value: RespValue }[][] {
  const splits: Buffer[][] = [[bytes], [...bytes].map((byte) => Buffer.from([byte]))];
  let state = seed;
  const random: Buffer[] = [];
  for (let start = 0; start < bytes.length;) {
    state = (state * 48271) % 2147483647; // MINSTD: exact in doubles, seed must be > 0
    const length = 1 + (state % 7);
    random.push(bytes.subarray(start, start + length));
    start += length;
  }
  splits.push(random);
  return splits.map((chunks) => {
    const reader = new ReplyReader();
    const replies = [];
    for (const chunk of chunks) {
      reader.feed(chunk);
      for (let reply = reader.next(); reply !== null; reply = reader.next()) replies.push(reply);
    }
    expect(reader.peekUnparsed().length).toBe(0);
    return replies;
  });
}

describe('ReplyReader', () => {
  it('decodes every RESP3 reply type the same whole, byte by byte and at random split points', () => {
    const wire = [
      '+OK\r\n', '-ERR boom\r\n', ':-42\r\n', ':9007199254740993\r\n', '$5\r\nhe\r\nl\r\n', '$-1\r\n',
      '*-1\r\n', '_\r\n', '#t\r\n', ',-inf\r\n', ',3.5\r\n', '(123456789012345678901234567890\r\n',
      '!9\r\nSYNTAX no\r\n', '=8\r\ntxt:abcd\r\n', '*2\r\n:1\r\n*1\r\n$0\r\n\r\n', '>2\r\n+a\r\n_\r\n',
      '~2\r\n:1\r\n:2\r\n', '%1\r\n+k\r\n:7\r\n',
    ];
    const expected: RespValue[] = [
      'OK', { error: 'ERR boom' }, -42, 9007199254740993n, Buffer.from('he\r\nl'), null,
      null, null, true, { double: -Infinity }, { double: 3.5 }, 123456789012345678901234567890n,
      { error: 'SYNTAX no' }, { format: 'txt', text: Buffer.from('abcd') }, [1, [Buffer.alloc(0)]],
      { push: ['a', null] }, { set: [1, 2] }, new Map<RespValue, RespValue>([['k', 7]]),
    ];
    for (const replies of readAllThreeWays(Buffer.from(wire.join('')), 7)) {
      expect(replies.map((reply) => reply.raw.toString())).toEqual(wire);
      expect(replies.map((reply) => reply.value)).toEqual(expected);
    }
  });

  it('returns the value after an attribute and keeps the attribute in the raw bytes', () => {
    const wire = '|1\r\n+ttl\r\n:3\r\n$2\r\nhi\r\n';
    for (const [reply] of readAllThreeWays(Buffer.from(wire), 11)) {
      expect(reply!.raw.toString()).toBe(wire);
      expect(reply!.value).toEqual(Buffer.from('hi'));
    }
  });

  it('throws on a byte that starts no RESP type', () => {
    const reader = new ReplyReader();
    reader.feed(Buffer.from('?what\r\n'));
    expect(() => reader.next()).toThrow(/not a RESP reply type byte: "\?"/);
  });

  it('encodeCommand counts UTF-8 bytes in bulk lengths', () => {
    expect(encodeCommand('ECHO', 'é').toString()).toBe('*2\r\n$4\r\nECHO\r\n$2\r\né\r\n');
  });

  it('escapeBytes shows control and non-ASCII bytes visibly', () => {
    expect(escapeBytes(Buffer.from('a"\\\r\n\t\x00\xff', 'latin1'))).toBe(String.raw`"a\"\\\r\n\t\x00\xff"`);
  });
});

describe.skipIf(!hasRedis)('test helpers against a real redis-server', () => {
  let redis: RedisHandle;

  beforeAll(async () => {
    // DEBUG PROTOCOL (used below) needs the debug command enabled: also exercises extraArgs.
    redis = (await startRedis({ extraArgs: ['--enable-debug-command', 'local'] }))!;
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('a PUBLISH on one connection reaches the subscriber on another, byte for byte', async () => {
    const transcript = await runScript(redis.port, [
      { conn: 'a', send: ['SUBSCRIBE', 'a'], expect: 1 },
      { conn: 'b', send: ['PUBLISH', 'a', 'hello'], expect: 1 },
      { conn: 'a', expect: 1 },
    ]);
    // Exact frames from /work/shared/redis-pubsub-spec.md §1.2.
    expect(transcript).toEqual([
      String.raw`a: "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"`,
      String.raw`b: ":1\r\n"`,
      String.raw`a: "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n"`,
    ]);
  });

  it('PING on a RESP2 subscriber replies with a pong array, sent as raw bytes', async () => {
    const transcript = await runScript(redis.port, [
      { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
      { conn: 'a', sendRaw: '*1\r\n$4\r\nPING\r\n', expect: 1 },
      { conn: 'b', raw: 'PING\r\n', expect: 1 },
    ]);
    expect(transcript.slice(1)).toEqual([
      String.raw`a: "*2\r\n$4\r\npong\r\n$0\r\n\r\n"`,
      String.raw`b: "+PONG\r\n"`,
    ]);
  });

  it('protocol 3 sends HELLO 3 on each connection as it opens and leaves its reply out of the transcript', async () => {
    const transcript = await runScript(redis.port, [
      { conn: 'a', send: ['SUBSCRIBE', 'x'], expect: 1 },
      { conn: 'a', close: true },
      { conn: 'a', send: ['SUBSCRIBE', 'y'], expect: 1 },
    ], { protocol: 3 });
    expect(transcript).toEqual([
      String.raw`a: ">3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n"`,
      String.raw`a: ">3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:1\r\n"`,
    ]);
  });

  it('a protocol error is answered and then the server closes the connection', async () => {
    const transcript = await runScript(redis.port, [
      { conn: 'a', sendRaw: '*1\r\nfoo\r\n', expect: 0 },
      { conn: 'a', readUntilClosed: true },
    ]);
    expect(transcript).toEqual([
      String.raw`a: "-ERR Protocol error: expected '$', got 'f'\r\n"`,
      'a: <closed>',
    ]);
  });

  it('a closed subscriber is gone from PUBSUB NUMSUB once the close has propagated', async () => {
    const transcript = await runScript(redis.port, [
      { conn: 'sub', send: ['SUBSCRIBE', 'gone'], expect: 1 },
      { conn: 'admin', send: ['PUBSUB', 'NUMSUB', 'gone'], expect: 1 },
      { conn: 'sub', close: true },
      { sleepMs: 100 },
      { conn: 'admin', send: ['PUBSUB', 'NUMSUB', 'gone'], expect: 1 },
    ]);
    expect(transcript.slice(1)).toEqual([
      String.raw`admin: "*2\r\n$4\r\ngone\r\n:1\r\n"`,
      String.raw`admin: "*2\r\n$4\r\ngone\r\n:0\r\n"`,
    ]);
  });

  it('a failing step names the step and shows the replies received so far', async () => {
    const steps: Step[] = [{ conn: 'a', send: ['SUBSCRIBE', 'only-one'], expect: 2 }];
    await expect(runScript(redis.port, steps, { stepTimeoutMs: 200 })).rejects.toThrow(
      /step #0 .*SUBSCRIBE.* timed out after 200 ms .*1 unread replies .*subscribe/,
    );
  });

  it('RawClient decodes RESP3 replies of every kind redis sends (DEBUG PROTOCOL)', async () => {
    const client = await RawClient.connect(redis.port);
    try {
      await client.command('HELLO', '3');
      const kinds = ['attrib', 'bignum', 'true', 'verbatim', 'double', 'map', 'set', 'null'];
      client.send(Buffer.concat(kinds.map((kind) => encodeCommand('DEBUG', 'PROTOCOL', kind))));
      const reader = new ReplyReader();
      reader.feed(Buffer.concat(await client.readReplies(kinds.length)));
      const values = kinds.map(() => reader.next()!.value);
      expect(values).toEqual([
        Buffer.from('Some real reply following the attribute'),
        1234567999999999999999999999999999999n,
        true,
        { format: 'txt', text: Buffer.from('This is a verbatim\nstring') },
        { double: 3.141 },
        new Map<RespValue, RespValue>([[0, false], [1, true], [2, false]]),
        { set: [0, 1, 2] },
        null,
      ]);
    } finally {
      client.close();
    }
  });

  it('compareWithRedis runs one script on two servers and applies normalize to both', async () => {
    const other = (await startRedis())!;
    try {
      const steps: Step[] = [
        { conn: 'a', send: ['SUBSCRIBE', 'n1', 'n2'], expect: 2 },
        { conn: 'b', send: ['PUBLISH', 'n2', 'x'], expect: 1 },
        { conn: 'a', expect: 1 },
        { conn: 'ids', send: ['CLIENT', 'ID'], expect: 1 },
      ];
      const normalize = (line: string): string => (line.startsWith('ids: ') ? 'ids: <client id>' : line);
      const { ours, theirs } = await compareWithRedis(steps, other.port, redis.port, { normalize });
      expect(ours).toEqual(theirs);
      expect(ours).toHaveLength(5);
      expect(ours[4]).toBe('ids: <client id>');
    } finally {
      await other.stop();
    }
  });

  it('stop() ends redis-server so its port refuses connections', async () => {
    const doomed = (await startRedis())!;
    await doomed.stop();
    await expect(RawClient.connect(doomed.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
