// The append-only log (src/store/aof.ts) on a real file system in a temp directory: the bytes it
// writes, what it loads back (truncated tails, corruption, transactions), durability offsets per
// fsync policy, background rewrites (a real piscina thread running dist/workers/aof-rewrite-task.js),
// and real crashes (a child process appending, killed with SIGKILL). Needs `tsc` first (npm test).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AofCorruptError, AppendOnlyLog, type AofOptions } from '../../src/store/aof.js';
import { requireTool, spawnTracked, stopProcess, type TrackedChild } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/stream-client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REWRITE_TASK = pathToFileURL(path.resolve(here, '../../dist/workers/aof-rewrite-task.js'));
const CRASH_WRITER = path.resolve(here, '../../dist/test/fixtures/aof-crash-writer.js');
const WAIT_MS = 10_000;

type Command = Buffer[];
const cmd = (...args: (string | Buffer)[]): Command => args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
const show = (commands: Command[]): string[] => commands.map((c) => c.map((a) => a.toString('latin1')).join(' '));

let dir: string;
beforeAll(() => {
  for (const compiled of [fileURLToPath(REWRITE_TASK), CRASH_WRITER]) {
    if (!existsSync(compiled)) throw new Error(`${compiled} does not exist; build first (npx tsc -p tsconfig.json, or npm test)`);
  }
});
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-aof-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<AofOptions> = {}): AofOptions {
  return { dir, fsync: 'everysec', rewritePercentage: 0, rewriteMinBytes: 0, loadTruncated: true, acceptCorrupt: false, ...overrides };
}

/** Opens the log in `dir`, collecting (copies of) what it loads. */
async function openLog(overrides: Partial<AofOptions> = {}): Promise<{ log: AppendOnlyLog; loaded: Command[]; bytes: number }> {
  const log = new AppendOnlyLog(options(overrides), REWRITE_TASK);
  const loaded: Command[] = [];
  const result = await log.load((args) => loaded.push(args.map((a) => Buffer.from(a))));
  expect(result.commands).toBe(loaded.length);
  return { log, loaded, bytes: result.bytes };
}

/** Everything the log in `dir` holds, by loading it (the log is closed again). */
async function loadAll(overrides: Partial<AofOptions> = {}): Promise<Command[]> {
  const { log, loaded } = await openLog(overrides);
  await log.close();
  return loaded;
}

/** Replays SELECTs: each command with the database it applies to, as `db:command`. */
function withDatabases(commands: Command[]): string[] {
  let db = 0;
  const out: string[] = [];
  for (const line of show(commands)) {
    const select = /^SELECT (\d+)$/.exec(line);
    if (select) db = Number(select[1]);
    else out.push(`${db}:${line}`);
  }
  return out;
}

const aofPath = (): string => path.join(dir, 'appendonly.aof');

