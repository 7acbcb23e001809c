/**
 * The RESP endpoint over TCP (main thread): accepts connections, feeds socket bytes to each
 * connection's RespParser, runs the commands it yields, and hands the connection's output to the
 * once-per-turn flush (ClientRegistry).
 *
 * Input stops being executed (and the socket is paused) while a partition ring is congested; the
 * router resumes the connection when there is room. A protocol error gets Redis's reply, then the
 * connection is closed once that reply is written; going over the query buffer limit closes it
 * with no reply, as Redis does.
 */
import net from 'node:net';
import { RespParser, PARSE_COMMAND, PARSE_NEED_MORE, PARSE_PROTOCOL_ERROR } from '../protocol/resp-parser.js';
import { addError } from '../protocol/reply.js';
import type { Executor } from '../commands/executor.js';
import type { BrokerServices } from '../commands/context.js';
import type { Client, Transport } from './client.js';
import type { OutputBuffer } from './output-buffer.js';

/** Commands run per 'data' event before yielding to other connections (fairness). */
const COMMANDS_PER_TURN = 1024;

class TcpTransport implements Transport {
  readonly kind = 'tcp';
  readonly remoteAddress: string;
  readonly localAddress: string;

  constructor(private readonly socket: net.Socket) {
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.localAddress = `${socket.localAddress}:${socket.localPort}`;
  }

  flush(out: OutputBuffer): void {
    const s = this.socket;
    const pieces = out.take();
    if (s.destroyed) return;
    if (pieces.length === 1) {
      s.write(pieces[0]);
    } else {
      // Corked: the pieces leave in one writev.
      s.cork();
      for (let i = 0; i < pieces.length; i++) s.write(pieces[i]);
      s.uncork();
    }
    out.afterWrite(s.writableLength === 0);
  }

  closeForOutputLimit(): void {
    this.socket.destroy();
  }

  pendingBytes(): number {
    return this.socket.writableLength;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Half-closes after the queued output, then closes fully (as Redis's close(fd) does). */
  end(): void {
    const s = this.socket;
    s.once('finish', () => s.destroy());
    s.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class TcpServer {
  private readonly server: net.Server;

  constructor(
    private readonly broker: BrokerServices,
    private readonly executor: Executor,
  ) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** Listens; rejects with the listen error (EADDRINUSE...) so the CLI can name the port. */
  listen(port: number, host: string): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const { clients, config } = this.broker;
    if (clients.size >= config.maxClients) {
      clients.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const client = clients.create(new TcpTransport(socket));
    const parser = new RespParser(config);
    const run = (): void => this.runInput(client, parser, socket);
    client.resumeInput = () => {
      socket.resume();
      run();
    };
    socket.on('data', (chunk: Buffer) => {
      // After a protocol error or QUIT, input is read (so a vanished peer is noticed) and ignored.
      if (client.closed || client.quitting) return;
      // Per read, as Redis's readQueryFromClient does, not per command: one clock read per chunk.
      client.lastInteractionMs = Date.now();
      parser.feed(chunk);
      run();
    });
    socket.on('error', () => {});
    socket.on('close', () => clients.forget(client));
  }

  /** Executes what the parser holds, until it needs more bytes, the client must wait, or closes. */
  private runInput(client: Client, parser: RespParser, socket: net.Socket): void {
    const { router, clients } = this.broker;
    let executed = 0;
    while (!client.closed && !client.quitting && !client.pausedForRing) {
      const status = parser.next();
      if (status === PARSE_NEED_MORE) break;
      if (status === PARSE_COMMAND) {
        this.executor.execute(client, parser);
        if (router.congested) router.pauseForRing(client);
        if (++executed === COMMANDS_PER_TURN && !client.pausedForRing) {
          // Yield to other connections; continue on the next turn.
          setImmediate(() => this.runInput(client, parser, socket));
          break;
        }
        continue;
      }
      if (status === PARSE_PROTOCOL_ERROR) {
        router.beginCommand(client);
        addError(client, `ERR ${parser.errorMessage}`, 'latin1');
        client.quitting = true;
        router.endCommand(client);
      } else {
        console.warn(`ringcast: closing client id=${client.id} addr=${client.transport.remoteAddress} that reached max query buffer length`);
        clients.stats.queryLimitDisconnections++;
        clients.close(client);
      }
      break;
    }
    router.commitSoon();
    if (!client.out.isEmpty) clients.markDirty(client);
  }
}
