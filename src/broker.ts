/**
 * The broker: wires the pieces together and owns their lifecycle (main thread).
 *
 *   TcpServer --bytes--> RespParser --command--> Executor --op--> Router --ring--> partitions
 *   ClientRegistry.flush <--frames-- Router (answers applied in arrival order) <--ring--
 */
import type { Config } from './config.js';
import { ClientRegistry } from './transport/client-registry.js';
import { Router } from './routing/router.js';
import { TcpServer } from './transport/tcp-server.js';
import { CommandTable } from './commands/table.js';
import { Executor } from './commands/executor.js';
import { PUBSUB_COMMANDS } from './commands/pubsub.js';
import { CONNECTION_COMMANDS } from './commands/connection.js';
import { serverCommands } from './commands/server.js';
import type { BrokerServices } from './commands/context.js';
import type { Client } from './transport/client.js';

/** The partition worker entry (compiled). Tests may pass another entry that wraps it. */
export const PARTITION_WORKER_URL = new URL('../workers/partition-worker.js', import.meta.url);

export class Broker implements BrokerServices {
  readonly clients: ClientRegistry;
  readonly router: Router;
  readonly monitors = new Set<Client>();
  readonly table = new CommandTable();
  private readonly tcp: TcpServer;
  private port = 0;

  constructor(readonly config: Config, workerUrl: URL = PARTITION_WORKER_URL) {
    this.clients = new ClientRegistry(config);
    this.router = new Router(config.workers, config.ringBytes, this.clients, workerUrl);
    this.clients.onClosed = (c) => {
      this.monitors.delete(c);
      if (c.inPubSub) this.router.dropSubscriptions(c);
    };
    this.table.register(PUBSUB_COMMANDS);
    this.table.register(CONNECTION_COMMANDS);
    this.table.register(serverCommands(this.table));
    this.tcp = new TcpServer(this, new Executor(this, this.table));
  }

  readonly tcpPort = (): number => this.port;

  /** Starts listening; resolves with the bound RESP address. */
  async start(): Promise<{ host: string; port: number }> {
    const addr = await this.tcp.listen(this.config.port, this.config.bind);
    this.port = addr.port;
    return { host: addr.address, port: addr.port };
  }

  /** Closes the listener and every client, then stops the partition workers. */
  async stop(): Promise<void> {
    const closing = this.tcp.close();
    for (const c of [...this.clients.byId.values()]) this.clients.close(c);
    await closing;
    await this.router.stop();
  }
}
