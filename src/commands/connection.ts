/**
 * Connection commands clients send on connect and while connected: PING, ECHO, QUIT, RESET, HELLO,
 * SELECT, AUTH and CLIENT (main thread). Replies and errors are Redis 7.2's.
 */
import { REDIS_COMPAT_VERSION } from '../config.js';
import {
  addArrayHeader, addBulk, addBulkString, addError, addInteger, addMapHeader, addNull, addOk, addRaw, addSimple, addVerbatim, SHARED,
} from '../protocol/reply.js';
import type { Client } from '../transport/client.js';
import type { CommandContext } from './context.js';
import { resendSubscriptions } from './pubsub.js';
import { endTransaction } from './transactions.js';
import type { CommandSpec } from './table.js';

const DATABASES = 16;
const PONG_WORD = Buffer.from('$4\r\npong\r\n');

function ping(ctx: CommandContext): void {
  const c = ctx.client;
  if (ctx.argc > 2) {
    addError(c, "ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (c.resp === 2 && c.inPubSub) {
    // RESP2 pub/sub mode: the reply is a "pong" message frame.
    addArrayHeader(c, 2);
    addRaw(c, PONG_WORD);
    if (ctx.argc === 2) addBulk(c, ctx.buf, ctx.argStart[1], ctx.argEnd[1]);
    else addBulk(c, ctx.buf, 0, 0);
    return;
  }
  if (ctx.argc === 2) addBulk(c, ctx.buf, ctx.argStart[1], ctx.argEnd[1]);
  else addRaw(c, SHARED.pong);
}

function echo(ctx: CommandContext): void {
  addBulk(ctx.client, ctx.buf, ctx.argStart[1], ctx.argEnd[1]);
}

function quit(ctx: CommandContext): void {
  addOk(ctx.client);
  ctx.client.quitting = true;
}

/** RESET: back to a fresh connection's state, subscriptions dropped without frames. */
function reset(ctx: CommandContext): void {
  const c = ctx.client;
  if (c.inPubSub) ctx.broker.router.dropSubscriptions(c);
  if (c.monitor) {
    c.monitor = false;
    ctx.broker.monitors.delete(c);
  }
  endTransaction(ctx, c);
  c.db = 0;
  c.resp = 2;
  c.name = '';
  c.replyOff = false;
  c.skipNextReply = false;
  c.muted = false;
  addSimple(c, 'RESET');
}

function select(ctx: CommandContext): void {
  const n = ctx.argInteger(1);
  if (n === null) {
    addError(ctx.client, 'ERR value is not an integer or out of range');
    return;
  }
  if (n < 0 || n >= DATABASES) {
    addError(ctx.client, 'ERR DB index is out of range');
    return;
  }
  ctx.client.db = n;
  addOk(ctx.client);
}

/**
 * AUTH: ringcast has one user, `default`, with no password (Redis's default `nopass` user), so any
 * password for `default` is accepted and anything else is refused the way Redis refuses it.
 */
function auth(ctx: CommandContext): void {
  if (ctx.argc > 3) {
    addError(ctx.client, 'ERR syntax error');
    return;
  }
  if (ctx.argc === 2) {
    addError(ctx.client, 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    return;
  }
  if (ctx.argString(1) !== 'default') {
    addError(ctx.client, 'WRONGPASS invalid username-password pair or user is disabled.');
    return;
  }
  addOk(ctx.client);
}

/** Redis refuses names with spaces, newlines or anything outside '!'..'~'. */
function validClientName(bytes: Buffer): boolean {
  for (const b of bytes) if (b < 0x21 || b > 0x7e) return false;
  return true;
}

/** HELLO [protover [AUTH user pass] [SETNAME name]]: switch protocol, reply with server facts. */
function hello(ctx: CommandContext): void {
  const c = ctx.client;
  let proto = c.resp;
  let i = 1;
  if (ctx.argc >= 2) {
    const n = ctx.argInteger(1);
    if (n === null) {
      addError(c, 'ERR Protocol version is not an integer or out of range');
      return;
    }
    if (n < 2 || n > 3) {
      addError(c, 'NOPROTO unsupported protocol version');
      return;
    }
    proto = n;
    i = 2;
  }
  let name: Buffer | null = null;
  for (; i < ctx.argc; i++) {
    const more = ctx.argc - i - 1;
    if (ctx.argIs(i, 'auth') && more >= 2) {
      if (ctx.argString(i + 1) !== 'default') {
        addError(c, 'WRONGPASS invalid username-password pair or user is disabled.');
        return;
      }
      i += 2;
    } else if (ctx.argIs(i, 'setname') && more >= 1) {
      name = Buffer.from(ctx.arg(i + 1));
      if (!validClientName(name)) {
        addError(c, 'ERR Client names cannot contain spaces, newlines or special characters.');
        return;
      }
      i += 1;
    } else {
      addError(c, `ERR Syntax error in HELLO option '${ctx.buf.toString('latin1', ctx.argStart[i], ctx.argEnd[i])}'`, 'latin1');
      return;
    }
  }
  if (name !== null) c.name = name.toString('latin1');
  const changed = proto !== c.resp;
  c.resp = proto;
  if (changed && c.inPubSub) resendSubscriptions(ctx);
  addMapHeader(c, 7);
  addBulkString(c, 'server');
  addBulkString(c, 'redis');
  addBulkString(c, 'version');
  addBulkString(c, REDIS_COMPAT_VERSION);
  addBulkString(c, 'proto');
  addInteger(c, proto);
  addBulkString(c, 'id');
  addInteger(c, c.id);
  addBulkString(c, 'mode');
  addBulkString(c, 'standalone');
  addBulkString(c, 'role');
  addBulkString(c, 'master');
  addBulkString(c, 'modules');
  addArrayHeader(c, 0);
}

// ---- CLIENT ----------------------------------------------------------------------------------

/** One CLIENT LIST line, in Redis 7.2's field order. */
export function clientInfoLine(c: Client, queryBufferBytes: number): string {
  const flags = (c.monitor ? 'O' : '') + (c.inPubSub ? 'P' : '') || 'N';
  const now = Date.now();
  return (
    `id=${c.id} addr=${c.transport.remoteAddress} laddr=${c.transport.localAddress} fd=-1 name=${c.name} ` +
    `age=${Math.floor((now - c.createdMs) / 1000)} idle=${Math.floor((now - c.lastInteractionMs) / 1000)} flags=${flags} ` +
    `db=${c.db} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size} multi=-1 ` +
    `qbuf=${queryBufferBytes} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=${c.outputBytes} ` +
    `tot-mem=${c.outputBytes + queryBufferBytes} events=r cmd=${c.lastCommand} user=default redir=-1 resp=${c.resp} ` +
    `lib-name=${c.libName} lib-ver=${c.libVersion}`
  );
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME', '    Return the name of the current connection.',
  'ID', '    Return the ID of the current connection.',
  'INFO', '    Return information about the current client connection.',
  'KILL <ip:port>', '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]', '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)', '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)', '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)', '      Kill connections by type.',
  '    * USER <username>', '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)', '      Skip killing current connection (default: yes).',
  '    * ID <client-id>', '      Kill connections by client id.',
  'LIST [options ...]', '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)', '      Return clients of specified type.',
  '    * ID <client-id> [<client-id> ...]', '      Return clients of specified IDs.',
  'REPLY (ON|OFF|SKIP)', '    Control the replies sent to the current connection.',
  'SETNAME <name>', '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>', '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.', '    * LIB-VER: the client lib version.',
  'NO-EVICT (ON|OFF)', '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)', "    Will not touch LRU/LFU stats when this mode is on.",
  'HELP', '    Prints this help.',
];

function clientType(c: Client): string {
  return c.inPubSub ? 'pubsub' : 'normal';
}

/** Which clients CLIENT LIST [TYPE t] [ID id...] selects; writes the error and returns null if invalid. */
function selectClients(ctx: CommandContext): Client[] | null {
  const all = [...ctx.broker.clients.byId.values()];
  if (ctx.argc === 2) return all;
  if (ctx.argIs(2, 'type') && ctx.argc === 4) {
    const type = ctx.argString(3).toLowerCase();
    if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) {
      addError(ctx.client, `ERR Unknown client type '${ctx.argString(3)}'`);
      return null;
    }
    return all.filter((c) => clientType(c) === type);
  }
  if (ctx.argIs(2, 'id') && ctx.argc >= 4) {
    const ids = new Set<number>();
    for (let i = 3; i < ctx.argc; i++) {
      const id = ctx.argInteger(i);
      if (id === null || id <= 0) {
        addError(ctx.client, 'ERR Invalid client ID');
        return null;
      }
      ids.add(id);
    }
    return all.filter((c) => ids.has(c.id));
  }
  addError(ctx.client, 'ERR syntax error');
  return null;
}

function clientKill(ctx: CommandContext): void {
  const c = ctx.client;
  const clients = ctx.broker.clients;
  if (ctx.argc === 3) {
    // Old form: CLIENT KILL ip:port -> +OK or "No such client".
    const addr = ctx.argString(2);
    const victim = [...clients.byId.values()].find((x) => x.transport.remoteAddress === addr);
    if (!victim) {
      addError(c, 'ERR No such client');
      return;
    }
    addOk(c);
    if (victim === c) c.quitting = true;
    else clients.close(victim);
    return;
  }
  if (ctx.argc % 2 !== 0) {
    addError(c, 'ERR syntax error');
    return;
  }
  let skipMe = true;
  const tests: ((x: Client) => boolean)[] = [];
  for (let i = 2; i < ctx.argc; i += 2) {
    const value = ctx.argString(i + 1);
    if (ctx.argIs(i, 'id')) {
      const id = ctx.argInteger(i + 1);
      if (id === null || id <= 0) {
        addError(c, 'ERR client-id should be greater than 0');
        return;
      }
      tests.push((x) => x.id === id);
    } else if (ctx.argIs(i, 'addr')) {
      tests.push((x) => x.transport.remoteAddress === value);
    } else if (ctx.argIs(i, 'laddr')) {
      tests.push((x) => x.transport.localAddress === value);
    } else if (ctx.argIs(i, 'type')) {
      const type = value.toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) {
        addError(c, `ERR Unknown client type '${value}'`);
        return;
      }
      tests.push((x) => clientType(x) === type);
    } else if (ctx.argIs(i, 'user')) {
      tests.push(() => value === 'default');
    } else if (ctx.argIs(i, 'skipme')) {
      if (value.toLowerCase() === 'yes') skipMe = true;
      else if (value.toLowerCase() === 'no') skipMe = false;
      else {
        addError(c, 'ERR syntax error');
        return;
      }
    } else {
      addError(c, 'ERR syntax error');
      return;
    }
  }
  let killed = 0;
  for (const x of [...clients.byId.values()]) {
    if (!tests.every((t) => t(x))) continue;
    if (x === c) {
      if (skipMe) continue;
      c.quitting = true;
    } else {
      clients.close(x);
    }
    killed++;
  }
  addInteger(c, killed);
}

