/**
 * `npm run bench`: every scenario against ringcast and against a redis-server, one after the
 * other in one run, with the ratio ringcast/redis for each headline metric. Appends the run to
 * bench/RESULTS.md (date, CPU model, cores, Node version, commit) and draws the ratios into
 * bench/results-latest.svg.
 *
 *   this process (coordinator) ──fork──▶ generator processes ──RESP/TCP──▶ server under test
 *                                        (src/loadgen)                     redis-server, then
 *                                                                          ringcast --workers W
 *
 * For each case: start redis-server (free loopback port, no persistence), run, stop; then for each
 * ringcast worker count: start `node dist/src/cli.js --port 0 --workers W`, run, stop. A case runs
 * against redis once; worker scaling (fanout and rooms at --workers 1,2,4) compares each ringcast
 * run with that one redis figure. Absolute numbers on a small shared machine are noise; the ratio
 * within one run is the figure to read.
 *
 * Flags: --quick (short windows, ~2 minutes), --scenario a,b (scenario or case names),
 * --workers 1,2,4 (ringcast worker counts for the scaling cases).
 * Run: npm run bench [-- --quick]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runScenario, type Progress } from '../src/loadgen/coordinator.js';
import { coreCount, cpuModel } from '../src/loadgen/proc-stats.js';
import type { BenchResult } from '../src/loadgen/result.js';
import { findScenario, type ScenarioParams } from '../src/loadgen/scenarios.js';
import { identifyServer, serverCommand } from '../src/loadgen/server-query.js';

const HOST = '127.0.0.1';
const SERVER_READY_TIMEOUT_MS = 15_000;
const SERVER_STOP_GRACE_MS = 5_000;
const MAX_CLIENTS = '11000';
const LISTENING_LINE = /RESP listening on [\d.]+:(\d+)/;
const DEFAULT_SCALING_WORKERS = [1, 2, 4];

// ---------------------------------------------------------------------------------------------
// Cases and metrics

interface Metric {
  name: string;
  unit: string;
  higherIsBetter: boolean;
  pick(r: BenchResult): number | null;
  /** The ratio ringcast/redis the issue asks for: >= for higher-is-better, <= otherwise. */
  target?: number;
}

interface BenchCase {
  id: string;
  scenario: string;
  label: string;
  overrides: Partial<ScenarioParams>;
  /** Runs ringcast at every --workers count (worker scaling); otherwise at 1 worker. */
  scaling: boolean;
  metrics: Metric[];
}

const deliveredPerSec: Metric = { name: 'delivered msgs/s', unit: '/s', higherIsBetter: true, pick: (r) => r.throughput.deliveredPerSec };
const latency = (name: string, key: 'p50Us' | 'p99Us' | 'p999Us', target?: number): Metric => ({
  name: `latency ${name}`, unit: 'µs', higherIsBetter: false, target, pick: (r) => r.latencyUs?.[key] ?? null,
});
const roundtrip = (name: string, key: 'p50Us' | 'p99Us'): Metric => ({
  name: `round trip ${name}`, unit: 'µs', higherIsBetter: false, pick: (r) => r.roundtripUs?.[key] ?? null,
});
const withTarget = (metric: Metric, target: number): Metric => ({ ...metric, target });

