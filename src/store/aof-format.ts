/**
 * The append-only log's bytes: Redis's pre-7.0 single-file AOF, which `redis-check-aof` reads.
 *
 *   *<argc>\r\n  then per argument  $<len>\r\n<bytes>\r\n
 *
 * with a `SELECT <db>` before a command whenever its database differs from the last one written.
 *
 * Threads: `CommandEncoder` and `parseCommand` run on the main thread (appends, load, the rewrite
 * snapshot); `writeLogFile` is the body of the rewrite task and runs in a piscina worker
 * (workers/aof-rewrite-task.ts), where blocking file calls are the point.
 *
 * Invariants: an encoded command never spans two chunks, so every chunk handed out ends on a
 * command boundary; each chunk owns its ArrayBuffer (never Node's shared pool), so it can be
 * transferred to a worker; encoding allocates nothing per command except a new chunk when one
 * fills up.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';

const CR = 13;
const LF = 10;
const ASTERISK = 42;
const DOLLAR = 36;
/** `SELECT <db>` up to the db's length line. */
const SELECT_HEAD = Buffer.from('*2\r\n$6\r\nSELECT\r\n$', 'latin1');
/** Longest decimal a length line may hold: 2^53 has 16 digits; more is corruption, not a length. */
const MAX_LENGTH_DIGITS = 16;

