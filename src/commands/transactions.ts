/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH (main thread), after Redis's multi.c.
 *
 * Queued commands run back to back inside EXEC, on the main thread, with nothing else in between:
 * that is the whole atomicity argument. Their replies (and the publishes they make) go through the
 * router's order queue like any command's, so `*N` followed by each reply comes out in order even
 * when a PUBLISH's count arrives later from a partition.
 *
 * WATCH keeps, per client, the keys it watches and whether each existed then; any write to one of
 * them (found from the write command's key positions, or an expiry) marks the client's transaction
 * dirty and its EXEC answers null. FLUSHDB/FLUSHALL dirty only the watchers of keys that existed
 * (Redis touchAllWatchedKeysInDb); a watched key that has expired by EXEC time dirties too, even if
 * nothing deleted it yet (Redis isWatchedKeyExpired).
 *
 * Invariant behind the flush rule: while a client is not dirty, none of its watched keys changed
 * since WATCH, so whether a key exists now is whether it existed at WATCH time.
 */
import { addArrayHeader, addError, addNullArray, addOk, addRaw, SHARED } from '../protocol/reply.js';
import type { Client } from '../transport/client.js';
import type { CommandArgs } from './executor.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './table.js';

/** A command queued inside MULTI: its spec and a private copy of its arguments. */
export interface QueuedCommand {
  spec: CommandSpec;
  args: CommandArgs;
}

/** Commands that act on the transaction itself and are never queued. */
export const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Who watches which key: "db\0key" -> client -> whether the key existed when it was watched. */
export class WatchRegistry {
  private readonly watchers = new Map<string, Map<Client, boolean>>();
  /**
   * Writes propagated so far (bumped by the keyspace's propagate hook): a command that left it
   * unchanged changed nothing, so it dirties nobody (Redis signals only real modifications).
   */
  writes = 0;

  /** Watches `key` in `db` for `c` (again: no change); `existed` as the caller found it, expiry applied. */
  watch(c: Client, db: number, key: string, existed: boolean): void {
    const id = `${db}\0${key}`;
    if (c.watchedKeys.has(id)) return;
    c.watchedKeys.add(id);
    let clients = this.watchers.get(id);
    if (clients === undefined) this.watchers.set(id, (clients = new Map()));
    clients.set(c, existed);
  }

  unwatchAll(c: Client): void {
    // Every EXEC and DISCARD lands here; most transactions watch nothing (3.5% of the main thread
    // in the recipe load was this loop's iterator over an empty set).
    if (c.watchedKeys.size === 0) {
      c.watchDirty = false;
      return;
    }
    for (const id of c.watchedKeys) {
      const clients = this.watchers.get(id);
      if (clients === undefined) continue;
      clients.delete(c);
      if (clients.size === 0) this.watchers.delete(id);
    }
    c.watchedKeys.clear();
    c.watchDirty = false;
  }

  /** A key was modified: every transaction watching it will fail. Cheap when nobody watches. */
  touch(db: number, key: string): void {
    if (this.watchers.size === 0) return;
    const clients = this.watchers.get(`${db}\0${key}`);
    if (clients !== undefined) for (const c of clients.keys()) c.watchDirty = true;
  }

  /**
   * A whole database was emptied (db -1: all of them): the watchers of keys that existed fail;
   * watching a key that did not exist is not disturbed (Redis touchAllWatchedKeysInDb).
   */
  touchDatabase(db: number): void {
    for (const [id, clients] of this.watchers) {
      if (db !== -1 && !id.startsWith(`${db}\0`)) continue;
      for (const [c, existed] of clients) if (existed) c.watchDirty = true;
    }
  }

  /**
   * The watched keys of `c` that existed at WATCH time, as [db, key] pairs: if one is gone at EXEC
   * while `c` is not dirty, it expired without anything deleting it yet.
   */
  *existingWatchedKeys(c: Client): Generator<[number, string]> {
    for (const id of c.watchedKeys) {
      if (this.watchers.get(id)?.get(c) !== true) continue;
      const separator = id.indexOf('\0');
      yield [Number(id.slice(0, separator)), id.slice(separator + 1)];
    }
  }
}

/** Copies a command's arguments out of the parser's buffer. */
export function copyArgs(args: CommandArgs): CommandArgs {
  const start = args.argStart[0];
  const end = args.argEnd[args.argc - 1];
  const buf = Buffer.from(args.buf.subarray(start, end));
  const argStart: number[] = [];
  const argEnd: number[] = [];
  for (let i = 0; i < args.argc; i++) {
    argStart.push(args.argStart[i] - start);
    argEnd.push(args.argEnd[i] - start);
  }
  return { buf, argc: args.argc, argStart, argEnd };
}

function multi(ctx: CommandContext): void {
  const c = ctx.client;
  if (c.multi !== null) {
    addError(c, 'ERR MULTI calls can not be nested');
    return;
  }
  c.multi = [];
  c.multiError = false;
  addOk(c);
}

function discard(ctx: CommandContext): void {
  const c = ctx.client;
  if (c.multi === null) {
    addError(c, 'ERR DISCARD without MULTI');
    return;
  }
  endTransaction(ctx, c);
  addOk(c);
}

/** Leaves MULTI state and forgets watched keys (EXEC, DISCARD, RESET, disconnect). */
export function endTransaction(ctx: { broker: { watches: WatchRegistry } }, c: Client): void {
  c.multi = null;
  c.multiError = false;
  ctx.broker.watches.unwatchAll(c);
}

function watch(ctx: CommandContext): void {
  const c = ctx.client;
  if (c.multi !== null) {
    addError(c, 'ERR WATCH inside MULTI is not allowed');
    return;
  }
  // lookupWrite applies expiry first: a key already expired counts as absent (Redis 7.0 marks it
  // expired-at-WATCH and ignores its later deletion; the outcome is the same).
  const keyspace = ctx.broker.keyspace;
  for (let i = 1; i < ctx.argc; i++) {
    const key = ctx.argKey(i);
    ctx.broker.watches.watch(c, c.db, key, keyspace.lookupWrite(c.db, key) !== undefined);
  }
  addOk(c);
}

function unwatch(ctx: CommandContext): void {
  ctx.broker.watches.unwatchAll(ctx.client);
  addOk(ctx.client);
}

/**
 * EXEC: the executor runs the queued commands (it owns the command context); this decides whether
 * they run and writes the array header. Returns the commands to run, or null.
 */
export function beginExec(ctx: CommandContext): QueuedCommand[] | null {
  const c = ctx.client;
  if (c.multi === null) {
    addError(c, 'ERR EXEC without MULTI');
    return null;
  }
  const queued = c.multi;
  const failed = c.multiError;
  const dirty = c.watchDirty || watchedKeyExpired(ctx, c);
  endTransaction(ctx, c);
  if (failed) {
    addError(c, 'EXECABORT Transaction discarded because of previous errors.');
    return null;
  }
  if (dirty) {
    addNullArray(c);
    return null;
  }
  addArrayHeader(c, queued.length);
  return queued;
}

/**
 * True when a key `c` watches existed at WATCH time and is gone now: nothing deleted it while `c`
 * watched (that would have made `c` dirty), so it expired; the lookup deletes it if still there.
 */
function watchedKeyExpired(ctx: CommandContext, c: Client): boolean {
  if (c.watchedKeys.size === 0) return false;
  for (const [db, key] of ctx.broker.watches.existingWatchedKeys(c)) {
    if (ctx.broker.keyspace.lookupWrite(db, key) === undefined) return true;
  }
  return false;
}

/**
 * EXEC refused before it ran (wrong arity, or the RESP2 pub/sub context): like Redis's
 * execCommandAbort, the transaction (if any) and the watched keys are discarded and the refusal
 * comes as EXECABORT. `reason` is the error text without its `ERR ` code.
 */
export function rejectExec(ctx: CommandContext, reason: string): void {
  endTransaction(ctx, ctx.client);
  addError(ctx.client, `EXECABORT Transaction discarded because of: ${reason}`);
}

/** +QUEUED */
export function addQueued(c: Client): void {
  addRaw(c, SHARED.queued);
}

const tx = (name: string, arity: number, summary: string, handler: (ctx: CommandContext) => void, flags: string[]): CommandSpec => ({
  name, arity, flags, acl: ['fast', 'transaction'], group: 'transactions', summary, since: name === 'unwatch' || name === 'watch' ? '2.2.0' : '1.2.0', handler,
});

export const TRANSACTION_COMMANDS: CommandSpec[] = [
  tx('multi', 1, 'Starts a transaction.', multi, ['noscript', 'loading', 'stale', 'fast', 'allow_busy']),
  // EXEC's handler is installed by the Executor: running other commands needs the command context.
  { ...tx('exec', 1, 'Executes all commands in a transaction.', () => {}, ['noscript', 'loading', 'stale', 'skip_slowlog']), handler: undefined },
  tx('discard', 1, 'Discards a transaction.', discard, ['noscript', 'loading', 'stale', 'fast', 'allow_busy']),
  tx('watch', -2, 'Monitors changes to keys to determine the execution of a transaction.', watch, ['noscript', 'loading', 'stale', 'fast', 'allow_busy']),
  tx('unwatch', 1, 'Forgets about watched keys of a transaction.', unwatch, ['noscript', 'loading', 'stale', 'fast', 'allow_busy']),
];
