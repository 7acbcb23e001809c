/**
 * One-shot commands to the server under test (coordinator side): INFO for its version and process
 * id, PING to know it is up. A fresh connection per call; these run a few times per scenario.
 */
import net from 'node:net';
import { FRAME_ERROR, FRAME_OTHER, RespReader } from './resp-reader.js';

const DEFAULT_TIMEOUT_MS = 5_000;

export class ServerReplyError extends Error {}

/**
 * Sends one command and resolves with the text of its reply (simple string, bulk string or
 * integer). An error reply rejects with ServerReplyError; a timeout or connection failure rejects
 * with the socket's error.
 */
export function serverCommand(host: string, port: number, args: string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const finish = (err: Error | null, text = ''): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err === null) resolve(text);
      else reject(err);
    };
    const timer = setTimeout(() => finish(new Error(`${args[0]} to ${host}:${port}: no reply within ${timeoutMs} ms`)), timeoutMs);
    const reader = new RespReader((r) => {
      if (r.kind === FRAME_ERROR) finish(new ServerReplyError(r.elementText(0)));
      else finish(null, r.kind === FRAME_OTHER || r.elementCount === 0 ? '' : r.elementText(0));
    });
    socket.on('data', (chunk: Buffer) => reader.feed(chunk));
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`${args[0]} to ${host}:${port}: connection closed before a reply`)));
    let text = `*${args.length}\r\n`;
    for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    socket.write(text);
  });
}

export interface ServerIdentity {
  /** e.g. "ringcast 0.1.0", "redis 7.0.15" or a server_name ("bare-uws"). */
  name: string;
  /** INFO server process_id; null if the server does not say. */
  pid: number | null;
}

/** Who is answering on host:port, from INFO server. */
export async function identifyServer(host: string, port: number): Promise<ServerIdentity> {
  const info = await serverCommand(host, port, ['INFO', 'server']);
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info)?.[1]?.trim();
  const ringcast = field('ringcast_version');
  const redis = field('redis_version');
  // Servers that are neither (bench/e2e/bare-uws-server.ts) name themselves, as Valkey does.
  const named = field('server_name');
  const pid = Number(field('process_id'));
  return {
    name: ringcast !== undefined ? `ringcast ${ringcast}` : redis !== undefined ? `redis ${redis}` : named ?? 'unknown RESP server',
    pid: Number.isInteger(pid) && pid > 0 ? pid : null,
  };
}
