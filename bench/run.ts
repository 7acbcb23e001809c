/**
 * `npm run bench`: every scenario against ringcast and against a baseline, one after the other in
 * one run, with the ratio ringcast/baseline for each headline metric. The baseline is redis-server,
 * except for the WebSocket fan-out, which Redis cannot serve: there it is a bare uWebSockets.js app
 * (bench/e2e/bare-uws-server.ts, the ceiling: uWS's own publish with no broker logic). Appends the
 * run to bench/RESULTS.md (date, CPU model, cores, Node version, commit) and draws the ratios into
 * bench/results-latest.svg.
 *
 *   this process (coordinator) ──fork──▶ generator processes ──RESP/TCP──▶ server under test
 *                                        (src/loadgen)       (──WebSocket   redis-server or bare
 *                                                             subscribers    uWS, then ringcast
 *                                                             in wsfanout)   --workers W
 *
 * For each case: start the baseline (free loopback ports), run, stop; then for each ringcast worker
 * count: start `node dist/src/cli.js --port 0 --http-port 0 --workers W`, run, stop. Persistence is
 * off on both sides (`--appendonly no` for ringcast, whose default is yes; `--save '' --appendonly
 * no` for redis) except in the recipe case, where both log every write with `--appendonly yes
 * --appendfsync everysec` into a fresh temporary --dir, deleted after the run (the detail table
 * notes how many bytes each wrote). ringcast runs as `npm start` would (`--workers auto`: the
 * partition on the main thread on 2 cores); worker scaling (fanout and rooms at --workers 0,1,2,4,
 * 0 being the in-thread partition) compares each ringcast count with the same baseline figure. Each case runs twice by default, interleaved (redis, ringcast, redis, ringcast) so drift
 * on a shared machine hits both sides; the ratio table uses the medians, the detail table lists
 * every run. Absolute numbers on a small shared machine are noise; the ratios are the figures to read.
 *
 * Flags: --quick (short windows, one repeat, ~2 minutes), --repeat n, --scenario a,b (scenario or
 * case names), --workers 0,1,2,4 (ringcast worker counts for the scaling cases; 0 = in-thread).
 * Run: npm run bench [-- --quick]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runScenario, type Progress } from '../src/loadgen/coordinator.js';
import { coreCount, cpuModel } from '../src/loadgen/proc-stats.js';
import type { BenchResult } from '../src/loadgen/result.js';
import { findScenario, type ScenarioParams } from '../src/loadgen/scenarios.js';
import { identifyServer, serverCommand } from '../src/loadgen/server-query.js';
import { autoWorkerCount } from '../src/config.js';

const HOST = '127.0.0.1';
const SERVER_READY_TIMEOUT_MS = 15_000;
const SERVER_STOP_GRACE_MS = 5_000;
const MAX_CLIENTS = '11000';
const LISTENING_LINE = /RESP listening on [\d.]+:(\d+)/;
const WS_LISTENING_LINE = /WebSocket listening on [\d.]+:(\d+)/;
const DEFAULT_SCALING_WORKERS = [0, 1, 2, 4];
const LOG_PROGRESS_EVERY_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Cases and metrics

interface Metric {
  name: string;
  unit: string;
  higherIsBetter: boolean;
  pick(r: BenchResult): number | null;
  /** The ratio ringcast/baseline the issue asks for: >= for higher-is-better, <= otherwise. */
  target?: number;
}

/** What ringcast is compared with: redis-server, or the bare uWebSockets.js ceiling (bench/e2e). */
type Baseline = 'redis' | 'bare-uws';
type ServerKind = Baseline | 'ringcast';

const BASELINE_NAMES: Record<Baseline, string> = { redis: 'redis', 'bare-uws': 'bare uWS' };

