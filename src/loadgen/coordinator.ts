/**
 * Runs one scenario against one RESP server (coordinator side: the `ringcast bench` process, or
 * `npm run bench`). It forks the generator processes (worker-process.ts), gives each its share of
 * the connections, drives the phases of ipc.ts, samples the server's CPU and memory from /proc,
 * and merges what the processes report into one BenchResult.
 *
 *   set-up ─▶ warm-up ─▶ measurement window ─▶ stop (read every PUBLISH reply) ─▶ drain ─▶ tally
 *             (not counted)  [mark start, mark end]                              (deliveries reach
 *                                                                                 the replies' sum)
 *
 * Process layout: publishers in their own process(es), subscribers spread round-robin over the
 * others, so the subscriber side (which parses fan-out × the publish rate) can use several cores.
 * The default is 1 publisher process + clamp(cores - 1, 2, 4) subscriber processes (fewer when
 * there are fewer subscribers); roundtrip runs in one process.
 *
 * Delivery-lag guard: the PUBLISH window bounds what the server holds of the publishers' input,
 * not what it holds for subscribers. When deliveries fall behind the replies' sum by more than
 * LAG_BYTES_PER_SUBSCRIBER per subscriber, publishers are paused until the lag halves, so a slow
 * subscriber side never trips the server's client-output-buffer-limit. The time spent paused is
 * reported: it means the delivery side, not PUBLISH handling, set the pace.
 *
 * Subscribers reach the server over RESP/TCP or, with subscriberTransport 'ws', over WebSocket at
 * `wsUrl` (ws-client.ts); publishers always use RESP/TCP at host:port, so one server can be driven
 * on both endpoints at once.
 *
 * Invariants: every child is killed when the run ends, fails, or this process exits; every wait
 * is bounded; a generator process failing fails the run with its message.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from './histogram.js';
import { addIntegrityCounts, emptyIntegrityCounts } from './integrity.js';
import type { CoordinatorMessage, GeneratorMessage, PlanMessage, ProcessResult, ProgressCounters, SubscriberPlan } from './ipc.js';
import { sharedClockOffsetUs } from './payload.js';
import { coreCount, machineBusyPercent, machineCpu, processCpuMs, processRssBytes } from './proc-stats.js';
import { GENERATOR_BOUND_PERCENT, type BenchResult } from './result.js';
import { MATCH_ALL_PATTERN, type ScenarioDefinition, type ScenarioParams } from './scenarios.js';
import { identifyServer } from './server-query.js';
import { parseWsUrl } from './ws-client.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.js', import.meta.url));
const POLL_MS = 20;
const PROGRESS_REPORT_MS = 1000;
const SETUP_BASE_TIMEOUT_MS = 30_000;
const SETUP_PER_CONNECTION_MS = 5;
const STOP_TIMEOUT_MS = 30_000;
const DRAIN_STALL_MS = 3_000;
const DRAIN_MAX_MS = 60_000;
const RESULT_TIMEOUT_MS = 30_000;
const EXIT_GRACE_MS = 5_000;
const LAG_BYTES_PER_SUBSCRIBER = 4 * 1024 * 1024;
// Bytes of a `message` frame around the payload, roughly: for the lag guard, not for accounting.
const FRAME_OVERHEAD_BYTES = 40;
// Subscribers parse fan-out × the publish rate: they get at least two processes, so a server that
// leaves part of its core idle does not leave the generator stuck on one (fan-out against redis on
// 2 cores saturates a single subscriber process at about 0.3 µs per delivery).
const MIN_SUBSCRIBER_PROCESSES = 2;
const MAX_SUBSCRIBER_PROCESSES = 4;
const CLOCK_SKEW_WARN_US = 50;
const MACHINE_SATURATED_PERCENT = 95;
const PAUSED_NOTE_PERCENT = 1;
const OTHER_LOAD_NOTE_PERCENT = 20;
const QUEUED_NOTE_US = 50_000;

export type Phase = 'setup' | 'warmup' | 'measure' | 'drain' | 'settle' | 'roundtrip';

export interface Progress {
  scenario: string;
  phase: Phase;
  /** Seconds into the phase, and its planned length (0 when open-ended). */
  elapsedSec: number;
  phaseSec: number;
  deliveredPerSec: number;
  publishedPerSec: number;
  /** The busiest generator process over the last interval, in % of one core. */
  generatorCpuMaxPercent: number;
  serverCpuPercent: number | null;
}

