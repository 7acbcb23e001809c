// The typed client (src/client, `ringcast/client`) in Node against a real broker's WebSocket
// endpoint, once per subprotocol (json and msgpack): subscribe/publish/psubscribe, publish counts,
// non-UTF-8 payloads and names, command replies and error replies, reply/confirmation counting in
// pipelines, the async iterator, and auto-reconnect after the broker restarts on the same ports.
// Node 20 has no global WebSocket, so the `ws` package is passed in.
//
// Invariants: every wait is bounded (withTimeout / waitFor); every client a test makes is closed
// in afterEach; every broker is stopped in afterAll (the restart test stops its own in finally).
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientClosedError,
  ConnectionLostError,
  ReplyError,
  RingcastClient,
  type DisconnectInfo,
  type Payload,
  type RingcastMessage,
  type SubprotocolName,
} from '../../src/client/index.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { findFreePort } from '../helpers/redis-server.js';

const HOST = '127.0.0.1';
const WAIT_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 20;
const FAST_RECONNECT = { initialDelayMs: 50, maxDelayMs: 400 };
const NON_UTF8_BYTES = Uint8Array.from([0xff, 0x00, 0xfe, 0x0d, 0x0a, 0x80, 0xc3]);
// A restarted broker may briefly find its old ports still held; retry the start a few times.
const MAX_RESTART_ATTEMPTS = 5;

let broker: BrokerHandle;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  broker = await startBroker({ args: ['--http-port', '0'] });
  if (broker.httpPort === undefined) throw new Error('the broker did not report a WebSocket port');
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

function wsUrl(handle: BrokerHandle): string {
  return `ws://${HOST}:${handle.httpPort}/ws`;
}

/** A connected client (closed after the test). */
async function connect(
  protocol: SubprotocolName,
  handle: BrokerHandle = broker,
  reconnect: typeof FAST_RECONNECT | false = false,
): Promise<RingcastClient> {
  const client = new RingcastClient(wsUrl(handle), { protocol, WebSocket, reconnect });
  closers.push(() => client.close());
  await withTimeout(client.connected(), `a ${protocol} client to connect`);
  return client;
}

/** Every message a client receives through its callbacks, as [kind, pattern?, channel, message]. */
function recordMessages(client: RingcastClient): Payload[][] {
  const received: Payload[][] = [];
  client.on('message', (channel, message) => received.push(['message', channel, message]));
  client.on('pmessage', (pattern, channel, message) => received.push(['pmessage', pattern, channel, message]));
  return received;
}

async function ioredis(port: number): Promise<Redis> {
  const client = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  closers.push(() => client.disconnect());
  await withTimeout(client.connect(), 'ioredis to connect');
  return client;
}

/** Bytes as a plain array, so Buffer and Uint8Array compare alike and failures print readably. */
function bytesOf(value: unknown): number[] {
  if (!(value instanceof Uint8Array)) throw new Error(`expected bytes, got ${JSON.stringify(value)}`);
  return Array.from(value);
}

