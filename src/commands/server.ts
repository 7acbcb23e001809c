/**
 * Server and introspection commands (main thread): INFO, CONFIG, COMMAND, TIME, MONITOR, and the
 * housekeeping commands test harnesses and admin tools send (FUNCTION FLUSH, DEBUG, LASTSAVE),
 * answered as a Redis without scripts or persistence answers them. FLUSHALL, FLUSHDB and DBSIZE
 * are keyspace commands (src/commands/keyspace.ts).
 */
import { cpuUsage, memoryUsage } from 'node:process';
import { hostname, release, arch } from 'node:os';
import { randomBytes } from 'node:crypto';
import { findSetting, REDIS_COMPAT_VERSION, SETTINGS, VERSION } from '../config.js';
import * as R from '../shm/records.js';
import {
  addArrayHeader, addBulkString, addError, addInteger, addMapHeader, addNull, addOk, addSetHeader, addSimple, addVerbatim, type ReplyTarget,
} from '../protocol/reply.js';
import { globMatchBytes } from '../partition/glob.js';
import { DATABASE_COUNT } from '../store/keyspace.js';
import type { BrokerServices, CommandContext } from './context.js';
import type { CommandSpec, CommandTable } from './table.js';

const RUN_ID = randomBytes(20).toString('hex');
const REPL_ID = randomBytes(20).toString('hex');

// ---- INFO ------------------------------------------------------------------------------------

interface PubSubCounts {
  channels: number;
  patterns: number;
  shardChannels: number;
}

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];

function humanBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)}${units[u]}`;
}

function infoText(broker: BrokerServices, sections: Set<string>, counts: PubSubCounts): string {
  const { clients, config, keyspace } = broker;
  const stats = clients.stats;
  const now = Date.now();
  const uptime = Math.floor((now - stats.startedMs) / 1000);
  const mem = memoryUsage();
  const cpu = cpuUsage();
  let pubsubClients = 0;
  for (const c of clients.byId.values()) if (c.inPubSub) pubsubClients++;
  const out: string[] = [];
  const section = (name: string, fields: [string, string | number][]): void => {
    if (!sections.has(name.toLowerCase())) return;
    out.push(`# ${name}\r\n` + fields.map(([k, v]) => `${k}:${v}\r\n`).join(''));
  };
  section('Server', [
    ['redis_version', REDIS_COMPAT_VERSION], ['redis_git_sha1', '00000000'], ['redis_git_dirty', 0],
    ['redis_build_id', '0'], ['redis_mode', 'standalone'], ['os', `Linux ${release()} ${arch()}`], ['arch_bits', 64],
    ['monotonic_clock', 'POSIX clock_gettime'], ['multiplexing_api', 'epoll'], ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'], ['process_id', process.pid], ['process_supervised', 'no'], ['run_id', RUN_ID],
    ['tcp_port', broker.tcpPort()], ['server_time_usec', now * 1000], ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)], ['hz', 10], ['configured_hz', 10], ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', process.argv[1] ?? ''], ['config_file', ''], ['io_threads_active', 0],
    ['ringcast_version', VERSION], ['ringcast_partition_workers', broker.config.workers], ['ringcast_host', hostname()],
  ]);
  section('Clients', [
    ['connected_clients', clients.size], ['cluster_connections', 0], ['maxclients', config.maxClients],
    ['client_recent_max_input_buffer', 0], ['client_recent_max_output_buffer', 0], ['blocked_clients', 0],
    ['tracking_clients', 0], ['pubsub_clients', pubsubClients], ['watching_clients', 0], ['clients_in_timeout_table', 0],
    ['total_watched_keys', 0], ['total_blocking_keys', 0], ['total_blocking_keys_on_nokey', 0],
  ]);
  section('Memory', [
    ['used_memory', mem.heapUsed + mem.external], ['used_memory_human', humanBytes(mem.heapUsed + mem.external)],
    ['used_memory_rss', mem.rss], ['used_memory_rss_human', humanBytes(mem.rss)],
    ['used_memory_peak', mem.rss], ['used_memory_peak_human', humanBytes(mem.rss)],
    ['maxmemory', 0], ['maxmemory_human', '0B'], ['maxmemory_policy', 'noeviction'], ['mem_allocator', 'v8'],
  ]);
  section('Persistence', [
    ['loading', 0], ['async_loading', 0], ['current_cow_peak', 0], ['rdb_changes_since_last_save', 0],
    ['rdb_bgsave_in_progress', 0], ['rdb_last_save_time', Math.floor(stats.startedMs / 1000)],
    ['rdb_last_bgsave_status', 'ok'], ...Object.entries(broker.persistence.info()),
  ]);
  section('Stats', [
    ['total_connections_received', stats.totalConnectionsReceived], ['total_commands_processed', stats.totalCommandsProcessed],
    ['instantaneous_ops_per_sec', 0], ['rejected_connections', stats.rejectedConnections],
    ['expired_keys', keyspace.stats.expiredKeys], ['evicted_keys', 0],
    ['keyspace_hits', keyspace.stats.hits], ['keyspace_misses', keyspace.stats.misses],
    ['pubsub_channels', counts.channels], ['pubsub_patterns', counts.patterns], ['pubsubshard_channels', counts.shardChannels],
    ['total_error_replies', 0], ['client_query_buffer_limit_disconnections', stats.queryLimitDisconnections],
    ['client_output_buffer_limit_disconnections', stats.outputLimitDisconnections],
    ['ringcast_ring_overflows', broker.router.overflowedOps], ['ringcast_backpressure_pauses', broker.router.backpressurePauses],
  ]);
  section('Replication', [
    ['role', 'master'], ['connected_slaves', 0], ['master_failover_state', 'no-failover'], ['master_replid', REPL_ID],
    ['master_replid2', '0000000000000000000000000000000000000000'], ['master_repl_offset', 0], ['second_repl_offset', -1],
    ['repl_backlog_active', 0], ['repl_backlog_size', 1048576], ['repl_backlog_first_byte_offset', 0], ['repl_backlog_histlen', 0],
  ]);
  section('CPU', [
    ['used_cpu_sys', (cpu.system / 1e6).toFixed(6)], ['used_cpu_user', (cpu.user / 1e6).toFixed(6)],
    ['used_cpu_sys_children', '0.000000'], ['used_cpu_user_children', '0.000000'],
  ]);
  section('Modules', []);
  section('Errorstats', []);
  section('Cluster', [['cluster_enabled', 0]]);
  const databases: [string, string][] = [];
  for (let db = 0; db < DATABASE_COUNT; db++) {
    const keys = keyspace.size(db);
    if (keys > 0) databases.push([`db${db}`, `keys=${keys},expires=${keyspace.expiresCount(db)},avg_ttl=${keyspace.averageTtlMs(db)}`]);
  }
  section('Keyspace', databases);
  return out.join('\r\n');
}

/** INFO [section ...]: pub/sub counts come from the partitions, so it is answered through the order queue. */
function info(ctx: CommandContext): void {
  const sections = new Set<string>();
  if (ctx.argc === 1) for (const s of DEFAULT_SECTIONS) sections.add(s);
  for (let i = 1; i < ctx.argc; i++) {
    const s = ctx.argString(i).toLowerCase();
    if (s === 'all' || s === 'everything') for (const d of DEFAULT_SECTIONS) sections.add(d);
    else if (s === 'default') for (const d of DEFAULT_SECTIONS) sections.add(d);
    else sections.add(s);
  }
  const broker = ctx.broker;
  ctx.broker.router.broadcastQuery(ctx.client, R.OP_STATS, 0, () => {}, {
    names: [], counts: [],
    finish(c, _names, counts) {
      const workers = broker.router.partitionCount;
      // Every partition holds every pattern: the summed pattern count is divided back.
      const text = infoText(broker, sections, {
        channels: counts[0] ?? 0,
        shardChannels: counts[1] ?? 0,
        patterns: Math.round((counts[2] ?? 0) / workers),
      });
      addVerbatim(c, text);
    },
  });
}

// ---- CONFIG ----------------------------------------------------------------------------------