describe('the log format', () => {
  it("writes Redis's AOF bytes, with a SELECT before the first command and at each database change", async () => {
    const { log } = await openLog();
    log.append(0, cmd('SET', 'k', 'v'));
    log.append(0, cmd('DEL', 'k'));
    log.append(12, cmd('LPUSH', 'l', ''));
    log.append(0, cmd('PING'));
    await log.close();
    expect(readFileSync(aofPath(), 'latin1')).toBe(
      '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n' +
        '*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*3\r\n$5\r\nLPUSH\r\n$1\r\nl\r\n$0\r\n\r\n' +
        '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n',
    );
  });

  it('loads back every command in order, binary arguments and ones larger than a chunk included', async () => {
    const binary = Buffer.from([0, 13, 10, 255, 42, 36, 13]);
    const large = Buffer.alloc(200 * 1024, 'x');
    large[1000] = 13;
    const { log } = await openLog();
    log.append(3, cmd('SET', binary, large));
    log.append(3, cmd('RPUSH', 'list', '', binary));
    log.append(0, cmd('ZADD', 'z', '1.5', 'member'));
    await log.close();
    const hex = (commands: Command[]): string[][] => commands.map((c) => c.map((a) => a.toString('hex')));
    expect(hex(await loadAll())).toEqual(hex([
      cmd('SELECT', '3'), cmd('SET', binary, large), cmd('RPUSH', 'list', '', binary), cmd('SELECT', '0'), cmd('ZADD', 'z', '1.5', 'member'),
    ]));
  });

  it('starts a reopened log with a SELECT, since the last one written is not known', async () => {
    let { log } = await openLog();
    log.append(5, cmd('SET', 'a', '1'));
    await log.close();
    ({ log } = await openLog());
    log.append(5, cmd('SET', 'b', '2'));
    await log.close();
    expect(show(await loadAll())).toEqual(['SELECT 5', 'SET a 1', 'SELECT 5', 'SET b 2']);
  });

  it('creates the directory and loads nothing when there is no log yet', async () => {
    rmSync(dir, { recursive: true });
    const { log, loaded, bytes } = await openLog();
    expect([loaded, bytes]).toEqual([[], 0]);
    expect(existsSync(aofPath())).toBe(true);
    await log.close();
  });

  it('closes once however often close is called, and refuses appends once closed', async () => {
    const { log } = await openLog();
    log.append(0, cmd('SET', 'k', 'v'));
    const closing = log.close();
    expect(log.close()).toBe(closing);
    await closing;
    expect(() => log.append(0, cmd('SET', 'k', 'w'))).toThrow('the log is closed');
    expect(show(await loadAll())).toEqual(['SELECT 0', 'SET k v']);
  });

  it('delivers a transaction only once its EXEC has been read', async () => {
    const { log } = await openLog();
    log.append(0, cmd('MULTI'));
    log.append(0, cmd('LPUSH', 'room:chatty:backlog', 'msg'));
    log.append(0, cmd('EXEC'));
    await log.close();
    const seen: string[] = [];
    const reader = new AppendOnlyLog(options(), REWRITE_TASK);
    await reader.load((args) => seen.push(args[0]!.toString()));
    await reader.close();
    expect(seen).toEqual(['SELECT', 'MULTI', 'LPUSH', 'EXEC']);
  });
});

