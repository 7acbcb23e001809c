// Unit tests for src/protocol/resp-parser.ts. Redis 7.0 networking.c is the spec. Every input
// case runs three ways (the whole input in one feed, byte by byte, and at seeded random split
// points), feeding like a socket and draining complete commands after each feed; the few tests
// that are about one particular feeding pattern (buffer reuse, memory, line-length rules that
// depend on arrival) say so in their names or comments.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  INLINE_MAX_BYTES,
  PARSE_COMMAND,
  PARSE_NEED_MORE,
  PARSE_PROTOCOL_ERROR,
  PARSE_QUERY_LIMIT,
  RespParser,
  type ParserLimits,
} from '../../src/protocol/resp-parser.js';

const DEFAULT_LIMITS: ParserLimits = { maxBulkBytes: 536870912, maxQueryBufferBytes: 1073741824 };
const SEEDS = [1, 2, 3, 7, 42];
const MiB = 1024 * 1024;

interface Outcome {
  /** Each command's arguments as latin1 strings (binary-safe). */
  commands: string[][];
  /** Last status next() returned. */
  status: number;
  errorMessage: string;
}

interface RunOptions {
  limits?: Partial<ParserLimits>;
  requireAuth?: boolean;
  /** Called after each command is collected: may change limits or requireAuth. */
  afterCommand?: (parser: RespParser, commandIndex: number) => void;
}

v8.setFlagsFromString('--expose-gc');
const runGc = vm.runInNewContext('gc') as () => void;

/** A full GC after the current job, so WeakRefs made during it can be cleared. */
async function collectGarbage(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  runGc();
}

/** mulberry32: a small seeded PRNG, so random splits are reproducible. */
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

/** Copies every piece, so the parser never shares memory with the test's input. */
function splitAt(input: Buffer, lengths: Iterable<number>): Buffer[] {
  const pieces: Buffer[] = [];
  let offset = 0;
  for (const length of lengths) {
    if (offset >= input.length) break;
    pieces.push(Buffer.from(input.subarray(offset, offset + length)));
    offset += length;
  }
  if (offset < input.length) pieces.push(Buffer.from(input.subarray(offset)));
  return pieces;
}

function* randomLengths(seed: number, maxPieceBytes: number): Generator<number> {
  const random = seededRandom(seed);
  for (;;) yield 1 + Math.floor(random() * random() * maxPieceBytes);
}

function* repeat(length: number): Generator<number> {
  for (;;) yield length;
}

/** The three ways of the house rule: whole, byte by byte, seeded random splits (one per seed). */
function splitWays(input: Buffer): Array<[string, Buffer[]]> {
  const ways: Array<[string, Buffer[]]> = [
    ['whole', [Buffer.from(input)]],
    ['byte by byte', splitAt(input, repeat(1))],
  ];
  const maxPieceBytes = Math.max(16, input.length >> 2);
  for (const seed of SEEDS) ways.push([`random splits, seed ${seed}`, splitAt(input, randomLengths(seed, maxPieceBytes))]);
  return ways;
}

function newParser(options: RunOptions = {}): RespParser {
  const parser = new RespParser({ ...DEFAULT_LIMITS, ...options.limits });
  parser.requireAuth = options.requireAuth ?? false;
  return parser;
}

function argsOf(parser: RespParser): string[] {
  const args: string[] = [];
  for (let i = 0; i < parser.argc; i++) args.push(parser.argLatin1(i));
  return args;
}

/** Feeds pieces like socket reads and drains next() after each one until it needs more. */
function run(pieces: Buffer[], options: RunOptions = {}): Outcome {
  const parser = newParser(options);
  const commands: string[][] = [];
  let status = PARSE_NEED_MORE;
  for (const piece of pieces) {
    parser.feed(piece);
    status = parser.next();
    while (status === PARSE_COMMAND) {
      commands.push(argsOf(parser));
      options.afterCommand?.(parser, commands.length - 1);
      status = parser.next();
    }
    if (status !== PARSE_NEED_MORE) break;
  }
  return { commands, status, errorMessage: status === PARSE_PROTOCOL_ERROR ? parser.errorMessage : '' };
}

