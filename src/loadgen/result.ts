/**
 * The result of one scenario run against one server: the JSON `ringcast bench --json` prints and
 * `npm run bench` tabulates (coordinator side), plus its plain-text rendering.
 *
 * Units are in the names: *PerSec per second of the measurement window, *MBps in 10^6 bytes of
 * payload per second, *Us microseconds, *Percent of one core (a process using two cores shows 200).
 */
import type { LatencySummary } from './histogram.js';
import type { IntegrityCounts } from './integrity.js';
import type { Headline, ScenarioParams } from './scenarios.js';

export interface BenchResult {
  scenario: string;
  title: string;
  headline: Headline;
  startedAt: string;
  target: {
    host: string;
    port: number;
    /** Where WebSocket subscribers connected (null: subscribers on RESP/TCP at host:port). */
    wsUrl: string | null;
    /** From INFO server: "ringcast 0.1.0", "redis 7.0.15". */
    server: string;
    /** Process measured for CPU and RSS (null: not on this machine, so not measured). */
    serverPid: number | null;
  };
  params: ScenarioParams & { warmupSec: number; durationSec: number; processes: number; resp: 2 | 3 };
  /** Length of the measurement window, as the coordinator timed it. */
  windowSec: number;
  throughput: {
    published: number;
    delivered: number;
    publishedPerSec: number;
    deliveredPerSec: number;
    deliveredMBps: number;
  };
  /** Send → receive of messages delivered inside the window (payload timestamps). */
  latencyUs: LatencySummary | null;
  /** Roundtrip scenario: publish → delivery per tinybench iteration. */
  roundtripUs: LatencySummary | null;
  integrity: IntegrityCounts & {
    /** Whole run (warm-up and drain included). */
    deliveredTotal: number;
    replySum: number;
    repliesMatchDeliveries: boolean;
    publishErrors: number;
    firstError: string | null;
    disconnects: number;
    unexpectedFrames: number;
    ok: boolean;
  };
  cpu: {
    serverPercent: number | null;
    generatorPercent: number;
    generatorProcesses: Array<{ index: number; role: string; connections: number; percent: number }>;
    coordinatorPercent: number;
    machineBusyPercent: number | null;
    /** Machine busy time not accounted for by server, generator and coordinator: other load on the box. */
    otherProcessesPercent: number | null;
    cores: number;
    /** A generator process used more than GENERATOR_BOUND_PERCENT: the numbers may be the generator's limit. */
    generatorBound: boolean;
  };
  memory: {
    serverRssBytes: number | null;
    /** Connections scenario: RSS before the connections were opened, and the growth per connection. */
    serverRssBeforeBytes: number | null;
    rssPerConnectionBytes: number | null;
    connections: number;
  };
  flowControl: {
    /** Time publishers were held because deliveries lagged the PUBLISH replies (window only). */
    pausedPercent: number;
    /** Paced runs: most PUBLISHes any process was behind its schedule. */
    maxScheduleLag: number;
  };
  /** Disagreement of the shared clock between generator processes (payload.ts). */
  clockSkewUs: number;
  notes: string[];
}

