/**
 * Reply encoding for RESP2 and RESP3 (main thread), after Redis's addReply* family.
 *
 * A reply is written into the target's OutputBuffer. Where RESP2 and RESP3 differ (null, maps,
 * sets, pushes, doubles, booleans) the target's protocol version decides. Fixed fragments are
 * encoded once at start-up (STYLE example 3); the `$<len>`, `*<n>`, `:<n>` headers are written digit
 * by digit into the output (OutputBuffer.appendDecimalLine), never built as strings.
 */
import type { OutputBuffer } from '../transport/output-buffer.js';

export interface ReplyTarget {
  out: OutputBuffer;
  /** 2 or 3: the protocol chosen with HELLO. */
  resp: number;
  /** CLIENT REPLY OFF/SKIP: replies are dropped (pub/sub pushes are not replies, see Client.pushes). */
  muted?: boolean;
}

const CRLF = '\r\n';
// Lead bytes of the headers appendDecimalLine writes.
const COLON = 0x3a;
const DOLLAR = 0x24;
const STAR = 0x2a;
const PERCENT = 0x25;
const TILDE = 0x7e;
const GREATER = 0x3e;

export const SHARED = {
  ok: Buffer.from('+OK\r\n'),
  pong: Buffer.from('+PONG\r\n'),
  queued: Buffer.from('+QUEUED\r\n'),
  nullBulk2: Buffer.from('$-1\r\n'),
  null3: Buffer.from('_\r\n'),
  emptyArray: Buffer.from('*0\r\n'),
  zero: Buffer.from(':0\r\n'),
  one: Buffer.from(':1\r\n'),
};

/** `:<n>\r\n` for small n, encoded once. */
const SMALL_INTEGERS: Buffer[] = [];
for (let i = 0; i < 1024; i++) SMALL_INTEGERS.push(Buffer.from(`:${i}\r\n`));

function putShared(t: ReplyTarget, b: Buffer): void {
  if (t.muted) return;
  t.out.appendBytes(b, 0, b.length);
}

/** Pre-encoded bytes (shared fragments). */
export function addRaw(t: ReplyTarget, bytes: Buffer): void {
  putShared(t, bytes);
}

export function addOk(t: ReplyTarget): void {
  if (t.muted) return;
  putShared(t, SHARED.ok);
}

export function addSimple(t: ReplyTarget, text: string): void {
  if (t.muted) return;
  t.out.appendAscii('+' + text + CRLF);
}

/**
 * `-<text>\r\n`; text already carries its code (ERR, NOPROTO, WRONGTYPE...). Text that quotes
 * client bytes is built as latin1 (one char per byte) so the bytes come back exactly.
 */
export function addError(t: ReplyTarget, text: string, encoding: 'utf8' | 'latin1' = 'utf8'): void {
  if (t.muted) return;
  // Redis replaces CR/LF inside error text with spaces so the reply stays one line.
  const safe = /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text;
  const b = Buffer.from('-' + safe + CRLF, encoding);
  t.out.appendBytes(b, 0, b.length);
}

export function addInteger(t: ReplyTarget, n: number): void {
  if (t.muted) return;
  if (n >= 0 && n < SMALL_INTEGERS.length) putShared(t, SMALL_INTEGERS[n]);
  else if (Number.isSafeInteger(n)) t.out.appendDecimalLine(COLON, n);
  else t.out.appendAscii(':' + n + CRLF);
}

/** Bulk string from raw bytes. */
export function addBulk(t: ReplyTarget, bytes: Uint8Array, start = 0, end = bytes.length): void {
  if (t.muted) return;
  t.out.appendDecimalLine(DOLLAR, end - start);
  t.out.appendBytes(bytes, start, end);
  t.out.appendCrlf();
}

/** Bulk string from text (UTF-8). */
export function addBulkString(t: ReplyTarget, text: string): void {
  if (t.muted) return;
  const b = Buffer.from(text, 'utf8');
  addBulk(t, b);
}

/** The null reply: `$-1` in RESP2, `_` in RESP3. */
export function addNull(t: ReplyTarget): void {
  if (t.muted) return;
  putShared(t, t.resp === 3 ? SHARED.null3 : SHARED.nullBulk2);
}

/** The null array: `*-1` in RESP2, `_` in RESP3. */
export function addNullArray(t: ReplyTarget): void {
  if (t.muted) return;
  if (t.resp === 3) putShared(t, SHARED.null3);
  else t.out.appendAscii('*-1\r\n');
}

export function addArrayHeader(t: ReplyTarget, n: number): void {
  if (t.muted) return;
  t.out.appendDecimalLine(STAR, n);
}

/** A map of n pairs: `%n` in RESP3, a flat array of 2n in RESP2. */
export function addMapHeader(t: ReplyTarget, pairs: number): void {
  if (t.muted) return;
  if (t.resp === 3) t.out.appendDecimalLine(PERCENT, pairs);
  else t.out.appendDecimalLine(STAR, pairs * 2);
}

/** A set: `~n` in RESP3, an array in RESP2. */
export function addSetHeader(t: ReplyTarget, n: number): void {
  if (t.muted) return;
  t.out.appendDecimalLine(t.resp === 3 ? TILDE : STAR, n);
}

/** An out-of-band push: `>n` in RESP3, an array in RESP2 (pub/sub frames). */
export function addPushHeader(t: ReplyTarget, n: number): void {
  if (t.muted) return;
  t.out.appendDecimalLine(t.resp === 3 ? GREATER : STAR, n);
}

/** A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2 (INFO, CLIENT LIST). */
export function addVerbatim(t: ReplyTarget, text: string): void {
  if (t.muted) return;
  if (t.resp !== 3) {
    addBulkString(t, text);
    return;
  }
  const b = Buffer.from(text, 'utf8');
  t.out.appendAscii('=' + (b.length + 4) + CRLF + 'txt:');
  t.out.appendBytes(b, 0, b.length);
  t.out.appendAscii(CRLF);
}

/** Array of bulk strings (texts). */
export function addBulkStrings(t: ReplyTarget, items: string[]): void {
  if (t.muted) return;
  addArrayHeader(t, items.length);
  for (const s of items) addBulkString(t, s);
}
