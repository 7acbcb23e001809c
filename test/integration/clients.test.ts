// Real client libraries against ringcast: ioredis and node-redis (npm, in this process), redis-cli
// (system binary), redis-py and the Ruby redis gem (Debian packages, run as child processes).
// Each one connects the way it does in production (its own handshake: INFO ready check, CLIENT
// SETINFO, HELLO 3) and runs a subscribe / publish flow. One broker for the whole file.
//
// Invariants: every wait is bounded (withTimeout, execFile timeouts, redis-cli children stopped
// with a SIGKILL deadline); every library client made by a test is closed in afterEach; a missing
// system tool skips its block with a loud warning, or fails the file when CI=true.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireTool, spawnTracked, stopProcess, type TrackedChild } from '../helpers/redis-server.js';

const HOST = '127.0.0.1';
const WAIT_TIMEOUT_MS = 10_000;
const CHILD_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 20;
const PIPELINED_MESSAGE_COUNT = 2000;
const SYSTEM_PYTHON = '/usr/bin/python3';
const SYSTEM_RUBY = '/usr/bin/ruby';

// Each throws when CI=true and the tool is missing; otherwise warns and the block is skipped.
const hasRedisCli = requireTool('redis-cli');
const hasRedisPy = requireTool(SYSTEM_PYTHON, ['-c', 'import redis']);
const hasRubyRedis = requireTool(SYSTEM_RUBY, ['-e', "require 'redis'"]);

const execFileAsync = promisify(execFile);

let broker: BrokerHandle;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  broker = await startBroker();
});

