/**
 * The broker: wires the pieces together and owns their lifecycle (main thread).
 *
 *   TcpServer / WsServer --bytes--> parser --command--> Executor --op--> Router --ring--> partitions
 *   ClientRegistry.flush <--frames-- Router (answers applied in arrival order) <--ring--
 *   Executor --write--> Keyspace --propagate--> Persistence --> appendonly.aof (src/store/persistence.ts)
 */
import type { Config } from './config.js';
import { ClientRegistry } from './transport/client-registry.js';
import { Router } from './routing/router.js';
import { TcpServer } from './transport/tcp-server.js';
import { WsServer } from './transport/ws-server.js';
import { CommandTable } from './commands/table.js';
import { Executor, type CommandArgs } from './commands/executor.js';
import { PUBSUB_COMMANDS } from './commands/pubsub.js';
import { CONNECTION_COMMANDS } from './commands/connection.js';
import { serverCommands } from './commands/server.js';
import { KEYSPACE_COMMANDS } from './commands/keyspace.js';
import { Keyspace } from './store/keyspace.js';
import { TRANSACTION_COMMANDS, WatchRegistry, endTransaction } from './commands/transactions.js';
import type { BrokerServices } from './commands/context.js';
import { Client, type Transport } from './transport/client.js';
import { Persistence } from './store/persistence.js';
import type { OutputBuffer } from './transport/output-buffer.js';

/** The partition worker entry (compiled). Tests may pass another entry that wraps it. */
export const PARTITION_WORKER_URL = new URL('../workers/partition-worker.js', import.meta.url);

/** How often the active expire cycle runs (Redis's default hz 10). */
const ACTIVE_EXPIRE_INTERVAL_MS = 100;

export class Broker implements BrokerServices {
  readonly clients: ClientRegistry;
  readonly router: Router;
  readonly keyspace: Keyspace;
  readonly monitors = new Set<Client>();
  readonly watches = new WatchRegistry();
  readonly table = new CommandTable();
  private readonly tcp: TcpServer;
  private readonly ws: WsServer;
  private port = 0;
  readonly persistence: Persistence;
  private readonly executor: Executor;
  private expireTimer: NodeJS.Timeout | null = null;
  /** The append-only log failed in a way that voids its guarantees (cli.ts exits). */
  onFatal: (err: Error) => void = (err) => { console.error(`ringcast: FATAL ${err.message}`); };

  constructor(readonly config: Config, workerUrl: URL = PARTITION_WORKER_URL) {
    this.clients = new ClientRegistry(config);
    this.router = new Router(config.workers, config.ringBytes, this.clients, workerUrl);
    this.persistence = new Persistence(config, {
      runningClient: () => this.router.runningClient,
      scheduleFlush: () => this.clients.scheduleFlush(),
      keyDeleted: (db, key) => this.watches.touch(db, key.toString('latin1')),
    });
    if (this.persistence.log !== null) this.persistence.log.onFatal = (err) => this.onFatal(err);
    this.clients.holdReplies = () => this.persistence.mustHoldReplies();
    this.keyspace = new Keyspace({
      publish: (channel, message) => this.router.publishInternal(channel, message),
      propagate: (db, args) => {
        this.watches.writes++;
        this.persistence.propagate(db, args);
      },
    }, config);
    this.clients.onClosed = (c) => {
      this.monitors.delete(c);
      endTransaction({ broker: this }, c);
      if (c.inPubSub) this.router.dropSubscriptions(c);
    };
    this.table.register(PUBSUB_COMMANDS);
    this.table.register(CONNECTION_COMMANDS);
    this.table.register(TRANSACTION_COMMANDS);
    this.table.register(KEYSPACE_COMMANDS);
    this.table.register(serverCommands(this.table));
    const executor = new Executor(this, this.table);
    this.executor = executor;
    this.tcp = new TcpServer(this, executor);
    this.ws = new WsServer(this, executor);
  }

  readonly tcpPort = (): number => this.port;

  /** What SHUTDOWN does; the command line replaces it with its own clean exit. */
  requestShutdown: () => void = () => void this.stop();

  /**
   * Starts listening (RESP, then HTTP/WebSocket); resolves with the bound addresses. A listen error
   * carries `listener` ("RESP" or "HTTP") and the port it wanted.
   */
  async start(): Promise<{ host: string; port: number; httpPort: number; loaded: { commands: number; bytes: number; ms: number } }> {
    // Redis loads its data before it accepts a connection; an AofCorruptError ends start-up here.
    const loaded = await this.loadLog();
    const addr = await this.tcp.listen(this.config.port, this.config.bind).catch((err) => {
      throw Object.assign(err, { listener: 'RESP', port: this.config.port });
    });
    this.port = addr.port;
    // Port 0 picks a free port: CONFIG GET and INFO report the one actually bound.
    this.config.port = addr.port;
    const httpPort = await this.ws.listen(this.config.httpPort, this.config.bind).catch((err) => {
      throw Object.assign(err, { listener: 'HTTP', port: this.config.httpPort });
    });
    this.config.httpPort = httpPort;
    this.expireTimer = setInterval(() => {
      // Expirations outside a command publish their notifications now: make them visible.
      if (this.keyspace.activeExpireCycle() > 0) this.router.commit();
      this.persistence.log?.maybeRewrite(this.snapshot);
    }, ACTIVE_EXPIRE_INTERVAL_MS);
    return { host: addr.address, port: addr.port, httpPort, loaded };
  }

  /** BGREWRITEAOF and the automatic rewrite: the commands that recreate the keyspace now. */
  readonly snapshot = (emit: (db: number, args: Buffer[]) => void): void => this.keyspace.dumpCommands(emit);

  /**
   * Closes the listener and every client, stops the partition workers, then writes, fsyncs and
   * closes the log (last: nothing can append to it any more).
   */
  async stop(): Promise<void> {
    if (this.expireTimer !== null) clearInterval(this.expireTimer);
    this.ws.close();
    const closing = this.tcp.close();
    for (const c of [...this.clients.byId.values()]) this.clients.close(c);
    await closing;
    await this.router.stop();
    await this.persistence.close();
  }

  /**
   * Replays the append-only log through the executor, as a client whose replies go nowhere
   * (Redis's AOF loading client). Keyspace notifications it makes find no subscriber yet.
   */
  private async loadLog(): Promise<{ commands: number; bytes: number; ms: number }> {
    const startedMs = performance.now();
    const loader = new Client(0, DISCARDING_TRANSPORT);
    const args: CommandArgs = { buf: Buffer.alloc(0), argc: 0, argStart: [] as number[], argEnd: [] as number[] };
    const loaded = await this.persistence.load((logged) => {
      args.buf = logged.length === 1 ? logged[0] : Buffer.concat(logged);
      args.argc = logged.length;
      args.argStart.length = args.argEnd.length = 0;
      let pos = 0;
      for (const a of logged) {
        args.argStart.push(pos);
        pos += a.length;
        args.argEnd.push(pos);
      }
      this.executor.execute(loader, args);
      loader.out.discard();
    });
    this.router.commit();
    return { ...loaded, ms: performance.now() - startedMs };
  }
}

/** The loading client's transport: nothing is ever sent. */
const DISCARDING_TRANSPORT: Transport = {
  kind: 'aof',
  remoteAddress: 'aof',
  localAddress: 'aof',
  flush: (out: OutputBuffer) => out.discard(),
  pendingBytes: () => 0,
  pause: () => {},
  resume: () => {},
  end: () => {},
  destroy: () => {},
  closeForOutputLimit: () => {},
};