function expectAllWays(input: Buffer | string, expected: Partial<Outcome>, options: RunOptions = {}): void {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const want: Outcome = { commands: [], status: PARSE_NEED_MORE, errorMessage: '', ...expected };
  for (const [way, pieces] of splitWays(bytes)) {
    expect(run(pieces, options), way).toEqual(want);
  }
}

/** Encodes arguments the way every client library does. */
function multibulk(...args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

function protocolError(message: string): Partial<Outcome> {
  return { status: PARSE_PROTOCOL_ERROR, errorMessage: message };
}

describe('RespParser: multibulk requests', () => {
  it('a multibulk command yields its arguments', () => {
    expectAllWays(multibulk('PUBLISH', 'chan', 'hello'), { commands: [['PUBLISH', 'chan', 'hello']] });
  });

  it('a pipeline of 300 commands yields every command in order', () => {
    const random = seededRandom(99);
    const expected: string[][] = [];
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const payload = 'p'.repeat(Math.floor(random() * 300)) + i;
      const args = i % 3 === 0 ? ['PING'] : ['PUBLISH', `chan:${i}`, payload];
      expected.push(args);
      parts.push(multibulk(...args));
    }
    expectAllWays(Buffer.concat(parts), { commands: expected });
  });

  it('bulk arguments are binary safe: CR, LF, NUL and 0xff inside a bulk', () => {
    const binary = Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x2a, 0x24, 0x0d, 0x0a, 0x0d]);
    expectAllWays(Buffer.concat([multibulk('SET', binary, '\r\n'), multibulk('PING')]), {
      commands: [['SET', binary.toString('latin1'), '\r\n'], ['PING']],
    });
  });

  it('an empty bulk ($0) is an empty argument', () => {
    expectAllWays('*3\r\n$4\r\nECHO\r\n$0\r\n\r\n$0\r\n\r\n', { commands: [['ECHO', '', '']] });
  });

  it('*0, *-1 and *-10 are ignored and parsing goes on', () => {
    expectAllWays(`*0\r\n*-1\r\n*-10\r\n*-9223372036854775808\r\n${multibulk('PING').toString()}`, {
      commands: [['PING']],
    });
  });

  it('the two bytes after a bulk and the byte after a header CR are skipped unchecked', () => {
    expectAllWays('*2\r\n$4\r\nECHOxy$2\rXhi!!*1\rZ$4\r\nPING\r\n', { commands: [['ECHO', 'hi'], ['PING']] });
  });

  it('a command is returned only once the two bytes after its last bulk have arrived', () => {
    expectAllWays('*1\r\n$4\r\nPING\r', {});
    expectAllWays('*1\r\n$4\r\nPING', {});
  });

  it('a header whose CR is the last byte buffered waits for one more byte', () => {
    expectAllWays('*1\r', {});
    expectAllWays('*1\r\n$4\r', {});
  });

  it('a multibulk count of 2147483647 waits for arguments without allocating for them', () => {
    for (const [way, pieces] of splitWays(Buffer.from('*2147483647\r\n$1\r\na\r\n$2\r\nbc\r\n'))) {
      const parser = newParser();
      for (const piece of pieces) {
        parser.feed(piece);
        expect(parser.next(), way).toBe(PARSE_NEED_MORE);
      }
      expect(parser.argStart.length, way).toBeLessThan(64);
      expect(parser.bufferedBytes(), way).toBe(0);
    }
  });

  it('a count of 2000000000 followed by a few arguments needs more and stays small', () => {
    const parser = newParser();
    parser.feed(Buffer.from('*2000000000\r\n$1\r\na\r\n'));
    expect(parser.next()).toBe(PARSE_NEED_MORE);
    expect(parser.argStart.length).toBeLessThan(64);
  });

  it('a bulk of exactly maxBulkBytes is accepted and one byte more is an invalid bulk length', () => {
    const limits = { maxBulkBytes: 10 };
    expectAllWays(multibulk('ECHO', '0123456789'), { commands: [['ECHO', '0123456789']] }, { limits });
    expectAllWays('*2\r\n$4\r\nECHO\r\n$11\r\n', protocolError('Protocol error: invalid bulk length'), { limits });
    expectAllWays('*1\r\n$536870912\r\n', {});
    expectAllWays('*1\r\n$536870913\r\n', protocolError('Protocol error: invalid bulk length'));
  });
});

