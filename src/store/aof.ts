/**
 * The append-only log (main thread): every write command, in execution order, appended to
 * `<dir>/appendonly.aof` in Redis's pre-7.0 AOF format (src/store/aof-format.ts); replayed at
 * start-up; compacted by a background rewrite.
 *
 *   append() ──encode──▶ pending chunks ──setImmediate──▶ pump: one fs op at a time (threadpool)
 *                                                           write ─▶ fdatasync per policy ─▶ onDurable
 *   rewrite: snapshot (sync, encoded) ──transfer──▶ piscina task writes + fsyncs temp file
 *            appends meanwhile ─▶ old file AND rewrite buffer ─▶ temp file ─▶ rename (atomic) ─▶ new log
 *
 * Invariants:
 * - Offsets are logical: bytes appended since the log opened, plus the file's size at open. They
 *   only grow, across rewrites, so `durableOffset >= offset` is the test for "this append is on disk".
 * - One pump at a time issues the file operations, so writes land in append order and the switch
 *   to a rewritten file happens between two writes, never during one.
 * - Synchronous file calls only in load() (mkdir, the sweep of leftover temp files); after it,
 *   every file operation is async (libuv threadpool) or in the rewrite task's thread. The one
 *   main-thread pause is the rewrite's snapshot: dumping and encoding the keyspace, O(keys).
 * - Everything appended before the snapshot is covered by it; everything after it is in the
 *   rewrite buffer: both are taken in one synchronous section.
 * - A failed fsync is fatal (after one, the kernel may have dropped the dirty pages: retrying would
 *   claim durability it does not have), and so is a failed write under `always` (Redis exits too).
 */
import { copyFile, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { Piscina } from 'piscina';
import { CommandEncoder, parseCommand, type RewriteTask } from './aof-format.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export interface AofOptions {
  dir: string;
  /** appendfsync. */
  fsync: FsyncPolicy;
  /** auto-aof-rewrite-percentage: rewrite when the log grew this much over its base size; 0 never. */
  rewritePercentage: number;
  /** auto-aof-rewrite-min-size: no automatic rewrite below this size. */
  rewriteMinBytes: number;
  /** aof-load-truncated: load a log whose last command is incomplete (and cut that command off). */
  loadTruncated: boolean;
  /** aof-accept-corrupt (ringcast): load up to a corrupt command and drop the rest. */
  acceptCorrupt: boolean;
}

/** The settings CONFIG SET may change while the log is open. */
export type AofRuntimeOptions = Partial<Pick<AofOptions, 'fsync' | 'rewritePercentage' | 'rewriteMinBytes'>>;

/**
 * A log that cannot be loaded as it is. `offset`: the first corrupt byte ('corrupt'), or where the
 * complete commands of a truncated log end ('truncated').
 */
export class AofCorruptError extends Error {
  constructor(message: string, readonly offset: number, readonly kind: 'truncated' | 'corrupt') {
    super(message);
  }
}

export const AOF_FILE_NAME = 'appendonly.aof';
/** The rewrite task (compiled). Tests running this file from source pass dist's copy instead. */
export const AOF_REWRITE_TASK_URL = new URL('../../workers/aof-rewrite-task.js', import.meta.url);

const LIVE_CHUNK_BYTES = 64 * 1024;
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const EVERYSEC_INTERVAL_MS = 1000;
const WRITE_RETRY_DELAY_MS = 1000;
const AUTO_REWRITE_RETRY_DELAY_MS = 60_000;
/**
 * The rewrite buffer is copied into the new file in the background until less than this is left;
 * the rest is written at the switch, while the pump holds further writes (under `always`, their
 * replies wait that long).
 */
const SWITCH_REMAINDER_BYTES = 256 * 1024;
/**
 * When appends outpace the catch-up copy, more rounds only make the rest bigger: after this many,
 * the switch takes the rest.
 */
const MAX_CATCH_UP_ROUNDS = 8;
const TEMP_FILE = /^temp-rewriteaof-bg-\d+\.aof$/;
const MULTI = Buffer.from('multi');
const EXEC = Buffer.from('exec');

