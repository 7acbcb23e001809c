/**
 * The HTTP + WebSocket endpoint (main thread, uWebSockets.js): `/ws` for WebSocket clients, the chat
 * page, `/healthz`.
 *
 * A WebSocket connection is just another client: the same Client, Executor and Router as TCP; only
 * the bytes differ. Subprotocols (Sec-WebSocket-Protocol):
 *   json     text frames: commands are JSON arrays; each reply and each pub/sub frame is one JSON
 *            message (frames encoded by the partition workers as ENC_JSON)
 *   msgpack  binary frames, the same arrays in msgpack (frames encoded as ENC_MSGPACK)
 *   resp     binary frames carrying raw RESP, exactly as over TCP (RESP2 or RESP3 via HELLO)
 * json and msgpack clients are RESP3 clients internally (pushes, any command while subscribed);
 * their replies are decoded from RESP3 and re-encoded per message, which is the cold path. The hot
 * path (message frames) is encoded once per message per encoding in the workers and shared by every
 * recipient.
 *
 * uWebSockets.js cannot pause a WebSocket's reads, so backpressure from a full partition ring queues
 * the connection's incoming messages (bounded by client-query-buffer-limit) until there is room.
 * uWebSockets.js hands out ArrayBuffers valid only inside the callback: everything kept is copied.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import uWS from 'uWebSockets.js';
import { ENC_JSON, ENC_MSGPACK } from '../shm/records.js';
import { RespParser, PARSE_COMMAND, PARSE_NEED_MORE, PARSE_PROTOCOL_ERROR } from '../protocol/resp-parser.js';
import { addError } from '../protocol/reply.js';
import { decodeReplies, type RespValue } from '../protocol/resp-values.js';
import { jsonValue } from '../codec/json-text.js';
import { packValue, unpackValue } from '../codec/msgpack.js';
import type { CommandArgs, Executor } from '../commands/executor.js';
import type { BrokerServices } from '../commands/context.js';
import type { Client, Transport } from './client.js';
import type { OutputBuffer } from './output-buffer.js';
import { MessageOutputBuffer } from './message-output.js';

export const SUBPROTOCOLS = ['json', 'msgpack', 'resp'] as const;
type Subprotocol = (typeof SUBPROTOCOLS)[number];

/** Close codes (RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_BAD_DATA = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;

interface SocketData {
  protocol: Subprotocol;
  remote: string;
  client?: Client;
  parser?: RespParser;
  /** The close code and reason for end(): 1000 unless the peer sent something that is not a command. */
  closeCode: number;
  closeReason: string;
  /** Messages received while the client was paused for ring backpressure (copies). */
  pending: Buffer[];
  pendingBytes: number;
  closed: boolean;
}

type Socket = uWS.WebSocket<SocketData>;

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const WEB_DIR = path.join(PACKAGE_ROOT, 'src', 'web');
const JS_DIR = path.join(PACKAGE_ROOT, 'dist', 'src');
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

class WsTransport implements Transport {
  readonly localAddress: string;

  constructor(
    private readonly ws: Socket,
    private readonly data: SocketData,
    localPort: number,
  ) {
    this.localAddress = `127.0.0.1:${localPort}`;
  }

  get kind(): string {
    return `ws-${this.data.protocol}`;
  }

  get remoteAddress(): string {
    return this.data.remote;
  }