describe('RespParser: protocol errors carry the exact Redis text', () => {
  const invalidMultibulk = protocolError('Protocol error: invalid multibulk length');
  const invalidBulk = protocolError('Protocol error: invalid bulk length');

  it.each([
    ['*abc\r\n'],
    ['*2147483648\r\n'],
    ['*\r\n'],
    ['*+1\r\n'],
    ['*01\r\n'],
    ['*-0\r\n'],
    ['*1 \r\n'],
    ['*99999999999999999999\r\n'],
    ['*-9223372036854775809\r\n'],
    ['*1000000000000000\r\n'],
  ])('%j is an invalid multibulk length', (input) => {
    expectAllWays(input, invalidMultibulk);
  });

  it.each([
    ['*3\r\n$x\r\n'],
    ['*1\r\n$-5\r\n'],
    ['*1\r\n$-1\r\n'],
    ['*1\r\n$04\r\n'],
    ['*1\r\n$\r\n'],
    ['*1\r\n$\xff\r\n'],
    ['*1\r\n$9223372036854775808\r\n'],
  ])('%j is an invalid bulk length', (input) => {
    expectAllWays(input, invalidBulk);
  });

  it("a line after *N that does not start with '$' names the byte it got", () => {
    expectAllWays('*1\r\nfoo\r\n', protocolError("Protocol error: expected '$', got 'f'"));
    expectAllWays('*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', protocolError("Protocol error: expected '$', got 'f'"));
    expectAllWays('*1\r\n\xff\r\n', protocolError("Protocol error: expected '$', got '\xff'"));
  });

  it("a CR or LF where '$' was expected is shown as a space, as Redis's error formatter does", () => {
    expectAllWays('*1\r\n\r\n', protocolError("Protocol error: expected '$', got ' '"));
    expectAllWays('*1\r\n\n\r\n', protocolError("Protocol error: expected '$', got ' '"));
  });

  it('more than 64 KiB without a newline is a too big inline request', () => {
    expectAllWays('P'.repeat(INLINE_MAX_BYTES), {});
    expectAllWays('P'.repeat(INLINE_MAX_BYTES + 1), protocolError('Protocol error: too big inline request'));
  });

  it('more than 64 KiB after * without a CR is a too big mbulk count string', () => {
    expectAllWays('*' + '1'.repeat(INLINE_MAX_BYTES - 1), {});
    expectAllWays('*' + '1'.repeat(INLINE_MAX_BYTES), protocolError('Protocol error: too big mbulk count string'));
  });

  it('more than 64 KiB without a CR where a bulk header is due is a too big bulk count string', () => {
    const tooBig = protocolError('Protocol error: too big bulk count string');
    expectAllWays('*1\r\n$' + '1'.repeat(70000), tooBig);
    // The size rule comes before the '$' check, because Redis checks '$' only once it has a line.
    expectAllWays('*1\r\n' + 'X'.repeat(70000), tooBig);
  });

  it('a header line over 64 KiB that arrives with its CR in one read is judged on its content, as in Redis', () => {
    // Split-dependent by nature (arriving in small reads it is too big first), so one way only.
    const ping = multibulk('PING').toString();
    expect(run([Buffer.from(`${ping}*1\r\n${'X'.repeat(70000)}\r`)])).toEqual({
      commands: [['PING']],
      status: PARSE_NEED_MORE,
      errorMessage: '',
    });
    expect(run([Buffer.from(`${ping}*1\r\n${'X'.repeat(70000)}\rY`)])).toEqual({
      commands: [['PING']],
      status: PARSE_PROTOCOL_ERROR,
      errorMessage: "Protocol error: expected '$', got 'X'",
    });
  });

  it('a NUL byte hides the line terminator, as strchr does in Redis, until the line is too big', () => {
    expectAllWays('*1\x00\r\n$4\r\nPING\r\n', {});
    expectAllWays('*1\r\n$4\x00\r\nPING\r\n', {});
    expectAllWays('*1\r\nfoo\x00\r\n', {});
    expectAllWays('PI\x00NG\r\nPING\r\n', {});
    expectAllWays('*1\x00\r\n' + 'x'.repeat(70000), protocolError('Protocol error: too big mbulk count string'));
    expectAllWays('*1\r\n$4\x00\r\n' + 'x'.repeat(70000), protocolError('Protocol error: too big bulk count string'));
    expectAllWays('PI\x00NG\r\n' + 'x'.repeat(70000), protocolError('Protocol error: too big inline request'));
  });

  it('commands before an error in the same input are returned first', () => {
    expectAllWays(`${multibulk('PING').toString()}PING\r\n*1\r\n$-2\r\n${multibulk('PING').toString()}`, {
      commands: [['PING'], ['PING']],
      ...protocolError('Protocol error: invalid bulk length'),
    });
    expectAllWays('ECHO a\r\nECHO "b\r\nPING\r\n', {
      commands: [['ECHO', 'a']],
      ...protocolError('Protocol error: unbalanced quotes in request'),
    });
  });

  it('after a protocol error the parser keeps returning it and ignores new bytes', () => {
    const parser = newParser();
    parser.feed(Buffer.from('*x\r\n'));
    expect(parser.next()).toBe(PARSE_PROTOCOL_ERROR);
    parser.feed(multibulk('PING'));
    expect(parser.next()).toBe(PARSE_PROTOCOL_ERROR);
    expect(parser.errorMessage).toBe('Protocol error: invalid multibulk length');
    expect(parser.bufferedBytes()).toBe(0);
  });
});

