/**
 * RESP request parser: turns the bytes one client sends into commands, exactly as Redis 7.0's
 * networking.c does (processInputBuffer, processMultibulkBuffer, processInlineBuffer, and
 * sdssplitargs for inline commands), with the same limits and the same error texts.
 *
 * Thread: main thread; one parser per client connection.
 *
 * How bytes flow:
 *   feed(chunk) only queues the chunk. next() parses `input` (the buffer being read) from readPos;
 *   when it runs out it pulls more from the queue:
 *   - nothing of the current command is buffered (the common case): the next chunk itself becomes
 *     `input`, no copy;
 *   - a command straddles chunks: the command so far, input[cmdStart..], is copied into a
 *     reusable scratch buffer (or stays there), and only as many queued bytes as the command is
 *     likely to need are appended after it. Once that command is returned, parsing jumps back
 *     into the partly copied chunk ("rewind"), so a chunk boundary copies about one command, not
 *     the whole chunk. The scratch is compacted (command moved to offset 0) when it runs out of room.
 *   Scratch capacity at least doubles whenever it grows (capped at the end of a known bulk), so a
 *   100 MB bulk arriving in 64 KB chunks costs O(size) copying, not O(size^2).
 *
 * Invariants:
 * - input[0, inputEnd) are the valid bytes (input is a fed chunk, or the scratch buffer, which
 *   is longer than its contents).
 * - cmdStart <= readPos <= inputEnd; input[cmdStart, readPos) holds the completed headers and
 *   arguments of the command in progress (argStart/argEnd point there).
 * - canRewind means: queue[queueFirst] was partly copied, its bytes from rewindChunkPos on sit in
 *   input from rewindScratchPos on (the copy stopped before the chunk's end).
 * - After PARSE_PROTOCOL_ERROR or PARSE_QUERY_LIMIT the parser holds no buffers and only repeats
 *   that status.
 * - No allocation per command on the multibulk path while a command lies inside one chunk.
 *
 * Deliberate Redis quirks kept: the byte after a header's CR and the two bytes after a bulk are
 * skipped unchecked; a NUL byte hides a line's terminator (Redis searches with strchr), so such a
 * line can only end in the "too big" error; the 64 KiB line rule applies only while no terminator
 * is buffered (judged on everything fed when next() runs), so whether a longer line passes
 * depends on how the bytes arrive, as in Redis (which reads 16 KiB at a time).
 */

export interface ParserLimits {
  /** proto-max-bulk-len: the largest accepted bulk argument, in bytes (Redis default 536870912). */
  maxBulkBytes: number;
  /** client-query-buffer-limit: more unparsed bytes than this closes the connection (default 1 GiB). */
  maxQueryBufferBytes: number;
}

export const PARSE_NEED_MORE = 0;
export const PARSE_COMMAND = 1;
export const PARSE_PROTOCOL_ERROR = 2;
export const PARSE_QUERY_LIMIT = 3;

/** PROTO_INLINE_MAX_SIZE: bytes Redis buffers without finding a line terminator before it gives up. */
export const INLINE_MAX_BYTES = 65536;

/** Redis reads the multibulk count into a C int. */
const MAX_MULTIBULK_COUNT = 2147483647;
/** Pre-AUTH caps from networking.c: at most 10 arguments, bulks of at most 16384 bytes. */
const UNAUTHENTICATED_MAX_ARGS = 10;
const UNAUTHENTICATED_MAX_BULK_BYTES = 16384;

/** Bytes copied from the next chunk, beyond any known bulk remainder, when a command straddles chunks. */
const MIN_APPEND_BYTES = 4096;
const SCRATCH_INITIAL_BYTES = 16384;
/** A scratch buffer (or consumed input) larger than this is not kept once mostly idle. */
const RETAIN_MAX_BYTES = 256 * 1024;

/** Internal result: a header was consumed or an empty command skipped; keep parsing. */
const CONTINUE = -1;

const STAR = 0x2a;
const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MINUS = 0x2d;
const BACKSLASH = 0x5c;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

