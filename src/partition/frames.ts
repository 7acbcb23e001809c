/**
 * Pub/sub message frames in every encoding, written by the partition worker into ring memory.
 *
 *   RESP2     *3\r\n$7\r\nmessage\r\n$<c>\r\n<channel>\r\n$<p>\r\n<payload>\r\n
 *             (pmessage: *4 with the pattern before the channel; smessage: $8 smessage)
 *   RESP3     the same with '>' (push) as the first byte
 *   msgpack   [ "message", <channel>, <payload> ]: a fixarray, strings as str when UTF-8 (else
 *             bin), the payload always bin
 *   JSON      ["message","<channel>","<payload>"]: a text message; non-UTF-8 strings become
 *             {"base64":"..."} (src/codec/json-text.ts)
 *
 * FrameEncoder.prepare() computes a frame's size (and, for JSON only, encodes it into a scratch
 * string: escaping cannot be sized without doing it); write() puts it in place. RESP and msgpack
 * allocate nothing. When the payload is "held" by the main thread the frame stops where the payload
 * would start, and the main thread appends the payload and the encoding's tail (frameTail).
 */
import { isUtf8 } from 'node:buffer';
import { ENC_JSON, ENC_MSGPACK, ENC_RESP3 } from '../shm/records.js';
import { jsonText } from '../codec/json-text.js';
import { copyBytes, copyView, ViewCache } from '../codec/copy-bytes.js';

export const KIND_MESSAGE = 0;
export const KIND_PMESSAGE = 1;
export const KIND_SMESSAGE = 2;

const KIND_WORDS = ['message', 'pmessage', 'smessage'];
const RESP_HEADS = [
  Buffer.from('*3\r\n$7\r\nmessage\r\n'),
  Buffer.from('*4\r\n$8\r\npmessage\r\n'),
  Buffer.from('*3\r\n$8\r\nsmessage\r\n'),
];
const MSGPACK_HEADS = KIND_WORDS.map((w, kind) => Buffer.concat([
  Buffer.from([kind === KIND_PMESSAGE ? 0x94 : 0x93, 0xa0 | w.length]), Buffer.from(w),
]));

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/**
 * What follows a held payload in each encoding: CRLF for RESP, nothing for msgpack. JSON's tail
 * depends on the payload (its JSON text, then `]`), so the main thread builds it.
 */
export function frameTail(encoding: number): Buffer {
  return encoding === ENC_MSGPACK ? EMPTY : CRLF;
}

