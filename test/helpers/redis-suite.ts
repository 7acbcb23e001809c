// What the ports of Redis's Tcl suites (test/integration/redis-suite-*.test.ts) share: the two
// servers they compare, a private redis-server and a ringcast broker, started once for the
// enclosing describe block and reset before each of its tests; the Tcl suite's client `r` as a
// script step; and expected transcript lines on `r`. Runs in the vitest process.
//
// Invariants: useServerPair is called from inside a describe block (it adds that block's hooks);
// both servers are stopped after the block even if a test failed; each test starts from
// resetServer's clean slate on both; expected lines have runScript's transcript format.
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startBroker, type BrokerHandle } from './broker.js';
import { compareWithRedis, resetServer, type ScriptOptions, type Step } from './differential.js';
import { startRedis, type RedisHandle } from './redis-server.js';
import { escapeBytes } from './resp-reply.js';

export type Protocol = 2 | 3;

export interface ServerPair {
  readonly redis: RedisHandle;
  readonly broker: BrokerHandle;
}

/**
 * Adds the hooks and returns the pair, whose fields are set once beforeAll has run (reading them
 * earlier throws). The caller skips the block when redis-server is missing (requireTool), so
 * startRedis never answers null here.
 */
export function useServerPair(): ServerPair {
  let redis: RedisHandle | undefined;
  let broker: BrokerHandle | undefined;
  beforeAll(async () => {
    [redis, broker] = await Promise.all([startRedis().then((handle) => handle!), startBroker()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), broker?.stop()]);
  });
  beforeEach(async () => {
    await Promise.all([resetServer(pair.broker.port), resetServer(pair.redis.port)]);
  });
  const pair: ServerPair = {
    get redis() {
      if (redis === undefined) throw new Error('useServerPair: redis-server is not started yet (read it inside a test)');
      return redis;
    },
    get broker() {
      if (broker === undefined) throw new Error('useServerPair: the broker is not started yet (read it inside a test)');
      return broker;
    },
  };
  return pair;
}

/**
 * Runs `steps` on both servers in `protocol` and expects each transcript to equal `expected`
 * (lines, or matchers for replies the Tcl accepts within a range): redis-server's first, which
 * checks that `expected` says what the Tcl case says, then ringcast's.
 */
export async function expectBoth(
  servers: ServerPair, protocol: Protocol, steps: Step[], expected: unknown[], opts: Omit<ScriptOptions, 'protocol'> = {},
): Promise<void> {
  const { ours, theirs } = await compareWithRedis(steps, servers.broker.port, servers.redis.port, { ...opts, protocol });
  expect(theirs, 'redis-server').toEqual(expected);
  expect(ours, 'ringcast').toEqual(expected);
}

/** One command on the Tcl suite's client `r`, reading one reply. */
export const r = (...args: string[]): Step => ({ conn: 'r', send: args, expect: 1 });

/** The transcript line of reply `raw` on `r`. */
export const line = (raw: string): string => `r: ${escapeBytes(Buffer.from(raw))}`;
export const int = (n: number): string => line(`:${n}\r\n`);
export const OK = line('+OK\r\n');