  flush(out: OutputBuffer): void {
    if (this.data.closed) {
      out.discard();
      return;
    }
    const ws = this.ws;
    const protocol = this.data.protocol;
    ws.cork(() => {
      if (protocol === 'resp') {
        const pieces = out.take();
        ws.send(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces), true);
        out.afterWrite(true);
        return;
      }
      const binary = protocol === 'msgpack';
      for (const entry of (out as MessageOutputBuffer).takeEntries()) {
        if (entry.isFrame) {
          ws.send(entry.bytes, binary);
        } else {
          decodeReplies(entry.bytes, (value) => {
            ws.send(binary ? packValue(toMsgpack(value)) : JSON.stringify(toJson(value)), binary);
          });
        }
      }
    });
  }

  pendingBytes(): number {
    return this.data.closed ? 0 : this.ws.getBufferedAmount();
  }

  // uWebSockets.js cannot pause a WebSocket: input is queued instead (see onMessage).
  pause(): void {}
  resume(): void {}

  end(): void {
    if (!this.data.closed) this.ws.end(this.data.closeCode, this.data.closeReason);
  }

  destroy(): void {
    if (!this.data.closed) this.ws.close();
  }

  closeForOutputLimit(): void {
    if (!this.data.closed) this.ws.end(CLOSE_POLICY, 'output buffer limit exceeded');
  }
}

/** A RESP3 reply as JSON: bulk strings as strings (or {base64}), maps as objects. */
function toJson(v: RespValue): unknown {
  if (Buffer.isBuffer(v)) return jsonValue(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of v) o[Buffer.isBuffer(k) ? k.toString('utf8') : String(k)] = toJson(val);
    return o;
  }
  return v;
}

/** A RESP3 reply for msgpack: bulk strings as str when UTF-8, else bin. */
function toMsgpack(v: RespValue): unknown {
  if (Buffer.isBuffer(v)) {
    const j = jsonValue(v);
    return typeof j === 'string' ? j : v;
  }
  if (Array.isArray(v)) return v.map(toMsgpack);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of v) o[Buffer.isBuffer(k) ? k.toString('utf8') : String(k)] = toMsgpack(val);
    return o;
  }
  return v;
}

/** Reusable arguments holder for commands that arrive as JSON/msgpack arrays. */
class ArrayCommand implements CommandArgs {
  buf: Buffer = Buffer.alloc(0);
  argc = 0;
  argStart: number[] = [];
  argEnd: number[] = [];

  /** Loads an array of arguments; returns false when it is not a command array. */
  load(items: unknown): boolean {
    if (!Array.isArray(items) || items.length === 0) return false;
    const parts: Buffer[] = [];
    for (const item of items) {
      if (typeof item === 'string') parts.push(Buffer.from(item, 'utf8'));
      else if (typeof item === 'number' && Number.isFinite(item)) parts.push(Buffer.from(String(item)));
      else if (item instanceof Uint8Array) parts.push(Buffer.from(item.buffer, item.byteOffset, item.byteLength));
      else if (item !== null && typeof item === 'object' && typeof (item as { base64?: unknown }).base64 === 'string') {
        parts.push(Buffer.from((item as { base64: string }).base64, 'base64'));
      } else return false;
    }
    this.buf = Buffer.concat(parts);
    this.argc = parts.length;
    let pos = 0;
    for (let i = 0; i < parts.length; i++) {
      this.argStart[i] = pos;
      pos += parts[i].length;
      this.argEnd[i] = pos;
    }
    return true;
  }
}

export class WsServer {
  private readonly app: uWS.TemplatedApp;
  private listenSocket: uWS.us_listen_socket | null = null;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly command = new ArrayCommand();
  private readonly staticCache = new Map<string, Buffer | null>();