interface Rewrite {
  startedMs: number;
  tempPath: string;
  /** Appends since the snapshot, for the new file; null from the switch's cut on. */
  buffer: CommandEncoder | null;
  abort: AbortController;
}

interface SwitchRequest {
  rewrite: Rewrite;
  temp: FileHandle;
  /** Bytes already in the temp file. */
  tempBytes: number;
  settle: (err: Error | null) => void;
}

export class AppendOnlyLog {
  /** Offset durably on disk (fsynced); see the header for what offsets are. */
  durableOffset = 0;
  /** Called whenever durableOffset advances (the broker releases replies held under `always`). */
  onDurable: () => void = () => {};
  /** Called once when the log can no longer guarantee anything (see the header); the broker exits. */
  onFatal: (err: Error) => void = (err) => { throw err; };

  readonly path: string;
  private readonly settings: AofOptions;
  private state: 'new' | 'open' | 'closing' | 'closed' = 'new';
  private file: FileHandle | null = null;
  private readonly pending = new CommandEncoder(LIVE_CHUNK_BYTES);
  /** Chunks taken from `pending` whose write has not completed (kept across a failed write). */
  private unwritten: Buffer[] = [];
  /** Logical offset of `pending`'s first byte: the file size at open. */
  private startOffset = 0;
  private writtenOffset = 0;
  private currentSize = 0;
  private baseSize = 0;
  private pumping = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private syncWanted = false;
  private syncing = false;
  private writeFailure: Error | null = null;
  private fatal: Error | null = null;
  private everysecTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private rewrite: Rewrite | null = null;
  private rewriteRun: Promise<void> | null = null;
  private switchRequest: SwitchRequest | null = null;
  private pool: Piscina | null = null;
  private closed: Promise<void> | null = null;
  private rewritesStarted = 0;
  private rewriteFailuresInARow = 0;
  private lastRewriteSeconds = -1;
  private lastRewriteOk = true;
  private autoRewriteAllowedAtMs = 0;

  constructor(opts: AofOptions, private readonly rewriteTaskUrl: URL = AOF_REWRITE_TASK_URL) {
    this.settings = { ...opts };
    this.path = path.join(opts.dir, AOF_FILE_NAME);
  }

  /** The last write error, while writes are failing (Redis answers writes with -MISCONF then). */
  get writeError(): Error | null {
    return this.writeFailure;
  }

  get rewriteInProgress(): boolean {
    return this.rewrite !== null;
  }

  /** appendfsync, as configured now. */
  get fsyncPolicy(): FsyncPolicy {
    return this.settings.fsync;
  }

  /** Logical offset after the last append. */
  get appendedOffset(): number {
    return this.startOffset + this.pending.encodedBytes;
  }

  /**
   * Creates the directory, reads the log and calls `apply(args)` for each command in order
   * (SELECT, MULTI and EXEC included; a transaction is delivered only once its EXEC has been read),
   * then opens the log for appending. `args` are views into a read buffer, valid during the call.
   * - Incomplete last command (a crash mid-write; also an unterminated MULTI): warns
   *   `ringcast: AOF truncated at offset N: dropped M bytes`, cuts the file there and carries on;
   *   without loadTruncated, throws AofCorruptError instead.
   * - Corrupt bytes: throws AofCorruptError naming the offset and the flag that accepts the loss;
   *   with acceptCorrupt, keeps a copy of the file, cuts it before the corrupt command and carries on.
   * - No file: nothing to load (the file is created).
   */
  async load(apply: (args: Buffer[]) => void): Promise<{ commands: number; bytes: number }> {
    if (this.state !== 'new') throw new Error(`AppendOnlyLog.load: the log is ${this.state}`);
    mkdirSync(this.settings.dir, { recursive: true });
    this.removeLeftoverTempFiles();
    let loaded = { commands: 0, bytes: 0 };
    let existed = true;
    try {
      loaded = await this.replay(apply);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      existed = false;
    }
    const file = await open(this.path, 'a');
    // The file's directory entry must be durable before any append to it can be.
    if (!existed) await fsyncDirectory(this.settings.dir);
    // What a crash left in the page cache only is on disk from here on.
    await file.datasync();
    this.file = file;
    this.startOffset = this.writtenOffset = this.durableOffset = loaded.bytes;
    this.currentSize = this.baseSize = loaded.bytes;
    this.state = 'open';
    this.everysecTimer = setInterval(this.onEverySecond, EVERYSEC_INTERVAL_MS).unref();
    return loaded;
  }