/** Decimal digits of a non-negative integer. */
export function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function writeDecimal(out: Uint8Array, off: number, n: number): number {
  const digits = decimalDigits(n);
  let pos = off + digits;
  do {
    out[--pos] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return off + digits;
}

/** `$<len>\r\n<bytes>\r\n` */
function respBulkBytes(len: number): number {
  return 1 + decimalDigits(len) + 2 + len + 2;
}

function writeRespBulkHeader(out: Uint8Array, off: number, len: number): number {
  out[off++] = 36; // $
  off = writeDecimal(out, off, len);
  out[off++] = 13;
  out[off++] = 10;
  return off;
}

/** The `\r\n` that ends a bulk; returns the offset after it. */
function endRespBulk(out: Uint8Array, off: number): number {
  out[off] = 13;
  out[off + 1] = 10;
  return off + 2;
}

function writeRespBulk(out: Uint8Array, off: number, src: Uint8Array, srcOff: number, len: number): number {
  off = writeRespBulkHeader(out, off, len);
  copyBytes(src, srcOff, srcOff + len, out, off);
  return endRespBulk(out, off + len);
}

/** writeRespBulk with the bytes copied through DataViews (channel and payload: the hot path). */
function writeRespBulkViews(out: Uint8Array, outView: DataView, off: number, src: DataView, srcOff: number, len: number): number {
  off = writeRespBulkHeader(out, off, len);
  copyView(src, srcOff, srcOff + len, outView, off);
  return endRespBulk(out, off + len);
}

/** msgpack str/bin header size for `len` bytes. */
function msgpackHeaderBytes(len: number, str: boolean): number {
  if (str && len <= 31) return 1;
  if (len <= 0xff) return 2;
  if (len <= 0xffff) return 3;
  return 5;
}

function writeMsgpackHeader(out: Uint8Array, off: number, len: number, str: boolean): number {
  if (str && len <= 31) {
    out[off++] = 0xa0 | len;
  } else if (len <= 0xff) {
    out[off++] = str ? 0xd9 : 0xc4;
    out[off++] = len;
  } else if (len <= 0xffff) {
    out[off++] = str ? 0xda : 0xc5;
    out[off++] = len >>> 8;
    out[off++] = len & 0xff;
  } else {
    out[off++] = str ? 0xdb : 0xc6;
    out[off++] = len >>> 24;
    out[off++] = (len >>> 16) & 0xff;
    out[off++] = (len >>> 8) & 0xff;
    out[off++] = len & 0xff;
  }
  return off;
}

/** Prepares then writes one frame; reused for every frame a worker encodes. */
export class FrameEncoder {
  private kind = 0;
  private encoding = 0;
  private pattern: Uint8Array = EMPTY;
  private patternOff = 0;
  private patternLen = 0;
  private src: Uint8Array = EMPTY;
  private channelOff = 0;
  private channelLen = 0;
  private payloadOff = 0;
  private payloadLen = 0;
  private held = false;
  private json: Buffer = EMPTY;
  // msgpack: whether pattern and channel are UTF-8 (str) or not (bin).
  private patternIsStr = true;
  private channelIsStr = true;
  // The rings a worker reads and writes live as long as it does: remember them whatever their size.
  private readonly srcViews = new ViewCache(true);
  private readonly outViews = new ViewCache(true);

  /** Sets up a frame and returns its size in bytes. `pattern` is used for KIND_PMESSAGE only. */
  prepare(
    kind: number, encoding: number,
    pattern: Uint8Array, patternOff: number, patternLen: number,
    src: Uint8Array, channelOff: number, channelLen: number,
    payloadOff: number, payloadLen: number, held: boolean,
  ): number {
    this.kind = kind;
    this.encoding = encoding;
    this.pattern = pattern;
    this.patternOff = patternOff;
    this.patternLen = kind === KIND_PMESSAGE ? patternLen : 0;
    this.src = src;
    this.channelOff = channelOff;
    this.channelLen = channelLen;
    this.payloadOff = payloadOff;
    this.payloadLen = payloadLen;
    this.held = held;
    if (encoding === ENC_JSON) return this.prepareJson();
    if (encoding === ENC_MSGPACK) return this.msgpackBytes();
    let n = RESP_HEADS[kind].length + respBulkBytes(channelLen) + respBulkBytes(payloadLen);
    if (kind === KIND_PMESSAGE) n += respBulkBytes(patternLen);
    return held ? n - payloadLen - 2 : n;
  }

  /** Writes the prepared frame at out[off]. */
  write(out: Uint8Array, off: number): void {
    if (this.encoding === ENC_JSON) {
      out.set(this.json, off);
      return;
    }
    if (this.encoding === ENC_MSGPACK) {
      this.writeMsgpack(out, off);
      return;
    }
    const head = RESP_HEADS[this.kind];
    out.set(head, off);
    if (this.encoding === ENC_RESP3) out[off] = 62; // '>'
    off += head.length;
    if (this.kind === KIND_PMESSAGE) off = writeRespBulk(out, off, this.pattern, this.patternOff, this.patternLen);
    // A worker always reads from its ops ring and writes to its results ring: both views are cached.
    const outView = this.outViews.of(out);
    const srcView = this.srcViews.of(this.src);
    off = writeRespBulkViews(out, outView, off, srcView, this.channelOff, this.channelLen);
    if (this.held) writeRespBulkHeader(out, off, this.payloadLen);
    else writeRespBulkViews(out, outView, off, srcView, this.payloadOff, this.payloadLen);
  }

  private msgpackBytes(): number {
    this.patternIsStr = this.kind !== KIND_PMESSAGE || isUtf8(this.pattern.subarray(this.patternOff, this.patternOff + this.patternLen));
    this.channelIsStr = isUtf8(this.src.subarray(this.channelOff, this.channelOff + this.channelLen));
    let n = MSGPACK_HEADS[this.kind].length;
    if (this.kind === KIND_PMESSAGE) n += msgpackHeaderBytes(this.patternLen, this.patternIsStr) + this.patternLen;
    n += msgpackHeaderBytes(this.channelLen, this.channelIsStr) + this.channelLen;
    n += msgpackHeaderBytes(this.payloadLen, false);
    return this.held ? n : n + this.payloadLen;
  }

  private writeMsgpack(out: Uint8Array, off: number): void {
    const head = MSGPACK_HEADS[this.kind];
    out.set(head, off);
    off += head.length;
    if (this.kind === KIND_PMESSAGE) {
      off = writeMsgpackHeader(out, off, this.patternLen, this.patternIsStr);
      out.set(this.pattern.subarray(this.patternOff, this.patternOff + this.patternLen), off);
      off += this.patternLen;
    }
    off = writeMsgpackHeader(out, off, this.channelLen, this.channelIsStr);
    out.set(this.src.subarray(this.channelOff, this.channelOff + this.channelLen), off);
    off += this.channelLen;
    off = writeMsgpackHeader(out, off, this.payloadLen, false);
    if (!this.held) out.set(this.src.subarray(this.payloadOff, this.payloadOff + this.payloadLen), off);
  }

  /** JSON needs escaping, which cannot be sized without doing it: encode into a scratch now. */
  private prepareJson(): number {
    let text = `["${KIND_WORDS[this.kind]}",`;
    if (this.kind === KIND_PMESSAGE) text += jsonText(this.pattern, this.patternOff, this.patternOff + this.patternLen) + ',';
    text += jsonText(this.src, this.channelOff, this.channelOff + this.channelLen) + ',';
    if (!this.held) text += jsonText(this.src, this.payloadOff, this.payloadOff + this.payloadLen) + ']';
    this.json = Buffer.from(text, 'utf8');
    return this.json.length;
  }
}
