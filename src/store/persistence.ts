/**
 * Persistence: the glue between the keyspace's writes and the append-only log (main thread).
 *
 *   command ──▶ Keyspace ──propagate(db, args)──▶ Persistence ──append──▶ AppendOnlyLog ──▶ disk
 *                                                     │
 *   ClientRegistry.flush ──mustHoldReplies?───────────┘  (appendfsync always: nothing leaves a
 *                                                         socket before the writes it may reveal
 *                                                         are fsynced)
 *
 * What it guarantees, after Redis (aof.c, beforeSleep):
 * - Every write is appended in execution order; a transaction's writes are wrapped in MULTI/EXEC
 *   (opened lazily at its first write, so a read-only EXEC logs nothing), and loading replays the
 *   log through the executor with propagation off.
 * - appendfsync always: Redis fsyncs in beforeSleep, before it writes any reply, so a client never
 *   sees a write acknowledged, or its effects (a message, a read), before it is on disk. Here the
 *   fsync is asynchronous, so the flush holds every socket write while the log's durable offset is
 *   behind its appended offset, and while replies are held ("the gate is closed") a client that
 *   writes is paused after that write, as if the event loop were blocked in fsync like Redis's.
 *   Each client adds at most one write behind a held flush, so the hold always ends; the writes of
 *   one turn share one fsync (group commit).
 * - A write the log could not write (everysec/no): Redis refuses writes with -MISCONF until a
 *   write succeeds again; `writeRefusal()` gives that error.
 */
import type { Config } from '../config.js';
import type { Client } from '../transport/client.js';
import { AppendOnlyLog, disabledAofInfo } from './aof.js';

/** What persistence needs from the rest of the broker. */
export interface PersistenceHooks {
  /** The client whose command is running, or null outside a command (active expiry). */
  runningClient(): Client | null;
  /** The flush has output to write again. */
  scheduleFlush(): void;
  /** A DEL was logged (an expiry, or a command): WATCH sees it (Redis touches watched keys on expiry). */
  keyDeleted(db: number, key: Buffer): void;
}

const MULTI = Buffer.from('multi');
const EXEC = Buffer.from('exec');

export class Persistence {
  readonly log: AppendOnlyLog | null;
  /** True while the log is replayed at start-up: replayed writes are not logged again. */
  private loading = false;
  /** Inside EXEC: the transaction's first write opens MULTI in the log. */
  private inTransaction = false;
  private transactionOpened = false;
  private transactionDb = 0;
  /** appendfsync always: replies are held until the log is durable; writers pause meanwhile. */
  private gateClosed = false;
  private readonly pausedWriters: Client[] = [];

  constructor(config: Config, private readonly hooks: PersistenceHooks) {
    this.log = config.appendOnly
      ? new AppendOnlyLog({
          dir: config.dir,
          fsync: config.appendFsync,
          rewritePercentage: config.aofRewritePercentage,
          rewriteMinBytes: config.aofRewriteMinBytes,
          loadTruncated: config.aofLoadTruncated,
          acceptCorrupt: config.aofAcceptCorrupt,
        })
      : null;
    if (this.log !== null) this.log.onDurable = this.onDurable;
  }

  /** Replays the log; `apply` runs one logged command (MULTI/EXEC/SELECT included). */
  async load(apply: (args: Buffer[]) => void): Promise<{ commands: number; bytes: number }> {
    if (this.log === null) return { commands: 0, bytes: 0 };
    this.loading = true;
    try {
      return await this.log.load(apply);
    } finally {
      this.loading = false;
    }
  }

  /** The keyspace's propagate hook: one write, in execution order. */
  propagate(db: number, args: Buffer[]): void {
    if (isDel(args[0])) for (let i = 1; i < args.length; i++) this.hooks.keyDeleted(db, args[i]);
    const log = this.log;
    if (log === null || this.loading) return;
    if (this.inTransaction && !this.transactionOpened) {
      this.transactionOpened = true;
      this.transactionDb = db;
      log.append(db, [MULTI]);
    }
    log.append(db, args);
    if (this.gateClosed) {
      const c = this.hooks.runningClient();
      if (c !== null && !c.pausedForRing && !c.closed) {
        // Reuses the input pause of ring backpressure: the transports stop executing this
        // client's input while the flag is set, and resumeInput() picks it up again.
        c.pausedForRing = true;
        c.transport.pause();
        this.pausedWriters.push(c);
      }
    }
  }

  /** EXEC begins running its queued commands. */
  beginTransaction(): void {
    this.inTransaction = true;
    this.transactionOpened = false;
  }

  /** EXEC finished: closes the transaction in the log if it wrote anything. */
  endTransaction(): void {
    if (this.transactionOpened && this.log !== null && !this.loading) this.log.append(this.transactionDb, [EXEC]);
    this.inTransaction = false;
    this.transactionOpened = false;
  }

  /**
   * Asked by the flush before it writes sockets: true holds this turn's writes (appendfsync
   * always, and the log not yet durable up to its last append).
   */
  mustHoldReplies(): boolean {
    const log = this.log;
    if (log === null || log.fsyncPolicy !== 'always' || log.durableOffset >= log.appendedOffset) return false;
    this.gateClosed = true;
    return true;
  }

  /** The error a write command gets while the log cannot be written (Redis's -MISCONF), or null. */
  writeRefusal(): string | null {
    const err = this.log?.writeError;
    if (err == null) return null;
    return `MISCONF Errors writing to the AOF file: ${describeErrno(err)}`;
  }

  /** INFO persistence's log fields. */
  info(): Record<string, string | number> {
    return this.log?.info() ?? disabledAofInfo();
  }

  /** Fsyncs and closes the log (last, after every client is gone). */
  async close(): Promise<void> {
    await this.log?.close();
  }

  private readonly onDurable = (): void => {
    const log = this.log!;
    if (!this.gateClosed || log.durableOffset < log.appendedOffset) return;
    this.gateClosed = false;
    this.hooks.scheduleFlush();
    const list = this.pausedWriters.splice(0);
    for (const c of list) {
      c.pausedForRing = false;
      if (!c.closed) c.resumeInput();
    }
  };
}

/** DEL in any case: expirations propagate `DEL`, clients write it as they like. */
function isDel(name: Buffer): boolean {
  return name.length === 3 && (name[0] | 0x20) === 0x64 && (name[1] | 0x20) === 0x65 && (name[2] | 0x20) === 0x6c;
}

/** Redis prints strerror(errno); Node's error messages start with the code ("ENOSPC: no space..."). */
function describeErrno(err: Error): string {
  const m = /^[A-Z]+: ([^,]+)/.exec(err.message);
  if (m === null) return err.message;
  const text = m[1];
  return text.charAt(0).toUpperCase() + text.slice(1);
}
