/**
 * The broker: wires the pieces together and owns their lifecycle (main thread).
 *
 *   TcpServer / WsServer --bytes--> parser --command--> Executor --op--> Router --ring--> partitions
 *   ClientRegistry.flush <--frames-- Router (answers applied in arrival order) <--ring--
 */
import type { Config } from './config.js';
import { ClientRegistry } from './transport/client-registry.js';
import { Router } from './routing/router.js';
import { TcpServer } from './transport/tcp-server.js';
import { WsServer } from './transport/ws-server.js';
import { CommandTable } from './commands/table.js';
import { Executor } from './commands/executor.js';
import { PUBSUB_COMMANDS } from './commands/pubsub.js';
import { CONNECTION_COMMANDS } from './commands/connection.js';
import { serverCommands } from './commands/server.js';
import { KEYSPACE_COMMANDS } from './commands/keyspace.js';
import { Keyspace } from './store/keyspace.js';
import { TRANSACTION_COMMANDS, WatchRegistry, endTransaction } from './commands/transactions.js';
import type { BrokerServices } from './commands/context.js';
import type { Client } from './transport/client.js';

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
  private expireTimer: NodeJS.Timeout | null = null;

  constructor(readonly config: Config, workerUrl: URL = PARTITION_WORKER_URL) {
    this.clients = new ClientRegistry(config);
    this.router = new Router(config.workers, config.ringBytes, this.clients, workerUrl);
    this.keyspace = new Keyspace({
      publish: (channel, message) => this.router.publishInternal(channel, message),
      // The append-only file hooks in here (persistence); until then writes are not logged.
      propagate: () => {},
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
    this.tcp = new TcpServer(this, executor);
    this.ws = new WsServer(this, executor);
  }

  readonly tcpPort = (): number => this.port;

  /**
   * Starts listening (RESP, then HTTP/WebSocket); resolves with the bound addresses. A listen error
   * carries `listener` ("RESP" or "HTTP") and the port it wanted.
   */
  async start(): Promise<{ host: string; port: number; httpPort: number }> {
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
    }, ACTIVE_EXPIRE_INTERVAL_MS);
    return { host: addr.address, port: addr.port, httpPort };
  }

  /** Closes the listener and every client, then stops the partition workers. */
  async stop(): Promise<void> {
    if (this.expireTimer !== null) clearInterval(this.expireTimer);
    this.ws.close();
    const closing = this.tcp.close();
    for (const c of [...this.clients.byId.values()]) this.clients.close(c);
    await closing;
    await this.router.stop();
  }
}
