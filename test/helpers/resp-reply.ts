// Test-side RESP reading and writing: an incremental reader for the *replies* a server sends
// (RESP2 and RESP3), the multibulk encoder for commands, and a visible escaping of raw bytes.
// Runs in the vitest process only; never imported by src/.
//
// Invariants: a reply is returned only once it is complete; `raw` is exactly the bytes of one
// top-level reply (attributes included); decoded values never alias the reader's buffer.
// Malformed input throws: tests want to see a server that speaks broken RESP, not a hang.

export interface RespError { error: string }
export interface RespDouble { double: number }
export interface RespVerbatim { format: string; text: Buffer }
export interface RespPush { push: RespValue[] }
export interface RespSet { set: RespValue[] }

/**
 * One decoded reply. Bulk strings are Buffers, simple strings are strings, `:` integers are
 * numbers (bigint beyond 2^53), `(` big numbers are always bigint, every null (`$-1`, `*-1`, `_`)
 * is null, `-` and `!` errors are RespError, `%` maps are Maps (insertion order = wire order).
 */
export type RespValue =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespDouble
  | RespVerbatim
  | RespPush
  | RespSet
  | RespValue[]
  | Map<RespValue, RespValue>;

export interface Reply { raw: Buffer; value: RespValue }

// Deeper nesting than this is a broken server (or a broken test), not a reply worth a stack overflow.
const MAX_NESTING_DEPTH = 64;

interface Parsed { value: RespValue; end: number }

export class ReplyReader {
  private pending: Buffer = Buffer.alloc(0);
  private offset = 0;

  feed(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending.subarray(this.offset), chunk]);
    this.offset = 0;
  }

  /** The next complete top-level reply, or null until one has fully arrived. Throws on malformed input. */
  next(): Reply | null {
    const parsed = parseValue(this.pending, this.offset, 0);
    if (parsed === null) return null;
    const raw = Buffer.from(this.pending.subarray(this.offset, parsed.end));
    this.offset = parsed.end;
    return { raw, value: parsed.value };
  }

  nextRaw(): Buffer | null {
    return this.next()?.raw ?? null;
  }

  /** Bytes fed but not yet returned as a reply (a partial reply, or bytes that do not parse). */
  peekUnparsed(): Buffer {
    return Buffer.from(this.pending.subarray(this.offset));
  }

  /** Like peekUnparsed, and forgets those bytes. */
  takeUnparsed(): Buffer {
    const rest = this.peekUnparsed();
    this.pending = Buffer.alloc(0);
    this.offset = 0;
    return rest;
  }
}

/** `*N\r\n$len\r\narg\r\n...`; string arguments are sent as UTF-8 and counted in bytes. */
export function encodeCommand(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Quotes bytes so that every one is visible: printable ASCII as is, `\r \n \t \\ \"`, anything
 * else `\xHH` (the notation of the Redis spec notes and of MONITOR). Used in transcripts and errors.
 */
export function escapeBytes(bytes: Buffer): string {
  let out = '"';
  for (const byte of bytes) {
    switch (byte) {
      case 0x0d: out += '\\r'; break;
      case 0x0a: out += '\\n'; break;
      case 0x09: out += '\\t'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      default:
        out += byte >= 0x20 && byte < 0x7f
          ? String.fromCharCode(byte)
          : `\\x${byte.toString(16).padStart(2, '0')}`;
    }
  }
  return out + '"';
}

/** Parses one value starting at `pos`; null when the buffer ends before the value does. */
function parseValue(buf: Buffer, pos: number, depth: number): Parsed | null {
  if (depth > MAX_NESTING_DEPTH) throw new Error(`RESP reply nested deeper than ${MAX_NESTING_DEPTH}`);
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd === -1) return null;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+': return { value: line, end: afterLine };
    case '-': return { value: { error: line }, end: afterLine };
    case ':': return { value: parseInteger(line), end: afterLine };
    case '(': return { value: BigInt(checkedIntegerText(line)), end: afterLine };
    case ',': return { value: { double: parseDouble(line) }, end: afterLine };
    case '#': return { value: parseBoolean(line), end: afterLine };
    case '_':
      if (line !== '') throw new Error(`RESP null with trailing text ${JSON.stringify(line)}`);
      return { value: null, end: afterLine };
    case '$': case '!': case '=': return parseBlob(buf, type, parseLength(line), afterLine);
    case '*': case '>': case '~': return parseAggregate(buf, type, parseLength(line), afterLine, depth);
    case '%': return parseMap(buf, parseLength(line), afterLine, depth);
    case '|': {
      // An attribute annotates the value that follows it; tests only need that value.
      const attribute = parseMap(buf, parseLength(line), afterLine, depth);
      return attribute === null ? null : parseValue(buf, attribute.end, depth);
    }
    default:
      throw new Error(`not a RESP reply type byte: ${escapeBytes(buf.subarray(pos, pos + 1))}`);
  }
}

