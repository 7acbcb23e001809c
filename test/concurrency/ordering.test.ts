// Ordering under load, with real partition worker threads behind a real listening broker (and the
// in-thread partition, --workers 0): what any one connection observes must be an order
// single-threaded Redis could produce for the same arrival order (docs/architecture.md,
// "Ordering"). Sequence checkers, no timing assertions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { StreamClient, partitionOf, waitFor } from '../helpers/stream-client.js';
import type { RespValue } from '../helpers/resp-reply.js';

const text = (v: RespValue): string => (Buffer.isBuffer(v) ? v.toString() : String(v));

/** A message/pmessage frame as [kind, ...fields] strings, from an array (RESP2) or a push (RESP3). */
function frame(v: RespValue): string[] | null {
  const items = Array.isArray(v) ? v : v !== null && typeof v === 'object' && 'push' in v ? v.push : null;
  return items ? items.map(text) : null;
}

/** Channels with the given prefix, one per partition, so a test spans every partition. */
function channelPerPartition(prefix: string, partitions: number): string[] {
  const out: string[] = new Array(partitions);
  let found = 0;
  for (let i = 0; found < partitions; i++) {
    const ch = `${prefix}${i}`;
    const p = partitionOf(ch, partitions);
    if (out[p] === undefined) {
      out[p] = ch;
      found++;
    }
  }
  return out;
}

