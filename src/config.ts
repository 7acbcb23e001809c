/**
 * Start-up flags and the run-time settings behind CONFIG GET / CONFIG SET.
 *
 * Every setting has one definition here: its Redis name (what CONFIG GET shows), its command-line
 * flag, its default, and how a value is parsed and formatted. Bad values at start-up throw a
 * ConfigError naming the option and the value (STYLE example 9); bad values at run time become
 * Redis's CONFIG SET error.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { formatKeyspaceEvents, INVALID_EVENT_CLASS, parseKeyspaceEvents } from './store/keyspace-events.js';

export const VERSION = '0.1.0';
/** The Redis version we answer as: clients switch features on it. */
export const REDIS_COMPAT_VERSION = '7.2.4';

export class ConfigError extends Error {}

export interface Config {
  port: number;
  bind: string;
  /** Partition worker threads; resolved from `auto` at parse time. */
  workers: number;
  /** proto-max-bulk-len: largest bulk string a client may send. */
  maxBulkBytes: number;
  /** client-query-buffer-limit: unparsed input a client may have buffered before it is closed. */
  maxQueryBufferBytes: number;
  /** client-output-buffer-limit pubsub <hard> <soft> <seconds>. */
  pubsubHardLimitBytes: number;
  pubsubSoftLimitBytes: number;
  pubsubSoftLimitSeconds: number;
  maxClients: number;
  /** Bytes of each ring between the main thread and a partition worker (each direction). */
  ringBytes: number;
  /** HTTP + WebSocket port (the chat page, /ws, /healthz); 0 picks a free one. */
  httpPort: number;
  /** Largest WebSocket message a client may send; larger closes the connection with 1009. */
  wsMaxPayloadBytes: number;
  /** WebSocket idle timeout: pings are sent automatically, a peer silent this long is closed. */
  wsIdleTimeoutSeconds: number;
  /** notify-keyspace-events as flag bits (src/store/keyspace-events.ts); 0: no notifications. */
  notifyKeyspaceEvents: number;
  /** appendonly: log every write to <dir>/appendonly.aof and replay it at start-up. */
  appendOnly: boolean;
  /** appendfsync: when the log is fsynced (always: before the reply; everysec; no: the OS decides). */
  appendFsync: 'always' | 'everysec' | 'no';
  /** dir: where the log lives. */
  dir: string;
  /** auto-aof-rewrite-percentage: rewrite when the log grew this much over its last rewrite; 0 never. */
  aofRewritePercentage: number;
  /** auto-aof-rewrite-min-size: no automatic rewrite below this size. */
  aofRewriteMinBytes: number;
  /** aof-load-truncated: start from a log whose last command was cut off by a crash (dropping it). */
  aofLoadTruncated: boolean;
  /** aof-accept-corrupt (ringcast): start from a corrupt log, loading what precedes the corruption. */
  aofAcceptCorrupt: boolean;
}

export function defaultConfig(): Config {
  return {
    port: 6379,
    bind: '127.0.0.1',
    workers: autoWorkerCount(),
    maxBulkBytes: 512 * 1024 * 1024,
    maxQueryBufferBytes: 1024 * 1024 * 1024,
    pubsubHardLimitBytes: 32 * 1024 * 1024,
    pubsubSoftLimitBytes: 8 * 1024 * 1024,
    pubsubSoftLimitSeconds: 60,
    maxClients: 10000,
    ringBytes: 4 * 1024 * 1024,
    httpPort: 8080,
    wsMaxPayloadBytes: 16 * 1024 * 1024,
    wsIdleTimeoutSeconds: 120,
    notifyKeyspaceEvents: 0,
    appendOnly: true,
    appendFsync: 'everysec',
    dir: './data',
    aofRewritePercentage: 100,
    aofRewriteMinBytes: 64 * 1024 * 1024,
    aofLoadTruncated: true,
    aofAcceptCorrupt: false,
  };
}

