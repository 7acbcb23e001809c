/**
 * Sorted-set scores as text (main thread; pure): parsing the way Redis reads them, printing the way
 * Redis 7.2 prints them.
 *
 * Printing (Redis 7.2 `d2string`): `nan`, `inf`, `-inf`, `0` / `-0`; an integral value within
 * ±2^62 as an exact integer; anything else as the shortest round-trip digits laid out by fpconv's
 * `emit_digits` rules (plain up to 7 zeros, `0.000001` but `1e-7`, exponent without padding:
 * `1e+20`). Redis 7.0 printed `%.17g` instead (`0.10000000000000001`); ringcast follows 7.2.
 * Redis computes the digits with grisu2, which is not always shortest: for a rare double it
 * prints a longer (still round-trip) digit string than the one printed here.
 *
 * Parsing has two flavours, both built on an emulation of C `strtod` (decimal, hex floats,
 * inf/infinity, nan):
 * - parseScore: Redis's `string2d` (ZADD scores, ZINCRBY increments): the whole text, no leading
 *   space, no overflow to ±inf or underflow to 0, no NaN.
 * - parseRangeBound: Redis's `zslParseRange` (ZRANGEBYSCORE min/max): raw `strtod`, so leading
 *   space is skipped, overflow is allowed, and the empty text reads as 0; the text ends at a NUL byte.
 */

/** (double)(LLONG_MAX / 2): Redis prints integral doubles up to this as integers. */
const INTEGER_PRINT_LIMIT = 2 ** 62;

/** Redis 7.2's text for a score (see the header). */
export function formatScore(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (Number.isInteger(value) && value >= -INTEGER_PRINT_LIMIT && value <= INTEGER_PRINT_LIMIT) {
    // Beyond 2^53 JS prints the shortest digits padded with zeros; C prints the exact integer.
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  const negative = value < 0;
  const exponential = Math.abs(value).toExponential(); // shortest digits: "d.ddde±x"
  const ePos = exponential.indexOf('e');
  const digits = exponential.slice(0, ePos).replace('.', '');
  const exponent = Number(exponential.slice(ePos + 1));
  return (negative ? '-' : '') + emitDigits(digits, exponent - (digits.length - 1));
}

/** fpconv's layout of `digits` x 10^k (k = decimal exponent of the last digit). */
function emitDigits(digits: string, k: number): string {
  const n = digits.length;
  const exponent = Math.abs(k + n - 1);
  if (k >= 0 && exponent < n + 7) return digits + '0'.repeat(k);
  if (k < 0 && (k > -7 || exponent < 4)) {
    const offset = n + k;
    if (offset <= 0) return '0.' + '0'.repeat(-offset) + digits;
    return digits.slice(0, offset) + '.' + digits.slice(offset);
  }
  const mantissa = n > 1 ? digits[0] + '.' + digits.slice(1) : digits;
  return mantissa + 'e' + (k + n - 1 < 0 ? '-' : '+') + exponent;
}

/** C `isspace` in the C locale. */
function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

interface StrtodResult {
  value: number;
  /** Index just past the parsed text; the start of `text` when nothing was converted. */
  end: number;
  /** strtod would set ERANGE with a zero or infinite result (underflow to 0, overflow). */
  outOfRange: boolean;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;
const INFINITY = /^([+-]?)inf(?:inity)?/i;
const NOT_A_NUMBER = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?/i;

/** C `strtod` on latin1 text: the longest number prefix after optional leading whitespace. */
function strtod(text: string): StrtodResult {
  let start = 0;
  while (start < text.length && isCSpace(text.charCodeAt(start))) start++;
  const rest = text.slice(start);
  let m = HEX.exec(rest);
  if (m !== null) {
    const [whole, sign, mantissa, binaryExponent] = m;
    const point = mantissa.indexOf('.');
    const fractionDigits = point < 0 ? 0 : mantissa.length - point - 1;
    const hexDigits = mantissa.replace('.', '');
    const significand = Number(BigInt('0x' + hexDigits));
    // Scaled in two halves so that a tiny result is not flushed to 0 by an intermediate 2^-1100.
    const scale = Number(binaryExponent ?? 0) - 4 * fractionDigits;
    const half = Math.trunc(scale / 2);
    const magnitude = significand === 0 ? 0 : significand * 2 ** half * 2 ** (scale - half);
    return finish(sign === '-' ? -magnitude : magnitude, start + whole.length, significand !== 0);
  }
  m = INFINITY.exec(rest);
  if (m !== null) return { value: m[1] === '-' ? -Infinity : Infinity, end: start + m[0].length, outOfRange: false };
  m = NOT_A_NUMBER.exec(rest);
  if (m !== null) return { value: NaN, end: start + m[0].length, outOfRange: false };
  m = DECIMAL.exec(rest);
  if (m !== null) return finish(Number(m[0]), start + m[0].length, /[1-9]/.test(m[0].replace(/[eE].*$/, '')));
  return { value: 0, end: 0, outOfRange: false };
}

function finish(value: number, end: number, nonZeroDigits: boolean): StrtodResult {
  const outOfRange = !Number.isFinite(value) || (value === 0 && nonZeroDigits);
  return { value, end, outOfRange };
}

/** A score the way Redis's string2d reads it (ZADD, ZINCRBY); null when Redis says "not a valid float". */
export function parseScore(text: string): number | null {
  if (text.length === 0 || isCSpace(text.charCodeAt(0))) return null;
  const r = strtod(text);
  if (r.end !== text.length || r.outOfRange || Number.isNaN(r.value)) return null;
  return r.value;
}

/** A ZRANGEBYSCORE-style bound without its `(` (raw strtod); null when Redis says "min or max is not a float". */
export function parseRangeBound(text: string): number | null {
  const nul = text.indexOf('\0');
  const cString = nul < 0 ? text : text.slice(0, nul);
  const r = strtod(cString);
  if (r.end !== cString.length || Number.isNaN(r.value)) return null;
  return r.value;
}
