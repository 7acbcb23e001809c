// The append-only log in the broker process: a room's backlog survives a restart; acknowledged
// writes survive kill -9 in the middle of a write load (always: every one; everysec: all but about
// the last second, and all of them once writing stopped 1.5 s before the kill); a damaged log is
// loaded, refused or accepted as Redis (and our flag) would; redis-check-aof accepts what we write;
// BGREWRITEAOF compacts; INFO persistence speaks Redis's field names.
//
// SIGKILL keeps the kernel's page cache, so these crashes test that acknowledged bytes reached the
// kernel before the reply (the write path and the reply hold), not that the fsync reached the disk
// (a power cut would be needed; test/unit/aof.test.ts checks that nothing counts as durable before
// its fdatasync returns).
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireTool } from '../helpers/redis-server.js';
import { ReplyReader, type RespValue } from '../helpers/resp-reply.js';
import { StreamClient, waitFor } from '../helpers/stream-client.js';

const WAIT_MS = 20_000;
/** Commands a pipelining writer keeps in flight. */
const IN_FLIGHT = 200;
/** Elements read per LRANGE when checking a long list. */
const LIST_PAGE = 5000;

let dir: string;
const brokers: BrokerHandle[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-persistence-'));
});
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const aofPath = (): string => path.join(dir, 'appendonly.aof');

async function start(fsync: 'always' | 'everysec' | 'no', extra: string[] = []): Promise<BrokerHandle> {
  const b = await startBroker({ workers: 1, args: ['--appendonly', 'yes', '--dir', dir, '--appendfsync', fsync, ...extra] });
  brokers.push(b);
  return b;
}

async function stop(b: BrokerHandle, signal: NodeJS.Signals): Promise<number | null> {
  brokers.splice(brokers.indexOf(b), 1);
  return b.stop(signal);
}

/** Sends one command and decodes its reply. */
async function ask(client: RawClient, ...args: string[]): Promise<RespValue> {
  const reader = new ReplyReader();
  reader.feed(await client.command(...args));
  return reader.next()!.value;
}

const text = (v: RespValue): unknown => (Buffer.isBuffer(v) ? v.toString() : Array.isArray(v) ? v.map(text) : v);

/**
 * Pipelines `LPUSH list <first>`, `LPUSH list <first + 1>`... keeping IN_FLIGHT unanswered, and
 * counts the replies (each acknowledges one element). `stop()` sends nothing more; `settled`
 * resolves once every command sent has its reply.
 */
async function pipelineLpush(port: number, first = 0): Promise<{ acked(): number; ackTimesMs: number[]; stop(): void; settled(): Promise<void> }> {
  const client = await StreamClient.connect(port);
  let sent = 0;
  let acked = 0;
  let stopped = false;
  const ackTimesMs: number[] = [];
  const sendOne = (): void => {
    client.send('LPUSH', 'list', String(first + sent++));
  };
  client.onValue = (value) => {
    if (typeof value !== 'number') throw new Error(`LPUSH answered ${JSON.stringify(text(value))}`);
    acked++;
    ackTimesMs.push(Date.now());
    if (!stopped) sendOne();
  };
  for (let i = 0; i < IN_FLIGHT; i++) sendOne();
  return {
    acked: () => acked,
    ackTimesMs,
    stop: () => { stopped = true; },
    settled: () => waitFor(() => acked === sent, WAIT_MS, () => `replies to all ${sent} LPUSHes (got ${acked})`),
  };
}

/** LPUSH list 0..n-1 leaves [n-1, ..., 0]: checks the list is exactly that and returns n. */
async function gapFreeListLength(port: number): Promise<number> {
  const client = await RawClient.connect(port);
  // In pages: a load of ~100k elements in one reply is slow to re-parse chunk by chunk in RawClient.
  const length = (await ask(client, 'LLEN', 'list')) as number;
  const items: string[] = [];
  for (let start = 0; start < length; start += LIST_PAGE) {
    items.push(...(text(await ask(client, 'LRANGE', 'list', String(start), String(start + LIST_PAGE - 1))) as string[]));
  }
  client.close();
  expect(items).toEqual(items.map((_v, i) => String(items.length - 1 - i)));
  return items.length;
}