describe('loading a damaged log', () => {
  /** A log of a few commands; returns its bytes and where its last command starts. */
  async function writeSample(): Promise<{ bytes: Buffer; lastStart: number }> {
    const { log } = await openLog();
    log.append(0, cmd('SET', 'a', '1'));
    log.append(1, cmd('RPUSH', 'l', 'x', 'y'));
    const lastStart = log.appendedOffset;
    log.append(1, cmd('SET', 'last', Buffer.from('va\r\nlue')));
    await log.close();
    return { bytes: readFileSync(aofPath()), lastStart };
  }

  it('cut at every byte of its last command, loads the commands before it, says what it dropped and truncates the file', async () => {
    const { bytes, lastStart } = await writeSample();
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      writeFileSync(aofPath(), bytes.subarray(0, cut));
      const loaded = await loadAll();
      expect(show(loaded), `cut at ${cut}`).toEqual(['SELECT 0', 'SET a 1', 'SELECT 1', 'RPUSH l x y']);
      expect(spy).toHaveBeenLastCalledWith(`ringcast: AOF truncated at offset ${lastStart}: dropped ${cut - lastStart} bytes`);
      expect(statSync(aofPath()).size, `cut at ${cut}`).toBe(lastStart);
    }
  });

  it('refuses a truncated tail without aof-load-truncated and leaves the file alone', async () => {
    const { bytes, lastStart } = await writeSample();
    writeFileSync(aofPath(), bytes.subarray(0, bytes.length - 3));
    const log = new AppendOnlyLog(options({ loadTruncated: false }), REWRITE_TASK);
    const failure = await log.load(() => {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AofCorruptError);
    expect((failure as AofCorruptError).kind).toBe('truncated');
    expect((failure as AofCorruptError).message).toMatch(new RegExp(`truncated at offset ${lastStart}.*--aof-load-truncated yes`));
    expect(readFileSync(aofPath())).toEqual(bytes.subarray(0, bytes.length - 3));
  });

  it('drops a transaction whose EXEC a crash cut off, MULTI included', async () => {
    const { log } = await openLog();
    log.append(0, cmd('SET', 'before', '1'));
    const multiStart = log.appendedOffset;
    log.append(0, cmd('MULTI'));
    log.append(0, cmd('LPUSH', 'room:chatty:backlog', 'msg'));
    await log.close();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(show(await loadAll())).toEqual(['SELECT 0', 'SET before 1']);
    expect(console.warn).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`^ringcast: AOF truncated at offset ${multiStart}: dropped \\d+ bytes$`)));
    expect(statSync(aofPath()).size).toBe(multiStart);
  });

  // Each corruption: how to damage the sample, given where its middle command (RPUSH) starts.
  const corruptions: [string, (b: Buffer, at: number) => number][] = [
    ["a command that does not start with '*'", (b, at) => { b[at] = 0x58; return at; }],
    ["an argument that does not start with '$'", (b, at) => { const p = b.indexOf('$5', at); b[p] = 0x23; return p; }],
    ['a length that is not a number', (b, at) => { const p = b.indexOf('$5', at) + 1; b[p] = 0x41; return p; }],
    ['an argument without its CRLF', (b, at) => { const p = b.indexOf('RPUSH', at) + 5; b[p] = 0x21; return p; }],
    ['a command with no arguments', (b, at) => { b[at + 1] = 0x30; return at; }],
  ];

  it.each(corruptions)('refuses to start on %s in the middle, naming the offset and the flag that accepts the loss', async (_what, damage) => {
    const { log } = await openLog();
    log.append(0, cmd('SET', 'a', '1'));
    const middleStart = log.appendedOffset;
    log.append(0, cmd('RPUSH', 'l', 'x'));
    log.append(0, cmd('SET', 'b', '2'));
    await log.close();
    const bytes = readFileSync(aofPath());
    const badOffset = damage(bytes, middleStart);
    writeFileSync(aofPath(), bytes);
    const reader = new AppendOnlyLog(options(), REWRITE_TASK);
    const failure = await reader.load(() => {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AofCorruptError);
    expect((failure as AofCorruptError).offset).toBe(badOffset);
    expect((failure as Error).message).toContain(`corrupt at offset ${badOffset}`);
    expect((failure as Error).message).toContain('--aof-accept-corrupt yes');
    expect(readFileSync(aofPath())).toEqual(bytes);
  });

  it('with aof-accept-corrupt, loads what precedes the corruption, keeps a copy, cuts the file and appends after it', async () => {
    const { log } = await openLog();
    log.append(0, cmd('SET', 'a', '1'));
    const middleStart = log.appendedOffset;
    log.append(0, cmd('RPUSH', 'l', 'x'));
    log.append(0, cmd('SET', 'b', '2'));
    await log.close();
    const damaged = readFileSync(aofPath());
    damaged[middleStart + 6] = 0x58; // RPUSH's '$'
    writeFileSync(aofPath(), damaged);
    vi.spyOn(console, 'warn').mockImplementation(() => {});

    const reopened = await openLog({ acceptCorrupt: true });
    expect(show(reopened.loaded)).toEqual(['SELECT 0', 'SET a 1']);
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining(`dropped ${damaged.length - middleStart} bytes`));
    const copies = readdirSync(dir).filter((name) => name.startsWith('appendonly.aof.corrupt-'));
    expect(copies).toHaveLength(1);
    expect(readFileSync(path.join(dir, copies[0]!))).toEqual(damaged);
    reopened.log.append(0, cmd('SET', 'c', '3'));
    await reopened.log.close();
    expect(show(await loadAll())).toEqual(['SELECT 0', 'SET a 1', 'SELECT 0', 'SET c 3']);
  });

  it('removes the temp file an interrupted rewrite left behind', async () => {
    writeFileSync(path.join(dir, 'temp-rewriteaof-bg-12345.aof'), 'half a rewrite');
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    await loadAll();
    expect(readdirSync(dir)).toEqual(['appendonly.aof']);
  });

  it("writes a log that redis-check-aof accepts, and one it reports truncated where we do", async () => {
    if (!requireTool('redis-check-aof')) return;
    const { bytes, lastStart } = await writeSample();
    const valid = spawnSync('redis-check-aof', [aofPath()], { encoding: 'utf8', timeout: 10_000 });
    expect(valid.status).toBe(0);
    expect(valid.stdout).toContain(`ok_up_to=${bytes.length},`);
    expect(valid.stdout).toMatch(/AOF .* is valid/);
    writeFileSync(aofPath(), bytes.subarray(0, bytes.length - 4));
    const cut = spawnSync('redis-check-aof', [aofPath()], { encoding: 'utf8', timeout: 10_000 });
    expect(cut.status).toBe(1);
    expect(cut.stdout).toContain(`ok_up_to=${lastStart},`);
  });
});