describe.each<SubprotocolName>(['json', 'msgpack'])('the client over the %s subprotocol', (protocol) => {
  it('a subscriber gets a published message through its callback', async () => {
    const [subscriber, publisher] = [await connect(protocol), await connect(protocol)];
    const received = recordMessages(subscriber);
    await subscriber.subscribe(`${protocol}:room:chatty`);
    expect(await publisher.publish(`${protocol}:room:chatty`, 'Hello there!')).toBe(1);
    await waitFor('the message', () => received.length === 1);
    expect(received).toEqual([['message', `${protocol}:room:chatty`, 'Hello there!']]);
  });

  it('PUBLISH resolves with the receiver count, each channel and each matching pattern counted', async () => {
    const [first, second, publisher] = [await connect(protocol), await connect(protocol), await connect(protocol)];
    const channel = `${protocol}:count:a`;
    await first.subscribe(channel);
    await second.subscribe(channel);
    await second.psubscribe(`${protocol}:count:*`);
    expect(await publisher.publish(channel, 'x')).toBe(3);
    expect(await publisher.publish(`${protocol}:count:b`, 'x')).toBe(1);
    expect(await publisher.publish(`${protocol}:elsewhere`, 'x')).toBe(0);
  });

  it('a psubscriber gets a pmessage with the pattern, the channel and the payload', async () => {
    const [monitor, publisher] = [await connect(protocol), await connect(protocol)];
    const received = recordMessages(monitor);
    await monitor.psubscribe(`${protocol}:room:*`);
    await publisher.publish(`${protocol}:room:lobby`, 'hi lobby');
    await publisher.publish(`${protocol}:hall`, 'not a room');
    await publisher.publish(`${protocol}:room:kitchen`, 'hi kitchen');
    await waitFor('two pmessages', () => received.length === 2);
    expect(received).toEqual([
      ['pmessage', `${protocol}:room:*`, `${protocol}:room:lobby`, 'hi lobby'],
      ['pmessage', `${protocol}:room:*`, `${protocol}:room:kitchen`, 'hi kitchen'],
    ]);
  });

  it('the async iterator yields messages and pmessages in arrival order', async () => {
    const [subscriber, publisher] = [await connect(protocol), await connect(protocol)];
    const channel = `${protocol}:iter:1`;
    await subscriber.subscribe(channel);
    await subscriber.psubscribe(`${protocol}:iter:*`);
    const iterator = subscriber.messages();
    await publisher.publish(channel, 'first');
    await publisher.publish(channel, 'second');
    const collected: RingcastMessage[] = [];
    for await (const message of iterator) {
      collected.push(message);
      if (collected.length === 4) break;
    }
    expect(collected).toEqual([
      { kind: 'message', channel, message: 'first' },
      { kind: 'pmessage', pattern: `${protocol}:iter:*`, channel, message: 'first' },
      { kind: 'message', channel, message: 'second' },
      { kind: 'pmessage', pattern: `${protocol}:iter:*`, channel, message: 'second' },
    ]);
  });

  it('a payload that is not UTF-8 round-trips byte for byte as a Uint8Array', async () => {
    const [subscriber, publisher] = [await connect(protocol), await connect(protocol)];
    const received = recordMessages(subscriber);
    await subscriber.subscribe(`${protocol}:bin`);
    expect(await publisher.publish(`${protocol}:bin`, NON_UTF8_BYTES)).toBe(1);
    await waitFor('the binary message', () => received.length === 1);
    const [kind, channel, message] = received[0]!;
    expect([kind, channel]).toEqual(['message', `${protocol}:bin`]);
    expect(bytesOf(message)).toEqual(Array.from(NON_UTF8_BYTES));
  });

  it('a channel name that is not UTF-8 is subscribed to, delivered and counted as bytes', async () => {
    const [subscriber, publisher] = [await connect(protocol), await connect(protocol)];
    const channelBytes = Uint8Array.from([0x63, 0x68, 0xff, 0x01]);
    const received = recordMessages(subscriber);
    await subscriber.subscribe(channelBytes);
    expect(await publisher.command('PUBSUB', 'NUMSUB', channelBytes)).toEqual([expect.any(Uint8Array), 1]);
    expect(await publisher.publish(channelBytes, 'to a binary channel')).toBe(1);
    await waitFor('the message on the binary channel', () => received.length === 1);
    expect(bytesOf(received[0]![1])).toEqual(Array.from(channelBytes));
    expect(received[0]![2]).toBe('to a binary channel');
  });

  it('bytes that are valid UTF-8 arrive as a string, whatever form they were sent in', async () => {
    const [subscriber, publisher] = [await connect(protocol), await connect(protocol)];
    const received = recordMessages(subscriber);
    await subscriber.subscribe(`${protocol}:utf8`);
    await publisher.publish(`${protocol}:utf8`, new TextEncoder().encode('grüße ✓'));
    await waitFor('the message', () => received.length === 1);
    expect(received[0]![2]).toBe('grüße ✓');
  });

  it("PING, ECHO and PUBSUB NUMSUB resolve with Redis's replies", async () => {
    const [client, subscriber] = [await connect(protocol), await connect(protocol)];
    await subscriber.subscribe(`${protocol}:numsub`);
    expect(await client.command('PING')).toBe('PONG');
    expect(await client.command('PING', 'hello')).toBe('hello');
    expect(await client.command('ECHO', 'Hello there!')).toBe('Hello there!');
    expect(await client.command('ECHO', 42)).toBe('42');
    expect(await client.command('PUBSUB', 'NUMSUB', `${protocol}:numsub`, `${protocol}:nobody`)).toEqual([
      `${protocol}:numsub`, 1, `${protocol}:nobody`, 0,
    ]);
  });

  it('an error reply rejects with a ReplyError carrying the ERR text, and later replies still line up', async () => {
    const client = await connect(protocol);
    const failing = client.command('NOSUCHCOMMAND', 'x');
    const after = client.command('ECHO', 'after the error');
    await expect(failing).rejects.toBeInstanceOf(ReplyError);
    await expect(failing).rejects.toThrow(/^ERR unknown command 'NOSUCHCOMMAND'/);
    await expect(client.command('SUBSCRIBE')).rejects.toThrow(/^ERR wrong number of arguments for 'subscribe' command/);
    expect(await after).toBe('after the error');
  });

  it('a pipelined MULTI / LPUSH / PUBLISH / EXEC from a subscriber resolves every reply and delivers the message', async () => {
    const client = await connect(protocol);
    const received = recordMessages(client);
    const channel = `${protocol}:tx:room`;
    const key = `${channel}:backlog`;
    await client.subscribe(channel);
    const replies = await withTimeout(
      Promise.all([
        client.command('MULTI'),
        client.command('LPUSH', key, 'hello'),
        client.command('PUBLISH', channel, 'hello'),
        client.command('EXEC'),
      ]),
      'the transaction replies',
    );
    expect(replies).toEqual(['OK', 'QUEUED', 'QUEUED', [1, 1]]);
    await waitFor('the message', () => received.length === 1);
    expect(received).toEqual([['message', channel, 'hello']]);
    expect(await client.command('LRANGE', key, 0, -1)).toEqual(['hello']);
  });

  it('commands pipelined with a multi-channel subscribe get their own replies, not confirmations', async () => {
    const client = await connect(protocol);
    const [subscribed, pong, numsub, unsubscribed, echo] = await withTimeout(
      Promise.all([
        client.subscribe(`${protocol}:p1`, `${protocol}:p2`, `${protocol}:p3`),
        client.command('PING'),
        client.command('PUBSUB', 'NUMSUB', `${protocol}:p2`),
        client.unsubscribe(),
        client.command('ECHO', 'last'),
      ]),
      'the pipelined replies',
    );
    expect([subscribed, pong, numsub, unsubscribed, echo]).toEqual([undefined, 'PONG', [`${protocol}:p2`, 1], undefined, 'last']);
  });

  it('an argument-less (P)UNSUBSCRIBE with nothing held resolves on its single null confirmation', async () => {
    const client = await connect(protocol);
    await client.unsubscribe();
    await client.punsubscribe();
    expect(await client.command('PING')).toBe('PONG');
  });

  it('unsubscribe and punsubscribe stop delivery: PUBSUB counts drop to zero', async () => {
    const [client, publisher] = [await connect(protocol), await connect(protocol)];
    await client.subscribe(`${protocol}:u1`, `${protocol}:u2`);
    await client.psubscribe(`${protocol}:u*`);
    await client.unsubscribe(`${protocol}:u1`);
    expect(await publisher.publish(`${protocol}:u1`, 'x')).toBe(1);
    await client.punsubscribe();
    await client.unsubscribe();
    expect(await publisher.publish(`${protocol}:u2`, 'x')).toBe(0);
    expect(await publisher.command('PUBSUB', 'NUMSUB', `${protocol}:u2`)).toEqual([`${protocol}:u2`, 0]);
  });

  it('a message published over TCP by ioredis reaches the WebSocket client, and the reverse', async () => {
    const wsClient = await connect(protocol);
    const [tcpSubscriber, tcpPublisher] = [await ioredis(broker.port), await ioredis(broker.port)];
    const received = recordMessages(wsClient);
    const tcpReceived: [string, string][] = [];
    tcpSubscriber.on('message', (channel: string, message: string) => tcpReceived.push([channel, message]));
    await wsClient.subscribe(`${protocol}:cross`);
    await tcpSubscriber.subscribe(`${protocol}:cross`);
    expect(await tcpPublisher.publish(`${protocol}:cross`, 'from TCP')).toBe(2);
    expect(await wsClient.publish(`${protocol}:cross`, 'from WebSocket')).toBe(2);
    await waitFor('both messages on both transports', () => received.length === 2 && tcpReceived.length === 2);
    expect(received).toEqual([
      ['message', `${protocol}:cross`, 'from TCP'],
      ['message', `${protocol}:cross`, 'from WebSocket'],
    ]);
    expect(tcpReceived).toEqual([[`${protocol}:cross`, 'from TCP'], [`${protocol}:cross`, 'from WebSocket']]);
  });

  it('close() rejects later commands, rejects connected(), and ends message iterators', async () => {
    const client = await connect(protocol);
    const iterator = client.messages();
    const next = iterator.next();
    await client.close();
    expect(await withTimeout(next, 'the iterator to end')).toEqual({ value: undefined, done: true });
    await expect(client.command('PING')).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.connected()).rejects.toBeInstanceOf(ClientClosedError);
  });
});