export interface RunOptions {
  host: string;
  port: number;
  scenario: ScenarioDefinition;
  /** The scenario's params with any overrides applied. */
  params: ScenarioParams;
  warmupSec: number;
  durationSec: number;
  /** Generator processes; 'auto' = see the header. */
  processes: number | 'auto';
  resp: 2 | 3;
  /** WebSocket endpoint for subscribers (`ws://host:port/ws`); required when params.subscriberTransport is 'ws'. */
  wsUrl: string | null;
  /** Process to sample for CPU and RSS: a pid, 'auto' (INFO server process_id, if it is on this machine) or null. */
  serverPid: number | 'auto' | null;
  /** Connections scenario: how long to let the server settle before reading its RSS. */
  settleSec: number;
  onProgress?: (progress: Progress) => void;
}

interface Child {
  index: number;
  role: string;
  connections: number;
  hostsPublishers: boolean;
  proc: ChildProcess;
  ready: boolean;
  clockOffsetUs: number;
  latest: ProgressCounters | null;
  stoppedSeqs: Array<[number, number[]]> | null;
  result: ProcessResult | null;
  exited: Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLiveChildren(): void {
  for (const proc of liveChildren) proc.kill('SIGKILL');
}

/** Splits the scenario's connections over generator processes (see the header). */
export function planProcesses(params: ScenarioParams, processes: number | 'auto'): Array<Omit<PlanMessage, 'type' | 'processIndex' | 'host' | 'port' | 'resp' | 'wsUrl' | 'roundtripTimeMs' | 'setupTimeoutMs'>> {
  const total = processes === 'auto'
    ? (params.roundtrip ? 1 : 1 + Math.max(MIN_SUBSCRIBER_PROCESSES, Math.min(MAX_SUBSCRIBER_PROCESSES, coreCount() - 1)))
    : Math.max(1, processes);
  const subscriberPlans: SubscriberPlan[] = [];
  for (let i = 0; i < params.subscribers; i++) {
    if (params.subscribeMode === 'pattern') {
      subscriberPlans.push({ channels: [], pattern: MATCH_ALL_PATTERN });
    } else if (params.subscribers >= params.channels) {
      subscriberPlans.push({ channels: [i % params.channels], pattern: null });
    } else {
      // Fewer subscribers than channels: subscriber i takes every channel c with c % subscribers == i.
      const channels: number[] = [];
      for (let c = i; c < params.channels; c += params.subscribers) channels.push(c);
      subscriberPlans.push({ channels, pattern: null });
    }
  }
  const publisherProcesses = params.publishers === 0 || total === 1 ? 0 : Math.min(params.publishers, Math.max(1, Math.floor(total / 4)));
  const subscriberProcesses = Math.max(1, Math.min(total - publisherProcesses, params.subscribers));
  const common = {
    publisherCount: params.publishers,
    channelCount: params.channels,
    payloadBytes: params.payloadBytes,
    window: params.window,
    ratePerPublisher: params.ratePerSec > 0 && params.publishers > 0 ? params.ratePerSec / params.publishers : 0,
    subscriberTransport: params.subscriberTransport,
    publishMode: params.publishMode,
  };
  const plans = Array.from({ length: publisherProcesses + subscriberProcesses }, () => ({
    ...common, publishers: [] as number[], subscribers: [] as SubscriberPlan[], nonMatchingPatterns: 0,
  }));
  for (let p = 0; p < params.publishers; p++) {
    plans[publisherProcesses === 0 ? 0 : p % publisherProcesses].publishers.push(p);
  }
  subscriberPlans.forEach((sub, i) => plans[publisherProcesses + (i % subscriberProcesses)].subscribers.push(sub));
  plans[publisherProcesses].nonMatchingPatterns = params.nonMatchingPatterns;
  return plans;
}

function roleOf(plan: { publishers: number[]; subscribers: SubscriberPlan[]; nonMatchingPatterns: number }): string {
  const parts: string[] = [];
  if (plan.publishers.length > 0) parts.push(`${plan.publishers.length} pub`);
  if (plan.subscribers.length > 0) parts.push(`${plan.subscribers.length} sub`);
  if (plan.nonMatchingPatterns > 0) parts.push('pattern holder');
  return parts.join(' + ');
}

function sumCounters(children: Child[], pick: (c: Child) => ProgressCounters | null): ProgressCounters {
  const sum: ProgressCounters = { published: 0, replies: 0, replySum: 0, delivered: 0, deliveredPayloadBytes: 0, cpuUserUs: 0, cpuSystemUs: 0 };
  for (const child of children) {
    const c = pick(child);
    if (c === null) continue;
    sum.published += c.published;
    sum.replies += c.replies;
    sum.replySum += c.replySum;
    sum.delivered += c.delivered;
    sum.deliveredPayloadBytes += c.deliveredPayloadBytes;
    sum.cpuUserUs += c.cpuUserUs;
    sum.cpuSystemUs += c.cpuSystemUs;
  }
  return sum;
}

const cpuUs = (c: ProgressCounters): number => c.cpuUserUs + c.cpuSystemUs;

export async function runScenario(options: RunOptions): Promise<BenchResult> {
  const { params, scenario } = options;
  const startedAt = new Date().toISOString();
  if (params.subscriberTransport === 'ws') {
    if (options.wsUrl === null) throw new Error(`${scenario.name}: WebSocket subscribers need the server's WebSocket URL (--url ws://host:port/ws)`);
    parseWsUrl(options.wsUrl);
  }
  const identity = await identifyServer(options.host, options.port);
  const serverPid = resolveServerPid(options.serverPid, identity.pid, options.host);
  const rssBefore = serverPid === null ? null : processRssBytes(serverPid);

  const layouts = planProcesses(params, options.processes);
  const connectionTotal = params.publishers + params.subscribers + (params.nonMatchingPatterns > 0 ? 1 : 0);
  const setupTimeoutMs = SETUP_BASE_TIMEOUT_MS + SETUP_PER_CONNECTION_MS * connectionTotal;
  const children: Child[] = [];
  let fatal: Error | null = null;
  let paused = false;
  const progress = (phase: Phase, elapsedSec: number, phaseSec: number, rates: Omit<Progress, 'scenario' | 'phase' | 'elapsedSec' | 'phaseSec'>): void =>
    options.onProgress?.({ scenario: scenario.name, phase, elapsedSec, phaseSec, ...rates });

  const frameBytes = params.payloadBytes + FRAME_OVERHEAD_BYTES;
  const lagLimit = params.subscribers * Math.max(params.window, Math.floor(LAG_BYTES_PER_SUBSCRIBER / frameBytes));
  let guardActive = false;
  const guardLag = (): void => {
    if (!guardActive) return;
    const totals = sumCounters(children, (c) => c.latest);
    const lag = totals.replySum - totals.delivered;
    if (!paused && lag > lagLimit) paused = true;
    else if (paused && lag < lagLimit / 2) paused = false;
    else return;
    for (const child of children) if (child.hostsPublishers) sendTo(child, { type: paused ? 'pause' : 'resume' });
  };

  if (!exitHookInstalled) {
    process.on('exit', killLiveChildren);
    exitHookInstalled = true;
  }
  try {
    layouts.forEach((layout, index) => {
      const proc = fork(WORKER_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      liveChildren.add(proc);
      const child: Child = {
        index,
        role: roleOf(layout),
        connections: layout.publishers.length + layout.subscribers.length + (layout.nonMatchingPatterns > 0 ? 1 : 0),
        hostsPublishers: layout.publishers.length > 0,
        proc,
        ready: false,
        clockOffsetUs: 0,
        latest: null,
        stoppedSeqs: null,
        result: null,
        exited: new Promise((resolve) => proc.once('exit', () => {
          liveChildren.delete(proc);
          resolve();
        })),
      };
      proc.on('message', (message: GeneratorMessage) => {
        switch (message.type) {
          case 'ready':
            child.ready = true;
            child.clockOffsetUs = message.clockOffsetUs;
            return;
          case 'progress':
            child.latest = message;
            guardLag();
            return;
          case 'stopped':
            child.stoppedSeqs = message.finalSeqs;
            return;
          case 'result':
            child.result = message.result;
            return;
          case 'fatal':
            fatal ??= new Error(`generator process ${index} (${child.role}): ${message.message}`);
            return;
        }
      });
      proc.once('exit', (code, signal) => {
        if (child.result === null) fatal ??= new Error(`generator process ${index} (${child.role}) exited early (code ${code}, signal ${signal})`);
      });
      children.push(child);
      sendTo(child, {
        type: 'plan',
        processIndex: index,
        host: options.host,
        port: options.port,
        resp: options.resp,
        wsUrl: params.subscriberTransport === 'ws' ? options.wsUrl : null,
        roundtripTimeMs: params.roundtrip ? options.durationSec * 1000 : 0,
        setupTimeoutMs,
        ...layout,
      });
    });

    const waitUntil = async (done: () => boolean, timeoutMs: number, what: string): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (fatal !== null) throw fatal;
        if (Date.now() > deadline) throw new Error(`${scenario.name}: ${what} did not happen within ${timeoutMs} ms`);
        await sleep(POLL_MS);
      }
      if (fatal !== null) throw fatal;
    };

    const setupStartMs = Date.now();
    progress('setup', 0, 0, { deliveredPerSec: 0, publishedPerSec: 0, generatorCpuMaxPercent: 0, serverCpuPercent: null });
    await waitUntil(() => children.every((c) => c.ready), setupTimeoutMs, 'connecting and subscribing');
    const setupSec = (Date.now() - setupStartMs) / 1000;

    // Rates over the last interval, for the progress line.
    let lastTotals = sumCounters(children, (c) => c.latest);
    let lastPerChild = children.map((c) => (c.latest === null ? 0 : cpuUs(c.latest)));
    let lastServerCpuMs = serverPid === null ? null : processCpuMs(serverPid);
    let lastReportMs = performance.now();
    const report = (phase: Phase, phaseStartMs: number, phaseSec: number): void => {
      const nowMs = performance.now();
      if (nowMs - lastReportMs < PROGRESS_REPORT_MS) return;
      const seconds = (nowMs - lastReportMs) / 1000;
      const totals = sumCounters(children, (c) => c.latest);
      const perChild = children.map((c) => (c.latest === null ? 0 : cpuUs(c.latest)));
      const serverCpuMs = serverPid === null ? null : processCpuMs(serverPid);
      progress(phase, (nowMs - phaseStartMs) / 1000, phaseSec, {
        deliveredPerSec: (totals.delivered - lastTotals.delivered) / seconds,
        publishedPerSec: (totals.published - lastTotals.published) / seconds,
        generatorCpuMaxPercent: Math.max(0, ...perChild.map((us, i) => (us - lastPerChild[i]) / (seconds * 1e4))),
        serverCpuPercent: serverCpuMs === null || lastServerCpuMs === null ? null : (serverCpuMs - lastServerCpuMs) / (seconds * 10),
      });
      lastTotals = totals;
      lastPerChild = perChild;
      lastServerCpuMs = serverCpuMs;
      lastReportMs = nowMs;
    };
    const runPhase = async (phase: Phase, seconds: number, until?: () => boolean): Promise<void> => {
      const startMs = performance.now();
      const endMs = startMs + seconds * 1000;
      while (until ? !until() : performance.now() < endMs) {
        if (fatal !== null) throw fatal;
        if (until && performance.now() > endMs) throw new Error(`${scenario.name}: ${phase} did not finish within ${seconds} s`);
        await sleep(POLL_MS);
        report(phase, startMs, until ? 0 : seconds);
      }
    };
    const markAll = (phase: 'start' | 'end'): void => {
      for (const child of children) sendTo(child, { type: 'mark', phase });
    };

    let windowStartMs = performance.now();
    let windowEndMs = windowStartMs;
    let serverCpuStart: number | null = null;
    let serverCpuEnd: number | null = null;
    let machineStart = machineCpu();
    let machineEnd = machineStart;
    let coordinatorStart = process.cpuUsage();
    let coordinatorEnd = coordinatorStart;
    const openWindow = (): void => {
      markAll('start');
      windowStartMs = performance.now();
      serverCpuStart = serverPid === null ? null : processCpuMs(serverPid);
      machineStart = machineCpu();
      coordinatorStart = process.cpuUsage();
    };
    const closeWindow = (): void => {
      markAll('end');
      windowEndMs = performance.now();
      serverCpuEnd = serverPid === null ? null : processCpuMs(serverPid);
      machineEnd = machineCpu();
      coordinatorEnd = process.cpuUsage(coordinatorStart);
    };

    let rssAfter: number | null = null;
    if (params.idle) {
      openWindow();
      await runPhase('settle', options.settleSec);
      closeWindow();
      rssAfter = serverPid === null ? null : processRssBytes(serverPid);
      for (const child of children) sendTo(child, { type: 'stop' });
    } else if (params.roundtrip) {
      for (const child of children) sendTo(child, { type: 'start' });
      openWindow();
      await runPhase('roundtrip', options.durationSec * 3 + 30, () => children.every((c) => c.stoppedSeqs !== null));
      closeWindow();
    } else {
      guardActive = true;
      for (const child of children) sendTo(child, { type: 'start' });
      await runPhase('warmup', options.warmupSec);
      openWindow();
      await runPhase('measure', options.durationSec);
      closeWindow();
      guardActive = false;
      if (paused) for (const child of children) if (child.hostsPublishers) sendTo(child, { type: 'resume' });
      for (const child of children) sendTo(child, { type: 'stop' });
    }
    await waitUntil(() => children.every((c) => c.stoppedSeqs !== null), STOP_TIMEOUT_MS, 'reading every PUBLISH reply after stop');

    // Drain: the replies' sum is what the server promised to deliver; wait for it (or a stall).
    let drainedBy = 0;
    let lastChangeMs = Date.now();
    let lastDelivered = -1;
    const drainStartMs = Date.now();
    await runPhase('drain', DRAIN_MAX_MS / 1000, () => {
      const totals = sumCounters(children, (c) => c.latest);
      if (totals.delivered !== lastDelivered) {
        lastDelivered = totals.delivered;
        lastChangeMs = Date.now();
      }
      drainedBy = Date.now() - drainStartMs;
      return (totals.delivered >= totals.replySum && totals.replies >= totals.published) || Date.now() - lastChangeMs > DRAIN_STALL_MS;
    });
    // One more progress interval, so the counters read above are the final ones.
    await sleep(2 * POLL_MS + 50);

    const finalSeqs = new Array<number>(params.publishers * params.channels).fill(0);
    for (const child of children) {
      for (const [publisher, seqs] of child.stoppedSeqs!) {
        seqs.forEach((seq, channel) => { finalSeqs[publisher * params.channels + channel] = seq; });
      }
    }
    for (const child of children) sendTo(child, { type: 'finish', finalSeqs });
    await waitUntil(() => children.every((c) => c.result !== null), RESULT_TIMEOUT_MS, 'collecting results');

    return buildResult({
      options, startedAt, identity: identity.name, serverPid, children,
      windowSec: (windowEndMs - windowStartMs) / 1000,
      serverCpuMs: serverCpuStart !== null && serverCpuEnd !== null ? serverCpuEnd - serverCpuStart : null,
      machineBusy: machineBusyPercent(machineStart, machineEnd),
      coordinatorCpuUs: coordinatorEnd.user + coordinatorEnd.system,
      rssBefore, rssAfter: rssAfter ?? (serverPid === null ? null : processRssBytes(serverPid)),
      setupSec, drainMs: drainedBy,
    });
  } finally {
    for (const child of children) sendTo(child, { type: 'exit' });
    // An unref'd grace timer: once every child has exited it must not keep this process alive.
    await Promise.race([Promise.all(children.map((c) => c.exited)), sleep(EXIT_GRACE_MS, undefined, { ref: false })]);
    for (const child of children) if (liveChildren.has(child.proc)) child.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
  }
}