afterAll(async () => {
  await broker?.stop();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** `promise`, or a rejection naming `what` after `timeoutMs`. */
async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true; throws naming `what` once WAIT_TIMEOUT_MS has passed. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_TIMEOUT_MS} ms waiting for ${what}`);
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Collects the arguments of each `push` call; `next(n)` resolves once n have arrived. */
class Inbox<T> {
  readonly items: T[] = [];
  private wake: (() => void) | null = null;

  readonly push = (item: T): void => {
    this.items.push(item);
    this.wake?.();
  };

  next(count: number, what: string): Promise<T[]> {
    return withTimeout(
      new Promise<T[]>((resolve) => {
        const check = (): void => {
          if (this.items.length >= count) {
            this.wake = null;
            resolve(this.items.slice(0, count));
          }
        };
        this.wake = check;
        check();
      }),
      `${count} ${what} (got ${this.items.length})`,
    );
  }
}

/** A raw RESP connection closed after the test. */
async function rawClient(): Promise<RawClient> {
  const client = await RawClient.connect(broker.port);
  closers.push(() => client.close());
  return client;
}

/** PUBSUB NUMSUB `channel` as a number, read over a raw connection. */
async function numSub(channel: string): Promise<number> {
  const client = await RawClient.connect(broker.port);
  try {
    const reply = (await client.command('PUBSUB', 'NUMSUB', channel)).toString('latin1');
    const match = /:(\d+)\r\n$/.exec(reply);
    if (match === null) throw new Error(`unexpected PUBSUB NUMSUB reply ${JSON.stringify(reply)}`);
    return Number(match[1]);
  } finally {
    client.close();
  }
}

describe('ioredis 5', () => {
  /** A connected ioredis client that gives up instead of reconnecting, closed after the test. */
  async function ioredis(): Promise<Redis> {
    const client = new Redis({
      host: HOST,
      port: broker.port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    closers.push(() => client.disconnect());
    await withTimeout(client.connect(), 'ioredis to connect');
    return client;
  }

  it('connects, passes its INFO ready check and answers PING', async () => {
    const client = await ioredis();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    expect(await client.info('server')).toMatch(/\r\nredis_version:7\.2\.4\r\n/);
  });

  it('a subscriber receives a chat message with the exact channel and text', async () => {
    const [subscriber, publisher] = [await ioredis(), await ioredis()];
    const inbox = new Inbox<[string, string]>();
    subscriber.on('message', (channel: string, message: string) => inbox.push([channel, message]));
    expect(await subscriber.subscribe('room:chatty')).toBe(1);
    expect(await publisher.publish('room:chatty', 'Hello there!')).toBe(1);
    expect(await inbox.next(1, 'chat messages')).toEqual([['room:chatty', 'Hello there!']]);
  });

  it("a psubscribe('room:*') monitor gets a pmessage for each room", async () => {
    const [monitor, publisher] = [await ioredis(), await ioredis()];
    const inbox = new Inbox<[string, string, string]>();
    monitor.on('pmessage', (pattern: string, channel: string, message: string) => inbox.push([pattern, channel, message]));
    expect(await monitor.psubscribe('room:*')).toBe(1);
    expect(await publisher.publish('room:lobby', 'hi lobby')).toBe(1);
    expect(await publisher.publish('room:kitchen', 'hi kitchen')).toBe(1);
    expect(await publisher.publish('hall', 'not a room')).toBe(0);
    expect(await inbox.next(2, 'pmessages')).toEqual([
      ['room:*', 'room:lobby', 'hi lobby'],
      ['room:*', 'room:kitchen', 'hi kitchen'],
    ]);
  });

  it('subscribe and unsubscribe calls resolve with the remaining subscription count', async () => {
    const client = await ioredis();
    // Explicit names throughout: ioredis 5 never resolves an argument-less (P)UNSUBSCRIBE while the
    // client also holds the other kind of subscription (against redis-server too).
    expect(await withTimeout(client.subscribe('u1', 'u2', 'u3'), 'SUBSCRIBE')).toBe(3);
    expect(await withTimeout(client.psubscribe('u*'), 'PSUBSCRIBE')).toBe(4);
    expect(await withTimeout(client.unsubscribe('u2'), 'UNSUBSCRIBE u2')).toBe(3);
    expect(await withTimeout(client.punsubscribe('u*'), 'PUNSUBSCRIBE')).toBe(2);
    expect(await withTimeout(client.unsubscribe('u1', 'u3'), 'UNSUBSCRIBE u1 u3')).toBe(0);
    // Out of subscriber mode: ordinary commands work again.
    expect(await withTimeout(client.ping(), 'PING')).toBe('PONG');
    expect(await numSub('u1')).toBe(0);
  });

  it('a binary payload arrives byte for byte through messageBuffer', async () => {
    const [subscriber, publisher] = [await ioredis(), await ioredis()];
    const payload = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80, 0x24, 0x2a, 0x00, 0xc3]);
    const inbox = new Inbox<[Buffer, Buffer]>();
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => inbox.push([channel, message]));
    await subscriber.subscribe('bin:ioredis');
    expect(await publisher.publish('bin:ioredis', payload)).toBe(1);
    const [[channel, message]] = (await inbox.next(1, 'binary messages')) as [[Buffer, Buffer]];
    expect(channel).toEqual(Buffer.from('bin:ioredis'));
    expect(message).toEqual(payload);
  });

  it(`${PIPELINED_MESSAGE_COUNT} pipelined publishes arrive complete and in order`, async () => {
    const [subscriber, publisher] = [await ioredis(), await ioredis()];
    const inbox = new Inbox<string>();
    subscriber.on('message', (_channel: string, message: string) => inbox.push(message));
    await subscriber.subscribe('seq:ioredis');
    const pipeline = publisher.pipeline();
    for (let i = 0; i < PIPELINED_MESSAGE_COUNT; i++) pipeline.publish('seq:ioredis', String(i));
    const results = await withTimeout(pipeline.exec(), 'the pipeline');
    expect(results).toEqual(Array.from({ length: PIPELINED_MESSAGE_COUNT }, () => [null, 1]));
    const received = await inbox.next(PIPELINED_MESSAGE_COUNT, 'sequenced messages');
    expect(received).toEqual(Array.from({ length: PIPELINED_MESSAGE_COUNT }, (_, i) => String(i)));
  });
});

describe.each([{ resp: 2 as const }, { resp: 3 as const }])('node-redis 5 over RESP$resp', ({ resp }) => {
  async function nodeRedis(): Promise<ReturnType<typeof createClient>> {
    const client = createClient({ RESP: resp, socket: { host: HOST, port: broker.port, reconnectStrategy: false } });
    const errors: Error[] = [];
    client.on('error', (err: Error) => errors.push(err));
    closers.push(() => {
      if (client.isOpen) client.destroy();
      expect(errors).toEqual([]);
    });
    await withTimeout(client.connect(), 'node-redis to connect');
    return client;
  }

  it('subscribe and pSubscribe listeners receive a published message, counted once per subscription', async () => {
    const [subscriber, publisher] = [await nodeRedis(), await nodeRedis()];
    const messages = new Inbox<[string, string]>();
    const patternMessages = new Inbox<[string, string]>();
    await subscriber.subscribe('nr:chan', (message, channel) => messages.push([message, channel]));
    await subscriber.pSubscribe('nr:*', (message, channel) => patternMessages.push([message, channel]));
    expect(await publisher.publish('nr:chan', 'hello node-redis')).toBe(2);
    expect(await messages.next(1, 'messages')).toEqual([['hello node-redis', 'nr:chan']]);
    expect(await patternMessages.next(1, 'pattern messages')).toEqual([['hello node-redis', 'nr:chan']]);
    await subscriber.unsubscribe('nr:chan');
    await subscriber.pUnsubscribe('nr:*');
    expect(await publisher.publish('nr:chan', 'nobody')).toBe(0);
  });

  it('pubSubNumSub counts channel subscribers per name', async () => {
    const [first, second, admin] = [await nodeRedis(), await nodeRedis(), await nodeRedis()];
    await first.subscribe('nr:count', () => {});
    await second.subscribe(['nr:count', 'nr:other'], () => {});
    expect(await admin.pubSubNumSub(['nr:count', 'nr:other', 'nr:none'])).toEqual({
      'nr:count': 2,
      'nr:other': 1,
      'nr:none': 0,
    });
  });

  it('sSubscribe receives sPublish messages, and PUBLISH does not reach it', async () => {
    const [subscriber, publisher] = [await nodeRedis(), await nodeRedis()];
    const messages = new Inbox<[string, string]>();
    await subscriber.sSubscribe('nr:shard', (message, channel) => messages.push([message, channel]));
    expect(await publisher.publish('nr:shard', 'global')).toBe(0);
    expect(await publisher.sPublish('nr:shard', 'sharded')).toBe(1);
    expect(await messages.next(1, 'shard messages')).toEqual([['sharded', 'nr:shard']]);
    expect(messages.items).toHaveLength(1);
  });
});

describe.skipIf(!hasRedisCli)('redis-cli', () => {
  async function redisCli(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync('redis-cli', ['-h', HOST, '-p', String(broker.port), ...args], {
      timeout: CHILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    return stdout;
  }

  it('PUBLISH prints the receiver count, raw when piped and as (integer) with --no-raw', async () => {
    const subscriber = await rawClient();
    await subscriber.command('SUBSCRIBE', 'room:lobby');
    expect(await redisCli('PUBLISH', 'room:lobby', 'hi')).toBe('1\n');
    expect(await redisCli('--no-raw', 'PUBLISH', 'room:lobby', 'hi')).toBe('(integer) 1\n');
    expect(await redisCli('PUBLISH', 'room:empty', 'hi')).toBe('0\n');
    const delivered = await subscriber.readReplies(2);
    expect(delivered.map((frame) => frame.toString())).toEqual([
      '*3\r\n$7\r\nmessage\r\n$10\r\nroom:lobby\r\n$2\r\nhi\r\n',
      '*3\r\n$7\r\nmessage\r\n$10\r\nroom:lobby\r\n$2\r\nhi\r\n',
    ]);
  });

  it('a redis-cli SUBSCRIBE process prints the message it receives', async () => {
    const child: TrackedChild = spawnTracked('redis-cli', ['-h', HOST, '-p', String(broker.port), 'SUBSCRIBE', 'room:cli'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    closers.push(() => stopProcess(child, 'SIGKILL'));
    let stdout = '';
    child.proc.stdout!.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    await waitFor('redis-cli to subscribe', () => stdout.includes('subscribe\nroom:cli\n1\n'));
    const publisher = await rawClient();
    expect((await publisher.command('PUBLISH', 'room:cli', 'hello cli')).toString()).toBe(':1\r\n');
    await waitFor('redis-cli to print the message', () => stdout.includes('message\nroom:cli\nhello cli\n'));
    expect(stdout).toBe('subscribe\nroom:cli\n1\nmessage\nroom:cli\nhello cli\n');
  });
});

describe.skipIf(!hasRedisPy)('redis-py (Debian python3-redis)', () => {
  // Subscribes to a channel and a matching pattern, publishes from a second connection, prints
  // every frame it gets as Python reprs. argv[1] is the broker port.
  const script = `
import sys, redis
port = int(sys.argv[1])
sub = redis.Redis(host='127.0.0.1', port=port, socket_timeout=5)
pubsub = sub.pubsub()
pubsub.subscribe('room:py')
pubsub.psubscribe('room:p*')
for _ in range(2):
    m = pubsub.get_message(timeout=5)
    print(m['type'], m['channel'], m['data'])
pub = redis.Redis(host='127.0.0.1', port=port, socket_timeout=5)
print('published', pub.publish('room:py', b'hello \\xff from python'))
for _ in range(2):
    m = pubsub.get_message(timeout=5)
    print(m['type'], m['pattern'], m['channel'], m['data'])
print('numsub', pub.pubsub_numsub('room:py'))
pubsub.unsubscribe('room:py')
print(pubsub.get_message(timeout=5)['type'])
pubsub.close()
sub.close()
pub.close()
`;

  it('subscribes, receives a message and a pmessage, and reads NUMSUB', async () => {
    const { stdout } = await execFileAsync(SYSTEM_PYTHON, ['-c', script, String(broker.port)], {
      timeout: CHILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    expect(stdout.split('\n')).toEqual([
      "subscribe b'room:py' 1",
      "psubscribe b'room:p*' 2",
      'published 2',
      "message None b'room:py' b'hello \\xff from python'",
      "pmessage b'room:p*' b'room:py' b'hello \\xff from python'",
      "numsub [(b'room:py', 1)]",
      'unsubscribe',
      '',
    ]);
  });
});

describe.skipIf(!hasRubyRedis)('Ruby redis gem (Debian ruby-redis)', () => {
  // A listener thread subscribes; the main thread publishes once the subscription is confirmed and
  // prints what the listener received. Queue#pop has no timeout in Ruby 3.1: the execFile timeout
  // bounds the whole script. ARGV[0] is the broker port.
  const script = `
require 'redis'
port = Integer(ARGV[0])
subscribed = Queue.new
received = Queue.new
sub = Redis.new(host: '127.0.0.1', port: port, timeout: 5)
listener = Thread.new do
  sub.subscribe_with_timeout(5, 'room:rb') do |on|
    on.subscribe { |channel, count| subscribed << [channel, count] }
    on.message do |channel, message|
      received << [channel, message]
      sub.unsubscribe
    end
  end
end
channel, count = subscribed.pop
puts "subscribed #{channel} #{count}"
pub = Redis.new(host: '127.0.0.1', port: port, timeout: 5)
puts "published #{pub.publish('room:rb', 'hello from ruby')}"
channel, message = received.pop
puts "message #{channel} #{message}"
listener.join(5)
puts "numsub #{pub.pubsub('numsub', 'room:rb').inspect}"
`;

  // The monitor view of a chat: PSUBSCRIBE room:* sees two rooms; PUNSUBSCRIBE counts down to 0.
  const monitorScript = `
require 'redis'
port = Integer(ARGV[0])
ready = Queue.new
got = Queue.new
mon = Redis.new(host: '127.0.0.1', port: port, timeout: 5)
listener = Thread.new do
  mon.psubscribe_with_timeout(5, 'room:*') do |on|
    on.psubscribe { |pattern, count| ready << [pattern, count] }
    on.pmessage do |pattern, channel, message|
      got << [pattern, channel, message]
      mon.punsubscribe if channel == 'room:two'
    end
    on.punsubscribe { |pattern, count| got << ['punsubscribe', pattern, count] }
  end
end
pattern, count = ready.pop
puts "psubscribed #{pattern} #{count}"
pub = Redis.new(host: '127.0.0.1', port: port, timeout: 5)
puts "published #{pub.publish('room:one', 'hi one')} #{pub.publish('room:two', 'hi two')}"
3.times { puts got.pop.join(' ') }
listener.join(5)
`;

  it('a PSUBSCRIBE room:* monitor sees two rooms and unsubscribes to a count of 0', async () => {
    const { stdout } = await execFileAsync(SYSTEM_RUBY, ['-e', monitorScript, String(broker.port)], {
      timeout: CHILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    expect(stdout.split('\n')).toEqual([
      'psubscribed room:* 1',
      'published 1 1',
      'room:* room:one hi one',
      'room:* room:two hi two',
      'punsubscribe room:* 0',
      '',
    ]);
  });

  it('a subscriber thread receives what the main thread publishes', async () => {
    const { stdout } = await execFileAsync(SYSTEM_RUBY, ['-e', script, String(broker.port)], {
      timeout: CHILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    expect(stdout.split('\n')).toEqual([
      'subscribed room:rb 1',
      'published 1',
      'message room:rb hello from ruby',
      'numsub ["room:rb", 0]',
      '',
    ]);
  });
});