const CASES: BenchCase[] = [
  { id: 'roundtrip', scenario: 'roundtrip', label: '0. round trip (tinybench)', overrides: {}, scaling: false,
    metrics: [roundtrip('p50', 'p50Us'), roundtrip('p99', 'p99Us')] },
  { id: 'pipelined', scenario: 'pipelined', label: '1. pipelined 1 -> 1', overrides: {}, scaling: false,
    metrics: [withTarget(deliveredPerSec, 1.0), latency('p99', 'p99Us')] },
  { id: 'fanout', scenario: 'fanout', label: '2. fan-out 1 -> 100', overrides: {}, scaling: true,
    metrics: [withTarget(deliveredPerSec, 1.2)] },
  { id: 'rooms', scenario: 'rooms', label: '3. many rooms 1000', overrides: {}, scaling: true,
    metrics: [withTarget(deliveredPerSec, 1.0)] },
  { id: 'patterns', scenario: 'patterns', label: '4. patterns (10k non-matching)', overrides: {}, scaling: false,
    metrics: [withTarget(deliveredPerSec, 10)] },
  { id: 'latency', scenario: 'latency', label: '5. service latency 10k/s', overrides: {}, scaling: false,
    metrics: [latency('p50', 'p50Us'), latency('p99', 'p99Us', 1.0), latency('p99.9', 'p999Us')] },
  { id: 'payload-16', scenario: 'payload', label: '6. payload 16 B, 1 -> 10', overrides: { payloadBytes: 16 }, scaling: false,
    metrics: [deliveredPerSec] },
  { id: 'payload-1k', scenario: 'payload', label: '6. payload 1 KiB, 1 -> 10', overrides: { payloadBytes: 1024 }, scaling: false,
    metrics: [deliveredPerSec] },
  { id: 'payload-64k', scenario: 'payload', label: '6. payload 64 KiB, 1 -> 10', overrides: { payloadBytes: 65536 }, scaling: false,
    metrics: [deliveredPerSec] },
  { id: 'connections', scenario: 'connections', label: '7. idle connections', overrides: {}, scaling: false,
    metrics: [{ name: 'RSS per connection', unit: 'B', higherIsBetter: false, target: 2.0, pick: (r) => r.memory.rssPerConnectionBytes }] },
];

// ---------------------------------------------------------------------------------------------
// Flags

interface RunFlags {
  quick: boolean;
  only: string[] | null;
  workers: number[];
}

function parseFlags(argv: string[]): RunFlags {
  const flags: RunFlags = { quick: false, only: null, workers: DEFAULT_SCALING_WORKERS };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (name === '--quick') flags.quick = true;
    else if (name === '--scenario') flags.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (name === '--workers') {
      flags.workers = value().split(',').map((s) => Number(s.trim()));
      if (flags.workers.some((w) => !Number.isInteger(w) || w < 1 || w > 64)) throw new Error('--workers takes a list like 1,2,4');
    } else if (name === '--help') {
      console.log('npm run bench -- [--quick] [--scenario name[,name...]] [--workers 1,2,4]\n' +
        `cases: ${CASES.map((c) => c.id).join(', ')} (a scenario name selects all its cases)`);
      process.exit(0);
    } else throw new Error(`unknown flag ${argv[i]} (try --help)`);
  }
  if (flags.only !== null) {
    const unknown = flags.only.filter((name) => !CASES.some((c) => c.id === name || c.scenario === name));
    if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; cases: ${CASES.map((c) => c.id).join(', ')}`);
  }
  return flags;
}

// ---------------------------------------------------------------------------------------------
// Servers

interface ServerHandle {
  kind: 'redis' | 'ringcast';
  workers: number | null;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const liveServers = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of liveServers) proc.kill('SIGKILL');
});

function track(proc: ChildProcess): Promise<void> {
  liveServers.add(proc);
  proc.on('error', () => {});
  return new Promise((resolve) => proc.once('exit', () => {
    liveServers.delete(proc);
    resolve();
  }));
}

async function stopServer(proc: ChildProcess, exited: Promise<void>): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), SERVER_STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRingcast(repoRoot: string, workers: number): Promise<ServerHandle> {
  const args = [path.join(repoRoot, 'dist', 'src', 'cli.js'), '--port', '0', '--http-port', '0', '--bind', HOST, '--workers', String(workers), '--maxclients', MAX_CLIENTS];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(proc);
  let output = '';
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => { output += text; });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ringcast did not start within ${SERVER_READY_TIMEOUT_MS} ms:\n${output}`)), SERVER_READY_TIMEOUT_MS);
    proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const match = LISTENING_LINE.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then(() => reject(new Error(`ringcast exited before listening:\n${output}`)));
  }).catch(async (err) => {
    await stopServer(proc, exited);
    throw err;
  });
  return { kind: 'ringcast', workers, port, pid: proc.pid!, stop: () => stopServer(proc, exited) };
}

