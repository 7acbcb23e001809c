/**
 * SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and
 * PUBSUB (main thread), after Redis's pubsub.c.
 *
 * The handlers are thin: the client's own subscription sets (the main thread's copy) decide what
 * changed and the counts in the replies; the router carries each change to the partition that owns
 * it. Global and shard subscriptions are two instances of one mechanism (a Namespace below).
 */
import * as R from '../shm/records.js';
import { addArrayHeader, addBulk, addError, addInteger, addPushHeader, addRaw, addSimple, SHARED } from '../protocol/reply.js';
import type { Client } from '../transport/client.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './table.js';

/** One subscription kind: which client set it uses, its op types, and its reply words. */
interface Namespace {
  space: number;
  pattern: boolean;
  set(c: Client): Set<string>;
  /** The count in (un)subscribe replies: channels + patterns, or shard channels alone. */
  count(c: Client): number;
  subscribeWord: Buffer;
  unsubscribeWord: Buffer;
}

const word = (w: string): Buffer => Buffer.from(`$${w.length}\r\n${w}\r\n`);

const CHANNELS: Namespace = {
  space: R.SPACE_GLOBAL, pattern: false,
  set: (c) => c.channels,
  count: (c) => c.subscriptionCount,
  subscribeWord: word('subscribe'), unsubscribeWord: word('unsubscribe'),
};
const PATTERNS: Namespace = {
  space: R.SPACE_GLOBAL, pattern: true,
  set: (c) => c.patterns,
  count: (c) => c.subscriptionCount,
  subscribeWord: word('psubscribe'), unsubscribeWord: word('punsubscribe'),
};
const SHARD: Namespace = {
  space: R.SPACE_SHARD, pattern: false,
  set: (c) => c.shardChannels,
  count: (c) => c.shardChannels.size,
  subscribeWord: word('ssubscribe'), unsubscribeWord: word('sunsubscribe'),
};

/** `subscribe <name> <count>` as a push (RESP3) or array (RESP2); name null -> `$-1` / `_`. */
function confirm(c: Client, kindWord: Buffer, name: Uint8Array | null, start: number, end: number, count: number): void {
  const t = c.pushes;
  addPushHeader(t, 3);
  addRaw(t, kindWord);
  if (name === null) addRaw(t, c.resp === 3 ? SHARED.null3 : SHARED.nullBulk2);
  else addBulk(t, name, start, end);
  addInteger(t, count);
}

/** Rejects names too long for one ring record (a ringcast limit; Redis has none below 512 MB). */
function namesFit(ctx: CommandContext, first: number): boolean {
  const max = ctx.broker.router.maxNameBytes;
  for (let i = first; i < ctx.argc; i++) {
    if (ctx.argLength(i) > max) {
      addError(ctx.client, `ERR ringcast: channel or pattern names longer than ${max} bytes are not supported`);
      return false;
    }
  }
  return true;
}

function subscribe(ns: Namespace, opType: number) {
  return (ctx: CommandContext): void => {
    if (!namesFit(ctx, 1)) return;
    const c = ctx.client;
    const router = ctx.broker.router;
    const set = ns.set(c);
    for (let i = 1; i < ctx.argc; i++) {
      const key = ctx.argKey(i);
      if (!set.has(key)) {
        set.add(key);
        if (ns.pattern) router.broadcastPattern(opType, c, ctx.buf, ctx.argStart[i], ctx.argEnd[i]);
        else router.sendSubscription(opType, c, ns.space, ctx.buf, ctx.argStart[i], ctx.argEnd[i]);
      }
      confirm(c, ns.subscribeWord, ctx.buf, ctx.argStart[i], ctx.argEnd[i], ns.count(c));
    }
  };
}

/** Removes one subscription (if held), tells the partitions, and confirms. */
function unsubscribeOne(ctx: CommandContext, ns: Namespace, opType: number, name: Buffer, start: number, end: number, key: string): void {
  const c = ctx.client;
  const router = ctx.broker.router;
  if (ns.set(c).delete(key)) {
    if (ns.pattern) router.broadcastPattern(opType, c, name, start, end);
    else router.sendSubscription(opType, c, ns.space, name, start, end);
  }
  confirm(c, ns.unsubscribeWord, name, start, end, ns.count(c));
}

