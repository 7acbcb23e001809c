/**
 * `ringcast bench`: the load generator as a command, pointed at any RESP server (ringcast, Redis,
 * anything that speaks pub/sub; with --subscriber-transport ws, anything that also serves RESP over
 * WebSocket at --url, like ringcast's /ws). Runs one scenario from src/loadgen/scenarios.ts with the flags
 * as overrides, prints progress on stderr and the result on stdout (text, or JSON with --json).
 * Exit status: 0 when the run's integrity checks pass, 1 when they fail or the run cannot
 * complete, 2 for bad flags.
 *
 * Main thread of the `ringcast` process; src/cli.ts hands over here when argv[2] is `bench`, so no
 * broker is started in this process (the generator itself runs in forked processes).
 */
import { runScenario, type Progress } from './loadgen/coordinator.js';
import { MIN_PAYLOAD_BYTES } from './loadgen/payload.js';
import { formatResult } from './loadgen/result.js';
import { SCENARIOS, findScenario, validateParams, type ScenarioParams } from './loadgen/scenarios.js';
import { parseWsUrl } from './loadgen/ws-client.js';

/** ringcast's default --http-port: where WebSocket subscribers go unless --url says otherwise. */
const DEFAULT_WS_PORT = 8080;
/** Width of the flag column in --help (fits `--subscriber-transport <tcp|ws>`). */
const FLAG_COLUMN = 32;

class UsageError extends Error {}

interface BenchFlags {
  host: string;
  port: number;
  /** null: ws://<host>:8080/ws when subscribers use WebSocket. */
  wsUrl: string | null;
  scenario: string;
  overrides: Partial<ScenarioParams>;
  warmupSec: number;
  durationSec: number;
  settleSec: number;
  processes: number | 'auto';
  resp: 2 | 3;
  serverPid: number | 'auto' | null;
  json: boolean;
}

interface FlagSpec {
  flag: string;
  value: string;
  help: string;
  apply(flags: BenchFlags, value: string): void;
}

function number(flag: string, text: string, min: number, integer = true): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${text}'`);
  }
  return n;
}