describe('RespParser: inline commands', () => {
  it('a line ended by CRLF or by LF alone is split on whitespace', () => {
    expectAllWays('PING\r\nECHO  a \t b\nSUBSCRIBE x\r\n', {
      commands: [['PING'], ['ECHO', 'a', 'b'], ['SUBSCRIBE', 'x']],
    });
  });

  it('empty and whitespace-only lines are ignored', () => {
    expectAllWays('\r\n\n   \r\n\t\x0b\x0c\r\n\r\r\nPING\r\n', { commands: [['PING']] });
  });

  it('a CR inside a line separates arguments', () => {
    expectAllWays('ECHO a\rb\r\n', { commands: [['ECHO', 'a', 'b']] });
  });

  it('double quotes take the escapes \\n \\r \\t \\b \\a \\\\ \\" and \\xHH', () => {
    expectAllWays('ECHO "a\\n\\r\\t\\b\\a\\\\\\"z" "\\x41\\x4a\\xff\\x00"\r\n', {
      commands: [['ECHO', 'a\n\r\t\b\x07\\"z', 'AJ\xff\x00']],
    });
  });

  it('inside double quotes any other escaped byte stands for itself, \\x without two hex digits too', () => {
    expectAllWays('ECHO "\\xZZ" "\\x4" "\\q\\\'"\r\n', { commands: [['ECHO', 'xZZ', 'x4', "q'"]] });
  });

  it("single quotes take only \\' as an escape", () => {
    expectAllWays("ECHO 'a\\'b\\n\"c'\r\n", { commands: [['ECHO', "a'b\\n\"c"]] });
  });

  it('quotes may start inside a token and empty quotes are empty arguments', () => {
    expectAllWays('ECHO a"b c" "" \'\'\r\n', { commands: [['ECHO', 'ab c', '', '']] });
  });

  it('\\v and \\f end no unquoted token but count as whitespace around tokens and after quotes', () => {
    expectAllWays('\x0bECHO a\x0bb "q"\x0b\r\n', { commands: [['ECHO', 'a\x0bb', 'q']] });
  });

  it('bytes 0x80-0xff in an inline command are kept as they are', () => {
    expectAllWays('ECHO \xe9\xff\r\n', { commands: [['ECHO', '\xe9\xff']] });
  });

  it('a line starting with another RESP type byte is an inline command', () => {
    expectAllWays('+PING\r\n$4\r\n:1\r\n', { commands: [['+PING'], ['$4'], [':1']] });
  });

  it.each([
    ['GET "foo\r\n'],
    ["GET 'foo\r\n"],
    ['ECHO "a"b\r\n'],
    ["ECHO 'a'b\r\n"],
    ['ECHO "a" \'b\'"c"\r\n'],
    ['ECHO "a\\"\r\n'],
    ['ECHO "a\\\r\n'],
  ])('%j has unbalanced quotes', (input) => {
    expectAllWays(input, protocolError('Protocol error: unbalanced quotes in request'));
  });

  it('inline arguments lie inside buf at argStart..argEnd', () => {
    const parser = newParser();
    parser.feed(Buffer.from('ECHO "x y"\r\n'));
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.argc).toBe(2);
    expect(parser.arg(1).toString()).toBe('x y');
    expect(parser.buf.subarray(parser.argStart[0], parser.argEnd[0]).toString()).toBe('ECHO');
  });

  it('the 64 KiB rule looks at everything fed before next() runs, however many chunks it came in', () => {
    const parser = newParser();
    parser.feed(Buffer.from('ECHO '));
    parser.feed(Buffer.from('a'.repeat(70000)));
    parser.feed(Buffer.from('\n'));
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.argEnd[1] - parser.argStart[1]).toBe(70000);
  });

  it('an inline line longer than 64 KiB passes when its newline arrives in the same read, as in Redis', () => {
    const parser = newParser();
    parser.feed(Buffer.from('ECHO ' + 'a'.repeat(70000) + '\n'));
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.argEnd[1] - parser.argStart[1]).toBe(70000);
  });
});

