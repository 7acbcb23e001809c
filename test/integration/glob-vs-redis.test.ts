/**
 * Differential test: globMatch against a real redis-server (Redis's stringmatchlen is the spec).
 *
 * One connection SUBSCRIBEs to a fixed set of random channels; for each random pattern we ask
 * `PUBSUB CHANNELS <pattern>` and compare the set Redis returns with the channels globMatch accepts.
 * The nesting-cap cases go through PSUBSCRIBE + PUBLISH (the delivery path) on a second connection.
 * Speaks raw RESP2 over node:net; starts its own redis-server on a free loopback port.
 * Without redis-server: skipped with a warning, except under CI=true where it fails.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globMatch, globMatchBytes } from '../../src/partition/glob.js';

const REDIS_SERVER = 'redis-server';
const redisVersion = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
const redisAvailable = redisVersion.status === 0;
const runningInCi = process.env.CI === 'true';
if (!redisAvailable && !runningInCi) {
  console.warn(`SKIPPING glob-vs-redis: '${REDIS_SERVER}' not found on PATH; the glob matcher is NOT checked against Redis`);
}

// Longer local runs: GLOB_FUZZ_PATTERNS=100000 GLOB_FUZZ_SEED=7 npx vitest run <this file>
const FUZZ_PATTERN_COUNT = Number(process.env.GLOB_FUZZ_PATTERNS ?? 4000);
const FUZZ_SEED = Number(process.env.GLOB_FUZZ_SEED ?? 0x5eed0001);
const CHANNEL_COUNT = 300;
const PIPELINE_BATCH = 500;
const READ_TIMEOUT_MS = 15_000;
const SERVER_START_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// A minimal RESP2 client: encodes commands as arrays of bulk strings, parses replies.

type Reply = Buffer | number | string | null | Error | Reply[];

function encodeCommand(args: ReadonlyArray<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply starting at `start`; undefined when the buffer holds only part of it. */
function parseReply(buf: Buffer, start: number): { value: Reply; end: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[start]);
  const line = buf.toString('latin1', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return undefined;
      return { value: buf.subarray(next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos);
        if (item === undefined) return undefined;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[start]}`);
  }
}

class RespConnection {
  private pending: Buffer = Buffer.alloc(0);
  private readonly replies: Reply[] = [];
  private wakeReader: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      let pos = 0;
      for (;;) {
        const parsed = parseReply(this.pending, pos);
        if (parsed === undefined) break;
        this.replies.push(parsed.value);
        pos = parsed.end;
      }
      this.pending = this.pending.subarray(pos);
      this.wakeReader?.();
    });
  }

  static open(port: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RespConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  send(args: ReadonlyArray<string | Uint8Array>): void {
    this.socket.write(encodeCommand(args));
  }

  sendMany(commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>): void {
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
  }

  async read(): Promise<Reply> {
    const deadline = Date.now() + READ_TIMEOUT_MS;
    while (this.replies.length === 0) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) throw new Error('timed out waiting for a Redis reply');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remainingMs);
        this.wakeReader = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeReader = null;
    }
    return this.replies.shift()!;
  }

  async call(args: ReadonlyArray<string | Uint8Array>): Promise<Reply> {
    this.send(args);
    return this.read();
  }

  close(): void {
    this.socket.destroy();
  }
}

async function freeLoopbackPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function connectWhenReady(port: number): Promise<RespConnection> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  for (;;) {
    try {
      return await RespConnection.open(port);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Seeded random patterns and channels.

/** mulberry32: small seeded PRNG, returns [0, 1). */
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

const ch = (text: string): number => text.charCodeAt(0);
/** The spec's fuzzing alphabet plus NUL, \x01, \x80, `_` and `c`. */
const PATTERN_ALPHABET = [...'abz*?[]^-\\_c'].map(ch).concat([0xff, 0x00, 0x01, 0x80]);
/** Channels lean on plain letters so that patterns match often, but carry special bytes too. */
const CHANNEL_ALPHABET = [...'aaabbbzz*?[]^-\\_c'].map(ch).concat([0xff, 0x00, 0x01, 0x80]);

function randomBytes(random: () => number, alphabet: number[], maxLength: number): Uint8Array {
  const length = Math.floor(random() * (maxLength + 1));
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = alphabet[Math.floor(random() * alphabet.length)];
  return bytes;
}

/** A pattern made from a channel by a few glob edits, so that a good share of patterns match. */
function mutatedPattern(random: () => number, channel: Uint8Array): Uint8Array {
  const bytes = [...channel];
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const here = bytes[at] ?? ch('a');
    const other = CHANNEL_ALPHABET[Math.floor(random() * CHANNEL_ALPHABET.length)];
    switch (Math.floor(random() * 8)) {
      case 0:
        bytes.splice(at, 0, ch('*'));
        break;
      case 1:
        bytes.splice(at, 1, ch('?'));
        break;
      case 2:
        bytes.splice(at, 1, ch('['), here, other, ch(']'));
        break;
      case 3:
        bytes.splice(at, 1, ch('['), ch('^'), other, ch(']'));
        break;
      case 4:
        bytes.splice(at, 1, ch('['), here, ch('-'), other, ch(']'));
        break;
      case 5:
        bytes.splice(at, 0, ch('\\'));
        break;
      case 6:
        bytes.splice(at, 1, ch('*'), ch('*'));
        break;
      default:
        bytes.splice(at, 1);
        break;
    }
  }
  return Uint8Array.from(bytes);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// ---------------------------------------------------------------------------------------------

describe.skipIf(!redisAvailable && !runningInCi)('globMatch against a real redis-server', () => {
  let server: ChildProcess | undefined;
  let subscriber: RespConnection;
  let client: RespConnection;
  let port = 0;

  beforeAll(async () => {
    if (!redisAvailable) throw new Error(`'${REDIS_SERVER}' is required in CI but was not found on PATH`);
    port = await freeLoopbackPort();
    server = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    subscriber = await connectWhenReady(port);
    client = await connectWhenReady(port);
  });

  afterAll(() => {
    subscriber?.close();
    client?.close();
    server?.kill('SIGKILL');
  });

  it(`agrees with PUBSUB CHANNELS on ${FUZZ_PATTERN_COUNT} seeded random patterns`, async () => {
    const random = seededRandom(FUZZ_SEED);
    const channelsByHex = new Map<string, Uint8Array>([['', new Uint8Array(0)]]);
    while (channelsByHex.size < CHANNEL_COUNT) {
      const channel = randomBytes(random, CHANNEL_ALPHABET, 7);
      channelsByHex.set(hex(channel), channel);
    }
    const channels = [...channelsByHex.values()];
    subscriber.send(['SUBSCRIBE', ...channels]);
    for (let i = 0; i < channels.length; i++) await subscriber.read();

    const patterns: Uint8Array[] = [];
    for (let i = 0; i < FUZZ_PATTERN_COUNT; i++) {
      patterns.push(
        random() < 0.5
          ? randomBytes(random, PATTERN_ALPHABET, 10)
          : mutatedPattern(random, channels[Math.floor(random() * channels.length)]),
      );
    }

    const mismatches: string[] = [];
    let matchedPairs = 0;
    for (let batchStart = 0; batchStart < patterns.length; batchStart += PIPELINE_BATCH) {
      const batch = patterns.slice(batchStart, batchStart + PIPELINE_BATCH);
      client.sendMany(batch.map((pattern) => ['PUBSUB', 'CHANNELS', pattern]));
      for (const pattern of batch) {
        const reply = await client.read();
        if (!Array.isArray(reply)) throw new Error(`unexpected PUBSUB CHANNELS reply ${String(reply)}`);
        const expected = new Set(reply.map((item) => hex(item as Buffer)));
        // Same pattern and channel placed at odd offsets inside larger buffers: the bytes around
        // them must not leak into the match (the matcher emulates NUL after the pattern end).
        const paddedPattern = Uint8Array.from([ch('*'), ...pattern, ch(']'), ch('*')]);
        for (const channel of channels) {
          const paddedChannel = Uint8Array.from([ch('a'), ch('b'), ...channel, ch('z')]);
          const actual = globMatchBytes(pattern, channel);
          const actualPadded = globMatch(paddedPattern, 1, pattern.length, paddedChannel, 2, channel.length);
          const wanted = expected.has(hex(channel));
          if (wanted) matchedPairs++;
          if (actual !== wanted || actualPadded !== wanted) {
            mismatches.push(`pattern ${hex(pattern)} channel ${hex(channel)}: redis ${wanted}, globMatch ${actual}/${actualPadded}`);
          }
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // The comparison is only worth something if many pairs match.
    expect(matchedPairs).toBeGreaterThan(FUZZ_PATTERN_COUNT);
  });

  it.each([
    { name: '`*a` x1000 against `a` x1000 (nesting 999)', pattern: '*a'.repeat(1000), channel: 'a'.repeat(1000), receivers: 1 },
    { name: '`*a` x1001 against `a` x1000 (over the nesting cap)', pattern: '*a'.repeat(1001), channel: 'a'.repeat(1000), receivers: 0 },
    { name: '`*a` x1000 + `*` against `a` x1000 + `b` (trailing `*` at nesting 1000)', pattern: `${'*a'.repeat(1000)}*`, channel: `${'a'.repeat(1000)}b`, receivers: 1 },
    { name: '`*a` x1001 + `*` against `a` x1001 + `b`', pattern: `${'*a'.repeat(1001)}*`, channel: `${'a'.repeat(1001)}b`, receivers: 0 },
    { name: '`*?` x50000 against a 50000-byte channel', pattern: '*?'.repeat(50_000), channel: 'x'.repeat(50_000), receivers: 0 },
    { name: '`a*` x40 + `b` against `a` x60 (skipLongerMatches)', pattern: `${'a*'.repeat(40)}b`, channel: 'a'.repeat(60), receivers: 0 },
    { name: '`a*` x40 + `b` against `a` x60 + `b`', pattern: `${'a*'.repeat(40)}b`, channel: `${'a'.repeat(60)}b`, receivers: 1 },
  ])('PUBLISH and globMatch agree for $name', async ({ pattern, channel, receivers }) => {
    const patternBytes = Buffer.from(pattern, 'latin1');
    const channelBytes = Buffer.from(channel, 'latin1');
    const patternSubscriber = await RespConnection.open(port);
    try {
      await patternSubscriber.call(['PSUBSCRIBE', patternBytes]);
      expect(await client.call(['PUBLISH', channelBytes, 'm'])).toBe(receivers);
      expect(globMatchBytes(patternBytes, channelBytes)).toBe(receivers === 1);
    } finally {
      patternSubscriber.close();
    }
  });
});