/** Memory-style sizes for --payload: 64, 1k / 1kb (1024), 64k. */
function size(flag: string, text: string): number {
  const match = /^(\d+)(k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (match === null) throw new UsageError(`--${flag} must be a size like 64, 1k or 64k, got '${text}'`);
  const unit = (match[2] ?? '').toLowerCase();
  return Number(match[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
}

const FLAGS: FlagSpec[] = [
  { flag: 'host', value: 'addr', help: 'server address (default 127.0.0.1)', apply: (f, v) => { f.host = v; } },
  { flag: 'port', value: 'n', help: 'server port (default 6379)', apply: (f, v) => { f.port = number('port', v, 1); } },
  { flag: 'url', value: 'ws://host:port/ws', help: 'WebSocket endpoint for WebSocket subscribers (default ws://<host>:8080/ws)', apply: (f, v) => {
    try {
      parseWsUrl(v);
    } catch (err) {
      throw new UsageError(`--url: ${(err as Error).message}`);
    }
    f.wsUrl = v;
  } },
  { flag: 'scenario', value: 'name', help: `one of: ${SCENARIOS.map((s) => s.name).join(', ')} (default fanout)`, apply: (f, v) => { f.scenario = v; } },
  { flag: 'connections', value: 'n', help: 'subscriber connections (the connections scenario: idle connections)', apply: (f, v) => { f.overrides.subscribers = number('connections', v, 1); } },
  { flag: 'subscriber-transport', value: 'tcp|ws', help: 'subscribers over RESP/TCP at --port, or WebSocket (`resp` subprotocol) at --url (wsfanout: ws)', apply: (f, v) => {
    if (v !== 'tcp' && v !== 'ws') throw new UsageError(`--subscriber-transport must be tcp or ws, got '${v}'`);
    f.overrides.subscriberTransport = v;
  } },
  { flag: 'publishers', value: 'n', help: 'publisher connections', apply: (f, v) => { f.overrides.publishers = number('publishers', v, 0); } },
  { flag: 'channels', value: 'n', help: 'channels bench:0 .. bench:<n-1>', apply: (f, v) => { f.overrides.channels = number('channels', v, 1); } },
  { flag: 'patterns', value: 'n', help: 'non-matching PSUBSCRIBE patterns held by one extra connection', apply: (f, v) => { f.overrides.nonMatchingPatterns = number('patterns', v, 0); } },
  { flag: 'payload', value: 'bytes', help: `payload size, >= ${MIN_PAYLOAD_BYTES} (e.g. 64, 1k, 64k)`, apply: (f, v) => { f.overrides.payloadBytes = size('payload', v); } },
  { flag: 'window', value: 'n', help: 'most unanswered PUBLISHes (recipe: transactions) per publisher connection', apply: (f, v) => { f.overrides.window = number('window', v, 1); } },
  { flag: 'rate', value: 'msgs/s', help: 'total PUBLISH rate across publishers; 0 = as fast as the window allows', apply: (f, v) => { f.overrides.ratePerSec = number('rate', v, 0, false); } },
  { flag: 'duration', value: 'sec', help: 'measurement window (roundtrip: tinybench time budget) (default 10)', apply: (f, v) => { f.durationSec = number('duration', v, 0.1, false); } },
  { flag: 'warmup', value: 'sec', help: 'load before the window opens, not counted (default 2)', apply: (f, v) => { f.warmupSec = number('warmup', v, 0, false); } },
  { flag: 'settle', value: 'sec', help: 'connections scenario: wait before reading the server RSS (default 2)', apply: (f, v) => { f.settleSec = number('settle', v, 0, false); } },
  { flag: 'processes', value: 'n|auto', help: 'generator processes (default auto: 1 for publishers + 2..4 for subscribers)', apply: (f, v) => { f.processes = v === 'auto' ? 'auto' : number('processes', v, 1); } },
  { flag: 'resp', value: '2|3', help: 'protocol version (3 sends HELLO 3 first) (default 2)', apply: (f, v) => {
    if (v !== '2' && v !== '3') throw new UsageError(`--resp must be 2 or 3, got '${v}'`);
    f.resp = v === '3' ? 3 : 2;
  } },
  { flag: 'server-pid', value: 'pid|auto|none', help: 'process to sample for CPU and RSS (default auto: INFO process_id on loopback)', apply: (f, v) => {
    f.serverPid = v === 'auto' ? 'auto' : v === 'none' ? null : number('server-pid', v, 1);
  } },
];

export function benchHelpText(): string {
  const rows = FLAGS.map((s) => `  --${`${s.flag} <${s.value}>`.padEnd(FLAG_COLUMN)} ${s.help}`);
  return [
    'Usage: ringcast bench [flags]',
    '',
    'Load-tests a RESP pub/sub server: publishers pipeline PUBLISH (bounded window) with a timestamp',
    'and a sequence number in each payload; subscribers measure delivered msgs/s, MB/s, latency',
    'percentiles and integrity (lost, duplicated, reordered; PUBLISH replies sum == deliveries).',
    'Subscribers connect over RESP/TCP, or over WebSocket with the `resp` subprotocol (wsfanout, or',
    '--subscriber-transport ws); publishers always use RESP/TCP. The recipe scenario publishes each',
    'message in a MULTI/LPUSH/LTRIM/PUBLISH/EXEC transaction (the window counts transactions).',
    'The generator runs in processes of its own; their CPU is reported ("generator-bound" over 90%).',
    '',
    'Scenarios:',
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(12)} ${s.title}`),
    '',
    'Flags (each overrides the scenario default):',
    ...rows,
    `  --${'json'.padEnd(FLAG_COLUMN)} print the result as JSON on stdout (progress stays on stderr)`,
    `  --${'help'.padEnd(FLAG_COLUMN)} this text`,
    '',
    'Exit status: 0 when integrity holds, 1 when it does not or the run fails, 2 for bad flags.',
  ].join('\n');
}

function parseBenchArgs(argv: string[]): BenchFlags | 'help' {
  const flags: BenchFlags = {
    host: '127.0.0.1', port: 6379, wsUrl: null, scenario: 'fanout', overrides: {}, warmupSec: 2, durationSec: 10, settleSec: 2,
    processes: 'auto', resp: 2, serverPid: 'auto', json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--json') {
      flags.json = true;
      continue;
    }
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [arg, undefined];
    const spec = FLAGS.find((s) => s.flag === name);
    if (spec === undefined) throw new UsageError(`unknown flag '${arg}' (see ringcast bench --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${spec.flag} needs a value`);
    spec.apply(flags, value);
  }
  return flags;
}

function printProgress(p: Progress): void {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const clock = p.phaseSec > 0 ? `${p.elapsedSec.toFixed(0)}/${p.phaseSec}s` : `${p.elapsedSec.toFixed(0)}s`;
  const server = p.serverCpuPercent === null ? '' : `, server CPU ${fmt(p.serverCpuPercent)}%`;
  const line = p.phase === 'setup'
    ? `[${p.scenario}] connecting and subscribing...`
    : `[${p.scenario}] ${p.phase} ${clock}: ${fmt(p.deliveredPerSec)} delivered/s, ${fmt(p.publishedPerSec)} PUBLISH/s, ` +
      `busiest generator process ${fmt(p.generatorCpuMaxPercent)}% CPU${server}`;
  process.stderr.write(line + '\n');
}

/** Runs `ringcast bench` with the arguments after `bench`; resolves with the exit status. */
export async function runBenchCli(argv: string[]): Promise<number> {
  let flags: BenchFlags | 'help';
  try {
    flags = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`ringcast bench: ${err.message}`);
    return 2;
  }
  if (flags === 'help') {
    console.log(benchHelpText());
    return 0;
  }
  const scenario = findScenario(flags.scenario);
  if (scenario === undefined) {
    console.error(`ringcast bench: unknown scenario '${flags.scenario}'; one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const params: ScenarioParams = { ...scenario.params, ...flags.overrides };
  // The connections scenario has one channel per connection unless told otherwise.
  if (scenario.params.idle && flags.overrides.channels === undefined) params.channels = params.subscribers;
  const problems = validateParams(params, MIN_PAYLOAD_BYTES);
  if (problems.length > 0) {
    console.error(`ringcast bench: ${problems.join('; ')}`);
    return 2;
  }
  try {
    const result = await runScenario({
      host: flags.host, port: flags.port, scenario, params,
      warmupSec: flags.warmupSec, durationSec: flags.durationSec, settleSec: flags.settleSec,
      processes: flags.processes, resp: flags.resp, serverPid: flags.serverPid,
      wsUrl: flags.wsUrl ?? `ws://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${DEFAULT_WS_PORT}/ws`,
      onProgress: printProgress,
    });
    console.log(flags.json ? JSON.stringify(result, null, 2) : formatResult(result));
    return result.integrity.ok ? 0 : 1;
  } catch (err) {
    console.error(`ringcast bench: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