interface BenchCase {
  id: string;
  scenario: string;
  label: string;
  overrides: Partial<ScenarioParams>;
  /** Runs ringcast at every --workers count (worker scaling); otherwise at `--workers auto`'s. */
  scaling: boolean;
  metrics: Metric[];
  /** Default redis. */
  baseline?: Baseline;
  /** Both servers log every write (appendonly yes, appendfsync everysec); default off on both. */
  appendOnly?: boolean;
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
  // Throughput only, as for fan-out: at saturation both servers queue deeply in uWS's per-socket
  // backpressure buffers, so latency measures queue depth (flagged D), not service.
  { id: 'wsfanout', scenario: 'wsfanout', label: '8. WebSocket fan-out 1 -> 1000', overrides: {}, scaling: false, baseline: 'bare-uws',
    metrics: [deliveredPerSec] },
  { id: 'recipe', scenario: 'recipe', label: '9. backlog recipe 1 -> 10, AOF everysec', overrides: {}, scaling: false, appendOnly: true,
    metrics: [{ name: 'transactions/s', unit: '/s', higherIsBetter: true, pick: (r) => r.throughput.publishedPerSec }, latency('p99', 'p99Us')] },
];

// ---------------------------------------------------------------------------------------------
// Flags

interface RunFlags {
  quick: boolean;
  /** Runs of each (case, server); the tables show the median. null: 2 for a full run, 1 for --quick. */
  repeat: number | null;
  only: string[] | null;
  workers: number[];
}