  /**
   * Appends one command for database `db` (call it for every write, in execution order). Never
   * blocks: the bytes are written at the end of this event-loop turn. Returns the logical offset
   * after this command (compare with durableOffset).
   */
  append(db: number, args: readonly Uint8Array[]): number {
    if (this.state !== 'open') throw new Error(`AppendOnlyLog.append: the log is ${this.state}`);
    this.pending.command(db, args);
    this.rewrite?.buffer?.command(db, args);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // The check phase runs after every socket read of this turn: one write for all of them.
      setImmediate(this.flushOnCheckPhase);
    }
    return this.appendedOffset;
  }

  /** CONFIG SET: a new fsync policy applies from the next write; switching to `always` syncs now. */
  configure(changes: AofRuntimeOptions): void {
    if (changes.fsync !== undefined) this.settings.fsync = changes.fsync;
    if (changes.rewritePercentage !== undefined) this.settings.rewritePercentage = changes.rewritePercentage;
    if (changes.rewriteMinBytes !== undefined) this.settings.rewriteMinBytes = changes.rewriteMinBytes;
    if (changes.fsync === 'always' && this.state === 'open') this.kick();
  }

  /**
   * Starts a background rewrite when the log has outgrown its base size by rewritePercentage and
   * is over rewriteMinBytes (Redis's auto-aof-rewrite rule; after a failed rewrite, not for a
   * minute). `snapshot` is called synchronously, at most once. Failures show in info().
   */
  maybeRewrite(snapshot: (emit: (db: number, args: Buffer[]) => void) => void): void {
    if (!this.rewriteDue()) return;
    this.rewriteNow(snapshot).catch(() => {});
  }

  /**
   * BGREWRITEAOF: takes the snapshot now (synchronously: `snapshot` emits commands that recreate
   * the data), writes it to a new file in the background, appends what was written meanwhile and
   * renames it over the log. Resolves once the new log is in place; rejects when a rewrite is
   * already running (check rewriteInProgress first) or this one failed (the old log stays).
   */
  rewriteNow(snapshot: (emit: (db: number, args: Buffer[]) => void) => void): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new Error(`AppendOnlyLog.rewriteNow: the log is ${this.state}`));
    if (this.rewrite !== null) return Promise.reject(new Error('Background append only file rewriting already in progress'));
    // Encoded here and transferred, not sent as arrays of Uint8Array: a consistent snapshot must
    // copy the bytes now anyway and encoding is that copy, while structured-cloning the arrays
    // costs the main thread more (200k SETs: ~950 ms cloned vs ~400 ms encoded + 0.1 ms
    // transferred, measured on our 2-core box with Node 20.20, 2026-11-22).
    const encoder = new CommandEncoder(SNAPSHOT_CHUNK_BYTES);
    snapshot((db, args) => encoder.command(db, args));
    const rewrite: Rewrite = {
      startedMs: Date.now(),
      tempPath: path.join(this.settings.dir, `temp-rewriteaof-bg-${process.pid}.aof`),
      buffer: new CommandEncoder(LIVE_CHUNK_BYTES),
      abort: new AbortController(),
    };
    this.rewrite = rewrite;
    this.rewritesStarted++;
    const run = this.runRewrite(rewrite, encoder.take());
    this.rewriteRun = run.catch(() => {});
    return run;
  }

  /** Redis's INFO persistence fields for the log, in Redis's order. */
  info(): Record<string, string | number> {
    const rewrite = this.rewrite;
    let bufferBytes = this.pending.untakenBytes;
    for (const chunk of this.unwritten) bufferBytes += chunk.length;
    return {
      aof_enabled: 1,
      aof_rewrite_in_progress: rewrite !== null ? 1 : 0,
      aof_rewrite_scheduled: 0,
      aof_last_rewrite_time_sec: this.lastRewriteSeconds,
      aof_current_rewrite_time_sec: rewrite !== null ? Math.floor((Date.now() - rewrite.startedMs) / 1000) : -1,
      aof_last_bgrewrite_status: this.lastRewriteOk ? 'ok' : 'err',
      aof_rewrites: this.rewritesStarted,
      aof_rewrites_consecutive_failures: this.rewriteFailuresInARow,
      aof_last_write_status: this.writeFailure === null && this.fatal === null ? 'ok' : 'err',
      aof_last_cow_size: 0,
      module_fork_in_progress: 0,
      module_fork_last_cow_size: 0,
      aof_current_size: this.currentSize,
      aof_base_size: this.baseSize,
      aof_pending_rewrite: 0,
      aof_buffer_length: bufferBytes,
      aof_pending_bio_fsync: this.syncing ? 1 : 0,
      aof_delayed_fsync: 0,
    };
  }

  /**
   * Stops a running rewrite (its temp file is removed), writes everything appended, fsyncs and
   * closes. Rejects with the error when the log had failed or the last write fails. Closing a log
   * that never loaded does nothing; closing twice returns the first close.
   */
  close(): Promise<void> {
    if (this.closed === null) {
      if (this.state === 'open') {
        this.closed = this.closeOpenLog();
      } else {
        this.state = 'closed';
        this.closed = Promise.resolve();
      }
    }
    return this.closed;
  }

  private async closeOpenLog(): Promise<void> {
    this.state = 'closing';
    if (this.everysecTimer !== null) clearInterval(this.everysecTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.rewrite?.abort.abort();
    await this.rewriteRun;
    await this.pumpDone;
    const file = this.file!;
    try {
      if (this.fatal !== null) throw this.fatal;
      await this.writeUnwritten(file);
      await this.sync(file);
    } finally {
      this.state = 'closed';
      await file.close();
      await this.pool?.destroy();
    }
  }

  // ---- load ------------------------------------------------------------------------------------

  /** Reads and applies the log (see load); returns what was applied and the valid length. */
  private async replay(apply: (args: Buffer[]) => void): Promise<{ commands: number; bytes: number }> {
    const fh = await open(this.path, 'r+');
    try {
      const fileBytes = (await fh.stat()).size;
      let buf = Buffer.alloc(0);
      let bufOffset = 0; // file offset of buf[0]
      let pos = 0;
      let readOffset = 0;
      let commands = 0;
      // An open MULTI: its commands wait for EXEC (Redis reverts a transaction cut off by a crash).
      let transaction: { args: Buffer[]; offset: number }[] | null = null;
      let corruption: { at: number; commandOffset: number; reason: string } | null = null;
      const applyAt = (args: Buffer[], offset: number): void => {
        try {
          apply(args);
        } catch (err) {
          throw new Error(`AOF ${this.path}: the command at offset ${offset} (${args[0]!.toString('latin1')}) could not be applied: ${(err as Error).message}`, { cause: err });
        }
        commands++;
      };
      for (;;) {
        const parsed = parseCommand(buf, pos, buf.length);
        if (parsed === 'incomplete') {
          if (readOffset >= fileBytes) break;
          // Fresh buffers (never reused): the views handed to apply() and held in a transaction stay valid.
          const tailBytes = buf.length - pos;
          const next = Buffer.allocUnsafe(Math.max(READ_CHUNK_BYTES, tailBytes * 2));
          buf.copy(next, 0, pos);
          const { bytesRead } = await fh.read(next, tailBytes, next.length - tailBytes, readOffset);
          if (bytesRead === 0) break;
          readOffset += bytesRead;
          bufOffset += pos;
          buf = next.subarray(0, tailBytes + bytesRead);
          pos = 0;
          continue;
        }
        const commandOffset = bufOffset + pos;
        if ('corrupt' in parsed) {
          corruption = { at: bufOffset + parsed.at, commandOffset, reason: parsed.corrupt };
          break;
        }
        pos = parsed.end;
        const args = parsed.args;
        if (isCommandNamed(args, MULTI)) {
          if (transaction !== null) {
            corruption = { at: commandOffset, commandOffset, reason: 'MULTI inside a transaction' };
            break;
          }
          transaction = [{ args, offset: commandOffset }];
        } else if (transaction !== null) {
          transaction.push({ args, offset: commandOffset });
          if (isCommandNamed(args, EXEC)) {
            for (const queued of transaction) applyAt(queued.args, queued.offset);
            transaction = null;
          }
        } else {
          applyAt(args, commandOffset);
        }
      }
      const loadableEnd = transaction !== null ? transaction[0]!.offset : corruption !== null ? corruption.commandOffset : bufOffset + pos;
      const droppedBytes = fileBytes - loadableEnd;
      if (corruption !== null) {
        await this.acceptCorruption(fh, corruption, loadableEnd, droppedBytes);
      } else if (droppedBytes > 0) {
        if (!this.settings.loadTruncated) {
          throw new AofCorruptError(
            `AOF ${this.path} is truncated at offset ${loadableEnd}: its last ${droppedBytes} bytes are an incomplete command` +
              `${transaction !== null ? ' or transaction' : ''} (a crash mid-write). Start with --aof-load-truncated yes to drop them, ` +
              `or cut them with redis-check-aof --fix ${this.path}`,
            loadableEnd, 'truncated',
          );
        }
        console.warn(`ringcast: AOF truncated at offset ${loadableEnd}: dropped ${droppedBytes} bytes`);
        await fh.truncate(loadableEnd);
        await fh.datasync();
      }
      return { commands, bytes: loadableEnd };
    } finally {
      await fh.close();
    }
  }

  /** Corrupt bytes: refuse (throw), or with acceptCorrupt keep a copy and cut the log before them. */
  private async acceptCorruption(
    fh: FileHandle, corruption: { at: number; commandOffset: number; reason: string }, loadableEnd: number, droppedBytes: number,
  ): Promise<void> {
    const where = `offset ${corruption.at} (${corruption.reason}, in the command starting at offset ${corruption.commandOffset})`;
    if (!this.settings.acceptCorrupt) {
      throw new AofCorruptError(
        `AOF ${this.path} is corrupt at ${where}. Refusing to start: the ${droppedBytes} bytes from offset ${loadableEnd} ` +
          `cannot be loaded. Repair it with redis-check-aof --fix ${this.path}, or start with --aof-accept-corrupt yes ` +
          `to load the ${loadableEnd} bytes before it and drop the rest`,
        corruption.at, 'corrupt',
      );
    }
    const copyPath = `${this.path}.corrupt-${Date.now()}`;
    await copyFile(this.path, copyPath);
    console.warn(`ringcast: AOF corrupt at ${where}: loaded ${loadableEnd} bytes, dropped ${droppedBytes} bytes (the whole file is kept as ${copyPath})`);
    await fh.truncate(loadableEnd);
    await fh.datasync();
  }

  /** A rewrite interrupted by a crash leaves its temp file behind: it is garbage. */
  private removeLeftoverTempFiles(): void {
    for (const name of readdirSync(this.settings.dir)) {
      if (!TEMP_FILE.test(name)) continue;
      unlinkSync(path.join(this.settings.dir, name));
      console.warn(`ringcast: removed ${name}, left by an interrupted AOF rewrite`);
    }
  }

  // ---- the pump: every file operation of the live log --------------------------------------------

  private readonly flushOnCheckPhase = (): void => {
    this.flushScheduled = false;
    this.kick();
  };

  private readonly onEverySecond = (): void => {
    if (this.settings.fsync !== 'everysec' || this.appendedOffset <= this.durableOffset) return;
    this.syncWanted = true;
    this.kick();
  };

  private kick(): void {
    if (this.pumping || this.fatal !== null || this.state !== 'open') return;
    this.pumping = true;
    this.pumpDone = this.pump();
  }

  /**
   * Runs file operations until there is nothing left to do: the rewrite switch when requested,
   * else a write of everything appended, followed by an fdatasync under `always` (group commit:
   * every append of the batch becomes durable together) or when the everysec timer asked. The
   * final "nothing to do" check and `pumping = false` happen in one synchronous step, so an append
   * either is seen by this run or starts the next.
   */
  private async pump(): Promise<void> {
    try {
      for (;;) {
        const file = this.file!;
        if (this.switchRequest !== null) {
          await this.switchFiles(this.switchRequest);
          continue;
        }
        const hadBytes = this.unwritten.length > 0 || this.pending.untakenBytes > 0;
        if (hadBytes && !(await this.writeOrRetryLater(file))) return;
        if ((this.settings.fsync === 'always' || this.syncWanted) && this.writtenOffset > this.durableOffset) {
          await this.sync(file);
          continue;
        }
        if (!hadBytes) return;
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.pumping = false;
    }
  }

  /** Writes; false after a write error under everysec/no (retried in a second, like Redis). */
  private async writeOrRetryLater(file: FileHandle): Promise<boolean> {
    try {
      await this.writeUnwritten(file);
    } catch (err) {
      if (this.settings.fsync === 'always') throw err;
      if (this.writeFailure === null) console.error(`ringcast: error writing the AOF ${this.path}: ${(err as Error).message}; retrying every second`);
      this.writeFailure = err as Error;
      this.retryTimer = setTimeout(() => { this.retryTimer = null; this.kick(); }, WRITE_RETRY_DELAY_MS).unref();
      return false;
    }
    if (this.writeFailure !== null) {
      console.warn(`ringcast: writing the AOF ${this.path} works again`);
      this.writeFailure = null;
    }
    return true;
  }

  /** Writes everything appended so far; on an error the rest stays in `unwritten`. */
  private async writeUnwritten(file: FileHandle): Promise<void> {
    for (const chunk of this.pending.take()) this.unwritten.push(chunk);
    while (this.unwritten.length > 0) {
      const { bytesWritten } = await file.writev(this.unwritten);
      this.writtenOffset += bytesWritten;
      this.currentSize += bytesWritten;
      let left = bytesWritten;
      while (left > 0 && left >= this.unwritten[0]!.length) left -= this.unwritten.shift()!.length;
      if (left > 0) this.unwritten[0] = this.unwritten[0]!.subarray(left);
    }
  }

  private async sync(file: FileHandle): Promise<void> {
    this.syncWanted = false;
    const upTo = this.writtenOffset;
    this.syncing = true;
    try {
      await file.datasync();
    } finally {
      this.syncing = false;
    }
    if (upTo > this.durableOffset) {
      this.durableOffset = upTo;
      this.onDurable();
    }
  }

  private fail(err: Error): void {
    this.fatal = err;
    this.switchRequest?.settle(err);
    this.switchRequest = null;
    console.error(`ringcast: FATAL: the AOF ${this.path} cannot be written durably: ${err.message}`);
    // Outside the pump's promise, so the default handler's throw is an uncaught exception.
    process.nextTick(() => this.onFatal(err));
  }

  // ---- rewrite ---------------------------------------------------------------------------------

  private rewriteDue(): boolean {
    const { rewritePercentage, rewriteMinBytes } = this.settings;
    if (this.state !== 'open' || this.rewrite !== null || rewritePercentage <= 0) return false;
    if (this.currentSize <= rewriteMinBytes || Date.now() < this.autoRewriteAllowedAtMs) return false;
    const base = this.baseSize > 0 ? this.baseSize : 1;
    return (this.currentSize * 100) / base - 100 >= rewritePercentage;
  }

  /**
   * The background part of a rewrite: the task writes the snapshot; this copies the rewrite
   * buffer into the new file until little is left, then asks the pump to switch files.
   */
  private async runRewrite(rewrite: Rewrite, snapshotChunks: Buffer[]): Promise<void> {
    let temp: FileHandle | null = null;
    let switched = false;
    try {
      this.pool ??= new Piscina({ filename: this.rewriteTaskUrl.href, minThreads: 0, maxThreads: 1 });
      const task: RewriteTask = { path: rewrite.tempPath, chunks: snapshotChunks };
      let tempBytes: number = await this.pool.run(task, {
        transferList: snapshotChunks.map((chunk) => chunk.buffer as ArrayBuffer),
        signal: rewrite.abort.signal,
      });
      temp = await open(rewrite.tempPath, 'a');
      for (let round = 0; round < MAX_CATCH_UP_ROUNDS && rewrite.buffer!.untakenBytes > SWITCH_REMAINDER_BYTES; round++) {
        tempBytes += await writeAll(temp, rewrite.buffer!.take());
      }
      if (this.state !== 'open') throw new Error('the log is closing');
      if (this.fatal !== null) throw this.fatal;
      const tempFile = temp;
      await new Promise<void>((resolve, reject) => {
        this.switchRequest = { rewrite, temp: tempFile, tempBytes, settle: (err) => (err === null ? resolve() : reject(err)) };
        this.kick();
      });
      switched = true;
      this.lastRewriteOk = true;
      this.rewriteFailuresInARow = 0;
      this.lastRewriteSeconds = Math.floor((Date.now() - rewrite.startedMs) / 1000);
      console.log(`ringcast: AOF rewritten: ${this.baseSize} bytes in ${Date.now() - rewrite.startedMs} ms`);
    } catch (err) {
      if (this.state === 'open') {
        this.lastRewriteOk = false;
        this.rewriteFailuresInARow++;
        this.autoRewriteAllowedAtMs = Date.now() + AUTO_REWRITE_RETRY_DELAY_MS;
        console.error(`ringcast: AOF rewrite failed, the current log stays: ${(err as Error).message}`);
      }
      throw err;
    } finally {
      if (!switched) {
        await temp?.close().catch(() => {});
        await unlink(rewrite.tempPath).catch(() => {});
      }
      this.rewrite = null;
    }
  }

  /**
   * Runs in the pump, between two writes. The cut: from here on appends go to `pending` only.
   * Everything appended before it is in the rewrite buffer, so after the last of that buffer is
   * written, the new file holds all of it: `pending`'s unwritten bytes from before the cut are set
   * aside, dropped on success, and written to the old file if the switch fails.
   */
  private async switchFiles(request: SwitchRequest): Promise<void> {
    this.switchRequest = null;
    const { rewrite, temp } = request;
    const lastAppends = rewrite.buffer!;
    rewrite.buffer = null;
    const cutOffset = this.appendedOffset;
    const beforeCut = this.unwritten;
    for (const chunk of this.pending.take()) beforeCut.push(chunk);
    this.unwritten = [];
    // The new file's last SELECT is not the old file's: the next append says its database.
    this.pending.lastDb = -1;
    let newSize = request.tempBytes;
    try {
      newSize += await writeAll(temp, lastAppends.take());
      await temp.datasync();
      await rename(rewrite.tempPath, this.path);
    } catch (err) {
      this.unwritten = beforeCut;
      request.settle(err as Error);
      return;
    }
    const old = this.file!;
    this.file = temp;
    this.writtenOffset = cutOffset;
    this.currentSize = this.baseSize = newSize;
    request.settle(null);
    await old.close().catch(() => {});
    // The rename must be durable before anything appended to the new file can be (a failure is fatal).
    await fsyncDirectory(this.settings.dir);
    if (cutOffset > this.durableOffset) {
      this.durableOffset = cutOffset;
      this.onDurable();
    }
  }
}

/** Writes every chunk completely; returns the bytes written. */
async function writeAll(file: FileHandle, chunks: Buffer[]): Promise<number> {
  let total = 0;
  for (const chunk of chunks) {
    for (let done = 0; done < chunk.length;) done += (await file.write(chunk, done, chunk.length - done)).bytesWritten;
    total += chunk.length;
  }
  return total;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isCommandNamed(args: Buffer[], lowerName: Buffer): boolean {
  const name = args[0]!;
  if (name.length !== lowerName.length) return false;
  for (let i = 0; i < name.length; i++) if ((name[i]! | 0x20) !== lowerName[i]) return false;
  return true;
}

/** INFO persistence's log fields when the log is off (appendonly no), in Redis's order. */
export function disabledAofInfo(): Record<string, string | number> {
  return {
    aof_enabled: 0,
    aof_rewrite_in_progress: 0,
    aof_rewrite_scheduled: 0,
    aof_last_rewrite_time_sec: -1,
    aof_current_rewrite_time_sec: -1,
    aof_last_bgrewrite_status: 'ok',
    aof_rewrites: 0,
    aof_rewrites_consecutive_failures: 0,
    aof_last_write_status: 'ok',
    aof_last_cow_size: 0,
    module_fork_in_progress: 0,
    module_fork_last_cow_size: 0,
  };
}