async function startRedis(): Promise<ServerHandle> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--maxclients', MAX_CLIENTS];
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(proc);
  let output = '';
  proc.stdout!.setEncoding('utf8').on('data', (text: string) => { output += text; });
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => { output += text; });
  const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
  while (Date.now() < deadline && proc.exitCode === null) {
    try {
      await serverCommand(HOST, port, ['PING'], 500);
      // The PONG must come from our child, not from whoever else took the port first.
      const identity = await identifyServer(HOST, port);
      if (identity.pid !== proc.pid) throw new Error(`port ${port} is answered by pid ${identity.pid}, not our redis-server`);
      return { kind: 'redis', workers: null, port, pid: proc.pid!, stop: () => stopServer(proc, exited) };
    } catch (err) {
      if (err instanceof Error && err.message.includes('not our redis-server')) {
        await stopServer(proc, exited);
        throw err;
      }
      await sleep(50);
    }
  }
  await stopServer(proc, exited);
  throw new Error(`redis-server on port ${port} did not become ready:\n${output}`);
}

// ---------------------------------------------------------------------------------------------
// Running

interface RunRecord {
  benchCase: BenchCase;
  server: 'redis' | 'ringcast';
  workers: number | null;
  result: BenchResult | null;
  error: string | null;
}

function progressPrinter(label: string): (p: Progress) => void {
  return (p) => {
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const clock = p.phaseSec > 0 ? `${p.elapsedSec.toFixed(0)}/${p.phaseSec}s` : `${p.elapsedSec.toFixed(0)}s`;
    const line = p.phase === 'setup'
      ? `${label} connecting and subscribing...`
      : `${label} ${p.phase} ${clock}: ${fmt(p.deliveredPerSec)} delivered/s, ${fmt(p.publishedPerSec)} PUBLISH/s, ` +
        `busiest generator ${fmt(p.generatorCpuMaxPercent)}% CPU, server ${p.serverCpuPercent === null ? 'n/a' : fmt(p.serverCpuPercent)}% CPU`;
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${line}`);
    else console.log(line);
  };
}

function runSummary(r: BenchResult): string {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const parts: string[] = [];
  if (r.params.idle) {
    parts.push(`RSS/conn ${r.memory.rssPerConnectionBytes === null ? 'n/a' : fmt(r.memory.rssPerConnectionBytes)} B`);
  } else {
    parts.push(`${fmt(r.throughput.deliveredPerSec)} delivered/s`);
    const l = r.roundtripUs ?? r.latencyUs;
    if (l !== null) parts.push(`p50 ${fmt(l.p50Us)} µs, p99 ${fmt(l.p99Us)} µs`);
    parts.push(`integrity ${r.integrity.ok ? 'OK' : 'FAILED'}`);
  }
  parts.push(`server CPU ${r.cpu.serverPercent === null ? 'n/a' : fmt(r.cpu.serverPercent)}%`);
  parts.push(`generator ${fmt(r.cpu.generatorPercent)}% (busiest ${fmt(Math.max(...r.cpu.generatorProcesses.map((g) => g.percent)))}%)`);
  if (r.cpu.generatorBound) parts.push('GENERATOR-BOUND');
  return parts.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Reporting

const fmtValue = (v: number | null, unit: string): string => {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  const digits = v < 10 ? 1 : 0;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits })}${unit === '/s' ? '' : ` ${unit}`}`;
};

interface RatioRow {
  label: string;
  metric: Metric;
  ringcast: number | null;
  redis: number | null;
  ratio: number | null;
  met: boolean | null;
}

function ratioRows(records: RunRecord[], workersList: number[]): RatioRow[] {
  const rows: RatioRow[] = [];
  const byCase = new Map<string, RunRecord[]>();
  for (const rec of records) byCase.set(rec.benchCase.id, [...(byCase.get(rec.benchCase.id) ?? []), rec]);
  for (const benchCase of CASES) {
    const recs = byCase.get(benchCase.id);
    if (recs === undefined) continue;
    const redis = recs.find((r) => r.server === 'redis')?.result ?? null;
    const ringcastRuns = recs.filter((r) => r.server === 'ringcast');
    for (const metric of benchCase.metrics) {
      for (const run of ringcastRuns) {
        const label = benchCase.scaling && workersList.length > 1 ? `${benchCase.label}, ${run.workers} worker${run.workers === 1 ? '' : 's'}` : benchCase.label;
        const ringcastValue = run.result === null ? null : metric.pick(run.result);
        const redisValue = redis === null ? null : metric.pick(redis);
        const ratio = ringcastValue !== null && redisValue !== null && redisValue > 0 ? ringcastValue / redisValue : null;
        const met = metric.target === undefined || ratio === null ? null : metric.higherIsBetter ? ratio >= metric.target : ratio <= metric.target;
        rows.push({ label, metric, ringcast: ringcastValue, redis: redisValue, ratio, met });
      }
    }
  }
  return rows;
}

function integrityText(r: BenchResult | null): string {
  if (r === null) return 'n/a';
  if (r.params.idle) return '-';
  const i = r.integrity;
  if (i.ok) return 'OK';
  return `FAILED: lost ${i.lost}, dup ${i.duplicated}, reord ${i.reordered}, misrouted ${i.misrouted}, ` +
    `replies ${i.replySum} vs deliveries ${i.deliveredTotal}${i.disconnects > 0 ? `, ${i.disconnects} disconnects` : ''}`;
}

function ratioTable(rows: RatioRow[]): string {
  const lines = [
    '| scenario | metric | ringcast | redis | ringcast/redis | target | met |',
    '|---|---|--:|--:|--:|---|---|',
  ];
  for (const row of rows) {
    const target = row.metric.target === undefined ? '' : `${row.metric.higherIsBetter ? '>=' : '<='} ${row.metric.target.toFixed(1)}x`;
    const met = row.met === null ? '' : row.met ? 'yes' : '**no**';
    lines.push(`| ${row.label} | ${row.metric.name} | ${fmtValue(row.ringcast, row.metric.unit)} | ${fmtValue(row.redis, row.metric.unit)} | ` +
      `${row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}x`} | ${target} | ${met} |`);
  }
  return lines.join('\n');
}

function detailTable(records: RunRecord[]): string {
  const fmt = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
  const lines = [
    '| run | server | delivered/s | MB/s | p50 µs | p99 µs | p99.9 µs | max µs | server CPU % | generator CPU % (busiest process) | machine busy % | integrity | notes |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|',
  ];
  for (const rec of records) {
    const r = rec.result;
    const server = rec.server === 'redis' ? 'redis' : `ringcast w${rec.workers}`;
    if (r === null) {
      lines.push(`| ${rec.benchCase.id} | ${server} | | | | | | | | | | run failed | ${rec.error?.replace(/\|/g, '/').replace(/\n/g, ' ')} |`);
      continue;
    }
    const l = r.roundtripUs ?? r.latencyUs;
    const busiest = Math.max(...r.cpu.generatorProcesses.map((g) => g.percent));
    const notes = [...r.notes];
    if (r.params.idle && r.memory.rssPerConnectionBytes !== null) {
      notes.unshift(`RSS ${fmt(r.memory.serverRssBeforeBytes! / 1048576)} -> ${fmt(r.memory.serverRssBytes! / 1048576)} MiB for ${fmt(r.params.subscribers)} connections`);
    }
    lines.push(`| ${rec.benchCase.id} | ${server} | ${r.params.idle ? '' : fmt(r.throughput.deliveredPerSec)} | ` +
      `${r.params.idle ? '' : r.throughput.deliveredMBps.toFixed(1)} | ${fmt(l?.p50Us)} | ${fmt(l?.p99Us)} | ${fmt(l?.p999Us)} | ${fmt(l?.maxUs)} | ` +
      `${fmt(r.cpu.serverPercent)} | ${fmt(r.cpu.generatorPercent)} (${fmt(busiest)}) | ${fmt(r.cpu.machineBusyPercent)} | ${integrityText(r)} | ` +
      `${notes.join('; ').replace(/\|/g, '/')} |`);
  }
  return lines.join('\n');
}

/** Horizontal bars of ringcast/redis on a log scale around a 1.0x line; green = target met, red = missed. */
function ratioChart(rows: RatioRow[], caption: string): string {
  const plotted = rows.filter((r) => r.ratio !== null && r.ratio > 0);
  const rowHeight = 24;
  const labelWidth = 330;
  const plotWidth = 460;
  const valueWidth = 150;
  const top = 70;
  const width = labelWidth + plotWidth + valueWidth;
  const height = top + rowHeight * Math.max(1, plotted.length) + 44;
  const values = plotted.flatMap((r) => [r.ratio!, r.metric.target ?? 1]);
  const lo = Math.log10(Math.min(0.5, ...values) / 1.3);
  const hi = Math.log10(Math.max(2, ...values) * 1.3);
  const x = (ratio: number): number => labelWidth + ((Math.log10(ratio) - lo) / (hi - lo)) * plotWidth;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">ringcast / redis-server, same machine, same run (log scale)</text>`,
    `<text x="10" y="38" fill="#555">${esc(caption)}</text>`,
  ];
  for (const tick of [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]) {
    if (Math.log10(tick) < lo || Math.log10(tick) > hi) continue;
    parts.push(`<line x1="${x(tick).toFixed(1)}" y1="${top - 6}" x2="${x(tick).toFixed(1)}" y2="${height - 36}" stroke="#e5e5e5"/>`,
      `<text x="${x(tick).toFixed(1)}" y="${height - 22}" text-anchor="middle" fill="#555">${tick}x</text>`);
  }
  plotted.forEach((row, i) => {
    const y = top + i * rowHeight;
    const ratio = row.ratio!;
    const x0 = x(1);
    const x1 = x(ratio);
    const color = row.met === null ? '#8c8c8c' : row.met ? '#2e9e4f' : '#d04437';
    const arrow = row.metric.higherIsBetter ? '↑' : '↓';
    parts.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${esc(`${row.label} · ${row.metric.name} ${arrow}`)}</text>`,
      `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowHeight - 8}" fill="${color}"/>`);
    if (row.metric.target !== undefined) {
      const xt = x(row.metric.target);
      parts.push(`<line x1="${xt.toFixed(1)}" y1="${y + 1}" x2="${xt.toFixed(1)}" y2="${y + rowHeight - 1}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`);
    }
    const target = row.metric.target === undefined ? '' : ` (target ${row.metric.higherIsBetter ? '≥' : '≤'} ${row.metric.target}x)`;
    parts.push(`<text x="${labelWidth + plotWidth + 6}" y="${y + 16}">${esc(`${ratio.toFixed(2)}x${target}`)}</text>`);
  });
  parts.push(`<line x1="${x(1).toFixed(1)}" y1="${top - 10}" x2="${x(1).toFixed(1)}" y2="${height - 36}" stroke="#000" stroke-width="1.5"/>`,
    `<text x="${x(1).toFixed(1)}" y="${top - 14}" text-anchor="middle" font-weight="bold">1.0x</text>`,
    `<text x="10" y="${height - 6}" fill="#555">↑ higher is better, ↓ lower is better · green: target met, red: missed, grey: no target · dashed: target</text>`,
    '</svg>');
  return parts.join('\n') + '\n';
}

