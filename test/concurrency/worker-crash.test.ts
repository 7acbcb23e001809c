// A partition that dies is a loud error, not a silently wedged broker: the in-flight publish gets an
// error reply, a replacement is rebuilt from the clients' subscriptions, and traffic continues.
// Real threads: the broker runs in this process with a worker entry that crashes on demand
// (test/concurrency/fixtures/crashing-partition-worker.ts, compiled to dist/); the in-thread
// partition gets the same bug patched into this thread (fixtures/crash-on-demand.ts).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Broker } from '../../src/broker.js';
import { crashOnDemand } from './fixtures/crash-on-demand.js';
import { defaultConfig } from '../../src/config.js';
import { StreamClient, waitFor } from '../helpers/stream-client.js';
import type { RespValue } from '../helpers/resp-reply.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CRASHING_WORKER = pathToFileURL(path.resolve(here, '../../dist/test/concurrency/fixtures/crashing-partition-worker.js'));

/** A broker in this process whose partitions crash on demand, with console.error collected. */
async function startCrashingBroker(workers: number, errors: string[]): Promise<{ broker: Broker; port: number }> {
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
  const broker = new Broker({ ...defaultConfig(), port: 0, workers, appendOnly: false }, CRASHING_WORKER);
  return { broker, port: (await broker.start()).port };
}

const text = (v: RespValue): string => (Array.isArray(v) ? v.map(text).join(' ') : Buffer.isBuffer(v) ? v.toString() : typeof v === 'object' && v !== null && 'error' in v ? `ERR:${v.error}` : String(v));

describe('a partition worker that dies', () => {
  let broker: Broker;
  let port: number;
  const errors: string[] = [];
  beforeAll(async () => {
    ({ broker, port } = await startCrashingBroker(2, errors));
  });
  afterAll(async () => {
    await broker.stop();
    vi.restoreAllMocks();
  });

  it('fails the in-flight publish loudly, restarts, and keeps every subscription', async () => {
    const sub = await StreamClient.connect(port);
    const seen: string[] = [];
    sub.onValue = (v) => seen.push(text(v));
    sub.send('SUBSCRIBE', 'room:a', 'room:b', 'crash:now');
    sub.send('PSUBSCRIBE', 'room:*');
    await waitFor(() => seen.length === 4, 5000, () => 'subscriptions');
    const pub = await StreamClient.connect(port);
    const replies: string[] = [];
    pub.onValue = (v) => replies.push(text(v));

    pub.send('PUBLISH', 'crash:now', 'boom');
    await waitFor(() => replies.length === 1, 10000, () => 'reply to the crashing publish');
    expect(replies[0]).toMatch(/^ERR:ERR ringcast: the partition for this channel crashed/);
    expect(errors.some((e) => /partition worker \d died: .*deliberate crash/s.test(e))).toBe(true);
    expect(errors.some((e) => /partition worker \d restarted and rebuilt/.test(e))).toBe(true);

    seen.length = 0;
    pub.send('PUBLISH', 'room:a', 'after');
    pub.send('PUBLISH', 'room:b', 'after');
    pub.send('PUBSUB', 'NUMSUB', 'room:a', 'room:b', 'crash:now');
    pub.send('PUBSUB', 'NUMPAT');
    await waitFor(() => replies.length === 5, 10000, () => `replies ${replies.join('|')}`);
    expect(replies.slice(1)).toEqual(['2', '2', 'room:a 1 room:b 1 crash:now 1', '1']);
    await waitFor(() => seen.length === 4, 5000, () => `deliveries ${seen.join('|')}`);
    expect(seen).toEqual(['message room:a after', 'pmessage room:* room:a after', 'message room:b after', 'pmessage room:* room:b after']);
    sub.close();
    pub.close();
  });
});

describe('an in-thread partition that throws (--workers 0)', () => {
  let broker: Broker;
  let port: number;
  const errors: string[] = [];
  let restore: () => void;
  beforeAll(async () => {
    restore = crashOnDemand();
    ({ broker, port } = await startCrashingBroker(0, errors));
  });
  afterAll(async () => {
    restore();
    await broker.stop();
    vi.restoreAllMocks();
  });

  it('fails the publish loudly, rebuilds the partition, and keeps every subscription', async () => {
    const sub = await StreamClient.connect(port);
    const seen: string[] = [];
    sub.onValue = (v) => seen.push(text(v));
    sub.send('SUBSCRIBE', 'room:a', 'crash:now');
    sub.send('PSUBSCRIBE', 'room:*');
    await waitFor(() => seen.length === 3, 5000, () => 'subscriptions');
    const pub = await StreamClient.connect(port);
    const replies: string[] = [];
    pub.onValue = (v) => replies.push(text(v));

    pub.send('PUBLISH', 'room:a', 'before');
    await waitFor(() => replies.length === 1, 10000, () => 'reply before the crash');
    expect(replies[0]).toBe('2');
    pub.send('PUBLISH', 'crash:now', 'boom');
    await waitFor(() => replies.length === 2, 10000, () => 'reply to the crashing publish');
    expect(replies[1]).toMatch(/^ERR:ERR ringcast: the partition for this channel crashed/);
    expect(errors.some((e) => /in-thread partition 0 died: .*deliberate crash/s.test(e))).toBe(true);
    expect(errors.some((e) => /in-thread partition 0 restarted and rebuilt/.test(e))).toBe(true);

    pub.send('PUBLISH', 'room:a', 'after');
    pub.send('PUBSUB', 'NUMSUB', 'room:a', 'crash:now');
    pub.send('PUBSUB', 'NUMPAT');
    await waitFor(() => replies.length === 5, 10000, () => `replies ${replies.join('|')}`);
    expect(replies.slice(2)).toEqual(['2', 'room:a 1 crash:now 1', '1']);
    await waitFor(() => seen.includes('pmessage room:* room:a after'), 5000, () => `deliveries ${seen.join('|')}`);
    expect(seen.filter((f) => f.endsWith(' after'))).toEqual(['message room:a after', 'pmessage room:* room:a after']);
    sub.close();
    pub.close();
  });
});
