/**
 * Runs one parsed command for a client, with Redis's checks in Redis's order (processCommand):
 * unknown command, unknown subcommand, arity, then the RESP2 pub/sub context. Then the handler,
 * then the MONITOR feed (after execution, as Redis does). Main thread.
 *
 * Every reply, including a rejection, is written inside the router's command bracket so that it
 * is ordered behind any partition answer still pending (see src/routing/router.ts).
 */
import { addError } from '../protocol/reply.js';
import type { Client } from '../transport/client.js';
import { CommandContext, type BrokerServices } from './context.js';
import type { CommandSpec, CommandTable } from './table.js';
import { monitorLine } from './monitor-format.js';
import { addQueued, beginExec, copyArgs, rejectExec, TRANSACTION_CONTROL } from './transactions.js';

/** A command's arguments as offsets into one buffer (what RespParser exposes after PARSE_COMMAND). */
export interface CommandArgs {
  buf: Buffer;
  argc: number;
  argStart: number[];
  argEnd: number[];
}

export class Executor {
  private readonly ctx: CommandContext;

  constructor(
    private readonly broker: BrokerServices,
    readonly table: CommandTable,
  ) {
    this.ctx = new CommandContext(broker);
    const exec = table.byName('exec');
    if (exec) exec.handler = (ctx) => this.exec(ctx);
    this.execSpec = exec;
  }

  private readonly execSpec: CommandSpec | undefined;

  /** Executes one command: the parser's current one, or one a WebSocket message carried. */
  execute(client: Client, parser: CommandArgs): void {
    if (parser.argc === 0) return;
    const ctx = this.ctx;
    ctx.client = client;
    ctx.buf = parser.buf;
    ctx.argc = parser.argc;
    ctx.argStart = parser.argStart;
    ctx.argEnd = parser.argEnd;
    const startMicros = this.broker.monitors.size > 0 ? nowMicros() : 0;
    const router = this.broker.router;
    // CLIENT REPLY OFF, or the one command after CLIENT REPLY SKIP: replies are dropped.
    client.muted = client.replyOff || client.skipNextReply;
    client.skipNextReply = false;
    router.beginCommand(client);
    const spec = this.resolve(ctx);
    if (spec === null) {
      // A command that cannot even be queued dooms the transaction (Redis flagTransaction).
      if (client.multi !== null) client.multiError = true;
    } else if (client.multi !== null && !TRANSACTION_CONTROL.has(spec.fullName!)) {
      if (spec.flags.includes('no_multi')) {
        // Redis rejects these at queueing time (SHUTDOWN, ...) and dooms the transaction.
        addError(client, 'ERR Command not allowed inside a transaction');
        client.multiError = true;
      } else {
        client.multi.push({ spec, args: copyArgs(parser) });
        addQueued(client);
      }
    } else {
      this.run(ctx, spec);
    }
    router.endCommand(client);
    client.muted = false;
    if (spec !== null && this.broker.monitors.size > 0 && !spec.skipMonitor && !spec.parent?.skipMonitor) this.feedMonitors(ctx, startMicros);
  }

  /** Runs a resolved command: the handler, then WATCH invalidation for the keys a write touched. */
  private run(ctx: CommandContext, spec: CommandSpec): void {
    ctx.fullName = spec.fullName!;
    ctx.client.lastCommand = spec.fullName!;
    const writes = this.broker.watches.writes;
    spec.handler!(ctx);
    this.broker.clients.stats.totalCommandsProcessed++;
    if (spec.keys !== undefined && this.broker.watches.writes !== writes && spec.flags.includes('write')) this.touchKeys(ctx, spec.keys);
  }

  private touchKeys(ctx: CommandContext, [first, last, step]: [number, number, number]): void {
    const end = last < 0 ? ctx.argc + last : Math.min(last, ctx.argc - 1);
    for (let i = first; i <= end && i > 0; i += step || 1) this.broker.watches.touch(ctx.client.db, ctx.argKey(i));
  }