function parseBlob(buf: Buffer, type: string, length: number, start: number): Parsed | null {
  if (length === -1 && type === '$') return { value: null, end: start };
  if (length < 0) throw new Error(`RESP '${type}' with negative length ${length}`);
  const end = start + length + 2;
  if (buf.length < end) return null;
  if (buf[end - 2] !== 0x0d || buf[end - 1] !== 0x0a) {
    throw new Error(`RESP '${type}' payload of ${length} bytes not followed by CRLF`);
  }
  const payload = Buffer.from(buf.subarray(start, start + length));
  if (type === '$') return { value: payload, end };
  if (type === '!') return { value: { error: payload.toString('utf8') }, end };
  // Verbatim: a three-letter format, ':', then the text.
  return { value: { format: payload.toString('latin1', 0, 3), text: payload.subarray(4) }, end };
}

function parseAggregate(buf: Buffer, type: string, count: number, start: number, depth: number): Parsed | null {
  if (count === -1 && type === '*') return { value: null, end: start };
  if (count < 0) throw new Error(`RESP '${type}' with negative count ${count}`);
  const items: RespValue[] = [];
  let pos = start;
  for (let i = 0; i < count; i++) {
    const item = parseValue(buf, pos, depth + 1);
    if (item === null) return null;
    items.push(item.value);
    pos = item.end;
  }
  if (type === '>') return { value: { push: items }, end: pos };
  if (type === '~') return { value: { set: items }, end: pos };
  return { value: items, end: pos };
}

function parseMap(buf: Buffer, count: number, start: number, depth: number): Parsed | null {
  if (count < 0) throw new Error(`RESP map with negative count ${count}`);
  const map = new Map<RespValue, RespValue>();
  let pos = start;
  for (let i = 0; i < count; i++) {
    const key = parseValue(buf, pos, depth + 1);
    if (key === null) return null;
    const value = parseValue(buf, key.end, depth + 1);
    if (value === null) return null;
    map.set(key.value, value.value);
    pos = value.end;
  }
  return { value: map, end: pos };
}

function checkedIntegerText(line: string): string {
  if (!/^-?\d+$/.test(line)) throw new Error(`RESP integer expected, got ${JSON.stringify(line)}`);
  return line;
}

function parseInteger(line: string): number | bigint {
  const big = BigInt(checkedIntegerText(line));
  const small = Number(big);
  return Number.isSafeInteger(small) ? small : big;
}

function parseLength(line: string): number {
  const length = parseInteger(line);
  if (typeof length === 'bigint') throw new Error(`RESP length out of range: ${line}`);
  return length;
}

function parseDouble(line: string): number {
  if (line === 'inf') return Infinity;
  if (line === '-inf') return -Infinity;
  if (line === 'nan') return NaN;
  const value = Number(line);
  if (line === '' || Number.isNaN(value)) throw new Error(`RESP double expected, got ${JSON.stringify(line)}`);
  return value;
}

function parseBoolean(line: string): boolean {
  if (line === 't') return true;
  if (line === 'f') return false;
  throw new Error(`RESP boolean expected, got ${JSON.stringify(line)}`);
}
