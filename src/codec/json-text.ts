/**
 * How bytes become JSON for the WebSocket `json` subprotocol (both threads).
 *
 * Redis strings are bytes; JSON strings are Unicode. Bytes that are valid UTF-8 become a JSON
 * string; anything else becomes `{"base64":"..."}` in the string's place, so nothing is lost and a
 * client can tell the two apart. Clients may send binary arguments the same way.
 */
import { isUtf8 } from 'node:buffer';

/** The JSON text for src[start, end). */
export function jsonText(src: Uint8Array, start: number, end: number): string {
  const view = src.subarray(start, end);
  if (isUtf8(view)) return JSON.stringify(Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('utf8'));
  return `{"base64":"${Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64')}"}`;
}

/** The JS value for bytes: a string, or {base64} when they are not UTF-8. */
export function jsonValue(bytes: Buffer): string | { base64: string } {
  return isUtf8(bytes) ? bytes.toString('utf8') : { base64: bytes.toString('base64') };
}
