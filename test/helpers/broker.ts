// Starts the built ringcast broker (dist/src/cli.js) as a child process for integration tests and
// learns its port from the line it prints once listening. Runs in the vitest process.
//
// Invariants: the broker is asked for port 0 for RESP and for HTTP/WebSocket, so two test files
// never race for a port (a test that must restart a broker on the same ports passes explicit ones
// in `args`, which override the defaults); the wait for both listening lines is bounded; a broker
// that fails to start is killed and its output is in the error; stop() always ends the process
// (SIGKILL after a grace period).
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked, stopProcess } from './redis-server.js';

const LISTENING_TIMEOUT_MS = 15_000;
const DEFAULT_WORKER_COUNT = 2;
const LISTENING_LINE = /RESP listening on ([\d.]+):(\d+)/;
const WEBSOCKET_LISTENING_LINE = /WebSocket listening on ([\d.]+):(\d+)/;

export interface BrokerHandle {
  port: number;
  host: string;
  /** The HTTP/WebSocket port (the chat page, /ws, /healthz), from the broker's listening line. */
  httpPort?: number;
  pid: number;
  proc: ChildProcess;
  /** All stdout and stderr so far, interleaved in arrival order. */
  output(): string;
  /** Sends `signal` (SIGTERM by default), SIGKILL after 5 s; resolves with the exit code (null if killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface BrokerOptions {
  workers?: number;
  /** Appended after the defaults (`--port 0 --http-port 0 --bind 127.0.0.1 --workers N --appendonly no`). */
  args?: string[];
  /** Merged over the test process's environment. */
  env?: NodeJS.ProcessEnv;
}

export async function startBroker(opts: BrokerOptions = {}): Promise<BrokerHandle> {
  const cliPath = path.join(findRepoRoot(), 'dist', 'src', 'cli.js');
  if (!existsSync(cliPath)) {
    throw new Error(`startBroker: ${cliPath} does not exist; build first (npx tsc -p tsconfig.json, or npm test)`);
  }
  const workerCount = opts.workers ?? DEFAULT_WORKER_COUNT;
  // No append-only log unless a test asks for one: the default (yes, ./data) would be shared.
  const args = ['--port', '0', '--http-port', '0', '--bind', '127.0.0.1', '--workers', String(workerCount), '--appendonly', 'no', ...(opts.args ?? [])];
  const child = spawnTracked(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { proc } = child;
  let output = '';
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => { output += text; });

  const address = new Promise<{ host: string; port: number; httpPort: number }>((resolve, reject) => {
    let partialLine = '';
    let listening = false;
    let resp: { host: string; port: number } | null = null;
    let httpPort: number | undefined;
    proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (listening) return;
      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop()!;
      for (const line of lines) {
        const match = LISTENING_LINE.exec(line);
        if (match !== null) resp = { host: match[1]!, port: Number(match[2]) };
        const wsMatch = WEBSOCKET_LISTENING_LINE.exec(line);
        if (wsMatch !== null) httpPort = Number(wsMatch[2]);
        if (resp !== null && httpPort !== undefined) {
          listening = true;
          clearTimeout(timer);
          resolve({ ...resp, httpPort });
          return;
        }
      }
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (code ${code}, signal ${proc.signalCode}) before listening; output:\n${output}`));
    });
    const timer = setTimeout(() => {
      reject(new Error(`broker did not print "RESP listening on" and "WebSocket listening on" within ${LISTENING_TIMEOUT_MS} ms; output:\n${output}`));
    }, LISTENING_TIMEOUT_MS);
    timer.unref();
  });

  try {
    const { host, port, httpPort } = await address;
    return {
      host,
      port,
      httpPort,
      pid: proc.pid!,
      proc,
      output: () => output,
      stop: (signal = 'SIGTERM') => stopProcess(child, signal),
    };
  } catch (err) {
    await stopProcess(child, 'SIGKILL');
    throw err;
  }
}

/**
 * The nearest ancestor of this file holding package.json: two levels up when vitest runs the TS
 * source (test/helpers), three when the compiled copy in dist/test/helpers is used.
 */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('startBroker: no package.json above test/helpers');
    dir = parent;
  }
  return dir;
}