function git(repoRoot: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return '';
  }
}

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('bench/run: no package.json above this file');
    dir = parent;
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const repoRoot = findRepoRoot();
  const timing = flags.quick
    ? { warmupSec: 0.5, durationSec: 2, settleSec: 1, roundtripSec: 1, connections: 2000 }
    : { warmupSec: 2, durationSec: 10, settleSec: 3, roundtripSec: 3, connections: 10_000 };
  const cases = CASES.filter((c) => flags.only === null || flags.only.includes(c.id) || flags.only.includes(c.scenario));
  const plan: Array<{ benchCase: BenchCase; server: 'redis' | 'ringcast'; workers: number | null }> = [];
  for (const benchCase of cases) {
    plan.push({ benchCase, server: 'redis', workers: null });
    for (const workers of benchCase.scaling ? flags.workers : [1]) plan.push({ benchCase, server: 'ringcast', workers });
  }
  const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const runStartedMs = Date.now();
  console.log(`ringcast bench: ${plan.length} runs, ${flags.quick ? 'quick' : 'full'} (warm-up ${timing.warmupSec} s, window ${timing.durationSec} s), ` +
    `redis-server ${redisVersion}, ${coreCount()} cores (${cpuModel()})`);

  const records: RunRecord[] = [];
  for (const [i, step] of plan.entries()) {
    const { benchCase } = step;
    const scenario = findScenario(benchCase.scenario)!;
    const params: ScenarioParams = { ...scenario.params, ...benchCase.overrides };
    if (params.idle) params.subscribers = params.channels = timing.connections;
    const serverLabel = step.server === 'redis' ? 'redis' : `ringcast w${step.workers}`;
    const label = `[${i + 1}/${plan.length} ${benchCase.id} ${serverLabel}]`;
    let server: ServerHandle | null = null;
    const record: RunRecord = { benchCase, server: step.server, workers: step.workers, result: null, error: null };
    try {
      server = step.server === 'redis' ? await startRedis() : await startRingcast(repoRoot, step.workers!);
      record.result = await runScenario({
        host: HOST, port: server.port, scenario, params,
        warmupSec: timing.warmupSec, durationSec: params.roundtrip ? timing.roundtripSec : timing.durationSec,
        settleSec: timing.settleSec, processes: 'auto', resp: 2, serverPid: server.pid,
        onProgress: progressPrinter(label),
      });
      if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
      console.log(`${label} ${runSummary(record.result)}`);
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
      if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
      console.log(`${label} FAILED: ${record.error}`);
    } finally {
      await server?.stop();
    }
    records.push(record);
  }

  const rows = ratioRows(records, flags.workers);
  const commit = git(repoRoot, ['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = git(repoRoot, ['status', '--porcelain', '--untracked-files=no']) !== '';
  const ringcastVersion = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version as string;
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const minutes = ((Date.now() - runStartedMs) / 60_000).toFixed(1);
  const kind = flags.quick ? 'quick run' : 'full run';
  const machine = `${cpuModel()}, ${coreCount()} cores · Node ${process.version} · redis-server ${redisVersion} · ringcast ${ringcastVersion} · ` +
    `commit ${commit}${dirty ? ' (with uncommitted changes)' : ''}`;
  const ratios = ratioTable(rows);
  const details = detailTable(records);
  const section = [
    `## ${date} — ${kind}${flags.only === null ? '' : ` (${flags.only.join(', ')})`}`,
    '',
    machine,
    '',
    `Warm-up ${timing.warmupSec} s and window ${timing.durationSec} s per run (round trip: tinybench for ${timing.roundtripSec} s); ` +
      `ringcast at 1 worker except the scaling rows; connections scenario at ${timing.connections.toLocaleString('en-US')} connections; ` +
      `took ${minutes} min. Ratio = ringcast / redis.`,
    '',
    ratios,
    '',
    '<details><summary>Every run</summary>',
    '',
    details,
    '',
    '</details>',
    '',
  ].join('\n');

  const resultsPath = path.join(repoRoot, 'bench', 'RESULTS.md');
  if (!existsSync(resultsPath)) {
    writeFileSync(resultsPath, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.ts), newest last. Each section is one run: ringcast and ' +
      'redis-server on the same machine, one after the other. On a small shared machine the absolute numbers are noise; the ratios ' +
      'within one run are the figures to read. CPU columns are % of one core.\n\n');
  }
  appendFileSync(resultsPath, section + '\n');
  writeFileSync(path.join(repoRoot, 'bench', 'results-latest.svg'), ratioChart(rows, `${date} · ${kind} · ${cpuModel()}, ${coreCount()} cores · commit ${commit}${dirty ? '+' : ''}`));

  console.log(`\n${machine}\n\n${ratios}\n\n${details}\n`);
  console.log(`Appended to bench/RESULTS.md; chart in bench/results-latest.svg (${minutes} min).`);
  if (records.some((r) => r.result === null)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