describe('the client without a usable connection', () => {
  it('a refused connection with reconnect off rejects connected() with ConnectionLostError', async () => {
    const unusedPort = await findFreePort();
    const client = new RingcastClient(`ws://${HOST}:${unusedPort}/ws`, { WebSocket, reconnect: false });
    closers.push(() => client.close());
    await expect(withTimeout(client.connected(), 'the refusal')).rejects.toBeInstanceOf(ConnectionLostError);
  });

  it('without a WebSocket implementation (Node 20 has no global one) the constructor says what to pass', () => {
    const globalWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
    if (globalWebSocket !== undefined) return; // A newer Node: the global is used, nothing to say.
    expect(() => new RingcastClient(`ws://${HOST}:1/ws`)).toThrow(/pass one, e\.g\. \{ WebSocket \} from "ws"/);
  });
});

describe('auto-reconnect', () => {
  /** A broker on fixed ports, so that a restart is reachable at the same URL. */
  async function startOnPorts(respPort: number, httpPort: number): Promise<BrokerHandle> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_RESTART_ATTEMPTS; attempt++) {
      try {
        return await startBroker({ workers: 1, args: ['--port', String(respPort), '--http-port', String(httpPort)] });
      } catch (err) {
        lastError = err;
        await sleep(200);
      }
    }
    throw lastError;
  }

  it('after the broker restarts on the same ports, both clients re-subscribe and get messages again', async () => {
    const [respPort, httpPort] = [await findFreePort(), await findFreePort()];
    let current: BrokerHandle | null = await startOnPorts(respPort, httpPort);
    try {
      const clients = [await connect('json', current, FAST_RECONNECT), await connect('msgpack', current, FAST_RECONNECT)];
      const disconnects: DisconnectInfo[][] = clients.map(() => []);
      const reconnects = clients.map(() => 0);
      const received = clients.map((client) => recordMessages(client));
      clients.forEach((client, i) => {
        client.on('disconnect', (info) => disconnects[i]!.push(info));
        client.on('reconnect', () => reconnects[i]!++);
      });
      for (const client of clients) {
        await client.subscribe('restart:chan');
        await client.psubscribe('restart:*');
      }

      await current.stop();
      current = null;
      await waitFor('both clients to see the disconnect', () => disconnects.every((list) => list.length === 1));
      // The server's shutdown close code.
      expect(disconnects.map((list) => list[0]!.code)).toEqual([1000, 1000]);
      // Issued while disconnected: sent once the connection is back.
      const pingWhileDown = clients[0]!.command('PING');

      current = await startOnPorts(respPort, httpPort);
      await waitFor('both clients to reconnect', () => reconnects.every((count) => count === 1));
      expect(await withTimeout(pingWhileDown, 'the PING issued while disconnected')).toBe('PONG');
      expect(clients.every((client) => client.isConnected)).toBe(true);

      const publisher = await ioredis(respPort);
      expect(await publisher.publish('restart:chan', 'after the restart')).toBe(4);
      await waitFor('message and pmessage on both clients', () => received.every((list) => list.length === 2));
      for (const list of received) {
        expect(list).toEqual([
          ['message', 'restart:chan', 'after the restart'],
          ['pmessage', 'restart:*', 'restart:chan', 'after the restart'],
        ]);
      }
    } finally {
      for (const close of closers.splice(0).reverse()) await close();
      await current?.stop();
    }
  });
});
