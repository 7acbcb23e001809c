// Slow subscribers are bounded by Redis's client-output-buffer-limit pubsub policy: a subscriber
// that stops reading is disconnected (no error frame) and counted in INFO, while the others get
// every message in order.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { StreamClient, waitFor } from '../helpers/stream-client.js';
import { encodeCommand, type RespValue } from '../helpers/resp-reply.js';

async function info(port: number, field: string): Promise<number> {
  const c = await StreamClient.connect(port);
  let text = '';
  c.onValue = (v) => (text = Buffer.isBuffer(v) ? v.toString() : String(v));
  c.send('INFO', 'stats');
  await waitFor(() => text !== '', 5000, () => 'INFO');
  c.close();
  return Number(new RegExp(`${field}:(\\d+)`).exec(text)?.[1]);
}

/** A subscriber that reads nothing after its SUBSCRIBE confirmation. */
async function stalledSubscriber(port: number, channel: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  socket.write(encodeCommand('SUBSCRIBE', channel));
  await new Promise((r) => socket.once('data', r));
  socket.pause();
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, closed };
}

describe('slow subscribers', () => {
  let broker: BrokerHandle | null = null;
  afterEach(async () => {
    await broker?.stop();
    broker = null;
  });

  it('a subscriber over the hard limit is disconnected and counted; the others get everything', async () => {
    broker = await startBroker({ workers: 2, args: ['--client-output-buffer-limit', 'pubsub 1mb 0 0'] });
    const slow = await stalledSubscriber(broker.port, 'feed');
    const fast = await StreamClient.connect(broker.port);
    const got: number[] = [];
    fast.onValue = (v: RespValue) => {
      if (Array.isArray(v) && String(v[0]) === 'message') got.push(Number(String(v[2]).slice(0, 8)));
    };
    fast.send('SUBSCRIBE', 'feed');
    const pub = await StreamClient.connect(broker.port);
    let replies = 0;
    pub.onValue = () => replies++;
    const total = 4000;
    const filler = 'x'.repeat(4096);
    // Paced by the fast subscriber: at most two batches (about 820 KB) are ever queued for it, so
    // only the stalled one can cross the 1 MB limit however slowly this process reads.
    const batchSize = 100;
    for (let start = 0; start < total; start += batchSize) {
      const batch: string[][] = [];
      for (let i = start; i < start + batchSize; i++) batch.push(['PUBLISH', 'feed', String(i).padStart(8, '0') + filler]);
      pub.sendMany(batch);
      await waitFor(() => got.length >= start, 10000, () => `fast subscriber got ${got.length}/${start}`);
    }
    await waitFor(() => got.length === total && replies === total, 20000, () => `fast subscriber got ${got.length}/${total}, replies ${replies}`);
    expect(got).toEqual(Array.from({ length: total }, (_, i) => i));
    // The stalled subscriber's connection was closed by the server: reading now ends in EOF well
    // before the 16 MB that were published to it.
    let received = 0;
    slow.socket.on('data', (d: Buffer) => (received += d.length));
    slow.socket.resume();
    await slow.closed;
    expect(received).toBeLessThan(total * 4096);
    expect(await info(broker.port, 'client_output_buffer_limit_disconnections')).toBe(1);
    fast.close();
    pub.close();
  });

  it('a subscriber over the soft limit for longer than its seconds is disconnected', async () => {
    broker = await startBroker({ workers: 1, args: ['--client-output-buffer-limit', 'pubsub 0 256kb 1'] });
    const slow = await stalledSubscriber(broker.port, 'trickle');
    const pub = await StreamClient.connect(broker.port);
    let replies = 0;
    pub.onValue = () => replies++;
    const payload = 'y'.repeat(64 * 1024);
    // Fill the socket buffers and the output buffer well past 256 KB, then keep publishing a
    // little for a few seconds so the soft limit is seen as exceeded continuously.
    let sent = 0;
    let isClosed = false;
    void slow.closed.then(() => (isClosed = true));
    for (let round = 0; round < 60 && !isClosed; round++) {
      const batch: string[][] = [];
      for (let i = 0; i < (round === 0 ? 200 : 4); i++) batch.push(['PUBLISH', 'trickle', payload]);
      pub.sendMany(batch);
      sent += batch.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor(() => replies === sent, 10000, () => `replies ${replies}/${sent}`);
    slow.socket.resume();
    await slow.closed;
    expect(await info(broker.port, 'client_output_buffer_limit_disconnections')).toBe(1);
    pub.close();
  });
});