describe('durability', () => {
  it('with always, an append is not durable until its write is fsynced, then onDurable reports it', async () => {
    const { log } = await openLog({ fsync: 'always' });
    const reported: number[] = [];
    log.onDurable = () => reported.push(log.durableOffset);
    const offsets: number[] = [];
    for (let i = 0; i < 100; i++) offsets.push(log.append(0, cmd('RPUSH', 'l', String(i))));
    expect(log.durableOffset).toBeLessThan(offsets[0]!);
    const last = offsets.at(-1)!;
    await waitFor(() => log.durableOffset >= last, WAIT_MS, () => `durableOffset ${log.durableOffset} to reach ${last}`);
    expect(reported.at(-1)).toBe(last);
    expect([...reported].sort((a, b) => a - b)).toEqual(reported);
    expect(statSync(aofPath()).size).toBe(last);
    await log.close();
  });

  it('with no, writes reach the file but nothing is fsynced until close', async () => {
    const { log } = await openLog({ fsync: 'no' });
    const offset = log.append(0, cmd('SET', 'k', 'v'));
    await waitFor(() => statSync(aofPath()).size === offset, WAIT_MS, () => 'the write');
    expect(log.durableOffset).toBe(0);
    await log.close();
    expect(log.durableOffset).toBe(offset);
  });

  it('switching to always at run time makes what was written durable', async () => {
    const { log } = await openLog({ fsync: 'no' });
    const offset = log.append(0, cmd('SET', 'k', 'v'));
    await waitFor(() => statSync(aofPath()).size === offset, WAIT_MS, () => 'the write');
    const durable = new Promise<void>((resolve) => { log.onDurable = resolve; });
    log.configure({ fsync: 'always' });
    await durable;
    expect(log.durableOffset).toBe(offset);
    await log.close();
  });

  it('reports its state with Redis INFO field names', async () => {
    const { log } = await openLog();
    const offset = log.append(0, cmd('SET', 'k', 'v'));
    const before = log.info();
    expect(Object.keys(before)).toEqual([
      'aof_enabled', 'aof_rewrite_in_progress', 'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec',
      'aof_current_rewrite_time_sec', 'aof_last_bgrewrite_status', 'aof_rewrites', 'aof_rewrites_consecutive_failures',
      'aof_last_write_status', 'aof_last_cow_size', 'module_fork_in_progress', 'module_fork_last_cow_size',
      'aof_current_size', 'aof_base_size', 'aof_pending_rewrite', 'aof_buffer_length', 'aof_pending_bio_fsync', 'aof_delayed_fsync',
    ]);
    expect(before).toMatchObject({ aof_enabled: 1, aof_current_size: 0, aof_buffer_length: offset, aof_last_write_status: 'ok' });
    await waitFor(() => log.info().aof_current_size === offset, WAIT_MS, () => 'the write');
    expect(log.info().aof_buffer_length).toBe(0);
    await log.close();
  });
});

