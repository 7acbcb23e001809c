/**
 * Incremental RESP2/RESP3 reply reader for the load generator (generator processes and the
 * coordinator). It is built for one job: read a flood of `:N` replies and `message` pushes as
 * cheaply as the server can send them, so the generator is not what a benchmark measures.
 *
 * Per frame it allocates nothing: a complete top-level frame is described by fields of the reader
 * (`kind`, `integer`, and the byte ranges of up to MAX_ELEMENTS top-level elements in `buf`), and
 * `onFrame(reader)` is called. Those ranges are valid only during the callback; `buf` is either
 * the socket chunk itself or the reader's carry buffer.
 *
 * Chunks that end inside a frame: the unfinished frame's bytes (always starting at a frame
 * boundary) are kept in `carry`. The next chunk's bytes are appended to the carry only until that
 * one frame completes (using the frame's known length when a bulk header has been read), then
 * parsing continues inside the new chunk itself. So a 64 KiB frame split over two chunks is copied
 * once, and small frames never cost more than the bytes of the one straddling frame.
 *
 * Nested aggregates (a HELLO map, an array inside an array) are walked and skipped; only top-level
 * elements get ranges. Depth is capped at MAX_DEPTH: deeper input is a protocol error (throws).
 */

export const FRAME_INTEGER = 1;
export const FRAME_SIMPLE = 2;
export const FRAME_ERROR = 3;
export const FRAME_BULK = 4;
/** `*n` arrays and RESP3 `>n` pushes alike (pub/sub frames are one or the other). */
export const FRAME_ARRAY = 5;
/** Anything else at top level: nulls, maps, sets, doubles... (parsed, not described). */
export const FRAME_OTHER = 6;

export const MAX_ELEMENTS = 16;
const MAX_DEPTH = 8;
const INCOMPLETE = -1;
// When a straddling frame's length is not known yet, append this many bytes at a time.
const CARRY_STEP_BYTES = 64;
const CR = 13;

export class RespProtocolError extends Error {}

export class RespReader {
  /** The buffer the element ranges below refer to (valid during onFrame only). */
  buf: Buffer = Buffer.alloc(0);
  /**
   * A DataView over `buf` (same offsets): getUint32/getFloat64 on it are inlined by V8, where
   * Buffer#readUInt32LE validates its offset on every call (about 10% of a subscriber process in a
   * fan-out profile). One is made per chunk, not per frame.
   */
  view: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
  kind = 0;
  /** FRAME_INTEGER: the value. FRAME_ARRAY: the element count. */
  integer = 0;
  /** True for a RESP3 push (`>`), false for an array (`*`). */
  isPush = false;
  /** Number of elements with ranges below (top-level array elements, max MAX_ELEMENTS; 1 for bulk/simple/error). */
  elementCount = 0;
  readonly elementStart = new Int32Array(MAX_ELEMENTS);
  readonly elementEnd = new Int32Array(MAX_ELEMENTS);
  /** The RESP type byte of each element ('$', ':', '+', ... or '*' for a nested aggregate). */
  readonly elementType = new Uint8Array(MAX_ELEMENTS);

  private carry = Buffer.allocUnsafe(4096);
  private carryBytes = 0;
  /** While parsing: total bytes the current frame needs from its start, when known (else 0). */
  private neededBytes = 0;

  constructor(private readonly onFrame: (reader: RespReader) => void) {}

  /**
   * Parses every complete frame in chunk[start, end) (plus any carried bytes), calling onFrame for
   * each. The range form lets a WebSocket subscriber feed a frame's payload in place (ws-client.ts).
   */
  feed(chunk: Buffer, start = 0, end = chunk.length): void {
    let pos = start;
    while (this.carryBytes > 0) {
      if (pos === end) return;
      const known = this.neededBytes > this.carryBytes ? this.neededBytes - this.carryBytes : CARRY_STEP_BYTES;
      const take = Math.min(end - pos, known);
      this.appendCarry(chunk, pos, take);
      const carriedBefore = this.carryBytes - take;
      const frameEnd = this.parseFrame(this.carry, 0, this.carryBytes);
      if (frameEnd === INCOMPLETE) {
        pos += take;
        continue;
      }
      // The frame ended inside the appended bytes: resume in the chunk right after it.
      pos += frameEnd - carriedBefore;
      this.carryBytes = 0;
      this.emit(this.carry);
    }
    while (pos < end) {
      const frameEnd = this.parseFrame(chunk, pos, end);
      if (frameEnd === INCOMPLETE) {
        this.appendCarry(chunk, pos, end - pos);
        return;
      }
      pos = frameEnd;
      this.emit(chunk);
    }
  }

