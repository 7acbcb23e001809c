// No input takes the broker down or leaves state behind: seeded garbage on many connections,
// oversized requests, clients that vanish mid-command. Afterwards the broker still answers and its
// tables are empty again.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp-reply.js';
import { StreamClient, waitFor } from '../helpers/stream-client.js';

/** mulberry32: a small seeded PRNG so failures can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = ['*', '$', '\r\n', '\n', '-1', '0', '3', '2147483648', '99999999999', 'SUBSCRIBE', 'PUBLISH', 'PSUBSCRIBE',
  'UNSUBSCRIBE', 'PUBSUB', 'CLIENT', 'HELLO', '3', 'RESET', '"', "'", '\\x', '[', '*?', ' ', 'x'.repeat(300)];

function garbage(rand: () => number, bytes: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  while (n < bytes) {
    let part: Buffer;
    const r = rand();
    if (r < 0.4) part = Buffer.from(FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)]);
    else if (r < 0.6) {
      const cmd = ['SUBSCRIBE', 'PSUBSCRIBE', 'PUBLISH', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SSUBSCRIBE', 'PUBSUB'][Math.floor(rand() * 7)];
      const args = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Buffer.from(Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * 256))));
      part = encodeCommand(cmd, ...args);
    } else {
      part = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
    }
    parts.push(part);
    n += part.length;
  }
  return Buffer.concat(parts);
}

async function infoField(port: number, section: string, field: string): Promise<number> {
  const c = await RawClient.connect(port);
  const raw = (await c.command('INFO', section)).toString();
  c.close();
  return Number(new RegExp(`${field}:(\\d+)`).exec(raw)?.[1]);
}

describe('bad input', () => {
  let broker: BrokerHandle;
  beforeAll(async () => {
    broker = await startBroker({ workers: 2 });
  });
  afterAll(async () => {
    expect(await broker.stop()).toBe(0);
  });

  it('seeded garbage on 40 connections neither crashes the broker nor leaves subscriptions behind', async () => {
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const rand = prng(1000 + i);
      const s = net.connect(broker.port, '127.0.0.1');
      s.on('error', () => {});
      s.on('data', () => {});
      await new Promise((r) => s.once('connect', r));
      const data = garbage(rand, 32 * 1024);
      // Split at random points, as a network would.
      for (let off = 0; off < data.length;) {
        const len = 1 + Math.floor(rand() * 4000);
        s.write(data.subarray(off, off + len));
        off += len;
      }
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const s of sockets) s.destroy();
    const c = await RawClient.connect(broker.port);
    expect((await c.command('PING')).toString()).toBe('+PONG\r\n');
    c.close();
    // Every garbage client is gone, and so are its subscriptions, in every partition.
    let clients = 0;
    for (let tries = 0; tries < 100; tries++) {
      clients = await infoField(broker.port, 'clients', 'connected_clients');
      if (clients === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(clients).toBe(1);
    expect(await infoField(broker.port, 'stats', 'pubsub_channels')).toBe(0);
    expect(await infoField(broker.port, 'stats', 'pubsub_patterns')).toBe(0);
    expect(await infoField(broker.port, 'stats', 'pubsubshard_channels')).toBe(0);
  });

  it('a bulk over proto-max-bulk-len gets Redis\'s error and the connection closes; others are unaffected', async () => {
    const admin = await RawClient.connect(broker.port);
    expect((await admin.command('CONFIG', 'SET', 'proto-max-bulk-len', '1mb')).toString()).toBe('+OK\r\n');
    const c = await RawClient.connect(broker.port);
    c.send(encodeCommand('PING') + `*2\r\n$4\r\nECHO\r\n$${1024 * 1024 + 1}\r\n`);
    const rest = await c.readUntilClosed();
    expect(rest.toString()).toBe('+PONG\r\n-ERR Protocol error: invalid bulk length\r\n');
    expect((await admin.command('PING')).toString()).toBe('+PONG\r\n');
    expect((await admin.command('CONFIG', 'SET', 'proto-max-bulk-len', '512mb')).toString()).toBe('+OK\r\n');
    admin.close();
  });

  it('a client over client-query-buffer-limit is closed with no reply and counted', async () => {
    const admin = await RawClient.connect(broker.port);
    expect((await admin.command('CONFIG', 'SET', 'client-query-buffer-limit', '1mb')).toString()).toBe('+OK\r\n');
    const c = await RawClient.connect(broker.port);
    // A 4 MB bulk is legal (under proto-max-bulk-len) but cannot be buffered under a 1 MB limit.
    c.send(`*3\r\n$7\r\nPUBLISH\r\n$1\r\nx\r\n$${4 * 1024 * 1024}\r\n`);
    c.send(Buffer.alloc(2 * 1024 * 1024, 0x61));
    const rest = await c.readUntilClosed();
    expect(rest.length).toBe(0);
    expect(await infoField(broker.port, 'stats', 'client_query_buffer_limit_disconnections')).toBe(1);
    expect((await admin.command('CONFIG', 'SET', 'client-query-buffer-limit', '1gb')).toString()).toBe('+OK\r\n');
    admin.close();
  });

  it('subscribers that vanish mid-stream leave nothing behind', async () => {
    const pub = await StreamClient.connect(broker.port);
    let replies = 0;
    pub.onValue = () => replies++;
    for (let round = 0; round < 5; round++) {
      const subs: StreamClient[] = [];
      for (let i = 0; i < 20; i++) {
        const s = await StreamClient.connect(broker.port);
        s.send('SUBSCRIBE', `gone:${i}`, 'gone:all');
        s.send('PSUBSCRIBE', `gone:${i}:*`);
        subs.push(s);
      }
      const batch: string[][] = [];
      for (let i = 0; i < 200; i++) batch.push(['PUBLISH', `gone:${i % 20}`, 'x'.repeat(100)], ['PUBLISH', 'gone:all', 'y']);
      pub.sendMany(batch);
      for (const s of subs) s.close();
    }
    await waitFor(() => replies === 5 * 400, 10000, () => `replies ${replies}`);
    let channels = -1;
    for (let tries = 0; tries < 100 && channels !== 0; tries++) {
      channels = await infoField(broker.port, 'stats', 'pubsub_channels');
      if (channels !== 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(channels).toBe(0);
    expect(await infoField(broker.port, 'stats', 'pubsub_patterns')).toBe(0);
    pub.close();
  });
});