/**
 * One partition worker per core beyond the one the main thread needs, at most 8; but with 2 cores
 * or fewer, none: the partition runs on the main thread (0). A worker there has no core of its
 * own: it shares one with the main thread and the clients, and the hop to it costs more than the
 * work it takes off. Interleaved runs on our 2-core machines, in-thread vs 1 worker vs redis-server:
 * pipelined 1 -> 1 0.80x vs 0.71x, fan-out 1 -> 100 1.24x vs 1.18x, many rooms about equal, and the
 * 10 k/s latency load p99 1.23x vs 1.6x of Redis's (docs/architecture.md §1, §11).
 */
export function autoWorkerCount(): number {
  const cores = availableParallelism();
  return cores <= 2 ? 0 : Math.min(8, cores - 1);
}

/** Parses "512mb", "1gb", "100", "64k" the way Redis's memtoull does. Returns NaN when invalid. */
export function parseMemory(text: string): number {
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  switch ((m[2] ?? 'b').toLowerCase()) {
    case 'k': return n * 1000;
    case 'kb': return n * 1024;
    case 'm': return n * 1000 * 1000;
    case 'mb': return n * 1024 * 1024;
    case 'g': return n * 1000 * 1000 * 1000;
    case 'gb': return n * 1024 * 1024 * 1024;
    default: return n;
  }
}

function parseInteger(text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text)) return NaN;
  const n = Number(text);
  return n < min || n > max ? NaN : n;
}

interface Setting {
  /** The Redis name, as CONFIG GET shows it. */
  name: string;
  /** Command-line flag (without --), when it can be set at start-up. */
  flag?: string;
  help: string;
  get(c: Config): string;
  /** Applies the value; returns an error text when invalid. Absent: immutable at run time. */
  set?(c: Config, value: string): string | null;
  /** True when CONFIG SET may change it while running. */
  mutable: boolean;
}

const yesNoSetting = (
  name: string, key: 'appendOnly' | 'aofLoadTruncated' | 'aofAcceptCorrupt', mutable: boolean, help: string,
): Setting => ({
  name, flag: name, help, mutable,
  get: (c) => (c[key] ? 'yes' : 'no'),
  set: (c, v) => {
    const lower = v.toLowerCase();
    if (lower !== 'yes' && lower !== 'no') return "argument must be 'yes' or 'no'";
    c[key] = lower === 'yes';
    return null;
  },
});

const memorySetting = (name: string, key: 'maxBulkBytes' | 'maxQueryBufferBytes' | 'aofRewriteMinBytes', minBytes: number, help: string): Setting => ({
  name, flag: name, help, mutable: true,
  get: (c) => String(c[key]),
  set: (c, v) => {
    const n = parseMemory(v);
    if (!Number.isFinite(n)) return `argument must be a memory value`;
    if (n < minBytes) return `argument must be between ${minBytes} and 9223372036854775807 inclusive`;
    c[key] = n;
    return null;
  },
});

/**
 * The settings that exist. Anything else CONFIG GET returns nothing for, and CONFIG SET rejects
 * with Redis's "Unknown option" error. Constant settings are listed because clients and test
 * harnesses ask for them (e.g. `CONFIG GET save`).
 */
