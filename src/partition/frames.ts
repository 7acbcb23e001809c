/**
 * Pub/sub message frames, encoded by the partition worker straight into ring memory.
 *
 *   message   *3\r\n$7\r\nmessage\r\n$<c>\r\n<channel>\r\n$<p>\r\n<payload>\r\n
 *   pmessage  *4\r\n$8\r\npmessage\r\n$<n>\r\n<pattern>\r\n$<c>\r\n<channel>\r\n$<p>\r\n<payload>\r\n
 *   smessage  *3\r\n$8\r\nsmessage\r\n$<c>\r\n<channel>\r\n$<p>\r\n<payload>\r\n
 *
 * RESP3 differs only in the first byte ('>' push instead of '*' array). Sizes are computed first
 * (frameBytes) so the caller can claim ring space, then the frame is written with writeFrame.
 * When the payload is "held" by the main thread the frame stops after `$<p>\r\n`: the main thread
 * appends the payload and the trailing CRLF (RESP_TRAILER) itself.
 */
import { ENC_RESP3 } from '../shm/records.js';

export const KIND_MESSAGE = 0;
export const KIND_PMESSAGE = 1;
export const KIND_SMESSAGE = 2;

const HEADS = [
  Buffer.from('*3\r\n$7\r\nmessage\r\n'),
  Buffer.from('*4\r\n$8\r\npmessage\r\n'),
  Buffer.from('*3\r\n$8\r\nsmessage\r\n'),
];

/** What the main thread appends after a held payload. */
export const RESP_TRAILER = Buffer.from('\r\n');

/** Decimal digits of a non-negative integer. */
export function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes the decimal form of non-negative n at off; returns the offset after it. */
function writeDecimal(out: Uint8Array, off: number, n: number): number {
  const digits = decimalDigits(n);
  let pos = off + digits;
  do {
    out[--pos] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return off + digits;
}

/** Bytes of `$<len>\r\n<bytes>\r\n`. */
function bulkBytes(len: number): number {
  return 1 + decimalDigits(len) + 2 + len + 2;
}

/** Size of a frame; patternLen is ignored unless kind is KIND_PMESSAGE. */
export function frameBytes(kind: number, patternLen: number, channelLen: number, payloadLen: number, payloadHeld: boolean): number {
  let n = HEADS[kind].length + bulkBytes(channelLen) + bulkBytes(payloadLen);
  if (kind === KIND_PMESSAGE) n += bulkBytes(patternLen);
  if (payloadHeld) n -= payloadLen + 2;
  return n;
}

function writeBulk(out: Uint8Array, off: number, src: Uint8Array, srcOff: number, len: number): number {
  out[off++] = 36; // $
  off = writeDecimal(out, off, len);
  out[off++] = 13;
  out[off++] = 10;
  out.set(src.subarray(srcOff, srcOff + len), off);
  off += len;
  out[off++] = 13;
  out[off++] = 10;
  return off;
}

/**
 * Writes a frame at out[off]; returns the offset after it. `pattern` is used for KIND_PMESSAGE only.
 * With payloadHeld only the payload's `$<len>\r\n` header is written.
 */
export function writeFrame(
  out: Uint8Array, off: number, kind: number, encoding: number,
  pattern: Uint8Array, patternOff: number, patternLen: number,
  src: Uint8Array, channelOff: number, channelLen: number,
  payloadOff: number, payloadLen: number, payloadHeld: boolean,
): number {
  const head = HEADS[kind];
  out.set(head, off);
  if (encoding === ENC_RESP3) out[off] = 62; // '>'
  off += head.length;
  if (kind === KIND_PMESSAGE) off = writeBulk(out, off, pattern, patternOff, patternLen);
  off = writeBulk(out, off, src, channelOff, channelLen);
  if (!payloadHeld) return writeBulk(out, off, src, payloadOff, payloadLen);
  out[off++] = 36;
  off = writeDecimal(out, off, payloadLen);
  out[off++] = 13;
  out[off++] = 10;
  return off;
}