  constructor(
    private readonly broker: BrokerServices,
    private readonly executor: Executor,
  ) {
    const config = broker.config;
    this.app = uWS.App();
    this.app.ws<SocketData>('/ws', {
      compression: uWS.DISABLED,
      // uWS drops an oversized message's connection without a close frame; reading up to twice our
      // limit lets onMessage answer a message over the limit with a proper 1009 instead.
      maxPayloadLength: Math.min(2 * config.wsMaxPayloadBytes, 2 ** 31 - 1),
      idleTimeout: config.wsIdleTimeoutSeconds,
      sendPingsAutomatically: true,
      // ringcast enforces client-output-buffer-limit itself; uWS must never drop a frame.
      maxBackpressure: 2 ** 31 - 1,
      closeOnBackpressureLimit: 0,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.open(ws),
      message: (ws, message, isBinary) => this.onMessage(ws, message, isBinary),
      close: (ws) => this.onClose(ws),
    });
    this.app.get('/healthz', (res) => {
      res.writeHeader('Content-Type', 'text/plain').end('ok');
    });
    this.app.get('/', (res) => this.serveFile(res, path.join(WEB_DIR, 'index.html')));
    this.app.get('/web/:file', (res, req) => {
      const file = req.getParameter(0) ?? '';
      if (!/^[a-z0-9][a-z0-9._-]*\.(html|css|svg|png)$/i.test(file)) return void this.notFound(res);
      this.serveFile(res, path.join(WEB_DIR, file));
    });
    this.app.get('/js/*', (res, req) => {
      const rel = req.getUrl().slice('/js/'.length);
      if (!/^[a-z0-9_-]+(\/[a-z0-9_-]+)*\.js$/i.test(rel)) return void this.notFound(res);
      this.serveFile(res, path.join(JS_DIR, rel));
    });
    this.app.any('/*', (res) => this.notFound(res));
  }