export const SETTINGS: Setting[] = [
  { name: 'port', flag: 'port', help: 'TCP port for RESP clients (0 picks a free one)', mutable: false,
    get: (c) => String(c.port),
    set: (c, v) => { const n = parseInteger(v, 0, 65535); if (Number.isNaN(n)) return 'argument must be between 0 and 65535 inclusive'; c.port = n; return null; } },
  { name: 'http-port', flag: 'http-port', help: 'HTTP/WebSocket port: the chat page, /ws and /healthz (0 picks a free one)', mutable: false,
    get: (c) => String(c.httpPort),
    set: (c, v) => { const n = parseInteger(v, 0, 65535); if (Number.isNaN(n)) return 'argument must be between 0 and 65535 inclusive'; c.httpPort = n; return null; } },
  { name: 'ws-max-payload', flag: 'ws-max-payload', help: 'largest WebSocket message a client may send (larger: close 1009)', mutable: false,
    get: (c) => String(c.wsMaxPayloadBytes),
    set: (c, v) => { const n = parseMemory(v); if (!Number.isFinite(n) || n < 1024 || n > 2 ** 31 - 1) return 'argument must be a memory value between 1kb and 2gb'; c.wsMaxPayloadBytes = n; return null; } },
  { name: 'ws-idle-timeout', flag: 'ws-idle-timeout', help: 'seconds a silent WebSocket peer is kept (pings are automatic; a multiple of 4, 8..960, or 0 for never)', mutable: false,
    get: (c) => String(c.wsIdleTimeoutSeconds),
    set: (c, v) => { const n = parseInteger(v, 0, 960); if (Number.isNaN(n) || (n !== 0 && (n < 8 || n % 4 !== 0))) return 'argument must be 0 or a multiple of 4 between 8 and 960'; c.wsIdleTimeoutSeconds = n; return null; } },
  { name: 'bind', flag: 'bind', help: 'address to listen on', mutable: false,
    get: (c) => c.bind,
    set: (c, v) => { if (!v) return 'argument must be an address'; c.bind = v; return null; } },
  { name: 'workers', flag: 'workers', help: 'partition worker threads: auto, 1..64, or 0 (partition on the main thread)', mutable: false,
    get: (c) => String(c.workers),
    set: (c, v) => {
      if (v === 'auto') { c.workers = autoWorkerCount(); return null; }
      const n = parseInteger(v, 0, 64);
      if (Number.isNaN(n)) return 'argument must be auto or between 0 and 64 inclusive';
      c.workers = n; return null;
    } },
  memorySetting('proto-max-bulk-len', 'maxBulkBytes', 1024 * 1024, 'largest bulk string a client may send'),
  memorySetting('client-query-buffer-limit', 'maxQueryBufferBytes', 1024 * 1024, 'unparsed input per client before it is closed'),
  { name: 'client-output-buffer-limit', flag: 'client-output-buffer-limit', mutable: true,
    help: 'pubsub <hard> <soft> <seconds>: slow subscriber limits',
    get: (c) => `normal 0 0 0 slave 268435456 67108864 60 pubsub ${c.pubsubHardLimitBytes} ${c.pubsubSoftLimitBytes} ${c.pubsubSoftLimitSeconds}`,
    set: (c, v) => parseOutputLimits(c, v) },
  { name: 'maxclients', flag: 'maxclients', help: 'most clients connected at once', mutable: true,
    get: (c) => String(c.maxClients),
    set: (c, v) => { const n = parseInteger(v, 1, 2 ** 31 - 1); if (Number.isNaN(n)) return 'argument must be between 1 and 4294967295 inclusive'; c.maxClients = n; return null; } },
  { name: 'ring-size', flag: 'ring-size', help: 'bytes of each main<->partition ring, a power of two (e.g. 4mb)', mutable: false,
    get: (c) => String(c.ringBytes),
    set: (c, v) => {
      const n = parseMemory(v);
      if (!Number.isFinite(n) || n < 65536 || n > 1024 * 1024 * 1024 || (n & (n - 1)) !== 0) return 'argument must be a power of two between 64kb and 1gb';
      c.ringBytes = n;
      return null;
    } },
  constant('timeout', '0'),
  constant('save', ''),
  yesNoSetting('appendonly', 'appendOnly', false, 'log every write to <dir>/appendonly.aof and replay it at start-up'),
  { name: 'appendfsync', flag: 'appendfsync', help: 'fsync the log: always (before replying), everysec, or no (the OS decides)', mutable: true,
    get: (c) => c.appendFsync,
    set: (c, v) => {
      const lower = v.toLowerCase();
      if (lower !== 'always' && lower !== 'everysec' && lower !== 'no') return 'argument(s) must be one of the following: everysec, always, no';
      c.appendFsync = lower;
      return null;
    } },
  // CONFIG GET dir answers an absolute path, as Redis does (it chdirs there).
  { name: 'dir', flag: 'dir', help: 'directory of the append-only log', mutable: false,
    get: (c) => path.resolve(c.dir),
    set: (c, v) => { if (!v) return 'argument must be a directory'; c.dir = v; return null; } },
  { name: 'auto-aof-rewrite-percentage', flag: 'auto-aof-rewrite-percentage', help: 'rewrite the log when it grew this % over its last rewrite (0: never)', mutable: true,
    get: (c) => String(c.aofRewritePercentage),
    set: (c, v) => { const n = parseInteger(v, 0, 2 ** 31 - 1); if (Number.isNaN(n)) return 'argument must be between 0 and 2147483647 inclusive'; c.aofRewritePercentage = n; return null; } },
  memorySetting('auto-aof-rewrite-min-size', 'aofRewriteMinBytes', 0, 'no automatic log rewrite below this size'),
  yesNoSetting('aof-load-truncated', 'aofLoadTruncated', true, 'start from a log whose last command a crash cut off, dropping that command'),
  yesNoSetting('aof-accept-corrupt', 'aofAcceptCorrupt', true, 'start from a corrupt log: load what precedes the corruption, drop the rest (a copy is kept)'),
  constant('appendfilename', 'appendonly.aof'),
  constant('databases', '16'),
  { name: 'notify-keyspace-events', flag: 'notify-keyspace-events', mutable: true,
    help: "keyspace notification classes, Redis's letters (e.g. KEA; empty: none)",
    get: (c) => formatKeyspaceEvents(c.notifyKeyspaceEvents),
    set: (c, v) => { const flags = parseKeyspaceEvents(v); if (flags < 0) return INVALID_EVENT_CLASS; c.notifyKeyspaceEvents = flags; return null; } },
  constant('maxmemory', '0'),
  constant('maxmemory-policy', 'noeviction'),
  constant('cluster-enabled', 'no'),
];

