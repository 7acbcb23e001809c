// Differential scripts: one list of steps over named connections, run against a server, recorded
// as a transcript of exact reply bytes; run against ringcast and a real redis-server, the two
// transcripts must be equal. Runs in the vitest process.
//
// Invariants: steps run strictly in order, each completing before the next starts; a connection
// opens on first use of its name; the transcript records replies only (not what was sent), one
// line per top-level reply, `<conn>: "<escaped bytes>"`; nothing is normalised unless the caller
// passes `normalize`; every connection is closed when the script ends, even on failure.
import { RawClient } from './raw-client.js';
import { ReplyReader, encodeCommand, escapeBytes } from './resp-reply.js';

const DEFAULT_STEP_TIMEOUT_MS = 5_000;
const IDLE_POLL_LIMIT = 100;
const IDLE_POLL_INTERVAL_MS = 20;
// sleepMs is for letting a close propagate, not for waiting on slow work.
const MAX_SLEEP_MS = 1_000;

/**
 * One step. `expect` is how many top-level replies (pushes included) to read on that connection
 * after sending; pushes caused by another connection's PUBLISH are read by a step on the receiving
 * connection: `{ conn: 'a', expect: 1 }` sends nothing and reads one.
 * `raw` is another name for `sendRaw`. A name used again after `close` or `readUntilClosed`
 * opens a new connection.
 */
export type Step =
  | { conn: string; send: (string | Buffer)[]; expect: number }
  | { conn: string; sendRaw: string | Buffer; expect: number }
  | { conn: string; raw: string | Buffer; expect: number }
  | { conn: string; expect: number }
  | { conn: string; readUntilClosed: true }
  | { conn: string; close: true }
  | { sleepMs: number };

export interface ScriptOptions {
  /** Applied to every transcript line, for fields that legitimately differ (ids, versions). */
  normalize?: (line: string) => string;
  /** Bound for each read (default 5 s). */
  stepTimeoutMs?: number;
  /**
   * 3: every connection sends HELLO 3 as it opens; that reply names the server version, so it is
   * read and left out of the transcript. Default 2 (no HELLO).
   */
  protocol?: 2 | 3;
}

/** Runs `steps` against the server on `port` and returns its transcript. Throws naming the failing step. */
export async function runScript(port: number, steps: Step[], opts: ScriptOptions = {}): Promise<string[]> {
  const timeoutMs = opts.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const connections = new Map<string, RawClient>();
  const transcript: string[] = [];
  const connection = async (name: string): Promise<RawClient> => {
    let client = connections.get(name);
    if (client === undefined) {
      client = await RawClient.connect(port);
      connections.set(name, client);
      if (opts.protocol === 3) await client.command('HELLO', '3');
    }
    return client;
  };

  try {
    for (const [index, step] of steps.entries()) {
      try {
        if ('sleepMs' in step) {
          if (step.sleepMs > MAX_SLEEP_MS) throw new Error(`sleepMs is capped at ${MAX_SLEEP_MS}`);
          await new Promise((resolve) => setTimeout(resolve, step.sleepMs));
          continue;
        }
        const client = await connection(step.conn);
        if ('close' in step) {
          client.close();
          connections.delete(step.conn);
        } else if ('readUntilClosed' in step) {
          transcript.push(...closedLines(step.conn, await client.readUntilClosed(timeoutMs)));
          connections.delete(step.conn);
        } else {
          if ('send' in step) client.send(encodeCommand(...step.send));
          else if ('sendRaw' in step) client.send(step.sendRaw);
          else if ('raw' in step) client.send(step.raw);
          for (const reply of await client.readReplies(step.expect, timeoutMs)) {
            transcript.push(`${step.conn}: ${escapeBytes(reply)}`);
          }
        }
      } catch (err) {
        throw new Error(
          `script step #${index} ${describeStep(step)} against port ${port} failed: ${(err as Error).message}\n` +
            `transcript so far:\n${transcript.join('\n')}`,
        );
      }
    }
  } finally {
    for (const client of connections.values()) client.close();
  }
  const normalize = opts.normalize;
  return normalize === undefined ? transcript : transcript.map((line) => normalize(line));
}

/**
 * Runs the same script against ringcast and against redis-server, one after the other, so a test
 * can `expect(ours).toEqual(theirs)`.
 */
export async function compareWithRedis(
  steps: Step[],
  brokerPort: number,
  redisPort: number,
  opts: ScriptOptions = {},
): Promise<{ ours: string[]; theirs: string[] }> {
  const ours = await runScript(brokerPort, steps, opts);
  const theirs = await runScript(redisPort, steps, opts);
  return { ours, theirs };
}

/** The bytes a server sent before closing, one line per complete reply, then a close marker. */
function closedLines(conn: string, bytes: Buffer): string[] {
  const reader = new ReplyReader();
  reader.feed(bytes);
  const lines: string[] = [];
  try {
    for (let raw = reader.nextRaw(); raw !== null; raw = reader.nextRaw()) lines.push(`${conn}: ${escapeBytes(raw)}`);
  } catch {
    // Bytes that are not RESP stay unparsed and are shown on the close line below.
  }
  const trailing = reader.takeUnparsed();
  lines.push(trailing.length === 0 ? `${conn}: <closed>` : `${conn}: <closed after partial ${escapeBytes(trailing)}>`);
  return lines;
}

function describeStep(step: Step): string {
  // Buffer.toJSON runs before the replacer, so Buffers arrive here as { type: 'Buffer', data }.
  return JSON.stringify(step, (_key, value: unknown) => {
    const json = value as { type?: unknown; data?: unknown } | null;
    return json?.type === 'Buffer' && Array.isArray(json.data) ? escapeBytes(Buffer.from(json.data)) : value;
  });
}

/**
 * Puts the server on `port` back to a clean slate between tests: every database emptied,
 * notifications off, and a bounded wait until no channel, pattern or shard channel is left (the
 * previous test's connections may still be closing). Throws naming what is left.
 */
export async function resetServer(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    await client.command('FLUSHALL');
    await client.command('CONFIG', 'SET', 'notify-keyspace-events', '');
    let left = '';
    for (let attempt = 0; attempt < IDLE_POLL_LIMIT; attempt++) {
      left = '';
      // One command at a time: a RawClient hands out its replies in order to one reader.
      for (const sub of ['CHANNELS', 'NUMPAT', 'SHARDCHANNELS']) left += (await client.command('PUBSUB', sub)).toString('latin1');
      if (left === '*0\r\n:0\r\n*0\r\n') return;
      await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_INTERVAL_MS));
    }
    throw new Error(`server on port ${port} still has subscriptions from an earlier test: ${JSON.stringify(left)}`);
  } finally {
    client.close();
  }
}
