// External processes for tests: a throw-away redis-server on a free loopback port, the policy for
// tools a test needs (missing in CI = failure, missing elsewhere = loud skip), and the
// spawn/stop-with-deadline pair that broker.ts shares. Runs in the vitest process.
//
// Invariants: every wait is bounded; stop() always ends the process (SIGKILL after a grace
// period); any child still alive when the test process exits is SIGKILLed, so a failed hook
// cannot leave a server running.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient } from './raw-client.js';

const HOST = '127.0.0.1';
const REDIS_READY_TIMEOUT_MS = 10_000;
const READY_POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 5_000;
// Another process may take the port between our probe and redis-server's bind; retry a few times.
const MAX_PORT_ATTEMPTS = 5;

export interface RedisHandle {
  port: number;
  host: string;
  stop(): Promise<void>;
}

/** A spawned child plus a promise of its exit code that settles once its output is fully read. */
export interface TrackedChild {
  proc: ChildProcess;
  exited: Promise<number | null>;
}

const liveChildren = new Set<ChildProcess>();
const toolAvailability = new Map<string, boolean>();

/**
 * Spawns `command` and registers it for SIGKILL when the test process exits. `exited` resolves
 * on 'close' (not 'exit') so that all stdout/stderr has been delivered by then.
 */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): TrackedChild {
  if (liveChildren.size === 0) process.once('exit', killLiveChildren);
  const proc = spawn(command, args, options);
  liveChildren.add(proc);
  // A failed spawn (ENOENT, EACCES) emits 'error' and then 'close' with -errno, which settles
  // `exited`; the listener only keeps the unhandled 'error' from crashing the test process.
  proc.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => {
    proc.once('close', (code) => {
      liveChildren.delete(proc);
      if (liveChildren.size === 0) process.removeListener('exit', killLiveChildren);
      resolve(code);
    });
  });
  return { proc, exited };
}

/** Sends `signal`, escalates to SIGKILL after `graceMs`, resolves with the exit code (null if killed). */
export async function stopProcess(
  child: TrackedChild,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = STOP_GRACE_MS,
): Promise<number | null> {
  const { proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null) return child.exited;
  const killTimer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  killTimer.unref();
  proc.kill(signal);
  try {
    return await child.exited;
  } finally {
    clearTimeout(killTimer);
  }
}

function killLiveChildren(): void {
  for (const proc of liveChildren) proc.kill('SIGKILL');
}

/**
 * True when the tool is usable: `name` is an executable on PATH, or, with `probeArgs`, running
 * `name ...probeArgs` exits 0 (e.g. `requireTool('python3', ['-c', 'import redis'])`).
 * Missing: throws when CI=true (the test must fail), otherwise warns loudly once and returns false
 * so the caller skips.
 */
export function requireTool(name: string, probeArgs?: string[]): boolean {
  const label = probeArgs ? `${name} ${probeArgs.join(' ')}` : name;
  const known = toolAvailability.get(label);
  if (known !== undefined) return known;
  const available = probeArgs
    ? spawnSync(name, probeArgs, { stdio: 'ignore', timeout: 10_000 }).status === 0
    : isExecutableOnPath(name);
  toolAvailability.set(label, available);
  if (!available) {
    const reason = probeArgs ? `\`${label}\` did not succeed` : `${name} was not found on PATH`;
    if (process.env.CI === 'true') {
      throw new Error(`${name} is required in CI (${reason}); install it on the runner`);
    }
    console.warn(
      `\n*** SKIPPING TESTS: ${reason}. Tests that need ${label} are skipped on this machine; ` +
        `install it to run them (with CI=true this is a failure). ***\n`,
    );
  }
  return available;
}

function isExecutableOnPath(name: string): boolean {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A loopback port that was free a moment ago (listen on 0, read the port, close). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a private redis-server (no persistence, loopback only) and waits until it answers PING.
 * Returns null, after a loud warning, when redis-server is missing outside CI; throws in CI.
 * `extraArgs` come last, so they override the defaults.
 */
export async function startRedis(opts: { extraArgs?: string[] } = {}): Promise<RedisHandle | null> {
  if (!requireTool('redis-server')) return null;
  for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
    const port = await findFreePort();
    const args = ['--save', '', '--appendonly', 'no', '--bind', HOST, '--port', String(port), '--daemonize', 'no'];
    const child = spawnTracked('redis-server', [...args, ...(opts.extraArgs ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.proc.stdout!.setEncoding('utf8').on('data', (text: string) => { output += text; });
    child.proc.stderr!.setEncoding('utf8').on('data', (text: string) => { output += text; });

    const outcome = await waitUntilServing(child, port);
    if (outcome === 'ready') {
      return { port, host: HOST, stop: async () => { await stopProcess(child); } };
    }
    await stopProcess(child, 'SIGKILL');
    if (outcome === 'no-answer' && !output.includes('Address already in use')) {
      throw new Error(`redis-server on port ${port} did not become ready; its output:\n${output}`);
    }
  }
  throw new Error(`redis-server: no free port after ${MAX_PORT_ATTEMPTS} attempts`);
}

/**
 * Polls until the server on `port` answers +PONG and is our child (INFO process_id): when
 * redis-server loses the race for the port, the PONG comes from whoever won it ('not-ours').
 * 'no-answer' when the child exits or the deadline passes first.
 */
async function waitUntilServing(child: TrackedChild, port: number): Promise<'ready' | 'not-ours' | 'no-answer'> {
  const deadline = Date.now() + REDIS_READY_TIMEOUT_MS;
  while (Date.now() < deadline && child.proc.exitCode === null && child.proc.signalCode === null) {
    const client = await RawClient.connect(port, HOST, READY_POLL_INTERVAL_MS * 10).catch(() => null);
    if (client !== null) {
      try {
        if ((await client.command('PING')).toString() === '+PONG\r\n') {
          const info = (await client.command('INFO', 'server')).toString();
          return info.includes(`\r\nprocess_id:${child.proc.pid}\r\n`) ? 'ready' : 'not-ours';
        }
      } catch {
        // Closed or timed out while starting up: poll again.
      } finally {
        client.close();
      }
    }
    await sleep(READY_POLL_INTERVAL_MS);
  }
  return 'no-answer';
}