export const GENERATOR_BOUND_PERCENT = 90;

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function formatLatency(l: LatencySummary | null): string {
  if (l === null || l.samples === 0) return 'n/a';
  return `p50 ${fmt(l.p50Us)} · p90 ${fmt(l.p90Us)} · p99 ${fmt(l.p99Us)} · p99.9 ${fmt(l.p999Us)} · max ${fmt(l.maxUs)} µs (${fmt(l.samples)} samples)`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${fmt(bytes / (1024 * 1024), 1)} MiB`;
  if (bytes >= 1024) return `${fmt(bytes / 1024, 1)} KiB`;
  return `${fmt(bytes)} B`;
}

/** A human summary of one result (what `ringcast bench` prints without --json). */
export function formatResult(r: BenchResult): string {
  const p = r.params;
  const lines = [
    `scenario   ${r.scenario}: ${r.title}`,
    `target     ${r.target.server} at ${r.target.host}:${r.target.port}${r.target.wsUrl === null ? '' : ` (subscribers at ${r.target.wsUrl})`}`,
    `topology   ${p.publishers} publisher(s) -> ${p.channels} channel(s) -> ${p.subscribers} ${p.subscriberTransport === 'ws' ? 'WebSocket ' : ''}subscriber(s)` +
      `${p.subscribeMode === 'pattern' ? ' (PSUBSCRIBE bench:*)' : ''}${p.nonMatchingPatterns > 0 ? `, ${fmt(p.nonMatchingPatterns)} non-matching patterns` : ''}`,
    `load       ${p.publishMode === 'recipe' ? 'MULTI/LPUSH/LTRIM/PUBLISH/EXEC per message, ' : ''}` +
      `payload ${fmt(p.payloadBytes)} B, window ${p.window}, ${p.ratePerSec > 0 ? `paced ${fmt(p.ratePerSec)} msgs/s` : 'unpaced'}, ` +
      `warm-up ${p.warmupSec}s, window ${fmt(r.windowSec, 1)}s, ${p.processes} generator process(es), RESP${p.resp}`,
  ];
  if (p.idle) {
    lines.push(`memory     server RSS ${r.memory.serverRssBytes === null ? 'n/a' : formatBytes(r.memory.serverRssBytes)}` +
      ` (${r.memory.serverRssBeforeBytes === null ? 'n/a' : formatBytes(r.memory.serverRssBeforeBytes)} before), ` +
      `${r.memory.rssPerConnectionBytes === null ? 'n/a' : formatBytes(r.memory.rssPerConnectionBytes)} per connection (${fmt(r.memory.connections)})`);
  } else {
    lines.push(
      `throughput ${fmt(r.throughput.deliveredPerSec)} delivered msgs/s, ${fmt(r.throughput.deliveredMBps, 1)} MB/s payload, ` +
        `${fmt(r.throughput.publishedPerSec)} ${p.publishMode === 'recipe' ? 'transactions' : 'PUBLISH'}/s`,
      `latency    ${formatLatency(r.latencyUs)}`,
    );
    if (r.roundtripUs !== null) lines.push(`round trip ${formatLatency(r.roundtripUs)} (tinybench)`);
    const i = r.integrity;
    lines.push(`integrity  ${i.ok ? 'OK' : 'FAILED'}: lost ${fmt(i.lost)}, duplicated ${fmt(i.duplicated)}, reordered ${fmt(i.reordered)}, ` +
      `misrouted ${fmt(i.misrouted)}, malformed ${fmt(i.malformed)}; ${p.publishMode === 'recipe' ? "EXEC replies' PUBLISH counts" : 'PUBLISH replies'} sum ${fmt(i.replySum)} ` +
      `${i.repliesMatchDeliveries ? '==' : '!='} ${fmt(i.deliveredTotal)} deliveries`);
  }
  const c = r.cpu;
  const perProcess = c.generatorProcesses.map((g) => `#${g.index} ${g.role} ${fmt(g.percent)}%`).join(', ');
  lines.push(`cpu        server ${c.serverPercent === null ? 'n/a' : `${fmt(c.serverPercent)}%`}, generator ${fmt(c.generatorPercent)}% (${perProcess}; ` +
    `coordinator ${fmt(c.coordinatorPercent)}%), machine ${c.machineBusyPercent === null ? 'n/a' : `${fmt(c.machineBusyPercent)}% of ${c.cores} cores`}` +
    `${c.otherProcessesPercent === null ? '' : `, other processes ${fmt(c.otherProcessesPercent)}%`}` +
    `${c.generatorBound ? ' — GENERATOR-BOUND' : ''}`);
  for (const note of r.notes) lines.push(`note       ${note}`);
  return lines.join('\n');
}
