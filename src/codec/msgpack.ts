/**
 * The one msgpackr configuration (both threads), for the WebSocket `msgpack` subprotocol: command
 * arrays in, replies out. Plain arrays and maps only (no records or extensions), so any msgpack
 * library on the other end reads what we write.
 *
 * Hot-path message frames are not packed here: their shape is fixed ([kind, channel, payload]) and
 * the partition worker writes them straight into ring memory (src/partition/frames.ts).
 */
import { Packr, Unpackr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** Packs a reply value; the result is copied (msgpackr returns a view of a shared slab). */
export function packValue(value: unknown): Buffer {
  return Buffer.from(packr.pack(value));
}

export function unpackValue(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}