  /**
   * EXEC: runs the queued commands back to back. Nothing else runs in between (this is one call on
   * the main thread), and their output goes through the order queue like any command's.
   */
  private exec(ctx: CommandContext): void {
    const c = ctx.client;
    const queued = beginExec(ctx);
    if (queued === null) return;
    const monitored = this.broker.monitors.size > 0;
    const persistence = this.broker.persistence;
    // A CLIENT REPLY SKIP inside mutes only its own reply here; it skips the command after EXEC.
    const execMuted = c.muted;
    persistence.beginTransaction();
    this.broker.router.beginExec(c);
    for (const q of queued) {
      ctx.buf = q.args.buf;
      ctx.argc = q.args.argc;
      ctx.argStart = q.args.argStart;
      ctx.argEnd = q.args.argEnd;
      c.muted = execMuted || c.replyOff;
      if (q.spec.fullName === 'ssubscribe') {
        // EXEC runs as a deny-blocking client; SUBSCRIBE/PSUBSCRIBE are exempt, SSUBSCRIBE is not.
        addError(c, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        continue;
      }
      if (q.spec.fullName === 'monitor') {
        addError(c, "ERR MONITOR isn't allowed for DENY BLOCKING client");
        continue;
      }
      const micros = monitored ? nowMicros() : 0;
      this.run(ctx, q.spec);
      if (monitored && !q.spec.skipMonitor) this.feedMonitors(ctx, micros);
    }
    this.broker.router.endExec(c);
    persistence.endTransaction();
  }

  /** Finds the spec and applies Redis's pre-execution checks; writes the error and returns null on failure. */
  private resolve(ctx: CommandContext): CommandSpec | null {
    const { buf, argStart, argEnd, argc, client } = ctx;
    let spec = this.table.lookup(buf, argStart[0], argEnd[0]);
    if (spec === undefined) {
      addError(client, unknownCommandText(ctx), 'latin1');
      return null;
    }
    if (spec.subcommands && argc >= 2) {
      const sub = this.table.lookupSub(spec, buf, argStart[1], argEnd[1]);
      if (sub === undefined) {
        const name = buf.toString('latin1', argStart[1], Math.min(argEnd[1], argStart[1] + 128));
        addError(client, `ERR unknown subcommand '${name}'. Try ${spec.name.toUpperCase()} HELP.`, 'latin1');
        return null;
      }
      spec = sub;
    }
    if ((spec.arity > 0 && argc !== spec.arity) || argc < -spec.arity) {
      // A refused EXEC discards the transaction (Redis rejectCommand -> execCommandAbort).
      if (spec === this.execSpec) rejectExec(ctx, `wrong number of arguments for 'exec' command`);
      else addError(client, `ERR wrong number of arguments for '${spec.fullName}' command`);
      return null;
    }
    if (client.monitor && (spec.flags.includes('write') || spec.flags.includes('readonly') || spec.flags.includes('may_replicate'))) {
      addError(client, "ERR Replica can't interact with the keyspace");
      return null;
    }
    // Redis refuses writes (and PING) while the last AOF write failed (writeCommandsDeniedByDiskError).
    const refusal = this.broker.persistence.writeRefusal();
    if (refusal !== null && (spec.flags.includes('write') || spec.fullName === 'ping')) {
      addError(client, refusal);
      return null;
    }
    if (client.resp === 2 && client.inPubSub && !spec.pubsubContext) {
      const reason = `Can't execute '${spec.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
      if (spec === this.execSpec) rejectExec(ctx, reason);
      else addError(client, `ERR ${reason}`);
      return null;
    }
    return spec;
  }

  private feedMonitors(ctx: CommandContext, startMicros: number): void {
    const line = monitorLine(ctx, startMicros);
    for (const m of this.broker.monitors) {
      if (!m.closed) this.broker.router.emitTo(m, line);
    }
  }
}

/** Redis: "unknown command '%.128s', with args beginning with: " + "'%.*s' " per arg up to 128 bytes. */
function unknownCommandText(ctx: CommandContext): string {
  const { buf, argStart, argEnd, argc } = ctx;
  const name = buf.toString('latin1', argStart[0], Math.min(argEnd[0], argStart[0] + 128));
  let args = '';
  for (let i = 1; i < argc && args.length < 128; i++) {
    const room = 128 - args.length;
    args += `'${buf.toString('latin1', argStart[i], Math.min(argEnd[i], argStart[i] + room))}' `;
  }
  return `ERR unknown command '${name}', with args beginning with: ${args}`;
}

/** Wall-clock microseconds, for MONITOR timestamps. */
function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
