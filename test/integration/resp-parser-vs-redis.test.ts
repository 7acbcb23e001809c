// Differential test: the same request bytes go to a real redis-server over a raw socket and
// through RespParser. Redis must send one reply per command the parser returned (exact bytes for
// PING/ECHO), then, when the parser reports a protocol error, exactly `-ERR <errorMessage>\r\n`
// and close the connection. Covers the spec's error table, tolerated input, the pre-AUTH limits,
// the query buffer limit, and seeded random inputs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PARSE_COMMAND,
  PARSE_NEED_MORE,
  PARSE_PROTOCOL_ERROR,
  PARSE_QUERY_LIMIT,
  RespParser,
  type ParserLimits,
} from '../../src/protocol/resp-parser.js';

const REDIS_LIMITS: ParserLimits = { maxBulkBytes: 536870912, maxQueryBufferBytes: 1073741824 };
const EXCHANGE_TIMEOUT_MS = 10_000;
/** After the expected replies arrived, how long to keep listening for unexpected extra ones. */
const EXTRA_REPLY_GRACE_MS = 150;

const redisAvailable = spawnSync('redis-server', ['--version']).status === 0;
if (!redisAvailable && process.env.CI !== 'true') {
  console.warn('\n*** SKIPPING resp-parser-vs-redis: redis-server is not installed (not on PATH). ***\n');
}

interface RedisServer {
  port: number;
  process: ChildProcess;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()];
  const child = spawn('redis-server', [...args, ...extraArgs], {
    stdio: 'ignore',
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    const reply = await exchange(port, Buffer.from('PING\r\n'), 1).catch(() => null);
    if (reply !== null && reply.data.length > 0) return { port, process: child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error(`redis-server did not start on port ${port}`);
}

function stopRedis(server: RedisServer | undefined): void {
  server?.process.kill();
}

interface Reply {
  type: string;
  /** Line text for + - :, payload for $. */
  text: string;
}

/** Reads the complete RESP2 replies at the start of data (only the types PING/ECHO/errors produce). */
function readReplies(data: Buffer): Reply[] {
  const replies: Reply[] = [];
  let pos = 0;
  for (;;) {
    const cr = data.indexOf('\r\n', pos, 'latin1');
    if (cr < 0) return replies;
    const type = String.fromCharCode(data[pos]);
    const line = data.toString('latin1', pos + 1, cr);
    if (type === '$') {
      const length = Number(line);
      if (data.length < cr + 2 + length + 2) return replies;
      replies.push({ type, text: data.toString('latin1', cr + 2, cr + 2 + length) });
      pos = cr + 2 + length + 2;
    } else {
      replies.push({ type, text: line });
      pos = cr + 2;
    }
  }
}

interface Exchange {
  data: Buffer;
  closed: boolean;
}

/** Writes input on a fresh connection. Resolves once the server closed it, or once `replyCount`
 * replies arrived and no more came for a short grace period. */
function exchange(port: number, input: Buffer, replyCount: number | 'close'): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(deadline);
      clearTimeout(graceTimer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${EXCHANGE_TIMEOUT_MS} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, EXCHANGE_TIMEOUT_MS);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (replyCount !== 'close' && readReplies(Buffer.concat(chunks)).length >= replyCount) {
        clearTimeout(graceTimer);
        graceTimer = setTimeout(() => finish(false), EXTRA_REPLY_GRACE_MS);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => {
      // Redis resets connections it drops for the query buffer limit: same as a close here.
    });
    socket.on('connect', () => {
      socket.write(input);
      if (replyCount === 0) graceTimer = setTimeout(() => finish(false), EXTRA_REPLY_GRACE_MS);
    });
  });
}

interface Parsed {
  commands: string[][];
  status: number;
  errorMessage: string;
}

function parseAll(input: Buffer, requireAuth = false, limits: ParserLimits = REDIS_LIMITS): Parsed {
  const parser = new RespParser({ ...limits });
  parser.requireAuth = requireAuth;
  parser.feed(input);
  const commands: string[][] = [];
  let status = parser.next();
  while (status === PARSE_COMMAND) {
    const args: string[] = [];
    for (let i = 0; i < parser.argc; i++) args.push(parser.argLatin1(i));
    commands.push(args);
    status = parser.next();
  }
  return { commands, status, errorMessage: parser.errorMessage };
}

/** The reply Redis gives to a parsed command: exact for PING and ECHO, else just "an error". */
function expectedReply(args: string[]): Reply {
  const name = args[0].toLowerCase();
  if (name === 'ping' && args.length === 1) return { type: '+', text: 'PONG' };
  if ((name === 'ping' || name === 'echo') && args.length === 2) return { type: '$', text: args[1] };
  return { type: '-', text: '' };
}