  get boundPort(): number {
    return this.port;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (token) => {
        if (!token) {
          const err = new Error(`address already in use`) as NodeJS.ErrnoException;
          err.code = 'EADDRINUSE';
          reject(err);
          return;
        }
        this.listenSocket = token;
        this.port = uWS.us_socket_local_port(token);
        resolve(this.port);
      });
    });
  }

  /** Stops listening and closes every WebSocket with 1000 (a uWS app must not keep sockets open). */
  close(): void {
    if (this.listenSocket) {
      uWS.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
    for (const ws of [...this.sockets]) {
      const data = ws.getUserData();
      if (!data.closed) ws.end(CLOSE_NORMAL, 'server shutting down');
    }
  }

  private upgrade(res: uWS.HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
    const offered = req.getHeader('sec-websocket-protocol');
    const key = req.getHeader('sec-websocket-key');
    const extensions = req.getHeader('sec-websocket-extensions');
    let protocol: Subprotocol = 'json';
    let answer = '';
    if (offered !== '') {
      const choice = offered.split(',').map((p) => p.trim()).find((p): p is Subprotocol => (SUBPROTOCOLS as readonly string[]).includes(p));
      if (choice === undefined) {
        res.writeStatus('400 Bad Request').writeHeader('Content-Type', 'text/plain')
          .end(`unsupported WebSocket subprotocol '${offered}': ringcast speaks json, msgpack or resp`);
        return;
      }
      protocol = choice;
      answer = choice;
    }
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    const data: SocketData = { protocol, remote: `${remote}:0`, closeCode: CLOSE_NORMAL, closeReason: 'bye', pending: [], pendingBytes: 0, closed: false };
    res.upgrade(data, key, answer, extensions, context);
  }

  private open(ws: Socket): void {
    const data = ws.getUserData();
    const { clients, config } = this.broker;
    if (clients.size >= config.maxClients) {
      clients.stats.rejectedConnections++;
      data.closed = true;
      ws.end(CLOSE_POLICY, 'max number of clients reached');
      return;
    }
    this.sockets.add(ws);
    const client = clients.create(new WsTransport(ws, data, this.port));
    data.client = client;
    if (data.protocol === 'resp') {
      data.parser = new RespParser(config);
    } else {
      client.out = new MessageOutputBuffer();
      client.resp = 3;
      client.wireEncoding = data.protocol === 'json' ? ENC_JSON : ENC_MSGPACK;
    }
    client.resumeInput = () => this.drainPending(ws, data);
  }

  private onMessage(ws: Socket, message: ArrayBuffer, isBinary: boolean): void {
    const data = ws.getUserData();
    const client = data.client;
    if (client === undefined || data.closed || client.closed || client.quitting) return;
    if (message.byteLength > this.broker.config.wsMaxPayloadBytes) {
      data.closed = true;
      ws.end(CLOSE_TOO_BIG, `message of ${message.byteLength} bytes is over the ${this.broker.config.wsMaxPayloadBytes}-byte limit`);
      return;
    }
    if (client.pausedForRing || data.pending.length > 0) {
      // A partition ring is full: keep the message (copied) until the router resumes us.
      const copy = Buffer.from(new Uint8Array(message));
      data.pending.push(copy);
      data.pendingBytes += copy.length;
      if (data.pendingBytes > this.broker.config.maxQueryBufferBytes) this.queryLimit(client);
      return;
    }
    this.handle(ws, data, client, Buffer.from(message), isBinary);
    this.afterInput(client);
  }

  /** Executes one message. `bytes` may be a view of uWS memory: nothing keeps it past this call. */
  private handle(ws: Socket, data: SocketData, client: Client, bytes: Buffer, isBinary: boolean): void {
    const { router } = this.broker;
    client.lastInteractionMs = Date.now();
    if (data.protocol === 'resp') {
      const parser = data.parser!;
      parser.feed(Buffer.from(bytes));
      while (!client.quitting && !client.pausedForRing) {
        const status = parser.next();
        if (status === PARSE_NEED_MORE) break;
        if (status === PARSE_COMMAND) {
          this.executor.execute(client, parser);
          if (router.congested) router.pauseForRing(client);
          continue;
        }
        if (status === PARSE_PROTOCOL_ERROR) {
          router.beginCommand(client);
          addError(client, `ERR ${parser.errorMessage}`, 'latin1');
          client.quitting = true;
          router.endCommand(client);
        } else {
          this.queryLimit(client);
        }
        break;
      }
      return;
    }
    let items: unknown;
    try {
      items = data.protocol === 'json' ? (isBinary ? undefined : JSON.parse(bytes.toString('utf8'))) : unpackValue(bytes);
    } catch {
      items = undefined;
    }
    if (!this.command.load(items)) {
      // Not a command: close with 1007 once the replies to earlier commands are out.
      data.closeCode = CLOSE_BAD_DATA;
      data.closeReason = data.protocol === 'json'
        ? 'expected a JSON array of strings, e.g. ["PUBLISH","room","hi"]'
        : 'expected a msgpack array of strings or binaries';
      router.beginCommand(client);
      client.quitting = true;
      router.endCommand(client);
      return;
    }
    this.executor.execute(client, this.command);
    if (router.congested) router.pauseForRing(client);
  }

  private afterInput(client: Client): void {
    this.broker.router.commitSoon();
    if (!client.out.isEmpty) this.broker.clients.markDirty(client);
  }

  /** Runs messages queued while the client was paused, until it is paused again. */
  private drainPending(ws: Socket, data: SocketData): void {
    const client = data.client!;
    while (data.pending.length > 0 && !client.pausedForRing && !data.closed && !client.closed && !client.quitting) {
      const msg = data.pending.shift()!;
      data.pendingBytes -= msg.length;
      this.handle(ws, data, client, msg, data.protocol !== 'json');
    }
    this.afterInput(client);
  }

  private queryLimit(client: Client): void {
    const { clients } = this.broker;
    console.warn(`ringcast: closing WebSocket client id=${client.id} addr=${client.transport.remoteAddress} that reached max query buffer length`);
    clients.stats.queryLimitDisconnections++;
    clients.close(client);
  }

  private onClose(ws: Socket): void {
    const data = ws.getUserData();
    data.closed = true;
    this.sockets.delete(ws);
    data.pending = [];
    if (data.client) this.broker.clients.forget(data.client);
  }

  private serveFile(res: uWS.HttpResponse, file: string): void {
    let body = this.staticCache.get(file);
    if (body === undefined) {
      try {
        body = readFileSync(file);
      } catch {
        body = null;
      }
      this.staticCache.set(file, body);
    }
    if (body === null) return this.notFound(res);
    res.cork(() => {
      res.writeHeader('Content-Type', CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream')
        .writeHeader('Cache-Control', 'no-cache')
        .end(body!);
    });
  }

  private notFound(res: uWS.HttpResponse): void {
    res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain').end('not found');
  }
}