  /** The text of element `i` (for replies read once, like INFO; never on the hot path). */
  elementText(i: number): string {
    return this.buf.toString('latin1', this.elementStart[i], this.elementEnd[i]);
  }

  private emit(buf: Buffer): void {
    if (buf !== this.buf) {
      this.buf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    this.onFrame(this);
  }

  private appendCarry(src: Buffer, start: number, count: number): void {
    if (this.carryBytes + count > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.carry.length * 2, this.carryBytes + count));
      this.carry.copy(grown, 0, 0, this.carryBytes);
      this.carry = grown;
    }
    src.copy(this.carry, this.carryBytes, start, start + count);
    this.carryBytes += count;
  }

  /** Parses one top-level frame at `pos`, filling the description fields; returns its end or INCOMPLETE. */
  private parseFrame(buf: Buffer, pos: number, end: number): number {
    this.neededBytes = 0;
    if (pos >= end) return INCOMPLETE;
    const type = buf[pos];
    const lineEnd = findCr(buf, pos + 1, end);
    if (lineEnd === INCOMPLETE || lineEnd + 1 >= end) return INCOMPLETE;
    const next = lineEnd + 2;
    switch (type) {
      case 0x3a: // ':'
        this.kind = FRAME_INTEGER;
        this.integer = parseInteger(buf, pos + 1, lineEnd);
        this.setSingleElement(type, pos + 1, lineEnd);
        return next;
      case 0x2b: // '+'
        this.kind = FRAME_SIMPLE;
        this.setSingleElement(type, pos + 1, lineEnd);
        return next;
      case 0x2d: // '-'
        this.kind = FRAME_ERROR;
        this.setSingleElement(type, pos + 1, lineEnd);
        return next;
      case 0x24: { // '$'
        const length = parseInteger(buf, pos + 1, lineEnd);
        if (length < 0) {
          this.kind = FRAME_OTHER;
          this.elementCount = 0;
          return next;
        }
        const bodyEnd = next + length;
        if (bodyEnd + 2 > end) {
          this.neededBytes = bodyEnd + 2 - pos;
          return INCOMPLETE;
        }
        this.kind = FRAME_BULK;
        this.setSingleElement(type, next, bodyEnd);
        return bodyEnd + 2;
      }
      case 0x2a: // '*'
      case 0x3e: { // '>'
        const count = parseInteger(buf, pos + 1, lineEnd);
        this.kind = count < 0 ? FRAME_OTHER : FRAME_ARRAY;
        this.isPush = type === 0x3e;
        this.integer = count;
        this.elementCount = 0;
        let at = next;
        for (let i = 0; i < count; i++) {
          const elementEnd = this.parseElement(buf, at, end, pos, i);
          if (elementEnd === INCOMPLETE) return INCOMPLETE;
          at = elementEnd;
        }
        return at;
      }
      default: {
        this.kind = FRAME_OTHER;
        this.elementCount = 0;
        return skipValue(buf, pos, end, 0);
      }
    }
  }

  /** One element of a top-level aggregate: records its range when it is a string or integer. */
  private parseElement(buf: Buffer, pos: number, end: number, frameStart: number, index: number): number {
    if (pos >= end) return INCOMPLETE;
    const type = buf[pos];
    let contentStart: number;
    let contentEnd: number;
    let elementEnd: number;
    if (type === 0x24) {
      const lineEnd = findCr(buf, pos + 1, end);
      if (lineEnd === INCOMPLETE || lineEnd + 1 >= end) return INCOMPLETE;
      const length = parseInteger(buf, pos + 1, lineEnd);
      contentStart = lineEnd + 2;
      contentEnd = length < 0 ? contentStart : contentStart + length;
      elementEnd = length < 0 ? contentStart : contentEnd + 2;
      if (elementEnd > end) {
        this.neededBytes = elementEnd - frameStart;
        return INCOMPLETE;
      }
    } else if (type === 0x3a || type === 0x2b || type === 0x2d) {
      const lineEnd = findCr(buf, pos + 1, end);
      if (lineEnd === INCOMPLETE || lineEnd + 1 >= end) return INCOMPLETE;
      contentStart = pos + 1;
      contentEnd = lineEnd;
      elementEnd = lineEnd + 2;
    } else {
      elementEnd = skipValue(buf, pos, end, 1);
      if (elementEnd === INCOMPLETE) return INCOMPLETE;
      contentStart = pos;
      contentEnd = elementEnd;
    }
    if (index < MAX_ELEMENTS) {
      this.elementStart[index] = contentStart;
      this.elementEnd[index] = contentEnd;
      this.elementType[index] = type === 0x24 || type === 0x3a || type === 0x2b || type === 0x2d ? type : 0x2a;
      this.elementCount = index + 1;
    }
    return elementEnd;
  }

  private setSingleElement(type: number, start: number, end: number): void {
    this.elementStart[0] = start;
    this.elementEnd[0] = end;
    this.elementType[0] = type;
    this.elementCount = 1;
  }
}