describe('RespParser: authentication limits', () => {
  it('before AUTH, ten arguments are accepted and eleven are an unauthenticated multibulk length', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `a${i}`);
    expectAllWays(multibulk(...ten), { commands: [ten] }, { requireAuth: true });
    expectAllWays('*11\r\n', protocolError('Protocol error: unauthenticated multibulk length'), { requireAuth: true });
  });

  it('before AUTH, a 16384-byte bulk is accepted and a larger one is an unauthenticated bulk length', () => {
    const max = 'v'.repeat(16384);
    expectAllWays(multibulk('AUTH', max), { commands: [['AUTH', max]] }, { requireAuth: true });
    expectAllWays('*2\r\n$4\r\nAUTH\r\n$16385\r\n', protocolError('Protocol error: unauthenticated bulk length'), {
      requireAuth: true,
    });
  });

  it('the absolute limits are checked before the pre-AUTH ones', () => {
    expectAllWays('*2147483648\r\n', protocolError('Protocol error: invalid multibulk length'), { requireAuth: true });
    expectAllWays('*1\r\n$536870913\r\n', protocolError('Protocol error: invalid bulk length'), { requireAuth: true });
  });

  it('inline commands are not subject to the pre-AUTH limits', () => {
    const args = Array.from({ length: 12 }, (_, i) => `a${i}`);
    expectAllWays(args.join(' ') + '\r\n', { commands: [args] }, { requireAuth: true });
  });

  it('clearing requireAuth after AUTH lifts the limits for the next command', () => {
    const big = 'b'.repeat(20000);
    expectAllWays(Buffer.concat([multibulk('AUTH', 'pw'), multibulk('SET', 'k', big)]), {
      commands: [['AUTH', 'pw'], ['SET', 'k', big]],
    }, {
      requireAuth: true,
      afterCommand: (parser) => {
        parser.requireAuth = false;
      },
    });
  });
});

describe('RespParser: limits changed at run time', () => {
  it('lowering maxBulkBytes applies to the next bulk header', () => {
    expectAllWays(Buffer.concat([multibulk('ECHO', 'x'.repeat(100)), multibulk('ECHO', 'y'.repeat(100))]), {
      commands: [['ECHO', 'x'.repeat(100)]],
      ...protocolError('Protocol error: invalid bulk length'),
    }, {
      afterCommand: (parser) => {
        parser.limits.maxBulkBytes = 99;
      },
    });
  });

  it('raising maxBulkBytes accepts a bulk the old limit refused', () => {
    const parser = newParser({ limits: { maxBulkBytes: 10 } });
    parser.limits.maxBulkBytes = 20;
    parser.feed(multibulk('ECHO', 'z'.repeat(20)));
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.argString(1)).toBe('z'.repeat(20));
  });
});