function constant(name: string, value: string): Setting {
  return { name, help: '', mutable: false, get: () => value };
}

/** Parses Redis's `client-output-buffer-limit` value; only the pubsub class is enforced. */
function parseOutputLimits(c: Config, value: string): string | null {
  const words = value.trim().split(/\s+/);
  if (words.length % 4 !== 0) return 'Wrong number of arguments in buffer limit configuration.';
  for (let i = 0; i < words.length; i += 4) {
    const cls = words[i].toLowerCase();
    if (cls !== 'normal' && cls !== 'slave' && cls !== 'replica' && cls !== 'pubsub') return 'Invalid client class specified in buffer limit configuration.';
    const hard = parseMemory(words[i + 1]);
    const soft = parseMemory(words[i + 2]);
    const secs = parseInteger(words[i + 3], 0, 2 ** 31 - 1);
    if (!Number.isFinite(hard) || !Number.isFinite(soft) || Number.isNaN(secs)) return 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
    if (cls === 'pubsub') {
      c.pubsubHardLimitBytes = hard;
      c.pubsubSoftLimitBytes = soft;
      c.pubsubSoftLimitSeconds = secs;
    }
  }
  return null;
}

export function findSetting(name: string): Setting | undefined {
  const lower = name.toLowerCase();
  return SETTINGS.find((s) => s.name === lower);
}

export function helpText(): string {
  const d = defaultConfig();
  const lines = [
    `ringcast ${VERSION}: a worker-threaded pub/sub broker that speaks Redis`,
    '',
    'Usage: ringcast [--flag value]...',
    '',
  ];
  for (const s of SETTINGS) {
    if (!s.flag) continue;
    const def = s.name === 'workers' ? `auto (${d.workers} here)` : s.get(d);
    lines.push(`  --${s.flag.padEnd(28)} ${s.help} [default: ${def}]`);
  }
  lines.push(`  --${'help'.padEnd(28)} print this help and exit`);
  return lines.join('\n');
}

/** Parses command-line arguments into a Config; throws ConfigError naming the bad option. */
export function parseArgs(argv: string[]): Config | 'help' {
  const config = defaultConfig();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}' (flags look like --port 6379; see --help)`);
    let flag = arg.slice(2);
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (eq >= 0) { value = flag.slice(eq + 1); flag = flag.slice(0, eq); }
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting || !setting.set) throw new ConfigError(`unknown option --${flag} (see --help)`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new ConfigError(`option --${flag} needs a value`);
    }
    const err = setting.set(config, value);
    if (err) throw new ConfigError(`invalid value '${value}' for --${flag}: ${err}`);
  }
  return config;
}