/** True when buf[start, end) holds exactly the ASCII bytes of `text` (text is short and ASCII). */
export function bytesEqual(buf: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Decimal integer in buf[start, end) (optional leading '-'); the generator trusts the server's digits. */
export function parseInteger(buf: Buffer, start: number, end: number): number {
  let negative = false;
  let i = start;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  }
  let n = 0;
  for (; i < end; i++) n = n * 10 + (buf[i] - 0x30);
  return negative ? -n : n;
}

/** Header lines are a few bytes long: a plain loop bounded by `end` beats indexOf (which scans to the buffer's end). */
function findCr(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) if (buf[i] === CR) return i;
  return INCOMPLETE;
}

/** Walks any RESP2/RESP3 value at `pos` without recording it; returns its end or INCOMPLETE. */
function skipValue(buf: Buffer, pos: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new RespProtocolError(`reply nested deeper than ${MAX_DEPTH} levels`);
  if (pos >= end) return INCOMPLETE;
  const type = buf[pos];
  const lineEnd = findCr(buf, pos + 1, end);
  if (lineEnd === INCOMPLETE || lineEnd + 1 >= end) return INCOMPLETE;
  const next = lineEnd + 2;
  switch (type) {
    case 0x24: // '$' bulk
    case 0x3d: // '=' verbatim
    case 0x21: { // '!' bulk error
      const length = parseInteger(buf, pos + 1, lineEnd);
      if (length < 0) return next;
      return next + length + 2 <= end ? next + length + 2 : INCOMPLETE;
    }
    case 0x2a: // '*' array
    case 0x3e: // '>' push
    case 0x7e: // '~' set
    case 0x25: // '%' map
    case 0x7c: { // '|' attribute
      const count = parseInteger(buf, pos + 1, lineEnd);
      const elements = type === 0x25 || type === 0x7c ? count * 2 : count;
      let at = next;
      for (let i = 0; i < elements; i++) {
        at = skipValue(buf, at, end, depth + 1);
        if (at === INCOMPLETE) return INCOMPLETE;
      }
      // An attribute precedes the value it describes: skip that value too.
      return type === 0x7c ? skipValue(buf, at, end, depth) : at;
    }
    case 0x2b: case 0x2d: case 0x3a: case 0x5f: case 0x23: case 0x2c: case 0x28:
      return next; // + - : _ # , ( are one line each
    default:
      throw new RespProtocolError(`unexpected RESP type byte 0x${type.toString(16)}`);
  }
}