function configGet(ctx: CommandContext): void {
  const found = new Map<string, string>();
  for (let i = 2; i < ctx.argc; i++) {
    const pattern = Buffer.from(ctx.argString(i).toLowerCase(), 'latin1');
    for (const s of SETTINGS) {
      if (!found.has(s.name) && globMatchBytes(pattern, Buffer.from(s.name, 'latin1'))) found.set(s.name, s.get(ctx.broker.config));
    }
  }
  addMapHeader(ctx.client, found.size);
  for (const [k, v] of found) {
    addBulkString(ctx.client, k);
    addBulkString(ctx.client, v);
  }
}

/** CONFIG SET name value [name value ...]: all or nothing, Redis's error texts. */
function configSet(ctx: CommandContext): void {
  const c = ctx.client;
  if (ctx.argc % 2 !== 0) {
    addError(c, `ERR Unknown option or number of arguments for CONFIG SET - '${ctx.argString(2)}'`);
    return;
  }
  const trial = { ...ctx.broker.config };
  for (let i = 2; i < ctx.argc; i += 2) {
    const name = ctx.argString(i);
    const setting = findSetting(name);
    if (!setting) {
      addError(c, `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
      return;
    }
    if (!setting.mutable || !setting.set) {
      addError(c, `ERR CONFIG SET failed (possibly related to argument '${setting.name}') - can't set immutable config`);
      return;
    }
    const err = setting.set(trial, ctx.argString(i + 1));
    if (err) {
      addError(c, `ERR CONFIG SET failed (possibly related to argument '${setting.name}') - ${err}`);
      return;
    }
  }
  Object.assign(ctx.broker.config, trial);
  ctx.broker.persistence.log?.configure({
    fsync: trial.appendFsync, rewritePercentage: trial.aofRewritePercentage, rewriteMinBytes: trial.aofRewriteMinBytes,
  });
  addOk(c);
}

/** BGREWRITEAOF: compacts the log in the background (src/store/aof.ts); the reply does not wait. */
function bgrewriteaof(ctx: CommandContext): void {
  const log = ctx.broker.persistence.log;
  if (log === null) {
    addError(ctx.client, 'ERR ringcast keeps no append-only file: the broker runs with --appendonly no');
  } else if (log.rewriteInProgress) {
    addError(ctx.client, 'ERR Background append only file rewriting already in progress');
  } else {
    // A failure shows in INFO persistence (aof_last_bgrewrite_status), as in Redis.
    log.rewriteNow(ctx.broker.snapshot).catch(() => {});
    addSimple(ctx.client, 'Background append only file rewriting started');
  }
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>', '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>', '    Set the configuration <directive> to <value>.',
  'RESETSTAT', '    Reset statistics reported by the INFO command.',
  'REWRITE', '    Rewrite the configuration file.',
  'HELP', '    Prints this help.',
];

// ---- COMMAND ---------------------------------------------------------------------------------

function commandInfoEntry(t: ReplyTarget, spec: CommandSpec): void {
  addArrayHeader(t, 10);
  addBulkString(t, spec.fullName ?? spec.name);
  addInteger(t, spec.arity);
  addSetHeader(t, spec.flags.length);
  for (const f of spec.flags) addSimple(t, f);
  const [first, last, step] = spec.keys ?? [0, 0, 0];
  addInteger(t, first);
  addInteger(t, last);
  addInteger(t, step);
  addSetHeader(t, spec.acl.length);
  for (const a of spec.acl) addSimple(t, '@' + a);
  addArrayHeader(t, 0); // tips
  addArrayHeader(t, 0); // key specs
  const subs = spec.subcommands ?? [];
  addArrayHeader(t, subs.length);
  for (const s of subs) commandInfoEntry(t, s);
}

function commandDocsEntry(t: ReplyTarget, spec: CommandSpec): void {
  const subs = spec.subcommands ?? [];
  addMapHeader(t, subs.length > 0 ? 4 : 3);
  addBulkString(t, 'summary');
  addBulkString(t, spec.summary);
  addBulkString(t, 'since');
  addBulkString(t, spec.since);
  addBulkString(t, 'group');
  addBulkString(t, spec.group);
  if (subs.length > 0) {
    addBulkString(t, 'subcommands');
    addMapHeader(t, subs.length);
    for (const s of subs) {
      addBulkString(t, s.fullName ?? s.name);
      commandDocsEntry(t, s);
    }
  }
}

function commandCommands(table: CommandTable): CommandSpec[] {
  const sub = (name: string, arity: number, summary: string, handler: (ctx: CommandContext) => void): CommandSpec => ({
    name, arity, flags: ['loading', 'stale'], acl: ['slow', 'connection'], group: 'server', summary, since: '2.8.13', handler,
  });
  const named = (ctx: CommandContext, from: number): (CommandSpec | undefined)[] => {
    const list: (CommandSpec | undefined)[] = [];
    for (let i = from; i < ctx.argc; i++) list.push(table.byName(ctx.argString(i)));
    return list;
  };
  const all = (ctx: CommandContext): void => {
    addArrayHeader(ctx.client, table.all.length);
    for (const s of table.all) commandInfoEntry(ctx.client, s);
  };
  return [{
    name: 'command', arity: -1, flags: ['loading', 'stale'], acl: ['slow', 'connection'], group: 'server',
    summary: 'Returns detailed information about all commands.', since: '2.8.13', handler: all,
    subcommands: [
      sub('count', 2, 'Returns a count of commands.', (ctx) => addInteger(ctx.client, table.all.length)),
      sub('list', -2, 'Returns a list of command names.', (ctx) => {
        addArrayHeader(ctx.client, table.all.length);
        for (const s of table.all) addBulkString(ctx.client, s.name);
      }),
      sub('info', -2, 'Returns information about one, multiple or all commands.', (ctx) => {
        if (ctx.argc === 2) return all(ctx);
        const list = named(ctx, 2);
        addArrayHeader(ctx.client, list.length);
        for (const s of list) {
          if (s) commandInfoEntry(ctx.client, s);
          else addNull(ctx.client);
        }
      }),
      sub('docs', -2, 'Returns documentary information about one, multiple or all commands.', (ctx) => {
        const list = (ctx.argc === 2 ? table.all : named(ctx, 2)).filter((s): s is CommandSpec => s !== undefined);
        addMapHeader(ctx.client, list.length);
        for (const s of list) {
          addBulkString(ctx.client, s.fullName ?? s.name);
          commandDocsEntry(ctx.client, s);
        }
      }),
      sub('help', 2, 'Returns helpful text about the different subcommands.', (ctx) => {
        const lines = [
          'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
          '(no subcommand)', '    Return details about all Redis commands.',
          'COUNT', '    Return the total number of commands in this Redis server.',
          'LIST', '    Return a list of all commands in this Redis server.',
          'INFO [<command-name> ...]', '    Return details about multiple Redis commands.',
          '    If no command names are given, documentation details for all',
          '    commands are returned.',
          'DOCS [<command-name> ...]', '    Return documentation details about multiple Redis commands.',
          '    If no command names are given, documentation details for all',
          '    commands are returned.',
          'HELP', '    Prints this help.',
        ];
        addArrayHeader(ctx.client, lines.length);
        for (const l of lines) addSimple(ctx.client, l);
      }),
    ],
  }];
}

// ---- the rest --------------------------------------------------------------------------------

const admin = (name: string, arity: number, summary: string, since: string, handler: (ctx: CommandContext) => void, extra: Partial<CommandSpec> = {}): CommandSpec => ({
  name, arity, flags: ['admin', 'noscript', 'loading', 'stale'], acl: ['admin', 'slow', 'dangerous'], group: 'server', summary, since, handler, skipMonitor: true, ...extra,
});

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], checked as Redis 7 checks them. There is no
 * snapshot to save: the stop closes the clients, then writes and fsyncs the append-only log, as a
 * SIGTERM does. The client gets no reply; its connection ends with the process. ABORT has no
 * shutdown to cancel (ours does not wait for replicas), so it gets Redis's answer for that case.
 */
