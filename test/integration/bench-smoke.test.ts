// `ringcast bench` end to end: the built CLI (dist/src/cli.js bench) runs a short scenario against a
// ringcast started by the test helper (or against the bare uWebSockets.js ceiling of
// bench/e2e/bare-uws-server.ts), and its --json result must show a clean run: deliveries, nothing
// lost, duplicated or reordered, and PUBLISH replies (recipe: EXEC's PUBLISH counts) adding up to
// the deliveries. Runs in the vitest process; the bench and the servers are child processes. No
// timing assertions. Brokers run with --appendonly no except the recipe's, which logs into a
// temporary directory as `npm run bench` does.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/loadgen/result.js';
import { serverCommand } from '../../src/loadgen/server-query.js';
import { BACKLOG_LENGTH, backlogKey } from '../../src/loadgen/scenarios.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { spawnTracked, stopProcess, type TrackedChild } from '../helpers/redis-server.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const CLI = path.join(DIST, 'src', 'cli.js');
const BARE_UWS = path.join(DIST, 'bench', 'e2e', 'bare-uws-server.js');
const BENCH_TIMEOUT_MS = 25_000;
const SERVER_START_TIMEOUT_MS = 10_000;
const SHORT_RUN = ['--duration', '2', '--warmup', '0.5', '--json'];

interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runBench(args: string[]): Promise<BenchRun> {
  const child = spawnTracked(process.execPath, [CLI, 'bench', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.proc.stdout!.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
  child.proc.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
  const timer = setTimeout(() => void stopProcess(child, 'SIGKILL'), BENCH_TIMEOUT_MS);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Starts the bare uWebSockets.js ceiling on free ports; resolves once it prints both listening lines. */
async function startBareUws(): Promise<{ child: TrackedChild; port: number; wsUrl: string }> {
  const child = spawnTracked(process.execPath, [BARE_UWS, '--port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.proc.stderr!.setEncoding('utf8').on('data', (text: string) => { output += text; });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bare-uws did not start:\n${output}`)), SERVER_START_TIMEOUT_MS);
      child.proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        const resp = /RESP listening on [\d.]+:(\d+)/.exec(output);
        const ws = /WebSocket listening on ([\d.]+):(\d+)/.exec(output);
        if (resp !== null && ws !== null) {
          clearTimeout(timer);
          resolve({ child, port: Number(resp[1]), wsUrl: `ws://${ws[1]}:${ws[2]}/ws` });
        }
      });
      void child.exited.then(() => reject(new Error(`bare-uws exited before listening:\n${output}`)));
    });
  } catch (err) {
    await stopProcess(child, 'SIGKILL');
    throw err;
  }
}

function expectCleanRun(result: BenchResult): void {
  expect(result.throughput.delivered).toBeGreaterThan(0);
  expect(result.integrity.deliveredTotal).toBeGreaterThan(0);
  expect(result.integrity).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, misrouted: 0, malformed: 0, publishErrors: 0, disconnects: 0, ok: true });
  expect(result.integrity.replySum).toBe(result.integrity.deliveredTotal);
  expect(result.latencyUs?.samples).toBeGreaterThan(0);
}

describe('ringcast bench', () => {
  let broker: BrokerHandle | null = null;
  let bare: TrackedChild | null = null;
  let aofDir: string | null = null;
  afterEach(async () => {
    await broker?.stop();
    broker = null;
    if (bare !== null) await stopProcess(bare);
    bare = null;
    if (aofDir !== null) rmSync(aofDir, { recursive: true, force: true });
    aofDir = null;
  });

  it.each([
    { name: 'fan-out over RESP2', args: ['--scenario', 'fanout', '--connections', '5'], subscribers: 5 },
    { name: 'pattern subscribers over RESP3', args: ['--scenario', 'patterns', '--connections', '3', '--patterns', '300', '--resp', '3'], subscribers: 3 },
    { name: 'rooms with fewer subscribers than channels', args: ['--scenario', 'rooms', '--connections', '4', '--channels', '10', '--publishers', '2'], subscribers: 4 },
  ])('a short $name run delivers every message once and in order, and the PUBLISH replies sum to the deliveries', async ({ args, subscribers }) => {
    broker = await startBroker({ workers: 2, args: ['--appendonly', 'no'] });
    const run = await runBench(['--port', String(broker.port), ...args, ...SHORT_RUN]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.target.server).toMatch(/^ringcast /);
    expect(result.params.subscribers).toBe(subscribers);
    expectCleanRun(result);
  });

  it('a short wsfanout run with subscribers on ringcast\'s WebSocket endpoint (resp subprotocol) delivers every message once and in order', async () => {
    broker = await startBroker({ workers: 2, args: ['--appendonly', 'no'] });
    const wsUrl = `ws://127.0.0.1:${broker.httpPort}/ws`;
    const run = await runBench(['--port', String(broker.port), '--url', wsUrl, '--scenario', 'wsfanout', '--connections', '20', ...SHORT_RUN]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.target).toMatchObject({ wsUrl });
    expect(result.params).toMatchObject({ subscribers: 20, subscriberTransport: 'ws' });
    expectCleanRun(result);
  });

  it('the bare uWebSockets.js ceiling answers the generator exactly as ringcast does: a clean wsfanout run', async () => {
    const server = await startBareUws();
    bare = server.child;
    const run = await runBench(['--port', String(server.port), '--url', server.wsUrl, '--scenario', 'wsfanout', '--connections', '20', ...SHORT_RUN]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.target.server).toBe('bare-uws');
    expectCleanRun(result);
  });

  it('a short recipe run (MULTI/LPUSH/LTRIM/PUBLISH/EXEC, appendonly everysec) sums EXEC\'s PUBLISH counts to the deliveries and trims the backlog', async () => {
    aofDir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-bench-smoke-'));
    broker = await startBroker({ workers: 2, args: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', aofDir] });
    const run = await runBench(['--port', String(broker.port), '--scenario', 'recipe', '--connections', '3', ...SHORT_RUN]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.params).toMatchObject({ subscribers: 3, publishMode: 'recipe' });
    expect(result.throughput.published).toBeGreaterThan(0);
    expectCleanRun(result);
    expect(await serverCommand('127.0.0.1', broker.port, ['LLEN', backlogKey(0)])).toBe(String(BACKLOG_LENGTH));
  });

  it('--help lists the scenarios and the flags', async () => {
    const run = await runBench(['--help']);
    expect(run.code).toBe(0);
    for (const word of ['fanout', 'rooms', 'patterns', 'wsfanout', 'recipe', '--host', '--port', '--url', '--subscriber-transport', '--scenario',
      '--connections', '--payload', '--rate', '--duration', '--json']) {
      expect(run.stdout).toContain(word);
    }
  });

  it('an unknown flag or scenario is refused with exit status 2 before connecting', async () => {
    const badFlag = await runBench(['--no-such-flag', '1']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('unknown flag');
    const badScenario = await runBench(['--scenario', 'nope']);
    expect(badScenario.code).toBe(2);
    expect(badScenario.stderr).toContain('unknown scenario');
  });
});