const ERR_INVALID_MBULK = 'Protocol error: invalid multibulk length';
const ERR_INVALID_BULK = 'Protocol error: invalid bulk length';
const ERR_UNAUTH_MBULK = 'Protocol error: unauthenticated multibulk length';
const ERR_UNAUTH_BULK = 'Protocol error: unauthenticated bulk length';
const ERR_TOO_BIG_INLINE = 'Protocol error: too big inline request';
const ERR_TOO_BIG_MBULK = 'Protocol error: too big mbulk count string';
const ERR_TOO_BIG_BULK = 'Protocol error: too big bulk count string';
const ERR_UNBALANCED_QUOTES = 'Protocol error: unbalanced quotes in request';

/** Decimal text of LLONG_MAX and of |LLONG_MIN|: the 19-digit bounds string2ll accepts. */
const LLONG_MAX_DIGITS = '9223372036854775807';
const LLONG_MIN_DIGITS = '9223372036854775808';

const EMPTY = Buffer.alloc(0);

export class RespParser {
  /** Mutable: CONFIG SET may change maxBulkBytes / maxQueryBufferBytes at run time. */
  limits: ParserLimits;
  /** True while the client must still AUTH: Redis then caps argument count and bulk size. */
  requireAuth = false;

  // Valid after next() returned PARSE_COMMAND, until the next call to next() or feed().
  buf: Buffer = EMPTY;
  argc = 0;
  /** argStart[i]..argEnd[i] (exclusive) is argument i in buf. Reused; never shrinks. */
  argStart: number[] = [];
  argEnd: number[] = [];

  /** Valid after PARSE_PROTOCOL_ERROR, without "-ERR " and CRLF. Write it as latin1: the
   * "expected '$', got 'c'" text carries the offending byte as one latin1 character. */
  errorMessage = '';

  private input: Buffer = EMPTY;
  private inputEnd = 0;
  private inputIsScratch = false;
  private readPos = 0;
  private cmdStart = 0;
  /** Where to resume searching for the current line's terminator (bytes before it were searched). */
  private scanFrom = 0;
  /** The line at readPos has a NUL before its terminator: Redis's strchr never sees the end.
   * Never cleared, because such a line is never consumed. */
  private lineHasNul = false;
  /** Arguments still expected by the multibulk command in progress (0: between commands). */
  private pendingArgs = 0;
  /** Length of the bulk whose payload is awaited, or -1 while its "$N" header is unread. */
  private bulkLen = -1;
  /** PARSE_NEED_MORE while alive, else the terminal status. */
  private status = PARSE_NEED_MORE;

  private queue: Buffer[] = [];
  private queueFirst = 0;
  /** Bytes of queue[queueFirst] already taken into input. */
  private queueHead = 0;
  private queuedBytes = 0;

  private scratch: Buffer = EMPTY;
  private canRewind = false;
  private rewindChunkPos = 0;
  private rewindScratchPos = 0;

  constructor(limits: ParserLimits) {
    this.limits = limits;
  }