describe('RespParser: query buffer limit', () => {
  it('more unparsed bytes than maxQueryBufferBytes is QUERY_LIMIT, however the bytes arrive', () => {
    const input = Buffer.concat([Buffer.from('*2\r\n$4\r\nECHO\r\n$5000\r\n'), Buffer.alloc(2000, 0x78)]);
    expectAllWays(input, { status: PARSE_QUERY_LIMIT }, { limits: { maxQueryBufferBytes: 1000 } });
  });

  it('exactly maxQueryBufferBytes buffered is allowed and one byte more is not', () => {
    const parser = newParser({ limits: { maxQueryBufferBytes: 100 } });
    parser.feed(Buffer.from('*1\r\n$500\r\n'));
    expect(parser.next()).toBe(PARSE_NEED_MORE);
    parser.feed(Buffer.alloc(100, 0x61));
    expect(parser.bufferedBytes()).toBe(100);
    expect(parser.next()).toBe(PARSE_NEED_MORE);
    parser.feed(Buffer.from('a'));
    expect(parser.next()).toBe(PARSE_QUERY_LIMIT);
    parser.feed(multibulk('PING'));
    expect(parser.next()).toBe(PARSE_QUERY_LIMIT);
    expect(parser.bufferedBytes()).toBe(0);
  });

  it('bufferedBytes counts what is not yet an argument, like Redis qbuf', () => {
    const parser = newParser();
    parser.feed(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nab'));
    expect(parser.next()).toBe(PARSE_NEED_MORE);
    expect(parser.bufferedBytes()).toBe(2);
    parser.feed(Buffer.from('cdefghij\r\n*1\r\n'));
    expect(parser.bufferedBytes()).toBe(16);
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.bufferedBytes()).toBe(4);
    expect(parser.next()).toBe(PARSE_NEED_MORE);
    expect(parser.bufferedBytes()).toBe(0);
  });
});

describe('RespParser: split independence', () => {
  /** Random bytes built from framing-relevant pieces: valid commands, inline quoting, broken
   * headers and loose garbage. Kept far below 64 KiB, where no outcome may depend on splits. */
  function randomRequestBytes(random: () => number): Buffer {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const parts: Buffer[] = [];
    for (let piece = 1 + Math.floor(random() * 10); piece > 0; piece--) {
      const kind = random();
      if (kind < 0.3) {
        const payload = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
        parts.push(multibulk('ECHO', payload));
      } else if (kind < 0.45) {
        const token = Array.from({ length: Math.floor(random() * 8) }, () => pick(['a', 'b', ' ', '"', "'", '\\', 'x', '4', 'n', '\x0b'])).join('');
        parts.push(Buffer.from(`ECHO ${token}${pick(['\r\n', '\n'])}`, 'latin1'));
      } else if (kind < 0.75) {
        parts.push(Buffer.from(`*${pick(['1', '2', '0', '-1', 'x', '', '01'])}${pick(['\r\n', '\r', '\rX'])}`));
        for (let header = Math.floor(random() * 3); header > 0; header--) {
          parts.push(Buffer.from(`${pick(['$', '$', '%', ''])}${pick(['1', '0', '3', '-1', '', '04'])}${pick(['\r\n', '\rZ', '\n'])}abc${pick(['\r\n', ''])}`));
        }
      } else {
        parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(['*', '$', '1', '\r', '\n', ' ', '"', '\x00', 'x'])).join(''), 'latin1'));
      }
    }
    return Buffer.concat(parts);
  }

  it('any input well under 64 KiB yields the same commands and status however it is split', () => {
    const random = seededRandom(2024);
    for (let n = 0; n < 300; n++) {
      const input = randomRequestBytes(random);
      const whole = run([input]);
      for (const [way, pieces] of splitWays(input)) {
        expect(run(pieces), `${way}: ${JSON.stringify(input.toString('latin1'))}`).toEqual(whole);
      }
    }
  });

  it('a pipeline mixing empty, small and large bulks survives every split', () => {
    const random = seededRandom(7);
    const sizes = [0, 1, 100, 4095, 4096, 4097, 20000, 70000];
    const expected: string[][] = [];
    const parts: Buffer[] = [];
    for (let i = 0; i < 24; i++) {
      const args = ['SET', `key:${i}`, String.fromCharCode(97 + (i % 26)).repeat(sizes[Math.floor(random() * sizes.length)])];
      if (i % 4 === 0) args.push('EX', '10');
      expected.push(args);
      parts.push(multibulk(...args));
    }
    expectAllWays(Buffer.concat(parts), { commands: expected });
  });
});