describe('persistence: the append-only log in the broker', () => {
  it("keeps a room's backlog across a restart", async () => {
    let b = await start('always');
    let client = await RawClient.connect(b.port);
    for (let i = 0; i < 3; i++) {
      client.send(`MULTI\r\nLPUSH room:chatty:backlog msg-${i}\r\nPUBLISH room:chatty msg-${i}\r\nEXEC\r\n`);
      const replies = (await client.readReplies(4)).map((r) => r.toString());
      expect(replies).toEqual(['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', `*2\r\n:${i + 1}\r\n:0\r\n`]);
    }
    const history = ['msg-2', 'msg-1', 'msg-0'];
    expect(text(await ask(client, 'LRANGE', 'room:chatty:backlog', '0', '49'))).toEqual(history);
    client.close();
    expect(await stop(b, 'SIGTERM')).toBe(0);

    b = await start('always');
    client = await RawClient.connect(b.port);
    expect(text(await ask(client, 'LRANGE', 'room:chatty:backlog', '0', '49'))).toEqual(history);
    client.close();
  });

  // A kill lands between a reply and its fsync only sometimes: three crashes, each on the log the
  // previous one left, make a reply sent too early likelier to show.
  it('with appendfsync always, every acknowledged write survives kill -9 in the middle of a write load', async () => {
    let b = await start('always');
    let length = 0;
    for (let crash = 1; crash <= 3; crash++) {
      const writer = await pipelineLpush(b.port, length);
      await waitFor(() => writer.acked() >= 1500, WAIT_MS, () => `1500 acknowledged LPUSHes (got ${writer.acked()})`);
      await stop(b, 'SIGKILL');
      const acknowledgedLength = length + writer.acked();

      b = await start('always');
      length = await gapFreeListLength(b.port);
      expect(length, `after crash ${crash}`).toBeGreaterThanOrEqual(acknowledgedLength);
    }
  });

  it('with appendfsync everysec, kill -9 under load loses at most what was acknowledged in the last 2 s', async () => {
    let b = await start('everysec');
    const writer = await pipelineLpush(b.port);
    // Three seconds of load, so that "acknowledged more than 2 s before the kill" is not empty.
    const loadedForMs = (): number => (writer.ackTimesMs.length === 0 ? 0 : Date.now() - writer.ackTimesMs[0]!);
    await waitFor(() => loadedForMs() >= 3000, WAIT_MS, () => `3 s of acknowledged LPUSHes (got ${writer.acked()} in ${loadedForMs()} ms)`);
    await stop(b, 'SIGKILL');
    const killedAtMs = Date.now();
    const acked = writer.acked();
    const ackedBeforeTheLast2s = writer.ackTimesMs.filter((t) => t < killedAtMs - 2000).length;
    expect(ackedBeforeTheLast2s).toBeGreaterThan(0);

    b = await start('everysec');
    const kept = await gapFreeListLength(b.port);
    expect(kept).toBeGreaterThanOrEqual(ackedBeforeTheLast2s);
    expect(kept).toBeLessThanOrEqual(acked + IN_FLIGHT);
  });

  it('with appendfsync everysec, kill -9 1.5 s after the last write loses nothing', async () => {
    let b = await start('everysec');
    const writer = await pipelineLpush(b.port);
    await waitFor(() => writer.acked() >= 3000, WAIT_MS, () => `3000 acknowledged LPUSHes (got ${writer.acked()})`);
    writer.stop();
    await writer.settled();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await stop(b, 'SIGKILL');

    b = await start('everysec');
    expect(await gapFreeListLength(b.port)).toBe(writer.acked());
  });

  it('writes a log that redis-check-aof reports valid', async () => {
    if (!requireTool('redis-check-aof')) return;
    const b = await start('everysec');
    const client = await RawClient.connect(b.port);
    await ask(client, 'SET', 'greeting', 'hello\r\nworld');
    await ask(client, 'SET', 'session', 'x', 'EX', '100');
    await ask(client, 'RPUSH', 'list', 'a', 'b', '');
    await ask(client, 'ZADD', 'scores', '1.5', 'ann', '-2', 'bob');
    await ask(client, 'SELECT', '3');
    client.send('MULTI\r\nSET k v\r\nLPUSH room:chatty:backlog msg\r\nEXEC\r\n');
    await client.readReplies(4);
    client.close();
    expect(await stop(b, 'SIGTERM')).toBe(0);
    const check = spawnSync('redis-check-aof', [aofPath()], { encoding: 'utf8', timeout: 10_000 });
    expect(check.stdout).toContain(`ok_up_to=${statSync(aofPath()).size},`);
    expect(check.stdout).toMatch(/is valid/);
    expect(check.status).toBe(0);
  });

  it('reports the log in INFO persistence with Redis field names', async () => {
    const b = await start('everysec');
    const client = await RawClient.connect(b.port);
    await ask(client, 'SET', 'k', 'v');
    const info = text(await ask(client, 'INFO', 'persistence')) as string;
    client.close();
    for (const field of ['aof_enabled:1', 'aof_rewrite_in_progress:0', 'aof_last_bgrewrite_status:ok', 'aof_last_write_status:ok']) {
      expect(info).toContain(`\r\n${field}\r\n`);
    }
    expect(info).toMatch(/\r\naof_current_size:\d+\r\n/);
    expect(info).toMatch(/\r\naof_base_size:\d+\r\n/);
  });

  it('BGREWRITEAOF compacts the log in the background and the data survives a restart', async () => {
    let b = await start('everysec');
    let client = await RawClient.connect(b.port);
    for (let i = 0; i < 500; i++) client.send(`SET counter ${i}\r\n`);
    await client.readReplies(500);
    expect(await ask(client, 'BGREWRITEAOF')).toBe('Background append only file rewriting started');
    await waitFor(() => statSync(aofPath()).size < 1000, WAIT_MS, () => 'the rewritten log');
    for (;;) {
      const info = text(await ask(client, 'INFO', 'persistence')) as string;
      if (info.includes('\r\naof_rewrite_in_progress:0\r\n')) {
        expect(info).toContain('\r\naof_last_bgrewrite_status:ok\r\n');
        expect(info).toContain('\r\naof_rewrites:1\r\n');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await ask(client, 'SET', 'after', 'rewrite');
    client.close();
    expect(await stop(b, 'SIGTERM')).toBe(0);

    b = await start('everysec');
    client = await RawClient.connect(b.port);
    expect(text(await ask(client, 'GET', 'counter'))).toBe('499');
    expect(text(await ask(client, 'GET', 'after'))).toBe('rewrite');
    client.close();
  });

  describe('the backlog recipe verbatim, with real clients', () => {
    const hasRedisCli = requireTool('redis-cli');

    /** redis-cli reading commands from stdin runs them in order on one connection. */
    const redisCli = (port: number, script: string): string => {
      const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port)], { input: script, encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`redis-cli exited ${r.status}: ${r.stderr}`);
      return r.stdout;
    };

    it.skipIf(!hasRedisCli)('redis-cli: MULTI/LPUSH/PUBLISH/EXEC, then LRANGE, before and after a restart and after kill -9', async () => {
      let b = await start('always');
      const recipe = (i: number): string => `MULTI\nLPUSH room:chatty:backlog "Hello there! ${i}"\nPUBLISH room:chatty "Hello there! ${i}"\nEXEC\n`;
      expect(redisCli(b.port, recipe(1) + recipe(2))).toBe('OK\nQUEUED\nQUEUED\n1\n0\nOK\nQUEUED\nQUEUED\n2\n0\n');
      const history = 'Hello there! 2\nHello there! 1\n';
      expect(redisCli(b.port, 'LRANGE room:chatty:backlog 0 49\n')).toBe(history);
      expect(await stop(b, 'SIGTERM')).toBe(0);

      b = await start('always');
      expect(redisCli(b.port, 'LRANGE room:chatty:backlog 0 49\n')).toBe(history);
      expect(redisCli(b.port, recipe(3))).toBe('OK\nQUEUED\nQUEUED\n3\n0\n');
      await stop(b, 'SIGKILL');

      b = await start('always');
      expect(redisCli(b.port, 'LRANGE room:chatty:backlog 0 49\n')).toBe(`Hello there! 3\n${history}`);
    });

    it('ioredis: the recipe delivers to a subscriber, and the backlog survives kill -9 (always)', async () => {
      let b = await start('always');
      const sub = new Redis({ host: '127.0.0.1', port: b.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      const pub = new Redis({ host: '127.0.0.1', port: b.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await sub.connect();
        await pub.connect();
        const received: string[] = [];
        sub.on('message', (_channel: string, message: string) => received.push(message));
        await sub.subscribe('room:chatty');
        for (let i = 0; i < 60; i++) {
          const replies = await pub.multi().lpush('room:chatty:backlog', `m${i}`).publish('room:chatty', `m${i}`).exec();
          expect(replies).toEqual([[null, i + 1], [null, 1]]);
        }
        await waitFor(() => received.length === 60, WAIT_MS, () => `60 messages (got ${received.length})`);
        expect(received).toEqual(Array.from({ length: 60 }, (_v, i) => `m${i}`));
      } finally {
        sub.disconnect();
        pub.disconnect();
      }
      await stop(b, 'SIGKILL');

      b = await start('always');
      const reader = new Redis({ host: '127.0.0.1', port: b.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await reader.connect();
        expect(await reader.lrange('room:chatty:backlog', 0, 49)).toEqual(Array.from({ length: 50 }, (_v, i) => `m${59 - i}`));
        expect(await reader.llen('room:chatty:backlog')).toBe(60);
      } finally {
        reader.disconnect();
      }
    });

    it("logs a transaction's writes between MULTI and EXEC, and nothing for a read-only one", async () => {
      const b = await start('always');
      const client = await RawClient.connect(b.port);
      client.send('MULTI\r\nLPUSH backlog a\r\nPUBLISH room a\r\nEXEC\r\nMULTI\r\nLRANGE backlog 0 -1\r\nEXEC\r\n');
      await client.readReplies(7);
      client.close();
      expect(await stop(b, 'SIGTERM')).toBe(0);
      const log = readFileSync(aofPath(), 'latin1');
      // Command names as the client spelled them (Redis logs argv as received).
      expect(log.toLowerCase()).toContain('*1\r\n$5\r\nmulti\r\n*3\r\n$5\r\nlpush\r\n$7\r\nbacklog\r\n$1\r\na\r\n*1\r\n$4\r\nexec\r\n');
      expect(log.match(/multi/gi)).toHaveLength(1);
      expect(log).not.toMatch(/publish/i);
    });
  });

  describe('a damaged log', () => {
    const complete = '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$4\r\nkept\r\n$3\r\nyes\r\n';

    it('with a truncated tail: loads the complete commands, logs what was dropped, and starts', async () => {
      const cutOff = '*3\r\n$3\r\nSET\r\n$4\r\nlost';
      writeFileSync(aofPath(), complete + cutOff);
      const b = await start('everysec');
      expect(b.output()).toContain(`ringcast: AOF truncated at offset ${complete.length}: dropped ${cutOff.length} bytes`);
      const client = await RawClient.connect(b.port);
      expect(text(await ask(client, 'GET', 'kept'))).toBe('yes');
      expect(await ask(client, 'EXISTS', 'lost')).toBe(0);
      client.close();
      expect(statSync(aofPath()).size).toBe(complete.length);
    });

    it('with corruption in the middle: refuses to start naming the offset, and starts with --aof-accept-corrupt yes', async () => {
      const damaged = `${complete}*3\r\n#3\r\nSET\r\n$4\r\nlost\r\n$2\r\nno\r\n${complete}`;
      writeFileSync(aofPath(), damaged);
      const refused = await start('everysec').then(() => null, (err: Error) => err.message);
      expect(refused).toContain(`corrupt at offset ${complete.length + 4}`);
      expect(refused).toContain('--aof-accept-corrupt yes');
      expect(readFileSync(aofPath(), 'latin1')).toBe(damaged);

      const b = await start('everysec', ['--aof-accept-corrupt', 'yes']);
      const client = await RawClient.connect(b.port);
      expect(text(await ask(client, 'GET', 'kept'))).toBe('yes');
      expect(await ask(client, 'EXISTS', 'lost')).toBe(0);
      client.close();
    });
  });
});
