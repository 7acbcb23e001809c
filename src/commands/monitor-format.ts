/**
 * The MONITOR line for an executed command, byte for byte as Redis writes it:
 *   +<sec>.<usec, 6 digits> [<db> <addr>] "arg" "arg"\r\n
 * Arguments are escaped like Redis's sdscatrepr; AUTH and HELLO ... AUTH credentials are redacted.
 */
import type { CommandContext } from './context.js';

const HEX = '0123456789abcdef';

/** sdscatrepr: \\ \" \n \r \t \a \b escaped, printable ASCII raw, everything else \xHH. */
function quote(buf: Buffer, start: number, end: number): string {
  let s = '"';
  for (let i = start; i < end; i++) {
    const b = buf[i];
    switch (b) {
      case 0x5c: s += '\\\\'; break;
      case 0x22: s += '\\"'; break;
      case 0x0a: s += '\\n'; break;
      case 0x0d: s += '\\r'; break;
      case 0x09: s += '\\t'; break;
      case 0x07: s += '\\a'; break;
      case 0x08: s += '\\b'; break;
      default:
        s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '\\x' + HEX[b >> 4] + HEX[b & 15];
    }
  }
  return s + '"';
}

/** Which arguments Redis shows as "(redacted)": everything after AUTH, the two after HELLO's AUTH. */
function redacted(ctx: CommandContext, i: number): boolean {
  if (ctx.argIs(0, 'auth')) return i >= 1;
  if (ctx.argIs(0, 'hello')) {
    for (let k = 2; k < ctx.argc; k++) if (ctx.argIs(k, 'auth')) return i === k + 1 || i === k + 2;
  }
  return false;
}

export function monitorLine(ctx: CommandContext, startMicros: number): Buffer {
  const sec = Math.floor(startMicros / 1e6);
  const usec = String(startMicros % 1e6).padStart(6, '0');
  const c = ctx.client;
  let line = `+${sec}.${usec} [${c.db} ${c.transport.remoteAddress}]`;
  for (let i = 0; i < ctx.argc; i++) {
    line += ' ' + (redacted(ctx, i) ? '"(redacted)"' : quote(ctx.buf, ctx.argStart[i], ctx.argEnd[i]));
  }
  return Buffer.from(line + '\r\n', 'latin1');
}