async function expectSameAsRedis(port: number, input: Buffer, requireAuth = false): Promise<Parsed> {
  const parsed = parseAll(input, requireAuth);
  expect(parsed.status, 'these cases end in a command boundary or a protocol error').not.toBe(PARSE_QUERY_LIMIT);
  const failed = parsed.status === PARSE_PROTOCOL_ERROR;
  const { data, closed } = await exchange(port, input, failed ? 'close' : parsed.commands.length);
  const replies = readReplies(data);
  const label = JSON.stringify(input.toString('latin1').slice(0, 120));
  expect(replies.length, label).toBe(parsed.commands.length + (failed ? 1 : 0));
  parsed.commands.forEach((args, i) => {
    const want = expectedReply(args);
    expect(replies[i].type, label).toBe(want.type);
    if (want.type !== '-') expect(replies[i].text, label).toBe(want.text);
  });
  if (failed) {
    expect(data.subarray(data.length - parsed.errorMessage.length - 7).toString('latin1'), label).toBe(
      `-ERR ${parsed.errorMessage}\r\n`,
    );
    expect(closed, label).toBe(true);
  } else {
    expect(closed, label).toBe(false);
  }
  return parsed;
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random request bytes from pieces that stress framing: valid ECHO commands (random payloads),
 * inline quoting, broken multibulk headers, and garbage. Command names can only come from
 * alphabets that spell nothing but ECHO, PING and EXEC, so the server's state never changes. */
function randomInput(random: () => number): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const randomBytes = (maxLength: number) =>
    Buffer.from(Array.from({ length: Math.floor(random() * (maxLength + 1)) }, () => Math.floor(random() * 256)));
  // Bytes that matter to framing; a name made of them spells no command.
  const framingBytes = (maxLength: number) =>
    Buffer.from(Array.from({ length: Math.floor(random() * (maxLength + 1)) }, () => pick([0x00, 0x0a, 0x0d, 0x20, 0x24, 0x2a, 0x31, 0x78, 0xff])));
  const garbage = ['*', '$', '-', '0', '1', '2', '9', '\r', '\n', '\r\n', ' ', '"', "'", '\\', 'x', 'q', '\x00', '\t', '\x0b', 'E', 'C', 'H', 'O', 'P', 'I', 'N', 'G', '\xff'];
  const parts: Buffer[] = [];
  const pieceCount = 1 + Math.floor(random() * 8);
  for (let i = 0; i < pieceCount; i++) {
    const kind = random();
    if (kind < 0.25) {
      const payload = randomBytes(12);
      parts.push(Buffer.from(`*2\r\n$4\r\nECHO\r\n$${payload.length}\r\n`), payload, Buffer.from(pick(['\r\n', 'xy'])));
    } else if (kind < 0.4) {
      const token = Array.from({ length: Math.floor(random() * 6) }, () => pick(['a', 'a', 'b', ' ', ' ', '"', "'", '\\', 'x', '4', 'n', '\x0b'])).join('');
      parts.push(Buffer.from(`${pick(['ECHO', 'PING', 'echo'])} ${token}${pick(['\r\n', '\n'])}`, 'latin1'));
    } else if (kind < 0.5) {
      parts.push(Buffer.from(pick(['*0\r\n', '*-1\r\n', '\r\n', 'PING\r\n', '*1\r\n$4\r\nPING\r\n'])));
    } else if (kind < 0.75) {
      // A multibulk request with a possibly broken count, headers, terminators and payloads.
      parts.push(Buffer.from(`*${pick(['1', '2', '2', '0', '-1', 'x', '', '01', '3'])}${pick(['\r\n', '\r\n', '\r', '\rX'])}`));
      for (let header = Math.floor(random() * 4); header > 0; header--) {
        const text = `${pick(['$', '$', '$', '%', 'x', ''])}${pick(['1', '0', '4', '2', '-1', '', '04', 'a'])}${pick(['\r\n', '\r\n', '\rZ', '\n'])}`;
        parts.push(Buffer.from(text), framingBytes(5), Buffer.from(pick(['\r\n', '', 'ab'])));
      }
    } else {
      parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(garbage)).join(''), 'latin1'));
    }
  }
  return Buffer.concat(parts);
}

