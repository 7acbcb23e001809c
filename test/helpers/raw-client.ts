// A byte-exact RESP client for tests: writes whatever the test gives it and hands back each reply
// as the exact bytes the server sent. Runs in the vitest process.
//
// Invariants: every wait is bounded and rejects with the bytes received so far; replies are
// queued as they arrive, so a timed-out read loses nothing; at most one read waits at a time
// (replies are consumed in order, so two concurrent readers would race for them).
import net from 'node:net';
import { ReplyReader, encodeCommand, escapeBytes } from './resp-reply.js';

const DEFAULT_TIMEOUT_MS = 5_000;
// Error messages show at most this much of what was received, so a flood stays readable.
const MAX_SHOWN_BYTES = 2_000;

export class RawClient {
  /** Resolves when the socket has closed, whichever side closed it. */
  readonly closed: Promise<void>;
  private readonly reader = new ReplyReader();
  private readonly unreadReplies: Buffer[] = [];
  private isClosed = false;
  private parseError: Error | null = null;
  private socketError: Error | null = null;
  private wakeReader: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.reader.feed(chunk);
      this.collectReplies();
      this.wakeReader?.();
    });
    // A reset after a protocol error is an expected ending; keep it for messages, `close` follows.
    socket.on('error', (err) => { this.socketError = err; });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.wakeReader?.();
        resolve();
      });
    });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`RawClient: connecting to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`RawClient: cannot connect to ${host}:${port}: ${err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawClient(socket));
      });
    });
  }

  /** Writes bytes as given; a string is sent as UTF-8. */
  send(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Sends one multibulk command and returns the raw bytes of the next reply. */
  async command(...args: (string | Buffer)[]): Promise<Buffer> {
    this.send(encodeCommand(...args));
    const [reply] = await this.readReplies(1);
    return reply!;
  }

  /** The next `count` top-level replies (pushes included), each as its exact bytes. */
  async readReplies(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer[]> {
    await this.waitUntil(() => this.unreadReplies.length >= count, timeoutMs, `${count} replies`);
    return this.unreadReplies.splice(0, count);
  }

  /** Everything not yet read (complete replies and partial bytes) once the server has closed. */
  async readUntilClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    await this.waitUntil(() => this.isClosed, timeoutMs, 'the server to close the connection');
    return Buffer.concat([...this.unreadReplies.splice(0), this.reader.takeUnparsed()]);
  }

  close(): void {
    this.socket.destroy();
  }

  private collectReplies(): void {
    if (this.parseError !== null) return;
    try {
      for (let raw = this.reader.nextRaw(); raw !== null; raw = this.reader.nextRaw()) {
        this.unreadReplies.push(raw);
      }
    } catch (err) {
      this.parseError = err as Error;
    }
  }

  /** Resolves once `isReady()` holds; rejects on timeout, on close, or on bytes that are not RESP. */
  private waitUntil(isReady: () => boolean, timeoutMs: number, awaited: string): Promise<void> {
    if (this.wakeReader !== null) {
      return Promise.reject(new Error('RawClient: a read is already waiting on this connection'));
    }
    return new Promise((resolve, reject) => {
      const finish = (failure?: string): void => {
        clearTimeout(timer);
        this.wakeReader = null;
        if (failure === undefined) resolve();
        else reject(new Error(`RawClient: ${failure} while waiting for ${awaited}; ${this.describeReceived()}`));
      };
      const check = (): void => {
        if (isReady()) finish();
        else if (this.parseError !== null) finish(`unparseable reply (${this.parseError.message})`);
        else if (this.isClosed) finish(`connection closed${this.socketError ? ` (${this.socketError.message})` : ''}`);
      };
      const timer = setTimeout(() => finish(`timed out after ${timeoutMs} ms`), timeoutMs);
      timer.unref();
      this.wakeReader = check;
      check();
    });
  }

  private describeReceived(): string {
    const replies = this.unreadReplies.map((raw) => escapeBytes(raw)).join(', ');
    const partial = escapeBytes(this.reader.peekUnparsed());
    const text = `received so far: ${this.unreadReplies.length} unread replies [${replies}], unparsed bytes ${partial}`;
    return text.length > MAX_SHOWN_BYTES ? `${text.slice(0, MAX_SHOWN_BYTES)}...(truncated)` : text;
  }
}