  /** Appends bytes read from the socket. Keeps a reference to chunk until its bytes are consumed,
   * so the caller must not reuse it. Exceeding maxQueryBufferBytes kills the parser, as Redis
   * closes such a client right after the read (no reply). */
  feed(chunk: Buffer): void {
    if (this.status !== PARSE_NEED_MORE || chunk.length === 0) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.bufferedBytes() > this.limits.maxQueryBufferBytes) this.die(PARSE_QUERY_LIMIT);
  }

  /** Parses the next complete command from what was fed. Returns one of PARSE_*. */
  next(): number {
    if (this.status !== PARSE_NEED_MORE) return this.status;
    if (this.pendingArgs === 0) {
      // Between commands: the previous command's bytes are no longer needed.
      this.argc = 0;
      this.cmdStart = this.readPos;
      if (this.canRewind && this.readPos >= this.rewindScratchPos) this.rewindToChunk();
      // The usual request goes straight from its "*N" line into the bulks; everything else
      // (and a command that runs out of bytes) continues in the general loop below.
      if (this.readSimpleCount()) {
        const result = this.parseBulks();
        if (result !== PARSE_NEED_MORE) return result;
      }
    }
    for (;;) {
      const result = this.parseInput();
      if (result !== PARSE_NEED_MORE) return result;
      if (this.queuedBytes === 0) {
        this.releaseConsumed();
        return PARSE_NEED_MORE;
      }
      this.appendQueued();
    }
  }

  /** Bytes buffered and not yet parsed into arguments: Redis's qbuf (CLIENT LIST) and what the
   * query buffer limit is checked against. Completed arguments of a partial command are excluded. */
  bufferedBytes(): number {
    return this.inputEnd - this.readPos + this.queuedBytes;
  }

  /** Argument i as a view into buf (allocates a Buffer object; for cold paths). */
  arg(i: number): Buffer {
    return this.buf.subarray(this.argStart[i], this.argEnd[i]);
  }

  argString(i: number): string {
    return this.buf.toString('utf8', this.argStart[i], this.argEnd[i]);
  }

  argLatin1(i: number): string {
    return this.buf.toString('latin1', this.argStart[i], this.argEnd[i]);
  }

  /** Parses from readPos within input. Returns PARSE_NEED_MORE when input is exhausted. */
  private parseInput(): number {
    for (;;) {
      if (this.pendingArgs === 0) {
        if (this.readPos >= this.inputEnd) return PARSE_NEED_MORE;
        const result = this.input[this.readPos] === STAR ? this.parseMultibulkCount() : this.parseInline();
        if (result !== CONTINUE) return result;
        if (this.pendingArgs === 0) {
          // "*0", "*-1" or an empty inline line: nothing to run.
          this.cmdStart = this.readPos;
          continue;
        }
      }
      return this.parseBulks();
    }
  }

  /**
   * Fast path for the usual "*N\r<any byte>" with 1..10 digits, no leading zero, and N within
   * the limits: consumes the line, sets pendingArgs, returns true. Anything else (*0, *-1, an
   * incomplete or malformed line) returns false and is left to parseMultibulkCount.
   */
  private readSimpleCount(): boolean {
    const input = this.input;
    const start = this.readPos;
    const end = this.inputEnd;
    if (start >= end || input[start] !== STAR) return false;
    const digitsEnd = start + 11 < end ? start + 11 : end;
    let i = start + 1;
    let count = 0;
    while (i < digitsEnd) {
      const c = input[i];
      if (c < DIGIT_0 || c > DIGIT_9) break;
      count = count * 10 + (c - DIGIT_0);
      i++;
    }
    if (i === start + 1 || i + 1 >= end || input[i] !== CR || input[start + 1] === DIGIT_0) return false;
    if (count > MAX_MULTIBULK_COUNT || (count > UNAUTHENTICATED_MAX_ARGS && this.requireAuth)) return false;
    this.readPos = i + 2;
    this.pendingArgs = count;
    return true;
  }

  /** The "*N" line, exactly as Redis reads it. Sets pendingArgs (left 0 for N <= 0, which Redis
   * ignores). */
  private parseMultibulkCount(): number {
    const cr = this.findHeaderCr();
    if (cr < 0) return this.waitForLine(ERR_TOO_BIG_MBULK);
    if (cr + 1 >= this.inputEnd) return PARSE_NEED_MORE;
    const count = parseRedisInteger(this.input, this.readPos + 1, cr);
    // Written so that NaN (not an integer) fails too.
    if (!(count <= MAX_MULTIBULK_COUNT)) return this.fail(ERR_INVALID_MBULK);
    if (count > UNAUTHENTICATED_MAX_ARGS && this.requireAuth) return this.fail(ERR_UNAUTH_MBULK);
    this.readPos = cr + 2;
    if (count > 0) this.pendingArgs = count;
    return CONTINUE;
  }

  /**
   * Reads "$N" headers and payloads until the command is complete or input runs out.
   * The hottest loop of the broker: state lives in locals and is written back on every exit, and
   * the common header is read inline. With the "*N" fast path in next() and inputEnd kept in a
   * field, this took the bench/micro/resp-parse.ts pipeline from about 1064 to 860 instructions
   * per command (whole chunk, counted with callgrind).
   */
  private parseBulks(): number {
    const input = this.input;
    const end = this.inputEnd;
    const argStart = this.argStart;
    const argEnd = this.argEnd;
    const maxBulkBytes = this.limits.maxBulkBytes;
    // Larger bulks leave the fast path, and parseBulkHeader reports the right error for them.
    const fastMaxBulkBytes =
      this.requireAuth && maxBulkBytes > UNAUTHENTICATED_MAX_BULK_BYTES ? UNAUTHENTICATED_MAX_BULK_BYTES : maxBulkBytes;
    let pos = this.readPos;
    let argc = this.argc;
    let pendingArgs = this.pendingArgs;
    let bulkLen = this.bulkLen;
    while (pendingArgs > 0) {
      if (bulkLen < 0) {
        // Fast path: "$<1..15 digits, no leading zero>\r<any byte>".
        let i = pos + 1;
        let length = 0;
        if (pos < end && input[pos] === DOLLAR) {
          const digitsEnd = pos + 16 < end ? pos + 16 : end;
          while (i < digitsEnd) {
            const c = input[i];
            if (c < DIGIT_0 || c > DIGIT_9) break;
            length = length * 10 + (c - DIGIT_0);
            i++;
          }
        }
        if (i > pos + 1 && i + 1 < end && input[i] === CR && (input[pos + 1] !== DIGIT_0 || i === pos + 2) && length <= fastMaxBulkBytes) {
          pos = i + 2;
          bulkLen = length;
        } else {
          this.readPos = pos;
          this.argc = argc;
          this.pendingArgs = pendingArgs;
          this.bulkLen = -1;
          const result = this.parseBulkHeader();
          if (result !== CONTINUE) return result;
          pos = this.readPos;
          bulkLen = this.bulkLen;
        }
      }
      const dataEnd = pos + bulkLen;
      if (dataEnd + 2 > end) {
        this.readPos = pos;
        this.argc = argc;
        this.pendingArgs = pendingArgs;
        this.bulkLen = bulkLen;
        return PARSE_NEED_MORE;
      }
      if (argc < argStart.length) {
        argStart[argc] = pos;
        argEnd[argc] = dataEnd;
      } else {
        argStart.push(pos);
        argEnd.push(dataEnd);
      }
      argc++;
      pos = dataEnd + 2;
      bulkLen = -1;
      pendingArgs--;
    }
    this.readPos = pos;
    this.argc = argc;
    this.pendingArgs = 0;
    this.bulkLen = -1;
    this.buf = input;
    return PARSE_COMMAND;
  }

  /** The "$N" line at readPos, exactly as Redis reads it (the fast path in parseBulks declined). */
  private parseBulkHeader(): number {
    const input = this.input;
    const start = this.readPos;
    // Redis looks for the CR first and only then checks the type byte.
    const cr = this.findHeaderCr();
    if (cr < 0) return this.waitForLine(ERR_TOO_BIG_BULK);
    if (cr + 1 >= this.inputEnd) return PARSE_NEED_MORE;
    const type = input[start];
    if (type !== DOLLAR) {
      // Redis's error formatter turns CR and LF into spaces.
      const shown = type === CR || type === LF ? ' ' : String.fromCharCode(type);
      return this.fail(`Protocol error: expected '$', got '${shown}'`);
    }
    const length = parseRedisInteger(input, start + 1, cr);
    // Written so that NaN (not an integer) fails too.
    if (!(length >= 0) || length > this.limits.maxBulkBytes) return this.fail(ERR_INVALID_BULK);
    if (length > UNAUTHENTICATED_MAX_BULK_BYTES && this.requireAuth) return this.fail(ERR_UNAUTH_BULK);
    this.readPos = cr + 2;
    this.bulkLen = length;
    return CONTINUE;
  }

  /** Finds the CR ending the header line at readPos as Redis's strchr would: a NUL before it hides
   * it for good. Returns its offset or -1. */
  private findHeaderCr(): number {
    if (this.lineHasNul) return -1;
    const cr = this.findByte(CR);
    if (cr >= 0 && this.lineContainsNul(cr)) return -1;
    return cr;
  }

  /** Searches input for byte from readPos, skipping what earlier calls already searched. A JS
   * loop, because Buffer#indexOf cannot stop at inputEnd (the scratch is longer than its data);
   * it only runs on slow paths, and each byte of a line is searched once. */
  private findByte(byte: number): number {
    const input = this.input;
    const end = this.inputEnd;
    for (let i = this.scanFrom > this.readPos ? this.scanFrom : this.readPos; i < end; i++) {
      if (input[i] === byte) return i;
    }
    this.scanFrom = end;
    return -1;
  }

  private lineContainsNul(lineEnd: number): boolean {
    const input = this.input;
    for (let i = this.readPos; i < lineEnd; i++) {
      if (input[i] === 0) {
        this.lineHasNul = true;
        return true;
      }
    }
    return false;
  }

  /** No terminator visible yet: Redis fails once more than INLINE_MAX_BYTES are buffered. The
   * check waits until every queued byte has been taken in, so the verdict depends on what was
   * fed, not on how much of it has been copied so far. */
  private waitForLine(tooBigMessage: string): number {
    if (this.queuedBytes === 0 && this.inputEnd - this.readPos > INLINE_MAX_BYTES) {
      return this.fail(tooBigMessage);
    }
    return PARSE_NEED_MORE;
  }

  /** An inline command: one line ended by LF (a CR before it dropped), split like sdssplitargs. */
  private parseInline(): number {
    const lf = this.lineHasNul ? -1 : this.findByte(LF);
    if (lf < 0 || this.lineContainsNul(lf)) return this.waitForLine(ERR_TOO_BIG_INLINE);
    const start = this.readPos;
    const lineEnd = lf > start && this.input[lf - 1] === CR ? lf - 1 : lf;
    this.readPos = lf + 1;
    return this.splitInline(start, lineEnd);
  }

  /**
   * sdssplitargs (Redis sds.c) over input[from, to): whitespace-separated tokens; "..." with the
   * escapes \n \r \t \b \a \xHH (any other escaped byte stands for itself); '...' where only \'
   * is an escape; a closing quote must be followed by whitespace or the end of the line. The
   * unescaped arguments go into one new Buffer, which becomes buf. Returns CONTINUE for a blank line.
   */
  private splitInline(from: number, to: number): number {
    const line = this.input;
    let out = EMPTY;
    let outLen = 0;
    let p = from;
    for (;;) {
      while (p < to && isSpace(line[p])) p++;
      if (p >= to) break;
      if (out === EMPTY) out = Buffer.allocUnsafe(to - p);
      const tokenStart = outLen;
      let inDouble = false;
      let inSingle = false;
      for (;;) {
        // The C code reads the line as a NUL-terminated string: 0 stands for "end of line".
        const c = p < to ? line[p] : 0;
        const next = p + 1 < to ? line[p + 1] : 0;
        if (inDouble) {
          if (c === BACKSLASH && next === 0x78 && p + 3 < to && isHexDigit(line[p + 2]) && isHexDigit(line[p + 3])) {
            out[outLen++] = hexValue(line[p + 2]) * 16 + hexValue(line[p + 3]);
            p += 3;
          } else if (c === BACKSLASH && next !== 0) {
            p++;
            out[outLen++] = unescapeByte(next);
          } else if (c === DOUBLE_QUOTE) {
            if (next !== 0 && !isSpace(next)) return this.fail(ERR_UNBALANCED_QUOTES);
            p++;
            break;
          } else if (c === 0) {
            return this.fail(ERR_UNBALANCED_QUOTES);
          } else {
            out[outLen++] = c;
          }
        } else if (inSingle) {
          if (c === BACKSLASH && next === SINGLE_QUOTE) {
            p++;
            out[outLen++] = SINGLE_QUOTE;
          } else if (c === SINGLE_QUOTE) {
            if (next !== 0 && !isSpace(next)) return this.fail(ERR_UNBALANCED_QUOTES);
            p++;
            break;
          } else if (c === 0) {
            return this.fail(ERR_UNBALANCED_QUOTES);
          } else {
            out[outLen++] = c;
          }
        } else if (c === 0x20 || c === LF || c === CR || c === 0x09 || c === 0) {
          // Unlike the blank skipping above, \v and \f do not end an unquoted token.
          if (c !== 0) p++;
          break;
        } else if (c === DOUBLE_QUOTE) {
          inDouble = true;
        } else if (c === SINGLE_QUOTE) {
          inSingle = true;
        } else {
          out[outLen++] = c;
        }
        p++;
      }
      const i = this.argc;
      if (i < this.argStart.length) {
        this.argStart[i] = tokenStart;
        this.argEnd[i] = outLen;
      } else {
        this.argStart.push(tokenStart);
        this.argEnd.push(outLen);
      }
      this.argc = i + 1;
    }
    if (this.argc === 0) return CONTINUE;
    this.buf = out;
    return PARSE_COMMAND;
  }

  /** Pulls bytes from the queue into input (called when parsing ran out and queuedBytes > 0). */
  private appendQueued(): void {
    const chunk = this.queue[this.queueFirst];
    const head = this.queueHead;
    const availableBytes = chunk.length - head;
    const keepBytes = this.inputEnd - this.cmdStart;
    if (keepBytes === 0) {
      // Nothing of a command in progress: parse the chunk in place.
      this.queuedBytes -= availableBytes;
      this.advanceQueue();
      this.useChunk(chunk, head);
      return;
    }
    const bulkKnown = this.pendingArgs > 0 && this.bulkLen >= 0;
    let wantedBytes = MIN_APPEND_BYTES;
    if (bulkKnown) wantedBytes += this.readPos + this.bulkLen + 2 - this.inputEnd;
    const copyBytes = availableBytes < wantedBytes ? availableBytes : wantedBytes;
    const requiredBytes = keepBytes + copyBytes;
    // Append in place while the scratch has room after its data; otherwise move the command to
    // the front (compacting, or growing), and never keep building on an oversized scratch.
    const roomBytes = this.inputIsScratch ? this.scratch.length - this.inputEnd : -1;
    if (roomBytes < copyBytes || (this.cmdStart > 0 && this.scratch.length > RETAIN_MAX_BYTES)) {
      // Doubling keeps repeated growth linear; a known bulk caps it at the bulk's end (+ slack).
      let newBytes = 2 * requiredBytes;
      if (bulkKnown && newBytes > keepBytes + wantedBytes) newBytes = keepBytes + wantedBytes;
      if (newBytes < SCRATCH_INITIAL_BYTES) newBytes = SCRATCH_INITIAL_BYTES;
      // A scratch left oversized by an earlier big command is not reused for a small one.
      const mayReuse = this.scratch.length <= RETAIN_MAX_BYTES || this.scratch.length < 2 * newBytes;
      this.relocateToScratch(requiredBytes, newBytes, mayReuse);
    }
    const scratchPos = this.inputEnd;
    if (head === 0 && copyBytes === chunk.length) this.scratch.set(chunk, scratchPos);
    else chunk.copy(this.scratch, scratchPos, head, head + copyBytes);
    this.inputEnd = scratchPos + copyBytes;
    this.queuedBytes -= copyBytes;
    if (copyBytes < availableBytes) {
      this.queueHead = head + copyBytes;
      this.canRewind = true;
      this.rewindChunkPos = head;
      this.rewindScratchPos = scratchPos;
    } else {
      this.advanceQueue();
      this.canRewind = false;
    }
  }

  /** Called between commands once readPos is inside the copied part of the queue's first chunk:
   * continue in that chunk itself rather than copying the rest of it. */
  private rewindToChunk(): void {
    const chunk = this.queue[this.queueFirst];
    const pos = this.rewindChunkPos + (this.readPos - this.rewindScratchPos);
    this.queuedBytes -= chunk.length - this.queueHead;
    this.advanceQueue();
    this.useChunk(chunk, pos);
  }

  /** Makes chunk (not owned, never written) the input, parsing from pos, with no command in progress. */
  private useChunk(chunk: Buffer, pos: number): void {
    if (this.scratch.length > RETAIN_MAX_BYTES) this.scratch = EMPTY;
    this.input = chunk;
    this.inputEnd = chunk.length;
    this.inputIsScratch = false;
    this.readPos = pos;
    this.cmdStart = pos;
    this.scanFrom = pos;
    this.canRewind = false;
  }

  private advanceQueue(): void {
    this.queue[this.queueFirst] = EMPTY;
    this.queueFirst++;
    this.queueHead = 0;
    if (this.queueFirst === this.queue.length) {
      this.queue.length = 0;
      this.queueFirst = 0;
    }
  }

  /**
   * Moves the command in progress, input[cmdStart, end), to offset 0 of the scratch buffer and
   * shifts every offset that points into it. Reuses the scratch when mayReuse and it holds at
   * least minBytes; otherwise allocates newBytes (>= minBytes).
   */
  private relocateToScratch(minBytes: number, newBytes: number, mayReuse: boolean): void {
    const shift = this.cmdStart;
    const keepBytes = this.inputEnd - shift;
    if (mayReuse && this.scratch.length >= minBytes) {
      if (this.inputIsScratch) this.scratch.copyWithin(0, shift, shift + keepBytes);
      else this.input.copy(this.scratch, 0, shift, shift + keepBytes);
    } else {
      const fresh = Buffer.allocUnsafeSlow(newBytes);
      this.input.copy(fresh, 0, shift, shift + keepBytes);
      this.scratch = fresh;
    }
    this.input = this.scratch;
    this.inputEnd = keepBytes;
    this.inputIsScratch = true;
    if (shift === 0) return;
    this.readPos -= shift;
    this.cmdStart = 0;
    this.scanFrom = this.scanFrom > shift ? this.scanFrom - shift : 0;
    this.rewindScratchPos -= shift;
    for (let i = 0; i < this.argc; i++) {
      this.argStart[i] -= shift;
      this.argEnd[i] -= shift;
    }
  }

  /** Called when returning NEED_MORE with nothing queued: lets go of consumed buffers, and moves
   * a small partial command out of a big buffer so the big one can be freed. */
  private releaseConsumed(): void {
    this.buf = EMPTY;
    const keepBytes = this.inputEnd - this.cmdStart;
    if (keepBytes === 0) {
      this.useChunk(EMPTY, 0);
      return;
    }
    const heldBytes = this.inputIsScratch ? this.scratch.length : this.input.length;
    if (heldBytes <= RETAIN_MAX_BYTES) return;
    let neededBytes = keepBytes;
    if (this.pendingArgs > 0 && this.bulkLen >= 0) neededBytes = this.readPos + this.bulkLen + 2 - this.cmdStart;
    if (neededBytes * 2 > heldBytes) return;
    const newBytes = keepBytes * 2 > SCRATCH_INITIAL_BYTES ? keepBytes * 2 : SCRATCH_INITIAL_BYTES;
    this.relocateToScratch(keepBytes, newBytes, !this.inputIsScratch);
  }

  private fail(message: string): number {
    this.errorMessage = message;
    return this.die(PARSE_PROTOCOL_ERROR);
  }

  private die(status: number): number {
    this.status = status;
    this.queue = [];
    this.queueFirst = 0;
    this.queueHead = 0;
    this.queuedBytes = 0;
    this.input = EMPTY;
    this.inputEnd = 0;
    this.inputIsScratch = false;
    this.scratch = EMPTY;
    this.buf = EMPTY;
    this.canRewind = false;
    this.readPos = 0;
    this.cmdStart = 0;
    this.scanFrom = 0;
    this.argc = 0;
    this.pendingArgs = 0;
    this.bulkLen = -1;
    return status;
  }
}