function parseFlags(argv: string[]): RunFlags {
  const flags: RunFlags = { quick: false, repeat: null, only: null, workers: DEFAULT_SCALING_WORKERS };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (name === '--quick') flags.quick = true;
    else if (name === '--repeat') {
      flags.repeat = Number(value());
      if (!Number.isInteger(flags.repeat) || flags.repeat < 1 || flags.repeat > 10) throw new Error('--repeat takes 1..10');
    } else if (name === '--scenario') flags.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (name === '--workers') {
      flags.workers = value().split(',').map((s) => Number(s.trim()));
      if (flags.workers.some((w) => !Number.isInteger(w) || w < 0 || w > 64)) throw new Error('--workers takes a list like 0,1,2,4');
    } else if (name === '--help') {
      console.log('npm run bench -- [--quick] [--repeat n] [--scenario name[,name...]] [--workers 0,1,2,4]\n' +
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
  kind: ServerKind;
  workers: number | null;
  port: number;
  /** The WebSocket endpoint (ringcast, bare uWS); null for redis. */
  wsUrl: string | null;
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

/**
 * Starts a Node server that prints "RESP listening on <host>:<port>" and "WebSocket listening on
 * <host>:<port>" (ringcast's cli.js, bench/e2e/bare-uws-server.js) and resolves once both are out.
 */
async function startNodeServer(kind: 'ringcast' | 'bare-uws', workers: number | null, args: string[]): Promise<ServerHandle> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(proc);
  let output = '';
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => { output += text; });
  const ports = await new Promise<{ port: number; httpPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start within ${SERVER_READY_TIMEOUT_MS} ms:\n${output}`)), SERVER_READY_TIMEOUT_MS);
    proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const resp = LISTENING_LINE.exec(output);
      const ws = WS_LISTENING_LINE.exec(output);
      if (resp !== null && ws !== null) {
        clearTimeout(timer);
        resolve({ port: Number(resp[1]), httpPort: Number(ws[1]) });
      }
    });
    void exited.then(() => reject(new Error(`${kind} exited before listening:\n${output}`)));
  }).catch(async (err) => {
    await stopServer(proc, exited);
    throw err;
  });
  return {
    kind, workers, port: ports.port, wsUrl: `ws://${HOST}:${ports.httpPort}/ws`, pid: proc.pid!, stop: () => stopServer(proc, exited),
  };
}

/** ringcast at `workers` partitions; `aofDir` null: no persistence (`--appendonly no`, ringcast's default is yes). */
function startRingcast(repoRoot: string, workers: number, aofDir: string | null): Promise<ServerHandle> {
  const persistence = aofDir === null ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', aofDir];
  return startNodeServer('ringcast', workers, [
    path.join(repoRoot, 'dist', 'src', 'cli.js'), '--port', '0', '--http-port', '0', '--bind', HOST, '--workers', String(workers),
    '--maxclients', MAX_CLIENTS, ...persistence,
  ]);
}

/** The WebSocket fan-out ceiling: bench/e2e/bare-uws-server.ts (no broker logic, see its header). */
function startBareUws(repoRoot: string): Promise<ServerHandle> {
  return startNodeServer('bare-uws', null, [
    path.join(repoRoot, 'dist', 'bench', 'e2e', 'bare-uws-server.js'), '--port', '0', '--http-port', '0', '--bind', HOST,
  ]);
}

/** redis-server with RDB snapshots off; `aofDir` null: no AOF either. */
async function startRedis(aofDir: string | null): Promise<ServerHandle> {
  const port = await freePort();
  const persistence = aofDir === null ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', aofDir];
  const args = ['--port', String(port), '--bind', HOST, '--save', '', ...persistence, '--daemonize', 'no', '--maxclients', MAX_CLIENTS];
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
      return { kind: 'redis', workers: null, port, wsUrl: null, pid: proc.pid!, stop: () => stopServer(proc, exited) };
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
  server: ServerKind;
  workers: number | null;
  /** Which repeat of its (case, server) pair, from 1. */
  rep: number;
  result: BenchResult | null;
  error: string | null;
}

/** On a terminal: one line, rewritten each second. Otherwise (a log): a line per phase and every 5 s. */
function progressPrinter(label: string): (p: Progress) => void {
  let lastPhase = '';
  let lastLoggedMs = 0;
  return (p) => {
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const clock = p.phaseSec > 0 ? `${p.elapsedSec.toFixed(0)}/${p.phaseSec}s` : `${p.elapsedSec.toFixed(0)}s`;
    const line = p.phase === 'setup'
      ? `${label} connecting and subscribing...`
      : `${label} ${p.phase} ${clock}: ${fmt(p.deliveredPerSec)} delivered/s, ${fmt(p.publishedPerSec)} PUBLISH/s, ` +
        `busiest generator ${fmt(p.generatorCpuMaxPercent)}% CPU, server ${p.serverCpuPercent === null ? 'n/a' : fmt(p.serverCpuPercent)}% CPU`;
    if (process.stdout.isTTY) {
      process.stdout.write(`\r\x1b[K${line}`);
    } else if (p.phase !== lastPhase || Date.now() - lastLoggedMs >= LOG_PROGRESS_EVERY_MS) {
      console.log(line);
      lastPhase = p.phase;
      lastLoggedMs = Date.now();
    }
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
  baselineKind: Baseline;
  ringcast: number | null;
  baseline: number | null;
  ratio: number | null;
  met: boolean | null;
  /** Conditions that make a side's figure a limit of the set-up rather than of the server (see CAVEAT_LEGEND). */
  caveats: string;
}

const CEILING_NOTE = 'Redis has no WebSocket endpoint, so the WebSocket fan-out is compared with a bare uWebSockets.js app ' +
  '(bench/e2e/bare-uws-server.ts: uWS\'s own publish, no broker logic) in the same run: the ceiling, not a competitor.';

const CAVEAT_LEGEND = 'Caveats: **G** generator-bound (a generator process used over 90% of a core: the server may be faster than ' +
  'shown), **D** delivery-bound (median latency over 50 ms: subscriber reads or server writes set the pace, not PUBLISH handling), ' +
  '**X** other processes on the machine used over 20% of a core during the window; "1/2" = in one run of two.';

/** Compact caveat flags for the runs of one side, e.g. "G D 1/2". */
function caveatFlags(runs: RunRecord[]): string {
  const results = runs.map((r) => r.result).filter((r): r is BenchResult => r !== null);
  const flag = (letter: string, test: (r: BenchResult) => boolean): string => {
    const hits = results.filter(test).length;
    return hits === 0 ? '' : hits === results.length ? letter : `${letter} ${hits}/${results.length}`;
  };
  return [
    flag('G', (r) => r.cpu.generatorBound),
    flag('D', (r) => r.notes.some((n) => n.startsWith('delivery-bound'))),
    flag('X', (r) => (r.cpu.otherProcessesPercent ?? 0) > 20),
  ].filter(Boolean).join(', ');
}

/** The median of a metric over the repeats of one (case, server) pair; null when no run has it. */
function median(runs: RunRecord[], metric: Metric): number | null {
  const values = runs.map((r) => (r.result === null ? null : metric.pick(r.result))).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** How a scaling row names its ringcast: the in-thread partition, or its worker threads. */
function workersLabel(workers: number): string {
  return workers === 0 ? 'in-thread' : `${workers} worker${workers === 1 ? '' : 's'}`;
}

function ratioRows(records: RunRecord[], workersList: number[]): RatioRow[] {
  const rows: RatioRow[] = [];
  const byCase = new Map<string, RunRecord[]>();
  for (const rec of records) byCase.set(rec.benchCase.id, [...(byCase.get(rec.benchCase.id) ?? []), rec]);
  for (const benchCase of CASES) {
    const recs = byCase.get(benchCase.id);
    if (recs === undefined) continue;
    const baselineKind = benchCase.baseline ?? 'redis';
    const baselineRuns = recs.filter((r) => r.server === baselineKind);
    const workerCounts = [...new Set(recs.filter((r) => r.server === 'ringcast').map((r) => r.workers!))];
    for (const metric of benchCase.metrics) {
      for (const workers of workerCounts) {
        const label = benchCase.scaling && workersList.length > 1 ? `${benchCase.label}, ${workersLabel(workers)}` : benchCase.label;
        const ringcastRuns = recs.filter((r) => r.server === 'ringcast' && r.workers === workers);
        const ringcastValue = median(ringcastRuns, metric);
        const baselineValue = median(baselineRuns, metric);
        const ringcastCaveats = caveatFlags(ringcastRuns);
        const baselineCaveats = caveatFlags(baselineRuns);
        const caveats = [ringcastCaveats && `ringcast: ${ringcastCaveats}`, baselineCaveats && `${BASELINE_NAMES[baselineKind]}: ${baselineCaveats}`]
          .filter(Boolean).join('; ');
        const ratio = ringcastValue !== null && baselineValue !== null && baselineValue > 0 ? ringcastValue / baselineValue : null;
        const met = metric.target === undefined || ratio === null ? null : metric.higherIsBetter ? ratio >= metric.target : ratio <= metric.target;
        rows.push({ label, metric, baselineKind, ringcast: ringcastValue, baseline: baselineValue, ratio, met, caveats });
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

/** The ratio table of the rows compared with one baseline; empty when there are none. */
function ratioTable(rows: RatioRow[], baseline: Baseline): string {
  const name = BASELINE_NAMES[baseline];
  const mine = rows.filter((r) => r.baselineKind === baseline);
  if (mine.length === 0) return '';
  const lines = [
    `| scenario | metric | ringcast | ${name} | ringcast/${name} | target | met | caveats |`,
    '|---|---|--:|--:|--:|---|---|---|',
  ];
  for (const row of mine) {
    const target = row.metric.target === undefined ? '' : `${row.metric.higherIsBetter ? '>=' : '<='} ${row.metric.target.toFixed(1)}x`;
    const met = row.met === null ? '' : row.met ? 'yes' : '**no**';
    lines.push(`| ${row.label} | ${row.metric.name} | ${fmtValue(row.ringcast, row.metric.unit)} | ${fmtValue(row.baseline, row.metric.unit)} | ` +
      `${row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}x`} | ${target} | ${met} | ${row.caveats} |`);
  }
  return lines.join('\n');
}

function detailTable(records: RunRecord[]): string {
  const repeated = records.some((r) => r.rep > 1);
  const fmt = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
  const lines = [
    '| run | server | delivered/s | MB/s | p50 µs | p99 µs | p99.9 µs | max µs | server CPU % | generator CPU % (busiest process) | machine busy % | held % | integrity | notes |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|',
  ];
  for (const rec of records) {
    const r = rec.result;
    const server = `${rec.server === 'ringcast' ? `ringcast w${rec.workers}` : BASELINE_NAMES[rec.server]}${repeated ? ` #${rec.rep}` : ''}`;
    if (r === null) {
      lines.push(`| ${rec.benchCase.id} | ${server} | | | | | | | | | | | run failed | ${rec.error?.replace(/\|/g, '/').replace(/\n/g, ' ')} |`);
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
      `${fmt(r.cpu.serverPercent)} | ${fmt(r.cpu.generatorPercent)} (${fmt(busiest)}) | ${fmt(r.cpu.machineBusyPercent)} | ` +
      `${fmt(r.flowControl.pausedPercent)} | ${integrityText(r)} | ` +
      `${notes.join('; ').replace(/\|/g, '/')} |`);
  }
  return lines.join('\n');
}

/** Horizontal bars of ringcast/baseline on a log scale around a 1.0x line; green = target met, red = missed. */
function ratioChart(rows: RatioRow[], caption: string): string {
  const plotted = rows.filter((r) => r.ratio !== null && r.ratio > 0);
  const rowHeight = 24;
  const labelWidth = 330;
  const plotWidth = 460;
  const valueWidth = 330;
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
    `<text x="10" y="20" font-size="14" font-weight="bold">ringcast / redis-server (WebSocket rows: / bare uWebSockets.js), same machine, same run (log scale)</text>`,
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
    const versus = row.baselineKind === 'redis' ? '' : ` vs ${BASELINE_NAMES[row.baselineKind]}`;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${esc(`${row.label}${versus} · ${row.metric.name} ${arrow}`)}</text>`,
      `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowHeight - 8}" fill="${color}"/>`);
    if (row.metric.target !== undefined) {
      const xt = x(row.metric.target);
      parts.push(`<line x1="${xt.toFixed(1)}" y1="${y + 1}" x2="${xt.toFixed(1)}" y2="${y + rowHeight - 1}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`);
    }
    const target = row.metric.target === undefined ? '' : ` (target ${row.metric.higherIsBetter ? '≥' : '≤'} ${row.metric.target}x)`;
    parts.push(`<text x="${labelWidth + plotWidth + 6}" y="${y + 16}">${esc(`${ratio.toFixed(2)}x${target}`)}` +
      `${row.caveats === '' ? '' : `<tspan fill="#b36b00"> ${esc(row.caveats)}</tspan>`}</text>`);
  });
  parts.push(`<line x1="${x(1).toFixed(1)}" y1="${top - 10}" x2="${x(1).toFixed(1)}" y2="${height - 36}" stroke="#000" stroke-width="1.5"/>`,
    `<text x="${x(1).toFixed(1)}" y="${top - 14}" text-anchor="middle" font-weight="bold">1.0x</text>`,
    `<text x="10" y="${height - 6}" fill="#555">↑ higher is better, ↓ lower is better · green: target met, red: missed, grey: no target · ` +
      'dashed: target · G generator-bound, D delivery-bound, X other load (see bench/RESULTS.md)</text>',
    '</svg>');
  return parts.join('\n') + '\n';
}

/** Bytes of every file under `dir` (the AOF directory after a persistent run). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? treeBytes(full) : statSync(full).size;
  }
  return total;
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
  const repeat = flags.repeat ?? (flags.quick ? 1 : 2);
  // Repeats interleave (baseline, ringcast..., baseline, ringcast...) so drift on the machine hits both sides.
  const plan: Array<{ benchCase: BenchCase; server: ServerKind; workers: number | null; rep: number }> = [];
  for (const benchCase of cases) {
    for (let rep = 1; rep <= repeat; rep++) {
      plan.push({ benchCase, server: benchCase.baseline ?? 'redis', workers: null, rep });
      for (const workers of benchCase.scaling ? flags.workers : [autoWorkerCount()]) plan.push({ benchCase, server: 'ringcast', workers, rep });
    }
  }
  const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const runStartedMs = Date.now();
  console.log(`ringcast bench: ${plan.length} runs, ${flags.quick ? 'quick' : 'full'} (warm-up ${timing.warmupSec} s, window ${timing.durationSec} s, ` +
    `each case ${repeat}x), ` +
    `redis-server ${redisVersion}, ${coreCount()} cores (${cpuModel()})`);

  const records: RunRecord[] = [];
  for (const [i, step] of plan.entries()) {
    const { benchCase } = step;
    const scenario = findScenario(benchCase.scenario)!;
    const params: ScenarioParams = { ...scenario.params, ...benchCase.overrides };
    if (params.idle) params.subscribers = params.channels = timing.connections;
    const serverLabel = `${step.server === 'ringcast' ? `ringcast w${step.workers}` : BASELINE_NAMES[step.server]}${repeat > 1 ? ` #${step.rep}` : ''}`;
    const label = `[${i + 1}/${plan.length} ${benchCase.id} ${serverLabel}]`;
    let server: ServerHandle | null = null;
    const record: RunRecord = { benchCase, server: step.server, workers: step.workers, rep: step.rep, result: null, error: null };
    const aofDir = benchCase.appendOnly ? mkdtempSync(path.join(os.tmpdir(), `ringcast-bench-${step.server}-`)) : null;
    try {
      server = step.server === 'redis' ? await startRedis(aofDir)
        : step.server === 'bare-uws' ? await startBareUws(repoRoot)
          : await startRingcast(repoRoot, step.workers!, aofDir);
      record.result = await runScenario({
        host: HOST, port: server.port, wsUrl: server.wsUrl, scenario, params,
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
    if (aofDir !== null) {
      // Whether the log was really written (a server that ignored --appendonly has no file at all).
      // It is the size left at the end: both servers rewrite automatically past 64 MB, so a long
      // run can end just after a rewrite with a small file.
      record.result?.notes.unshift(`appendonly everysec: ${(treeBytes(aofDir) / 1048576).toFixed(1)} MiB of AOF on disk at the end (automatic rewrites compact it)`);
      rmSync(aofDir, { recursive: true, force: true });
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
  const ratios = ratioTable(rows, 'redis');
  const ceiling = ratioTable(rows, 'bare-uws');
  const ratioTables = ceiling === '' ? ratios : `${ratios}\n\n${CEILING_NOTE}\n\n${ceiling}`;
  const details = detailTable(records);
  const section = [
    `## ${date} — ${kind}${flags.only === null ? '' : ` (${flags.only.join(', ')})`}`,
    '',
    machine,
    '',
    `Warm-up ${timing.warmupSec} s and window ${timing.durationSec} s per run (round trip: tinybench for ${timing.roundtripSec} s); ` +
      `each case run ${repeat}x, interleaved, and the ratio table shows medians; ` +
      `ringcast at --workers auto (${workersLabel(autoWorkerCount())} here) except the scaling rows; connections scenario at ${timing.connections.toLocaleString('en-US')} connections; ` +
      `took ${minutes} min. Ratio = ringcast / redis (WebSocket fan-out: ringcast / bare uWS). Persistence off on both sides except ` +
      'the recipe (appendonly everysec on both). CPU in % of one core; "held %" = share of the window the publishers were paused ' +
      'because deliveries lagged the PUBLISH replies by more than 4 MiB per subscriber.',
    '',
    ratioTables,
    '',
    CAVEAT_LEGEND,
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

  console.log(`\n${machine}\n\n${ratioTables}\n\n${CAVEAT_LEGEND}\n\n${details}\n`);
  console.log(`Appended to bench/RESULTS.md; chart in bench/results-latest.svg (${minutes} min).`);
  if (records.some((r) => r.result === null)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