describe.each([0, 1, 3])('with %i partition worker(s)', (workers) => {
  let broker: BrokerHandle;
  beforeAll(async () => {
    // A small ring keeps the rings full and the overflow/backpressure path busy under load.
    broker = await startBroker({ workers, args: ['--ring-size', '64kb'] });
  });
  afterAll(async () => {
    // The small ring must really have filled up, or the backpressure path went untested.
    let text = '';
    try {
      const info = await StreamClient.connect(broker.port);
      info.onValue = (v) => (text = Buffer.isBuffer(v) ? v.toString() : String(v));
      info.send('INFO', 'stats');
      await waitFor(() => text.length > 0, 5000, () => 'INFO');
      info.close();
    } finally {
      await broker.stop();
    }
    expect(Number(/ringcast_ring_overflows:(\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/ringcast_backpressure_pauses:(\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('a RESP3 client publishing to itself across partitions sees reply, push and PONG in command order', async () => {
    const [a, b] = channelPerPartition('self:', Math.max(workers, 2));
    const c = await StreamClient.connect(broker.port);
    const seen: string[] = [];
    c.onValue = (v) => {
      const f = frame(v);
      seen.push(f && typeof v === 'object' && v !== null && 'push' in v ? `push:${f.join(',')}` : text(v));
    };
    c.send('HELLO', '3');
    c.send('SUBSCRIBE', a, b);
    await waitFor(() => seen.length === 3, 5000, () => `handshake, got ${seen.length}`);
    seen.length = 0;
    const rounds = 2000;
    const cmds: string[][] = [];
    const expected: string[] = [];
    for (let i = 0; i < rounds; i++) {
      cmds.push(['PUBLISH', a, `a${i}`], ['PING'], ['PUBLISH', b, `b${i}`], ['PING']);
      // Redis 7.2+: a command's own reply comes before the pushes it causes to its own client.
      expected.push('1', `push:message,${a},a${i}`, 'PONG', '1', `push:message,${b},b${i}`, 'PONG');
    }
    c.sendMany(cmds);
    await waitFor(() => seen.length >= expected.length, 20000, () => `${expected.length} replies, got ${seen.length}`);
    expect(seen).toEqual(expected);
    c.close();
  });

  it('one publisher across every partition: each subscriber sees publish order, message before pmessage', async () => {
    const channels = channelPerPartition('ord:', Math.max(workers, 2) * 3);
    const total = 20000;
    const subs: StreamClient[] = [];
    const seqs: number[][] = [];
    const patternFollows: boolean[] = [];
    for (let s = 0; s < 3; s++) {
      const c = await StreamClient.connect(broker.port);
      const mine: number[] = [];
      seqs.push(mine);
      patternFollows.push(true);
      let lastMessage = -1;
      c.onValue = (v) => {
        const f = frame(v);
        if (f?.[0] === 'message') {
          mine.push(Number(f[2]));
          lastMessage = Number(f[2]);
        } else if (f?.[0] === 'pmessage') {
          if (Number(f[3]) !== lastMessage) patternFollows[s] = false;
        }
      };
      c.send('SUBSCRIBE', ...channels);
      if (s === 2) c.send('PSUBSCRIBE', 'ord:*');
      subs.push(c);
    }
    const pub = await StreamClient.connect(broker.port);
    let replies = 0;
    let receivers = 0;
    pub.onValue = (v) => {
      replies++;
      receivers += Number(v);
    };
    // Make sure every subscription is in place before publishing: a PING round trip on each
    // subscriber is ordered behind its SUBSCRIBE.
    const ready: number[] = [0, 0, 0];
    const probes = subs.map((c, i) => {
      const prev = c.onValue;
      c.onValue = (v) => {
        const f = frame(v);
        if (f?.[0] === 'pong') ready[i] = 1;
        else prev(v);
      };
      c.send('PING');
      return prev;
    });
    await waitFor(() => ready.every((r) => r === 1), 5000, () => 'subscribers ready');
    subs.forEach((c, i) => (c.onValue = probes[i]));

    for (let start = 0; start < total; start += 1000) {
      const batch: string[][] = [];
      for (let i = start; i < start + 1000; i++) batch.push(['PUBLISH', channels[i % channels.length], String(i)]);
      pub.sendMany(batch);
    }
    await waitFor(() => replies === total && seqs.every((s) => s.length === total), 30000,
      () => `replies ${replies}/${total}, deliveries ${seqs.map((s) => s.length).join('/')}`);
    for (const s of seqs) {
      for (let i = 0; i < total; i++) if (s[i] !== i) throw new Error(`subscriber saw ${s[i]} at position ${i}`);
    }
    expect(patternFollows).toEqual([true, true, true]);
    // 3 channel subscribers + 1 pattern subscription per message.
    expect(receivers).toBe(total * 4);
    for (const c of subs) c.close();
    pub.close();
  });

  it('answers bigger than a quarter of the results ring arrive whole and in publish order', async () => {
    // 64 KiB rings: each publish below is answered with ten ~3.9 KiB frames (a channel and nine
    // matching patterns), ~40 KiB, split over records; back to back, one answer fills the ring while
    // the previous is unapplied (a worker waits for room, the in-thread partition applies it).
    const [channel] = channelPerPartition('big:', 1);
    const patterns = ['big:*', 'big:?', 'b*', '*', 'big*', '?ig:*', 'bi[g]:*', 'b?g:*', '*:0'];
    const sub = await StreamClient.connect(broker.port);
    const got: string[] = [];
    sub.onValue = (v) => {
      const f = frame(v);
      if (f?.[0] === 'message') got.push(`m:${f[2].slice(0, 6)}:${f[2].length}`);
      else if (f?.[0] === 'pmessage') got.push(`p:${f[1]}:${f[3].slice(0, 6)}:${f[3].length}`);
      else got.push(text(Array.isArray(v) ? v[0] : v));
    };
    sub.send('SUBSCRIBE', channel);
    sub.send('PSUBSCRIBE', ...patterns);
    sub.send('PING');
    await waitFor(() => got.includes('pong'), 5000, () => 'subscriptions');
    got.length = 0;
    const pub = await StreamClient.connect(broker.port);
    const replies: string[] = [];
    pub.onValue = (v) => replies.push(text(v));
    const rounds = 60;
    const batch: string[][] = [];
    const expected: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const head = String(100000 + i);
      batch.push(['PUBLISH', channel, head + 'x'.repeat(3900)]);
      expected.push(`m:${head}:3906`, ...patterns.map((p) => `p:${p}:${head}:3906`).sort());
    }
    pub.sendMany(batch);
    await waitFor(() => got.length >= expected.length && replies.length === rounds, 20000,
      () => `deliveries ${got.length}/${expected.length}, replies ${replies.length}`);
    // Each message's pmessages come in the pattern index's order (Redis: its dict's order), so they
    // are compared sorted; the message before them, and publish order, exactly.
    const perMessage = 1 + patterns.length;
    const normalized: string[] = [];
    for (let i = 0; i < got.length; i += perMessage) normalized.push(got[i], ...got.slice(i + 1, i + perMessage).sort());
    expect(normalized.join('\n')).toBe(expected.join('\n'));
    expect(replies).toEqual(new Array(rounds).fill(String(1 + patterns.length)));
    // Patterns that match everything must be gone before the next test publishes.
    got.length = 0;
    sub.send('PUNSUBSCRIBE');
    sub.send('PING');
    await waitFor(() => got.includes('pong'), 5000, () => 'punsubscribe');
    sub.close();
    pub.close();
  });

  it('a burst bigger than one poll\'s output cap (4 MiB) is delivered whole, the rest on the next turns', async () => {
    // 24 held 64 KiB payloads to 4 subscribers: ~6 MiB of output from one read of the publisher.
    const [channel] = channelPerPartition('cap:', 1);
    const subs: StreamClient[] = [];
    const heads: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const c = await StreamClient.connect(broker.port);
      const mine: string[] = [];
      heads.push(mine);
      c.onValue = (v) => {
        const f = frame(v);
        if (f?.[0] === 'message') mine.push(`${f[2].slice(0, 6)}:${f[2].length}`);
        else if (f?.[0] === 'pong') mine.push('pong');
      };
      c.send('SUBSCRIBE', channel);
      c.send('PING');
      subs.push(c);
    }
    await waitFor(() => heads.every((h) => h.includes('pong')), 5000, () => 'subscribers ready');
    for (const h of heads) h.length = 0;
    const pub = await StreamClient.connect(broker.port);
    const replies: string[] = [];
    pub.onValue = (v) => replies.push(text(v));
    const rounds = 24;
    const batch: string[][] = [];
    for (let i = 0; i < rounds; i++) batch.push(['PUBLISH', channel, String(100000 + i) + 'y'.repeat(64 * 1024 - 6)]);
    pub.sendMany(batch);
    await waitFor(() => replies.length === rounds && heads.every((h) => h.length === rounds), 20000,
      () => `replies ${replies.length}/${rounds}, deliveries ${heads.map((h) => h.length).join('/')}`);
    const expected = Array.from({ length: rounds }, (_, i) => `${100000 + i}:${64 * 1024}`);
    for (const h of heads) expect(h).toEqual(expected);
    expect(replies).toEqual(new Array(rounds).fill('4'));
    for (const c of subs) c.close();
    pub.close();
  });

  it('bursts to shared audiences keep publish order at every subscriber, and a subscribed publisher gets each reply before its own push', async () => {
    // Consecutive publishes to one channel go out as one run per recipient (Router.extendRun);
    // audiences overlap, so runs end on every change of channel, and the publisher is in z's audience.
    const [x, y, z] = channelPerPartition('run:', Math.max(workers, 3));
    const audiences: Record<string, string[]> = { [x]: ['A', 'B'], [y]: ['A', 'B', 'C'], [z]: ['B', 'C', 'P'] };
    const seen: Record<string, string[]> = { A: [], B: [], C: [], P: [] };
    const clients: Record<string, StreamClient> = {};
    for (const name of ['A', 'B', 'C', 'P']) {
      const c = await StreamClient.connect(broker.port);
      c.onValue = (v) => {
        const f = frame(v);
        if (f?.[0] === 'message') seen[name].push(`${f[1]}:${f[2]}`);
        else if (f?.[0] === 'pong' || text(v) === 'PONG') seen[name].push('ready');
        else if (name === 'P' && f === null) seen[name].push(`reply:${text(v)}`);
      };
      // All RESP3, so each publish is one group (a run candidate) even with the publisher in it.
      c.send('HELLO', '3');
      const mine = Object.keys(audiences).filter((ch) => audiences[ch].includes(name));
      c.send('SUBSCRIBE', ...mine);
      c.send('PING');
      clients[name] = c;
    }
    await waitFor(() => Object.values(seen).every((s) => s.includes('ready')), 5000, () => 'subscribers ready');
    for (const s of Object.values(seen)) s.length = 0;

    const expected: Record<string, string[]> = { A: [], B: [], C: [], P: [] };
    const commands: string[][] = [];
    let seed = 7;
    for (let i = 0; i < 6000; ) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const ch = [x, y, z][seed % 3];
      for (let burst = 1 + ((seed >>> 8) % 40); burst > 0; burst--, i++) {
        commands.push(['PUBLISH', ch, String(i)]);
        expected.P.push(`reply:${audiences[ch].length}`);
        for (const name of audiences[ch]) expected[name].push(`${ch}:${i}`);
      }
    }
    for (let i = 0; i < commands.length; i += 1000) clients.P.sendMany(commands.slice(i, i + 1000));
    await waitFor(() => Object.keys(expected).every((n) => seen[n].length >= expected[n].length), 30000,
      () => Object.keys(expected).map((n) => `${n} ${seen[n].length}/${expected[n].length}`).join(', '));
    expect(seen).toEqual(expected);
    for (const c of Object.values(clients)) c.close();
  });

  it('many publishers and channels: nothing lost, duplicated or reordered, replies sum to deliveries', async () => {
    const channelCount = 40;
    const channels = Array.from({ length: channelCount }, (_, i) => `load:${i}`);
    const publishers = 4;
    const perPublisher = 5000;
    const subscriberCount = 12;
    const errors: string[] = [];
    let deliveries = 0;
    const subs: StreamClient[] = [];
    const subscribedTo: Set<string>[] = [];
    let confirmations = 0;
    let expectedConfirmations = 0;
    for (let s = 0; s < subscriberCount; s++) {
      const c = await StreamClient.connect(broker.port);
      const mine = channels.filter((_, i) => (i + s) % 3 !== 0);
      subscribedTo.push(new Set(mine));
      expectedConfirmations += mine.length;
      // "publisher/channel" -> the sequence number this subscriber expects next.
      const wanted = new Map<string, number>();
      c.onValue = (v) => {
        const f = frame(v);
        if (f?.[0] === 'subscribe') {
          confirmations++;
          return;
        }
        if (f?.[0] !== 'message') return;
        deliveries++;
        const [p, seq] = f[2].split(':').map(Number);
        const key = `${p}/${f[1]}`;
        const want = wanted.get(key) ?? 0;
        if (seq !== want) errors.push(`sub ${s} ${key}: got ${seq}, want ${want}`);
        wanted.set(key, seq + 1);
      };
      c.send('SUBSCRIBE', ...mine);
      subs.push(c);
    }
    await waitFor(() => confirmations === expectedConfirmations, 5000, () => 'subscriptions');
    let replySum = 0;
    let replies = 0;
    const pubs: StreamClient[] = [];
    for (let p = 0; p < publishers; p++) {
      const c = await StreamClient.connect(broker.port);
      c.onValue = (v) => {
        replies++;
        replySum += Number(v);
      };
      pubs.push(c);
    }
    let expectedDeliveries = 0;
    for (const sub of subscribedTo) for (let p = 0; p < publishers; p++) for (let i = 0; i < perPublisher; i++) {
      if (sub.has(channels[(i * 7 + p) % channelCount])) expectedDeliveries++;
    }
    const total = publishers * perPublisher;
    const counters = Array.from({ length: publishers }, () => new Map<string, number>());
    for (let start = 0; start < perPublisher; start += 500) {
      for (let p = 0; p < publishers; p++) {
        const batch: string[][] = [];
        for (let i = start; i < start + 500; i++) {
          const ch = channels[(i * 7 + p) % channelCount];
          const seq = counters[p].get(ch) ?? 0;
          counters[p].set(ch, seq + 1);
          batch.push(['PUBLISH', ch, `${p}:${seq}`]);
        }
        pubs[p].sendMany(batch);
      }
    }
    await waitFor(() => replies === total && deliveries >= expectedDeliveries, 30000,
      () => `replies ${replies}/${total}, deliveries ${deliveries}/${expectedDeliveries}`);
    expect(errors).toEqual([]);
    expect(deliveries).toBe(expectedDeliveries);
    expect(replySum).toBe(expectedDeliveries);
    for (const c of [...subs, ...pubs]) c.close();
  });

  it('no message on a channel arrives after its unsubscribe confirmation', async () => {
    const [ch] = channelPerPartition('unsub:', 1);
    const sub = await StreamClient.connect(broker.port);
    const events: string[] = [];
    sub.onValue = (v) => {
      const f = frame(v);
      if (f) events.push(f[0] === 'message' ? `m${f[2]}` : f[0]);
    };
    sub.send('SUBSCRIBE', ch);
    await waitFor(() => events.length === 1, 5000, () => 'subscribe');
    const pub = await StreamClient.connect(broker.port);
    let replies = 0;
    let receivers = 0;
    pub.onValue = (v) => {
      replies++;
      receivers += Number(v);
    };
    const total = 20000;
    const batch: string[][] = [];
    for (let i = 0; i < total; i++) batch.push(['PUBLISH', ch, String(i)]);
    pub.sendMany(batch);
    // Unsubscribe while the publishes are in flight.
    setTimeout(() => sub.send('UNSUBSCRIBE', ch), 5);
    await waitFor(() => replies === total && events.includes('unsubscribe'), 30000, () => `replies ${replies}`);
    const at = events.indexOf('unsubscribe');
    const after = events.slice(at + 1);
    expect(after).toEqual([]);
    // Every PUBLISH that counted this subscriber delivered to it, and the messages are in order.
    const got = events.slice(1, at);
    expect(got.length).toBe(receivers);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `m${i}`));
    sub.close();
    pub.close();
  });
});