/**
 * string2ll (Redis util.c) over buf[from, to): "0", or an optional '-' and digits without a
 * leading zero, fewer than 21 characters, within the int64 range. Returns the value, -1 for any
 * valid negative (callers only need its sign), or NaN when Redis would reject the text. Values
 * past 2^53 lose precision, which only matters against limits far below that.
 */
function parseRedisInteger(buf: Buffer, from: number, to: number): number {
  const textLength = to - from;
  if (textLength === 0 || textLength >= 21) return NaN;
  if (textLength === 1 && buf[from] === DIGIT_0) return 0;
  const negative = buf[from] === MINUS;
  const digitsStart = negative ? from + 1 : from;
  if (digitsStart === to || buf[digitsStart] === DIGIT_0) return NaN;
  let value = 0;
  for (let i = digitsStart; i < to; i++) {
    const c = buf[i];
    if (c < DIGIT_0 || c > DIGIT_9) return NaN;
    value = value * 10 + (c - DIGIT_0);
  }
  const digitCount = to - digitsStart;
  if (digitCount > 19) return NaN;
  if (digitCount === 19 && buf.toString('latin1', digitsStart, to) > (negative ? LLONG_MIN_DIGITS : LLONG_MAX_DIGITS)) {
    return NaN;
  }
  return negative ? -1 : value;
}

/** C isspace in the C locale: space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHexDigit(c: number): boolean {
  return (c >= DIGIT_0 && c <= DIGIT_9) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function hexValue(c: number): number {
  if (c <= DIGIT_9) return c - DIGIT_0;
  return (c | 0x20) - 0x61 + 10;
}

/** The byte a backslash escape stands for inside "..." (sdssplitargs). */
function unescapeByte(c: number): number {
  switch (c) {
    case 0x6e: return LF; // \n
    case 0x72: return CR; // \r
    case 0x74: return 0x09; // \t
    case 0x62: return 0x08; // \b
    case 0x61: return 0x07; // \a
    default: return c;
  }
}