function sendTo(child: Child, message: CoordinatorMessage): void {
  if (child.proc.connected) child.proc.send(message);
}

/**
 * The pid to read /proc for: an explicit one, or with 'auto' the server's own INFO process_id when
 * the server is on a loopback address and that pid exists here (a remote server's pid means nothing).
 */
function resolveServerPid(option: number | 'auto' | null, infoPid: number | null, host: string): number | null {
  if (option === null) return null;
  if (option !== 'auto') return processCpuMs(option) === null ? null : option;
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (!loopback || infoPid === null) return null;
  return processCpuMs(infoPid) === null ? null : infoPid;
}

interface ResultInputs {
  options: RunOptions;
  startedAt: string;
  identity: string;
  serverPid: number | null;
  children: Child[];
  windowSec: number;
  serverCpuMs: number | null;
  machineBusy: number | null;
  coordinatorCpuUs: number;
  rssBefore: number | null;
  rssAfter: number | null;
  setupSec: number;
  drainMs: number;
}

function buildResult(x: ResultInputs): BenchResult {
  const { options, children, windowSec } = x;
  const { params, scenario } = options;
  const results = children.map((c) => c.result!);
  const window = (pick: (c: ProgressCounters) => number): number => results.reduce((sum, r) => sum + pick(r.atEnd) - pick(r.atStart), 0);
  const histogram = new LatencyHistogram();
  const integrity = emptyIntegrityCounts();
  for (const r of results) {
    histogram.merge(r.histogram);
    addIntegrityCounts(integrity, r.integrity);
  }
  const total = (pick: (r: ProcessResult) => number): number => results.reduce((sum, r) => sum + pick(r), 0);
  const deliveredTotal = total((r) => r.total.delivered);
  const replySum = total((r) => r.total.replySum);
  const publishErrors = total((r) => r.publishErrors);
  const disconnects = total((r) => r.disconnects);
  const unexpectedFrames = total((r) => r.unexpectedFrames);
  const repliesMatchDeliveries = replySum === deliveredTotal;
  const ok = integrity.lost === 0 && integrity.duplicated === 0 && integrity.reordered === 0 && integrity.misrouted === 0 &&
    integrity.malformed === 0 && publishErrors === 0 && disconnects === 0 && repliesMatchDeliveries;

  const windowUs = windowSec * 1e6;
  const generatorProcesses = children.map((c, i) => ({
    index: c.index,
    role: c.role,
    connections: c.connections,
    percent: (100 * (cpuUs(results[i].atEnd) - cpuUs(results[i].atStart))) / windowUs,
  }));
  const busiest = generatorProcesses.reduce((a, b) => (b.percent > a.percent ? b : a));
  const generatorBound = !params.idle && busiest.percent > GENERATOR_BOUND_PERCENT;
  const serverPercent = x.serverCpuMs === null ? null : (100 * x.serverCpuMs) / (windowSec * 1000);
  const generatorPercent = generatorProcesses.reduce((sum, g) => sum + g.percent, 0);
  const coordinatorPercent = (100 * x.coordinatorCpuUs) / windowUs;
  const otherProcessesPercent = x.machineBusy === null || serverPercent === null
    ? null
    : Math.max(0, x.machineBusy * coreCount() - serverPercent - generatorPercent - coordinatorPercent);
  const offsets = [sharedClockOffsetUs(), ...children.map((c) => c.clockOffsetUs)];
  const clockSkewUs = Math.max(...offsets) - Math.min(...offsets);
  const pausedMs = Math.max(0, ...results.map((r) => r.pausedMs));
  const pausedPercent = params.idle || params.roundtrip ? 0 : (100 * pausedMs) / (windowSec * 1000);
  const maxScheduleLag = Math.max(0, ...results.map((r) => r.maxScheduleLag));
  const connections = params.publishers + params.subscribers + (params.nonMatchingPatterns > 0 ? 1 : 0);

  const notes: string[] = [];
  if (generatorBound) {
    notes.push(`generator-bound: process #${busiest.index} (${busiest.role}) used ${busiest.percent.toFixed(0)}% of a core; ` +
      'the server may be faster than these figures');
  }
  if (x.machineBusy !== null && x.machineBusy > MACHINE_SATURATED_PERCENT) {
    notes.push(`machine CPU saturated (${x.machineBusy.toFixed(0)}% of ${coreCount()} cores): server and generator competed for cores`);
  }
  if (otherProcessesPercent !== null && otherProcessesPercent > OTHER_LOAD_NOTE_PERCENT) {
    notes.push(`other processes on this machine used ${otherProcessesPercent.toFixed(0)}% of a core during the window: the figures are disturbed`);
  }
  if (pausedPercent > PAUSED_NOTE_PERCENT) {
    notes.push(`publishers were held ${pausedPercent.toFixed(0)}% of the window because deliveries lagged the PUBLISH replies ` +
      'by more than 4 MiB per subscriber (the delivery side set the pace)');
  }
  const latencySummary = histogram.summary();
  if (!params.idle && !params.roundtrip && params.ratePerSec === 0 && latencySummary.p50Us > QUEUED_NOTE_US) {
    notes.push(`delivery-bound: half the messages waited over ${(latencySummary.p50Us / 1000).toFixed(0)} ms between PUBLISH and delivery, ` +
      'so deliveries (server writes or subscriber reads) set the pace, not PUBLISH handling');
  }
  if (params.ratePerSec > 0 && maxScheduleLag > params.window) {
    notes.push(`paced publishing fell behind its schedule by up to ${maxScheduleLag} PUBLISHes (the server's replies held the window)`);
  }
  if (clockSkewUs > CLOCK_SKEW_WARN_US) notes.push(`generator processes' clocks disagree by ${clockSkewUs.toFixed(0)} µs: latencies are that uncertain`);
  if (disconnects > 0) notes.push(`${disconnects} subscriber connection(s) were closed by the server during the run`);
  if (!repliesMatchDeliveries) notes.push(`PUBLISH replies sum ${replySum} != ${deliveredTotal} deliveries (drain took ${x.drainMs} ms)`);
  if (results.some((r) => r.firstError !== null)) notes.push(`first PUBLISH error: ${results.find((r) => r.firstError !== null)!.firstError}`);
  if (params.idle) notes.push(`connect + subscribe of ${connections} connections took ${x.setupSec.toFixed(1)} s`);

  const roundtrip = results.find((r) => r.roundtrip !== null)?.roundtrip ?? null;
  return {
    scenario: scenario.name,
    title: scenario.title,
    headline: scenario.headline,
    startedAt: x.startedAt,
    target: {
      host: options.host, port: options.port, wsUrl: params.subscriberTransport === 'ws' ? options.wsUrl : null,
      server: x.identity, serverPid: x.serverPid,
    },
    params: { ...params, warmupSec: options.warmupSec, durationSec: options.durationSec, processes: children.length, resp: options.resp },
    windowSec,
    throughput: {
      published: window((c) => c.published),
      delivered: window((c) => c.delivered),
      publishedPerSec: window((c) => c.published) / windowSec,
      deliveredPerSec: window((c) => c.delivered) / windowSec,
      deliveredMBps: window((c) => c.deliveredPayloadBytes) / windowSec / 1e6,
    },
    latencyUs: params.idle ? null : latencySummary,
    roundtripUs: roundtrip?.latency ?? null,
    integrity: {
      ...integrity, deliveredTotal, replySum, repliesMatchDeliveries, publishErrors,
      firstError: results.find((r) => r.firstError !== null)?.firstError ?? null, disconnects, unexpectedFrames, ok,
    },
    cpu: {
      serverPercent,
      generatorPercent,
      generatorProcesses,
      coordinatorPercent,
      machineBusyPercent: x.machineBusy,
      otherProcessesPercent,
      cores: coreCount(),
      generatorBound,
    },
    memory: {
      serverRssBytes: x.rssAfter,
      serverRssBeforeBytes: params.idle ? x.rssBefore : null,
      rssPerConnectionBytes: params.idle && x.rssAfter !== null && x.rssBefore !== null ? (x.rssAfter - x.rssBefore) / params.subscribers : null,
      connections,
    },
    flowControl: { pausedPercent, maxScheduleLag },
    clockSkewUs,
    notes,
  };
}