function onOff(ctx: CommandContext): void {
  if (ctx.argIs(2, 'on') || ctx.argIs(2, 'off')) addOk(ctx.client);
  else addError(ctx.client, 'ERR syntax error');
}

const clientSub = (name: string, arity: number, summary: string, handler: (ctx: CommandContext) => void, pubsubContext = false): CommandSpec => ({
  name, arity, flags: ['noscript', 'loading', 'stale'], acl: ['slow', 'connection'], group: 'connection', summary, since: '2.4.0', handler, pubsubContext,
});

const CLIENT_SUBCOMMANDS: CommandSpec[] = [
  clientSub('id', 2, 'Returns the unique client ID of the connection.', (ctx) => addInteger(ctx.client, ctx.client.id)),
  clientSub('getname', 2, 'Returns the name of the connection.', (ctx) => {
    if (ctx.client.name === '') addNull(ctx.client);
    else addBulk(ctx.client, Buffer.from(ctx.client.name, 'latin1'));
  }),
  clientSub('setname', 3, 'Sets the connection name.', (ctx) => {
    const name = ctx.arg(2);
    if (!validClientName(name)) {
      addError(ctx.client, 'ERR Client names cannot contain spaces, newlines or special characters.');
      return;
    }
    ctx.client.name = ctx.argKey(2);
    addOk(ctx.client);
  }),
  clientSub('setinfo', 4, 'Sets information specific to the client or connection.', (ctx) => {
    const value = ctx.arg(3);
    const isName = ctx.argIs(2, 'lib-name');
    if (!isName && !ctx.argIs(2, 'lib-ver')) {
      addError(ctx.client, `ERR Unrecognized option '${ctx.argString(2)}'`);
      return;
    }
    if (!validClientName(value) && value.length > 0) {
      addError(ctx.client, `ERR ${isName ? 'lib-name' : 'lib-ver'} cannot contain spaces, newlines or special characters.`);
      return;
    }
    if (isName) ctx.client.libName = ctx.argKey(3);
    else ctx.client.libVersion = ctx.argKey(3);
    addOk(ctx.client);
  }),
  clientSub('list', -2, 'Lists open connections.', (ctx) => {
    const list = selectClients(ctx);
    if (list === null) return;
    addVerbatim(ctx.client, list.map((x) => clientInfoLine(x, 0) + '\n').join(''));
  }),
  clientSub('info', 2, 'Returns information about the connection.', (ctx) => {
    addVerbatim(ctx.client, clientInfoLine(ctx.client, 0) + '\n');
  }),
  clientSub('kill', -3, 'Terminates open connections.', clientKill),
  clientSub('reply', 3, 'Instructs the server whether to reply to commands.', (ctx) => {
    const c = ctx.client;
    if (ctx.argIs(2, 'on')) {
      c.replyOff = false;
      c.skipNextReply = false;
      c.muted = false;
      addOk(c);
    } else if (ctx.argIs(2, 'off')) {
      c.replyOff = true;
      c.muted = true;
    } else if (ctx.argIs(2, 'skip')) {
      if (!c.replyOff) c.skipNextReply = true;
      c.muted = true;
    } else {
      addError(c, 'ERR syntax error');
    }
  }),
  clientSub('no-evict', 3, 'Sets the client eviction mode of the connection.', onOff),
  clientSub('no-touch', 3, 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', onOff),
  clientSub('help', 2, 'Returns helpful text about the different subcommands.', (ctx) => {
    addArrayHeader(ctx.client, CLIENT_HELP.length);
    for (const line of CLIENT_HELP) addSimple(ctx.client, line);
  }),
];

const conn = (name: string, arity: number, summary: string, since: string, handler: (ctx: CommandContext) => void, flags: string[], pubsubContext = false): CommandSpec => ({
  name, arity, flags, acl: ['fast', 'connection'], group: 'connection', summary, since, handler, pubsubContext,
});

export const CONNECTION_COMMANDS: CommandSpec[] = [
  conn('ping', -1, 'Returns the server\'s liveliness response.', '1.0.0', ping, ['fast', 'sentinel'], true),
  conn('echo', 2, 'Returns the given string.', '1.0.0', echo, ['fast', 'loading', 'stale']),
  conn('quit', -1, 'Closes the connection.', '1.0.0', quit, ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth', 'no_multi'], true),
  conn('reset', 1, 'Resets the connection.', '6.2.0', reset, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], true),
  conn('hello', -1, 'Handshakes with the Redis server.', '6.0.0', hello, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'sentinel', 'allow_busy']),
  conn('select', 2, 'Changes the selected database.', '1.0.0', select, ['loading', 'stale', 'fast']),
  conn('auth', -2, 'Authenticates the connection.', '1.0.0', auth, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'sentinel', 'allow_busy']),
  {
    name: 'client', arity: -2, flags: [], acl: ['slow'], group: 'connection', summary: 'A container for client connection commands.', since: '2.4.0',
    subcommands: CLIENT_SUBCOMMANDS,
  },
];