describe.skipIf(!redisAvailable)('RespParser against a real redis-server', () => {
  let redis: RedisServer | undefined;
  let redisWithPassword: RedisServer | undefined;

  beforeAll(async () => {
    [redis, redisWithPassword] = await Promise.all([startRedis(), startRedis(['--requirepass', 'secret'])]);
  });

  afterAll(() => {
    stopRedis(redis);
    stopRedis(redisWithPassword);
  });

  it.each([
    ['*abc\r\n'],
    ['*2147483648\r\n'],
    ['*-9223372036854775809\r\n'],
    ['*3\r\n$x\r\n'],
    ['*1\r\n$-5\r\n'],
    ['*1\r\n$04\r\n'],
    ['*1\r\n$536870913\r\n'],
    ['*1\r\nfoo\r\n'],
    ['*1\r\n\r\n'],
    ['*1\r\n\xff\r\n'],
    ['GET "foo\r\n'],
    ["GET 'foo\r\n"],
    ['ECHO "a"b\r\n'],
    ['P'.repeat(70000)],
    ['*' + '1'.repeat(70000)],
    ['*1\r\n$' + '1'.repeat(70000)],
    ['*1\r\n' + 'X'.repeat(70000)],
    ['*1\x00\r\n' + 'x'.repeat(70000)],
    ['PING\r\nECHO "a\\x41\\n"\r\n*1\r\n$4\r\nPING\r\n*0\r\n*-1\r\n\r\n*1\r\nfoo\r\n'],
  ])('Redis answers %j with the same protocol error', async (input) => {
    const parsed = await expectSameAsRedis(redis!.port, Buffer.from(input, 'latin1'));
    expect(parsed.status).toBe(PARSE_PROTOCOL_ERROR);
  });

  it.each([
    ['*0\r\n*-10\r\nPING\r\n\n  \r\nECHO \'a\\\'b\'\r\n*2\r\n$4\r\nECHOxx$1\rXzYYPING\n'],
    ['ECHO "\\xZZ\\q\\x4a" \r\n+PING\r\nECHO a\x0bb\r\n\x0bPING "x"\x0b\r\n'],
    ['*1\r\n$4\r\nPING\r\n*-9223372036854775808\r\n*1\r\n$4\r\nPING\r'],
    ['PI\x00NG\r\nPING\r\n'],
  ])('Redis answers the tolerated input %j command for command', async (input) => {
    const parsed = await expectSameAsRedis(redis!.port, Buffer.from(input, 'latin1'));
    expect(parsed.status).toBe(PARSE_NEED_MORE);
  });

  it.each([
    ['*11\r\n'],
    ['*2\r\n$4\r\nAUTH\r\n$16385\r\n'],
    ['*2147483648\r\n'],
  ])('before AUTH, Redis answers %j with the same protocol error', async (input) => {
    const parsed = await expectSameAsRedis(redisWithPassword!.port, Buffer.from(input, 'latin1'), true);
    expect(parsed.status).toBe(PARSE_PROTOCOL_ERROR);
  });

  it('Redis closes without a reply where the parser reports the query buffer limit', async () => {
    const limitBytes = 1024 * 1024;
    const setLimit = (bytes: number) =>
      exchange(redis!.port, Buffer.from(`CONFIG SET client-query-buffer-limit ${bytes}\r\n`), 1);
    expect(readReplies((await setLimit(limitBytes)).data)).toEqual([{ type: '+', text: 'OK' }]);
    try {
      const input = Buffer.concat([Buffer.from('*2\r\n$4\r\nECHO\r\n$2000000\r\n'), Buffer.alloc(1500000, 0x61)]);
      const parser = new RespParser({ ...REDIS_LIMITS, maxQueryBufferBytes: limitBytes });
      parser.feed(input);
      expect(parser.next()).toBe(PARSE_QUERY_LIMIT);
      const { data, closed } = await exchange(redis!.port, input, 'close');
      expect(closed).toBe(true);
      expect(data.length).toBe(0);
    } finally {
      await setLimit(1024 * 1024 * 1024);
    }
  });

  it('Redis agrees with the parser on 300 seeded random inputs', async () => {
    const random = seededRandom(20241118);
    const inputs = Array.from({ length: 300 }, () => randomInput(random));
    // In parallel: each exchange that ends without an error waits a short grace period.
    for (let first = 0; first < inputs.length; first += 50) {
      await Promise.all(inputs.slice(first, first + 50).map((input) => expectSameAsRedis(redis!.port, input)));
    }
  });
});

describe.runIf(!redisAvailable && process.env.CI === 'true')('RespParser differential prerequisites', () => {
  it('redis-server is installed in CI', () => {
    expect(redisAvailable).toBe(true);
  });
});
