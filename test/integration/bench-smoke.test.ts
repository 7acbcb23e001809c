// `ringcast bench` end to end: the built CLI (dist/src/cli.js bench) runs a short scenario against a
// ringcast started by the test helper, and its --json result must show a clean run: deliveries,
// nothing lost, duplicated or reordered, and PUBLISH replies adding up to the deliveries.
// Runs in the vitest process; the bench and the broker are child processes. No timing assertions.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { spawnTracked, stopProcess } from '../helpers/redis-server.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli.js');
const BENCH_TIMEOUT_MS = 25_000;

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

describe('ringcast bench', () => {
  let broker: BrokerHandle | null = null;
  afterEach(async () => {
    await broker?.stop();
    broker = null;
  });

  it.each([
    { name: 'fan-out over RESP2', args: ['--scenario', 'fanout', '--connections', '5'], subscribers: 5 },
    { name: 'pattern subscribers over RESP3', args: ['--scenario', 'patterns', '--connections', '3', '--patterns', '300', '--resp', '3'], subscribers: 3 },
    { name: 'rooms with fewer subscribers than channels', args: ['--scenario', 'rooms', '--connections', '4', '--channels', '10', '--publishers', '2'], subscribers: 4 },
  ])('a short $name run delivers every message once and in order, and the PUBLISH replies sum to the deliveries', async ({ args, subscribers }) => {
    broker = await startBroker({ workers: 2 });
    const run = await runBench(['--port', String(broker.port), ...args, '--duration', '2', '--warmup', '0.5', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.target.server).toMatch(/^ringcast /);
    expect(result.params.subscribers).toBe(subscribers);
    expect(result.throughput.delivered).toBeGreaterThan(0);
    expect(result.integrity.deliveredTotal).toBeGreaterThan(0);
    expect(result.integrity).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, misrouted: 0, malformed: 0, publishErrors: 0, disconnects: 0, ok: true });
    expect(result.integrity.replySum).toBe(result.integrity.deliveredTotal);
    expect(result.latencyUs.samples).toBeGreaterThan(0);
  });

  it('--help lists the scenarios and the flags', async () => {
    const run = await runBench(['--help']);
    expect(run.code).toBe(0);
    for (const word of ['fanout', 'rooms', 'patterns', '--host', '--port', '--scenario', '--connections', '--payload', '--rate', '--duration', '--json']) {
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
