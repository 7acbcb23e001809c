/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH (main thread), after Redis's multi.c.
 *
 * Queued commands run back to back inside EXEC, on the main thread, with nothing else in between:
 * that is the whole atomicity argument. Their replies (and the publishes they make) go through the
 * router's order queue like any command's, so `*N` followed by each reply comes out in order even
 * when a PUBLISH's count arrives later from a partition.
 *
 * WATCH keeps, per client, the keys it watches; any write to one of them (found from the write
 * command's key positions, or a FLUSHDB/FLUSHALL, or an expiry) marks the client's transaction dirty
 * and its EXEC answers null.
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

/** Who watches which key: "db\0key" -> clients. */
export class WatchRegistry {
  private readonly watchers = new Map<string, Set<Client>>();

  watch(c: Client, db: number, key: string): void {
    const id = `${db}\0${key}`;
    if (c.watchedKeys.has(id)) return;
    c.watchedKeys.add(id);
    let set = this.watchers.get(id);
    if (set === undefined) this.watchers.set(id, (set = new Set()));
    set.add(c);
  }

  unwatchAll(c: Client): void {
    for (const id of c.watchedKeys) {
      const set = this.watchers.get(id);
      if (set === undefined) continue;
      set.delete(c);
      if (set.size === 0) this.watchers.delete(id);
    }
    c.watchedKeys.clear();
    c.watchDirty = false;
  }

  /** A key was modified: every transaction watching it will fail. Cheap when nobody watches. */
  touch(db: number, key: string): void {
    if (this.watchers.size === 0) return;
    const set = this.watchers.get(`${db}\0${key}`);
    if (set !== undefined) for (const c of set) c.watchDirty = true;
  }

  /** A whole database was emptied (db -1: all of them). */
  touchDatabase(db: number): void {
    for (const [id, set] of this.watchers) {
      if (db === -1 || id.startsWith(`${db}\0`)) for (const c of set) c.watchDirty = true;
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
  for (let i = 1; i < ctx.argc; i++) ctx.broker.watches.watch(c, c.db, ctx.argKey(i));
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
  const dirty = c.watchDirty;
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