function unsubscribe(ns: Namespace, opType: number) {
  return (ctx: CommandContext): void => {
    const c = ctx.client;
    if (ctx.argc > 1) {
      for (let i = 1; i < ctx.argc; i++) unsubscribeOne(ctx, ns, opType, ctx.buf, ctx.argStart[i], ctx.argEnd[i], ctx.argKey(i));
      return;
    }
    const set = ns.set(c);
    if (set.size === 0) {
      confirm(c, ns.unsubscribeWord, null, 0, 0, ns.count(c));
      return;
    }
    for (const key of [...set]) {
      const name = Buffer.from(key, 'latin1');
      unsubscribeOne(ctx, ns, opType, name, 0, name.length, key);
    }
  };
}

function publish(space: number) {
  return (ctx: CommandContext): void => {
    if (ctx.argLength(1) > ctx.broker.router.maxNameBytes) {
      namesFit(ctx, 1);
      return;
    }
    ctx.broker.router.publish(ctx.client, space, ctx.buf, ctx.argStart[1], ctx.argEnd[1], ctx.argStart[2], ctx.argEnd[2]);
  };
}

// ---- PUBSUB ----------------------------------------------------------------------------------

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

/** Redis's addReplySubcommandSyntaxError, quoting the subcommand as typed. */
function subcommandSyntaxError(ctx: CommandContext): void {
  addError(ctx.client, `ERR unknown subcommand or wrong number of arguments for '${ctx.buf.toString('latin1', ctx.argStart[1], ctx.argEnd[1])}'. Try PUBSUB HELP.`, 'latin1');
}

function pubsubChannels(space: number) {
  return (ctx: CommandContext): void => {
    if (ctx.argc > 3) {
      subcommandSyntaxError(ctx);
      return;
    }
    const hasPattern = ctx.argc === 3;
    const pattern = hasPattern ? Buffer.from(ctx.arg(2)) : Buffer.alloc(0);
    if (pattern.length > ctx.broker.router.maxNameBytes) {
      namesFit(ctx, 2);
      return;
    }
    ctx.broker.router.broadcastQuery(ctx.client, R.OP_CHANNELS, R.CHANNELS_PATTERN + pattern.length, (bytes, v, off) => {
      v.setUint32(off + R.CHANNELS_SPACE, space, true);
      v.setUint32(off + R.CHANNELS_HAS_PATTERN, hasPattern ? 1 : 0, true);
      v.setUint32(off + R.CHANNELS_PATTERN_LEN, pattern.length, true);
      bytes.set(pattern, off + R.CHANNELS_PATTERN);
    }, {
      names: [], counts: [],
      finish(c, names) {
        addArrayHeader(c, names.length);
        for (const n of names) addBulk(c, n);
      },
    });
  };
}

function pubsubNumsub(space: number) {
  return (ctx: CommandContext): void => {
    const names: Buffer[] = [];
    let body = R.NUMSUB_NAMES;
    for (let i = 2; i < ctx.argc; i++) {
      names.push(Buffer.from(ctx.arg(i)));
      body += 4 + R.pad4(ctx.argLength(i));
    }
    if (names.length === 0) {
      addArrayHeader(ctx.client, 0);
      return;
    }
    if (body > ctx.broker.router.links[0].maxRecordBytes) {
      addError(ctx.client, `ERR ringcast: PUBSUB NUMSUB arguments over ${ctx.broker.router.links[0].maxRecordBytes} bytes are not supported`);
      return;
    }
    ctx.broker.router.broadcastQuery(ctx.client, R.OP_NUMSUB, body, (bytes, v, off) => {
      v.setUint32(off + R.NUMSUB_SPACE, space, true);
      v.setUint32(off + R.NUMSUB_COUNT, names.length, true);
      let pos = off + R.NUMSUB_NAMES;
      for (const n of names) {
        v.setUint32(pos, n.length, true);
        bytes.set(n, pos + 4);
        pos += 4 + R.pad4(n.length);
      }
    }, {
      names: [], counts: [],
      finish(c, _names, counts) {
        addArrayHeader(c, names.length * 2);
        for (let i = 0; i < names.length; i++) {
          addBulk(c, names[i]);
          addInteger(c, counts[i] ?? 0);
        }
      },
    });
  };
}

function pubsubNumpat(ctx: CommandContext): void {
  ctx.broker.router.broadcastQuery(ctx.client, R.OP_NUMPAT, 0, () => {}, {
    names: [], counts: [],
    finish(c, _names, counts) {
      addInteger(c, counts[0] ?? 0);
    },
  }, true);
}

function pubsubHelp(ctx: CommandContext): void {
  addArrayHeader(ctx.client, PUBSUB_HELP.length);
  for (const line of PUBSUB_HELP) addSimple(ctx.client, line);
}

// ---- the table -------------------------------------------------------------------------------

