/**
 * Decodes complete RESP3 replies into JavaScript values (main thread, cold path): how replies to
 * WebSocket json/msgpack clients are produced. Command handlers write RESP3 as for any client; the
 * WebSocket transport decodes each reply here and re-encodes it as one JSON or msgpack message.
 *
 * Values: bulk and verbatim strings -> Buffer; simple strings -> string; errors -> {error};
 * integers and doubles -> number (big numbers -> string); booleans -> boolean; nulls -> null;
 * arrays, sets and pushes -> arrays; maps -> Map (keys decoded the same way).
 */

export type RespValue = Buffer | string | number | boolean | null | { error: string } | RespValue[] | Map<RespValue, RespValue>;

/** Decodes every reply in `buf` (which must hold whole replies) and calls `emit` for each. */
export function decodeReplies(buf: Buffer, emit: (value: RespValue) => void): void {
  const state = { pos: 0 };
  while (state.pos < buf.length) emit(decodeOne(buf, state));
}

function readLine(buf: Buffer, state: { pos: number }): string {
  const end = buf.indexOf(13, state.pos);
  if (end < 0) throw new Error('resp-values: truncated reply');
  const line = buf.toString('latin1', state.pos, end);
  state.pos = end + 2;
  return line;
}

function decodeOne(buf: Buffer, state: { pos: number }): RespValue {
  const type = buf[state.pos++];
  const line = readLine(buf, state);
  switch (type) {
    case 0x2b: // + simple
      return Buffer.from(line, 'latin1').toString('utf8');
    case 0x2d: // - error
      return { error: Buffer.from(line, 'latin1').toString('utf8') };
    case 0x3a: // : integer
      return Number(line);
    case 0x2c: // , double
      return line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line);
    case 0x28: // ( big number
      return line;
    case 0x23: // # boolean
      return line === 't';
    case 0x5f: // _ null
      return null;
    case 0x24: // $ bulk
    case 0x3d: { // = verbatim
      const len = Number(line);
      if (len < 0) return null;
      const start = type === 0x3d ? state.pos + 4 : state.pos; // verbatim: skip "txt:"
      const value = Buffer.from(buf.subarray(start, state.pos + len));
      state.pos += len + 2;
      return value;
    }
    case 0x2a: // * array
    case 0x7e: // ~ set
    case 0x3e: { // > push
      const n = Number(line);
      if (n < 0) return null;
      const items: RespValue[] = [];
      for (let i = 0; i < n; i++) items.push(decodeOne(buf, state));
      return items;
    }
    case 0x25: { // % map
      const n = Number(line);
      const map = new Map<RespValue, RespValue>();
      for (let i = 0; i < n; i++) {
        const k = decodeOne(buf, state);
        map.set(k, decodeOne(buf, state));
      }
      return map;
    }
    default:
      throw new Error(`resp-values: unexpected type byte ${type}`);
  }
}