describe('rewrite', () => {
  /** Appends `count` commands that a rewrite compacts: overwrites of a few keys in two databases. */
  function appendHistory(log: AppendOnlyLog, count: number): void {
    for (let i = 0; i < count; i++) log.append(i % 2 === 0 ? 0 : 7, cmd('SET', `key:${i % 10}`, `value:${i}`));
  }
  /** What the keyspace would dump after appendHistory(count). */
  function snapshotOf(count: number): (emit: (db: number, args: Buffer[]) => void) => void {
    return (emit) => {
      for (let k = 0; k < 10 && k < count; k++) {
        const last = count - 1 - ((count - 1 - k) % 10);
        emit(last % 2 === 0 ? 0 : 7, cmd('SET', `key:${k}`, `value:${last}`));
      }
    };
  }

  it.each(['everysec', 'always'] as const)('with %s, produces a log that loads to the snapshot plus every append made while it ran', async (fsync) => {
    const { log } = await openLog({ fsync });
    appendHistory(log, 5000);
    const snapshot = snapshotOf(5000);
    const expected: string[] = [];
    snapshot((db, args) => expected.push(`${db}:${show([args])[0]}`));

    const rewritten = log.rewriteNow(snapshot);
    expect(log.rewriteInProgress).toBe(true);
    let done = false;
    void rewritten.finally(() => { done = true; });
    // Appends in every event-loop turn of the rewrite, so some land in each of its phases (with
    // a bigger one every few turns, so the catch-up copy has work to do).
    const payload = 'p'.repeat(200);
    for (let round = 0; !done && round < 100_000; round++) {
      for (let i = 0; i < 3; i++) {
        const db = (round + i) % 3;
        const value = round % 16 === 0 && i === 0 ? payload.repeat(20) : payload;
        log.append(db, cmd('RPUSH', `during:${round}`, value, String(i)));
        expected.push(`${db}:RPUSH during:${round} ${value} ${i}`);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await rewritten;
    log.append(7, cmd('SET', 'after', 'switch'));
    expected.push('7:SET after switch');
    expect(log.info()).toMatchObject({ aof_rewrites: 1, aof_last_bgrewrite_status: 'ok', aof_rewrite_in_progress: 0 });
    await log.close();

    expect(expected.length).toBeGreaterThan(10 + 1 + 20);
    expect(withDatabases(await loadAll())).toEqual(expected);
    expect(readdirSync(dir)).toEqual(['appendonly.aof']);
  });

  it('keeps the old log and reports err when the rewrite fails', async () => {
    const { log } = await openLog();
    appendHistory(log, 100);
    // A directory where the temp file goes makes the task's open fail.
    const tempPath = path.join(dir, `temp-rewriteaof-bg-${process.pid}.aof`);
    mkdirSync(tempPath);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(log.rewriteNow(snapshotOf(100))).rejects.toThrow();
    expect(log.info()).toMatchObject({ aof_last_bgrewrite_status: 'err', aof_rewrites_consecutive_failures: 1, aof_rewrite_in_progress: 0 });
    log.append(0, cmd('SET', 'still', 'logged'));
    await log.close();
    rmSync(tempPath, { recursive: true });
    const loaded = withDatabases(await loadAll());
    expect(loaded).toHaveLength(101);
    expect(loaded.at(-1)).toBe('0:SET still logged');
  });

  it('refuses a second rewrite while one runs', async () => {
    const { log } = await openLog();
    appendHistory(log, 10);
    const first = log.rewriteNow(snapshotOf(10));
    await expect(log.rewriteNow(snapshotOf(10))).rejects.toThrow('Background append only file rewriting already in progress');
    await first;
    await log.close();
  });

  it('rewrites by itself once the log has grown by the percentage over its base, and not again right after', async () => {
    const { log } = await openLog({ rewritePercentage: 100, rewriteMinBytes: 1000 });
    let snapshots = 0;
    const snapshot = (emit: (db: number, args: Buffer[]) => void): void => {
      snapshots++;
      snapshotOf(100)(emit);
    };
    appendHistory(log, 10);
    await waitFor(() => log.info().aof_buffer_length === 0, WAIT_MS, () => 'the write');
    log.maybeRewrite(snapshot);
    expect(snapshots).toBe(0); // under the minimum size
    appendHistory(log, 100);
    await waitFor(() => log.info().aof_buffer_length === 0, WAIT_MS, () => 'the write');
    log.maybeRewrite(snapshot);
    expect(snapshots).toBe(1);
    await waitFor(() => !log.rewriteInProgress, WAIT_MS, () => 'the rewrite');
    const info = log.info();
    expect(info.aof_base_size).toBe(info.aof_current_size);
    log.maybeRewrite(snapshot);
    expect(snapshots).toBe(1);
    await log.close();
  });

  it('never rewrites by itself with a percentage of 0', async () => {
    const { log } = await openLog({ rewritePercentage: 0, rewriteMinBytes: 0 });
    appendHistory(log, 100);
    await waitFor(() => log.info().aof_buffer_length === 0, WAIT_MS, () => 'the write');
    let snapshots = 0;
    log.maybeRewrite(() => { snapshots++; });
    expect(snapshots).toBe(0);
    await log.close();
  });

  it('close stops a running rewrite and removes its temp file', async () => {
    const { log } = await openLog();
    appendHistory(log, 1000);
    const rewritten = log.rewriteNow(snapshotOf(1000));
    await log.close();
    await rewritten.catch(() => {});
    expect(readdirSync(dir)).toEqual(['appendonly.aof']);
    expect(withDatabases(await loadAll())).toHaveLength(1000);
  });
});

describe('real crashes (a child process appending, killed with SIGKILL)', () => {
  /** Starts the crash writer; `lines` collects its stdout lines. */
  function startWriter(policy: string): { child: TrackedChild; lines: string[] } {
    const child = spawnTracked(process.execPath, [CRASH_WRITER, dir, policy], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let partial = '';
    child.proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
    });
    return { child, lines };
  }
  const lastNumber = (lines: string[], word: string): number => {
    const line = lines.filter((l) => l.startsWith(`${word} `)).at(-1);
    return line === undefined ? -1 : Number(line.slice(word.length + 1));
  };
  /** The RPUSH values in the log, checked to be 0, 1, 2... with no gap or repeat. */
  async function loadedCount(): Promise<number> {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const values = withDatabases(await loadAll()).map((line) => Number(line.split(' ').at(-1)));
    expect(values).toEqual(values.map((_v, i) => i));
    return values.length;
  }

  it('with always, every acknowledged append survives a SIGKILL in the middle of writing', async () => {
    const { child, lines } = startWriter('always');
    await waitFor(() => lastNumber(lines, 'acked') >= 5000, 20_000, () => `5000 acknowledged appends (got ${lastNumber(lines, 'acked')})`);
    await stopProcess(child, 'SIGKILL');
    const acked = lastNumber(lines, 'acked');
    expect(await loadedCount()).toBeGreaterThanOrEqual(acked);
  });

  it('with everysec, nothing is lost when writing stopped 1.5 s before the SIGKILL', async () => {
    const { child, lines } = startWriter('everysec');
    await waitFor(() => existsSync(aofPath()) && statSync(aofPath()).size > 200_000, 20_000, () => 'the log to grow');
    child.proc.stdin!.write('stop\n');
    await waitFor(() => lastNumber(lines, 'stopped') >= 0, WAIT_MS, () => 'the writer to stop');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await stopProcess(child, 'SIGKILL');
    expect(await loadedCount()).toBe(lastNumber(lines, 'stopped'));
  });
});