function shutdown(ctx: CommandContext): void {
  let save = false;
  let nosave = false;
  let abort = false;
  let otherFlags = false;
  for (let i = 1; i < ctx.argc; i++) {
    if (ctx.argIs(i, 'nosave')) nosave = true;
    else if (ctx.argIs(i, 'save')) save = true;
    else if (ctx.argIs(i, 'now') || ctx.argIs(i, 'force')) otherFlags = true;
    else if (ctx.argIs(i, 'abort')) abort = true;
    else return addError(ctx.client, 'ERR syntax error');
  }
  if ((abort && (save || nosave || otherFlags)) || (save && nosave)) return addError(ctx.client, 'ERR syntax error');
  if (abort) return addError(ctx.client, 'ERR No shutdown in progress.');
  setImmediate(ctx.broker.requestShutdown);
}

export function serverCommands(table: CommandTable): CommandSpec[] {
  return [
    { name: 'info', arity: -1, flags: ['loading', 'stale'], acl: ['slow', 'dangerous'], group: 'server', summary: 'Returns information and statistics about the server.', since: '1.0.0', handler: info },
    { name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['fast'], group: 'server', summary: 'Returns the server time.', since: '2.6.0',
      handler: (ctx) => {
        const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
        addArrayHeader(ctx.client, 2);
        addBulkString(ctx.client, String(Math.floor(micros / 1e6)));
        addBulkString(ctx.client, String(micros % 1e6));
      } },
    { name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['admin', 'fast', 'dangerous'], group: 'server', summary: 'Returns the Unix timestamp of the last successful save to disk.', since: '1.0.0',
      handler: (ctx) => addInteger(ctx.client, Math.floor(ctx.broker.clients.stats.startedMs / 1000)) },
    admin('bgrewriteaof', 1, 'Asynchronously rewrites the append-only file to disk.', '1.0.0', bgrewriteaof),
    admin('monitor', 1, 'Listens for all requests received by the server in real-time.', '1.0.0', (ctx) => {
      ctx.client.monitor = true;
      ctx.broker.monitors.add(ctx.client);
      addOk(ctx.client);
    }),
    admin('shutdown', -1, 'Synchronously saves the database(s) to disk and shuts down the Redis server.', '1.0.0', shutdown, {
      flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'sentinel', 'allow_busy'],
    }),
    admin('debug', -2, 'A container for debugging commands.', '1.0.0', (ctx) => {
      addError(ctx.client, 'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.');
    }),
    {
      name: 'config', arity: -2, flags: [], acl: ['slow'], group: 'server', summary: 'A container for server configuration commands.', since: '2.0.0', skipMonitor: true,
      subcommands: [
        admin('get', -3, 'Returns the effective values of configuration parameters.', '2.0.0', configGet),
        admin('set', -4, 'Sets configuration parameters in-flight.', '2.0.0', configSet),
        admin('resetstat', 2, 'Resets the server\'s statistics.', '2.0.0', (ctx) => {
          const s = ctx.broker.clients.stats;
          s.totalCommandsProcessed = 0;
          s.rejectedConnections = 0;
          s.outputLimitDisconnections = 0;
          s.queryLimitDisconnections = 0;
          const ks = ctx.broker.keyspace.stats;
          ks.expiredKeys = 0;
          ks.hits = 0;
          ks.misses = 0;
          addOk(ctx.client);
        }),
        admin('rewrite', 2, 'Persists the effective configuration to file.', '2.8.0', (ctx) => addError(ctx.client, 'ERR The server is running without a config file')),
        admin('help', 2, 'Returns helpful text about the different subcommands.', '5.0.0', (ctx) => {
          addArrayHeader(ctx.client, CONFIG_HELP.length);
          for (const l of CONFIG_HELP) addSimple(ctx.client, l);
        }),
      ],
    },
    {
      name: 'function', arity: -2, flags: [], acl: ['slow'], group: 'scripting', summary: 'A container for function commands.', since: '7.0.0',
      subcommands: [
        { name: 'flush', arity: -2, flags: ['write', 'noscript'], acl: ['write', 'slow', 'scripting'], group: 'scripting', summary: 'Deletes all libraries and functions.', since: '7.0.0', handler: (ctx) => {
          if (ctx.argc > 3 || (ctx.argc === 3 && !ctx.argIs(2, 'async') && !ctx.argIs(2, 'sync'))) addError(ctx.client, 'ERR syntax error');
          else addOk(ctx.client);
        } },
        { name: 'list', arity: -2, flags: ['noscript'], acl: ['slow', 'scripting'], group: 'scripting', summary: 'Returns information about all libraries.', since: '7.0.0', handler: (ctx) => addArrayHeader(ctx.client, 0) },
      ],
    },
    ...commandCommands(table),
  ];
}