function decimalDigits(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/** Writes `n` (a non-negative integer) in decimal at `pos`; returns the position after it. */
function writeDecimal(buf: Buffer, pos: number, n: number): number {
  const end = pos + decimalDigits(n);
  for (let i = end - 1; i >= pos; i--) {
    buf[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

/**
 * Encodes commands into a list of chunks, inserting SELECT when the database changes. `take()`
 * hands out what was encoded since the last take as views (the caller may write them while
 * encoding continues after them in the same chunk).
 */
export class CommandEncoder {
  /** Database of the last command encoded; -1 forces a SELECT before the next one. */
  lastDb = -1;
  /** Bytes encoded since creation (monotonic). */
  encodedBytes = 0;
  private chunk: Buffer;
  private used = 0;
  private takenFrom = 0;
  private readonly filled: Buffer[] = [];

  /** `chunkBytes`: size of each chunk; a larger command gets a chunk of its own size. */
  constructor(private readonly chunkBytes: number) {
    this.chunk = Buffer.allocUnsafeSlow(chunkBytes);
  }

  /** Bytes encoded and not yet taken. */
  get untakenBytes(): number {
    let bytes = this.used - this.takenFrom;
    for (const b of this.filled) bytes += b.length;
    return bytes;
  }

  command(db: number, args: readonly Uint8Array[]): void {
    if (db !== this.lastDb) {
      this.select(db);
      this.lastDb = db;
    }
    let size = 3 + decimalDigits(args.length);
    for (const arg of args) size += 5 + decimalDigits(arg.length) + arg.length;
    let pos = this.reserve(size);
    const buf = this.chunk;
    buf[pos++] = ASTERISK;
    pos = writeDecimal(buf, pos, args.length);
    buf[pos++] = CR;
    buf[pos++] = LF;
    for (const arg of args) pos = writeBulk(buf, pos, arg);
    this.used = pos;
    this.encodedBytes += size;
  }

  /** Everything encoded since the last take, as views ending on command boundaries ([] if none). */
  take(): Buffer[] {
    const out = this.filled.splice(0);
    if (this.used > this.takenFrom) out.push(this.chunk.subarray(this.takenFrom, this.used));
    this.takenFrom = this.used;
    return out;
  }

  private select(db: number): void {
    const dbDigits = decimalDigits(db);
    const size = SELECT_HEAD.length + decimalDigits(dbDigits) + 2 + dbDigits + 2;
    let pos = this.reserve(size);
    const buf = this.chunk;
    buf.set(SELECT_HEAD, pos);
    pos = writeDecimal(buf, pos + SELECT_HEAD.length, dbDigits);
    buf[pos++] = CR;
    buf[pos++] = LF;
    pos = writeDecimal(buf, pos, db);
    buf[pos++] = CR;
    buf[pos++] = LF;
    this.used = pos;
    this.encodedBytes += size;
  }

  /** Makes room for `size` contiguous bytes in the current chunk; returns where they start. */
  private reserve(size: number): number {
    if (this.used + size <= this.chunk.length) return this.used;
    if (this.used > this.takenFrom) this.filled.push(this.chunk.subarray(this.takenFrom, this.used));
    this.chunk = Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, size));
    this.used = 0;
    this.takenFrom = 0;
    return 0;
  }
}

function writeBulk(buf: Buffer, pos: number, arg: Uint8Array): number {
  buf[pos++] = DOLLAR;
  pos = writeDecimal(buf, pos, arg.length);
  buf[pos++] = CR;
  buf[pos++] = LF;
  buf.set(arg, pos);
  pos += arg.length;
  buf[pos++] = CR;
  buf[pos++] = LF;
  return pos;
}

/** A command read from the log: its arguments (views into the read buffer) and where it ends. */
export interface ParsedCommand {
  args: Buffer[];
  end: number;
}

/** Bytes that cannot be the start of any valid log: `at` is the offending byte's position. */
export interface CorruptBytes {
  corrupt: string;
  at: number;
}

/**
 * Parses the command starting at `start`. 'incomplete' when the bytes up to `end` are a valid
 * beginning of a command that stops short (what a crash mid-write leaves); CorruptBytes as soon as
 * a byte cannot belong to a valid command, even before `end`.
 */
export function parseCommand(buf: Buffer, start: number, end: number): ParsedCommand | CorruptBytes | 'incomplete' {
  const head = parseLengthLine(buf, start, end, ASTERISK);
  if (typeof head !== 'object' || 'corrupt' in head) return head;
  if (head.value < 1) return { corrupt: 'a command with no arguments', at: start };
  const args: Buffer[] = [];
  let pos = head.next;
  for (let i = 0; i < head.value; i++) {
    const line = parseLengthLine(buf, pos, end, DOLLAR);
    if (typeof line !== 'object' || 'corrupt' in line) return line;
    const dataEnd = line.next + line.value;
    if (dataEnd + 2 > end) {
      // The CRLF after the data may be partly there: check what is, so garbage is not "truncated".
      if (dataEnd < end && buf[dataEnd] !== CR) return { corrupt: 'no CRLF after an argument', at: dataEnd };
      return 'incomplete';
    }
    if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return { corrupt: 'no CRLF after an argument', at: dataEnd };
    args.push(buf.subarray(line.next, dataEnd));
    pos = dataEnd + 2;
  }
  return { args, end: pos };
}

/** `<prefix><decimal>\r\n` at `pos`: the value and the position after the line. */
function parseLengthLine(
  buf: Buffer, pos: number, end: number, prefix: number,
): { value: number; next: number } | CorruptBytes | 'incomplete' {
  if (pos >= end) return 'incomplete';
  const what = prefix === ASTERISK ? "'*' (a command's argument count)" : "'$' (an argument's length)";
  if (buf[pos] !== prefix) return { corrupt: `expected ${what}`, at: pos };
  let value = 0;
  let i = pos + 1;
  for (; i < end && buf[i] >= 48 && buf[i] <= 57; i++) {
    if (i - pos > MAX_LENGTH_DIGITS) return { corrupt: `a length of more than ${MAX_LENGTH_DIGITS} digits`, at: pos };
    value = value * 10 + buf[i] - 48;
  }
  if (i >= end) return 'incomplete';
  if (i === pos + 1 || buf[i] !== CR) return { corrupt: `a bad length after ${what}`, at: i };
  if (i + 1 >= end) return 'incomplete';
  if (buf[i + 1] !== LF) return { corrupt: `no LF after ${what}`, at: i + 1 };
  return { value, next: i + 2 };
}

/** What the rewrite task receives: the snapshot's encoded chunks (transferred, not copied). */
export interface RewriteTask {
  path: string;
  chunks: Uint8Array[];
}

/**
 * The rewrite task's body (piscina worker thread): writes the chunks to a new file at `path`
 * (replacing any leftover), fdatasyncs and closes it. Returns the file's size in bytes.
 */
export function writeLogFile(task: RewriteTask): number {
  const fd = openSync(task.path, 'w');
  try {
    let size = 0;
    for (const chunk of task.chunks) {
      for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done, chunk.length - done);
      size += chunk.length;
    }
    fdatasyncSync(fd);
    return size;
  } finally {
    closeSync(fd);
  }
}
