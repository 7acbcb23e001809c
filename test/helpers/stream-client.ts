// A streaming RESP client for load and ordering tests: pipelines freely and hands every decoded
// reply or push to a callback, in arrival order. Runs in the vitest process.
import net from 'node:net';
import { ReplyReader, encodeCommand, type RespValue } from './resp-reply.js';

export class StreamClient {
  readonly closed: Promise<void>;
  private readonly reader = new ReplyReader();
  onValue: (value: RespValue) => void = () => {};

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.reader.feed(chunk);
      for (let r = this.reader.next(); r !== null; r = this.reader.next()) this.onValue(r.value);
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(port: number): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('error', reject);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new StreamClient(s));
      });
    });
  }

  send(...args: (string | Buffer)[]): void {
    this.socket.write(encodeCommand(...args));
  }

  sendMany(commands: (string | Buffer)[][]): void {
    this.socket.write(Buffer.concat(commands.map((c) => encodeCommand(...c))));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resolves when `done()` is true, polling every 5 ms; rejects after `timeoutMs` with `what`. */
export function waitFor(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (done()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what()}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** The partition a channel belongs to: the broker's FNV-1a hash, for picking channels per partition. */
export function partitionOf(channel: string, partitions: number): number {
  const bytes = Buffer.from(channel);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0) % partitions;
}