describe('RespParser: large and split input', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function bigPayload(bytes: number): Buffer {
    const payload = Buffer.allocUnsafe(bytes);
    for (let i = 0; i < bytes; i++) payload[i] = (i * 31 + (i >> 9)) & 0xff;
    return payload;
  }

  /** Runs pieces and checks the commands by content without turning 8 MiB into strings. */
  function collect(pieces: Buffer[], parser = newParser()): Buffer[][] {
    const commands: Buffer[][] = [];
    for (const piece of pieces) {
      parser.feed(piece);
      let status = parser.next();
      while (status === PARSE_COMMAND) {
        const args: Buffer[] = [];
        for (let i = 0; i < parser.argc; i++) args.push(Buffer.from(parser.arg(i)));
        commands.push(args);
        status = parser.next();
      }
      expect(status).toBe(PARSE_NEED_MORE);
    }
    return commands;
  }

  it('an 8 MiB bulk between small commands parses whole, in 64 KiB chunks and at random splits', () => {
    const payload = bigPayload(8 * MiB);
    const input = Buffer.concat([multibulk('PING'), multibulk('PUBLISH', 'big', payload), multibulk('ECHO', 'after')]);
    const ways: Array<[string, Buffer[]]> = [
      ['whole', [input]],
      ['64 KiB chunks', splitAt(input, repeat(64 * 1024))],
      ['1460-byte chunks', splitAt(input, repeat(1460))],
      ...SEEDS.map((seed): [string, Buffer[]] => [`random splits, seed ${seed}`, splitAt(input, randomLengths(seed, 256 * 1024))]),
    ];
    for (const [way, pieces] of ways) {
      const commands = collect(pieces);
      expect(commands.length, way).toBe(3);
      expect(commands[0].map(String), way).toEqual(['PING']);
      expect(commands[1][1].toString(), way).toBe('big');
      expect(commands[1][2].equals(payload), way).toBe(true);
      expect(commands[2].map(String), way).toEqual(['ECHO', 'after']);
    }
  });

  it('a 32 MiB bulk fed in 64 KiB chunks allocates a small multiple of its size, not a copy per chunk', () => {
    const payload = bigPayload(32 * MiB);
    const pieces = splitAt(Buffer.concat([multibulk('PUBLISH', 'c', payload), multibulk('PING')]), repeat(64 * 1024));
    let allocatedBytes = 0;
    const count = (size: number) => {
      allocatedBytes += size;
    };
    for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[name];
      vi.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
        count(size);
        return (original as (...args: unknown[]) => Buffer).call(Buffer, size, ...rest);
      }) as typeof original);
    }
    const commands = collect(pieces);
    expect(commands.length).toBe(2);
    expect(commands[0][2].equals(payload)).toBe(true);
    expect(allocatedBytes).toBeLessThan(4 * payload.length);
  });

  it('a consumed large command is not retained once the parser needs more input', async () => {
    const parser = newParser();
    const pieces = splitAt(multibulk('SET', 'k', bigPayload(8 * MiB)), repeat(64 * 1024));
    let commandMemory: WeakRef<ArrayBufferLike> | undefined;
    for (const piece of pieces) {
      parser.feed(piece);
      let status = parser.next();
      if (status === PARSE_COMMAND) {
        expect(parser.argEnd[2] - parser.argStart[2]).toBe(8 * MiB);
        commandMemory = new WeakRef(parser.buf.buffer);
        status = parser.next();
      }
      expect(status).toBe(PARSE_NEED_MORE);
    }
    pieces.length = 0;
    expect(parser.bufferedBytes()).toBe(0);
    await collectGarbage();
    expect(commandMemory).toBeDefined();
    expect(commandMemory?.deref()).toBeUndefined();
  });

  it('a small partial command left at the end of a large chunk does not keep the chunk alive', async () => {
    const parser = newParser();
    let chunk: Buffer | null = Buffer.concat([multibulk('SET', 'k', bigPayload(8 * MiB)), Buffer.from('*1\r\n$4\r\nPI')]);
    const chunkMemory = new WeakRef(chunk.buffer);
    parser.feed(chunk);
    chunk = null;
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.next()).toBe(PARSE_NEED_MORE);
    await collectGarbage();
    expect(chunkMemory.deref()).toBeUndefined();
    parser.feed(Buffer.from('NG\r\n'));
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(argsOf(parser)).toEqual(['PING']);
  });

  it('a small command that follows a large one in the same chunk does not keep the large scratch alive', async () => {
    const parser = newParser();
    const pieces = splitAt(multibulk('SET', 'k', bigPayload(8 * MiB)), repeat(64 * 1024));
    const last = Buffer.concat([pieces.pop()!, Buffer.from('*1\r\n$4\r\nPI')]);
    for (const piece of pieces) {
      parser.feed(piece);
      expect(parser.next()).toBe(PARSE_NEED_MORE);
    }
    pieces.length = 0;
    parser.feed(last);
    parser.feed(Buffer.from('NG\r\n'));
    expect(parser.next()).toBe(PARSE_COMMAND);
    const bigMemory = new WeakRef(parser.buf.buffer);
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(argsOf(parser)).toEqual(['PING']);
    await collectGarbage();
    expect(bigMemory.deref()).toBeUndefined();
  });

  it('a command inside one chunk is returned as offsets into that chunk, without a copy', () => {
    const parser = newParser();
    const chunk = Buffer.concat([multibulk('PUBLISH', 'chan', 'msg'), multibulk('PING')]);
    parser.feed(chunk);
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.buf).toBe(chunk);
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.buf).toBe(chunk);
  });

  it('parsing resumes in the next chunk itself after a command that straddled two chunks', () => {
    const commands = Array.from({ length: 2000 }, (_, i) => multibulk('PUBLISH', 'chan', `message-${i}`));
    const input = Buffer.concat(commands);
    // Split 5 bytes into command 1000, inside its "$7\r\nPUBLISH" header.
    const half = Buffer.concat(commands.slice(0, 1000)).length + 5;
    const first = Buffer.from(input.subarray(0, half));
    const second = Buffer.from(input.subarray(half));
    const parser = newParser();
    parser.feed(first);
    parser.feed(second);
    const buffers = new Set<Buffer>();
    let count = 0;
    while (parser.next() === PARSE_COMMAND) {
      expect(parser.argString(2)).toBe(`message-${count}`);
      buffers.add(parser.buf);
      count++;
    }
    expect(count).toBe(2000);
    // The first chunk, one scratch copy for the straddling command, then the second chunk.
    expect(buffers.has(first)).toBe(true);
    expect(buffers.has(second)).toBe(true);
    expect(buffers.size).toBe(3);
  });

  it('argument offset arrays are reused from command to command', () => {
    const parser = newParser();
    const { argStart, argEnd } = parser;
    parser.feed(Buffer.concat([multibulk('A', 'B', 'C'), multibulk('D')]));
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.argStart).toBe(argStart);
    expect(parser.argEnd).toBe(argEnd);
    expect(parser.argc).toBe(1);
  });

  it('empty chunks are ignored', () => {
    const parser = newParser();
    parser.feed(Buffer.alloc(0));
    expect(parser.next()).toBe(PARSE_NEED_MORE);
    parser.feed(Buffer.from('PING\r\n'));
    parser.feed(Buffer.alloc(0));
    expect(parser.next()).toBe(PARSE_COMMAND);
    expect(parser.argString(0)).toBe('PING');
  });
});