const SUB_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'];
const PUB_FLAGS = ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'];
const sub = (name: string, summary: string, handler: (ctx: CommandContext) => void, arity: number, since = '2.0.0', keys?: [number, number, number]): CommandSpec => ({
  name, arity, flags: SUB_FLAGS, acl: ['pubsub', 'slow'], group: 'pubsub', summary, since, pubsubContext: true, handler, keys,
});

export const PUBSUB_COMMANDS: CommandSpec[] = [
  sub('subscribe', 'Listens for messages published to channels.', subscribe(CHANNELS, R.OP_SUBSCRIBE), -2),
  sub('unsubscribe', 'Stops listening to messages posted to channels.', unsubscribe(CHANNELS, R.OP_UNSUBSCRIBE), -1),
  sub('psubscribe', 'Listens for messages published to channels that match one or more patterns.', subscribe(PATTERNS, R.OP_PSUBSCRIBE), -2),
  sub('punsubscribe', 'Stops listening to messages published to channels that match one or more patterns.', unsubscribe(PATTERNS, R.OP_PUNSUBSCRIBE), -1),
  sub('ssubscribe', 'Listens for messages published to shard channels.', subscribe(SHARD, R.OP_SUBSCRIBE), -2, '7.0.0', [1, -1, 1]),
  sub('sunsubscribe', 'Stops listening to messages posted to shard channels.', unsubscribe(SHARD, R.OP_UNSUBSCRIBE), -1, '7.0.0', [1, -1, 1]),
  { name: 'publish', arity: 3, flags: PUB_FLAGS, acl: ['pubsub', 'fast'], group: 'pubsub', summary: 'Posts a message to a channel.', since: '2.0.0', handler: publish(R.SPACE_GLOBAL) },
  { name: 'spublish', arity: 3, flags: PUB_FLAGS, acl: ['pubsub', 'fast'], group: 'pubsub', summary: 'Post a message to a shard channel', since: '7.0.0', keys: [1, 1, 1], handler: publish(R.SPACE_SHARD) },
  {
    name: 'pubsub', arity: -2, flags: [], acl: ['slow'], group: 'pubsub', summary: 'A container for Pub/Sub commands.', since: '2.8.0',
    subcommands: [
      { name: 'channels', arity: -2, flags: ['pubsub', 'loading', 'stale'], acl: ['pubsub', 'slow'], group: 'pubsub', summary: 'Returns the active channels.', since: '2.8.0', handler: pubsubChannels(R.SPACE_GLOBAL) },
      { name: 'numsub', arity: -2, flags: ['pubsub', 'loading', 'stale'], acl: ['pubsub', 'slow'], group: 'pubsub', summary: 'Returns a count of subscribers to channels.', since: '2.8.0', handler: pubsubNumsub(R.SPACE_GLOBAL) },
      { name: 'numpat', arity: 2, flags: ['pubsub', 'loading', 'stale'], acl: ['pubsub', 'slow'], group: 'pubsub', summary: 'Returns a count of unique pattern subscriptions.', since: '2.8.0', handler: pubsubNumpat },
      { name: 'shardchannels', arity: -2, flags: ['pubsub', 'loading', 'stale'], acl: ['pubsub', 'slow'], group: 'pubsub', summary: 'Returns the active shard channels.', since: '7.0.0', handler: pubsubChannels(R.SPACE_SHARD) },
      { name: 'shardnumsub', arity: -2, flags: ['pubsub', 'loading', 'stale'], acl: ['pubsub', 'slow'], group: 'pubsub', summary: 'Returns the count of subscribers of shard channels.', since: '7.0.0', handler: pubsubNumsub(R.SPACE_SHARD) },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], group: 'pubsub', summary: 'Returns helpful text about the different subcommands.', since: '6.2.0', handler: pubsubHelp },
    ],
  },
];

/** Re-sends a client's subscriptions with its new frame encoding (HELLO changed the protocol). */
export function resendSubscriptions(ctx: CommandContext): void {
  const c = ctx.client;
  const router = ctx.broker.router;
  for (const key of c.channels) {
    const b = Buffer.from(key, 'latin1');
    router.sendSubscription(R.OP_SUBSCRIBE, c, R.SPACE_GLOBAL, b, 0, b.length);
  }
  for (const key of c.shardChannels) {
    const b = Buffer.from(key, 'latin1');
    router.sendSubscription(R.OP_SUBSCRIBE, c, R.SPACE_SHARD, b, 0, b.length);
  }
  for (const key of c.patterns) {
    const b = Buffer.from(key, 'latin1');
    router.broadcastPattern(R.OP_PSUBSCRIBE, c, b, 0, b.length);
  }
}
