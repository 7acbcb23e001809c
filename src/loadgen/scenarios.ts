/**
 * The load scenarios `ringcast bench` and `npm run bench` run (coordinator side). Each is a
 * topology plus defaults; every number can be overridden from the command line.
 *
 * Channels are named `bench:<index>`; payloads carry the header of payload.ts. "P" publisher
 * connections, "S" subscriber connections; every publisher publishes round-robin over every
 * channel, with at most `window` PUBLISHes unanswered per connection (or paced to `rate`).
 *
 *   roundtrip    P ──PUBLISH──▶ bench:0 ──▶ S          one message at a time; tinybench times
 *                (1)                        (1)        publish → delivery (unloaded latency)
 *
 *   pipelined    P ═══════════▶ bench:0 ══▶ S          1 → 1, 64 B, window 64
 *
 *   fanout       P ═══════════▶ bench:0 ══▶ S × 100    one channel, every subscriber gets every message
 *
 *   rooms        P × 4 ═══════▶ bench:0 ──▶ S          1000 channels, one subscriber connection
 *                               bench:1 ──▶ S          per channel
 *                               ... bench:999 ──▶ S
 *
 *   patterns     P ═══════════▶ bench:0 ══▶ S × 10     the subscribers PSUBSCRIBE bench:*; one more
 *                                                      connection holds 10,000 patterns that never
 *                                                      match (other:<i>:*, other:*:<i>, other:<i>:[ab]*)
 *
 *   latency      P ── 10,000/s ▶ bench:0 ══▶ S × 10    paced (1 ms ticks): service latency, not capacity
 *
 *   payload      P ═══════════▶ bench:0 ══▶ S × 10    --payload 16 | 1024 | 65536
 *
 *   connections  S × 10,000, one idle channel each     no traffic: server RSS per subscriber connection
 *
 *   wsfanout     P ═══════════▶ bench:0 ══▶ WS × 1000  publisher on RESP/TCP, subscribers on WebSocket
 *                                                      (`resp` subprotocol at --url): one message, 1000
 *                                                      WebSocket sends
 *
 *   recipe       P ═══════════▶ bench:0 ══▶ S × 10     the chat backlog recipe, one transaction per
 *                  MULTI                               message: the backlog list bench:0:backlog keeps
 *                  LPUSH bench:0:backlog <payload>     the latest BACKLOG_LENGTH payloads (so memory and
 *                  LTRIM bench:0:backlog 0 99          the log rewrite stay bounded); the window counts
 *                  PUBLISH bench:0 <payload>           transactions; EXEC's PUBLISH count is the reply
 *                  EXEC                                summed against the deliveries
 */

export type SubscribeMode = 'room' | 'pattern';
/** tcp: RESP on the server's port. ws: WebSocket with the `resp` subprotocol (ws-client.ts). */
export type SubscriberTransport = 'tcp' | 'ws';
/** publish: one PUBLISH per message. recipe: the MULTI/LPUSH/LTRIM/PUBLISH/EXEC transaction above. */
export type PublishMode = 'publish' | 'recipe';
export type Headline = 'throughput' | 'latency' | 'memory';

export interface ScenarioParams {
  publishers: number;
  subscribers: number;
  channels: number;
  /** room: subscriber i subscribes to channel i % channels. pattern: every subscriber PSUBSCRIBEs `bench:*`. */
  subscribeMode: SubscribeMode;
  /** Extra PSUBSCRIBE patterns that match no channel, held by one more connection. */
  nonMatchingPatterns: number;
  payloadBytes: number;
  /** Most PUBLISHes outstanding (sent, reply not yet read) per publisher connection. */
  window: number;
  /** Total PUBLISHes per second across publishers; 0 = as fast as the window allows. */
  ratePerSec: number;
  /** No publishing: connect, subscribe, then measure the server's memory per connection. */
  idle: boolean;
  /** One message at a time, timed by tinybench (publish → delivery). */
  roundtrip: boolean;
  /** How subscriber connections reach the server (publishers and the pattern holder always use TCP). */
  subscriberTransport: SubscriberTransport;
  publishMode: PublishMode;
}

export interface ScenarioDefinition {
  name: string;
  title: string;
  /** What the scenario is compared on. */
  headline: Headline;
  params: ScenarioParams;
}

const BASE: ScenarioParams = {
  publishers: 1,
  subscribers: 1,
  channels: 1,
  subscribeMode: 'room',
  nonMatchingPatterns: 0,
  payloadBytes: 64,
  window: 64,
  ratePerSec: 0,
  idle: false,
  roundtrip: false,
  subscriberTransport: 'tcp',
  publishMode: 'publish',
};

/** Entries the recipe's LTRIM keeps in each backlog list (the chat page shows the latest 50 of 100). */
export const BACKLOG_LENGTH = 100;

export const SCENARIOS: readonly ScenarioDefinition[] = [
  { name: 'roundtrip', title: 'round trip: one publish at a time, publish -> delivery (tinybench)', headline: 'latency',
    params: { ...BASE, window: 1, roundtrip: true } },
  { name: 'pipelined', title: 'pipelined 1 -> 1: 1 channel, 64 B, window 64', headline: 'throughput',
    params: { ...BASE } },
  { name: 'fanout', title: 'fan-out: 1 publisher -> 100 subscribers on one channel', headline: 'throughput',
    params: { ...BASE, subscribers: 100 } },
  { name: 'rooms', title: 'many rooms: 1000 channels, 1000 subscribers (one room each), 4 publishers', headline: 'throughput',
    params: { ...BASE, publishers: 4, subscribers: 1000, channels: 1000 } },
  { name: 'patterns', title: 'pattern load: 10 PSUBSCRIBE bench:* + 10,000 non-matching patterns', headline: 'throughput',
    params: { ...BASE, subscribers: 10, subscribeMode: 'pattern', nonMatchingPatterns: 10_000 } },
  { name: 'latency', title: 'service latency: 10,000 msgs/s paced, 1 -> 10', headline: 'latency',
    params: { ...BASE, subscribers: 10, ratePerSec: 10_000 } },
  { name: 'payload', title: 'payload size on 1 -> 10', headline: 'throughput',
    params: { ...BASE, subscribers: 10 } },
  { name: 'connections', title: 'connections: RSS per idle subscriber connection at 10,000', headline: 'memory',
    params: { ...BASE, publishers: 0, subscribers: 10_000, channels: 10_000, idle: true } },
  { name: 'wsfanout', title: 'WebSocket fan-out: 1 publisher over RESP -> 1000 WebSocket subscribers on one channel', headline: 'throughput',
    params: { ...BASE, subscribers: 1000, subscriberTransport: 'ws' } },
  { name: 'recipe', title: `backlog recipe: MULTI/LPUSH/LTRIM 0 ${BACKLOG_LENGTH - 1}/PUBLISH/EXEC per message, 1 -> 10`, headline: 'throughput',
    params: { ...BASE, subscribers: 10, publishMode: 'recipe' } },
];

export function findScenario(name: string): ScenarioDefinition | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function channelName(index: number): string {
  return `bench:${index}`;
}

/** The recipe's backlog list for a channel. */
export function backlogKey(index: number): string {
  return `bench:${index}:backlog`;
}

export const CHANNEL_PREFIX = 'bench:';
export const MATCH_ALL_PATTERN = 'bench:*';

/** The i-th pattern that matches no `bench:` channel: three shapes, as in bench/micro/pattern-match.ts. */
export function nonMatchingPattern(i: number): string {
  return i % 3 === 0 ? `other:${i}:*` : i % 3 === 1 ? `other:*:${i}` : `other:${i}:[ab]*`;
}

/** Checks a parameter set before any connection is opened; returns the problems (empty when fine). */
export function validateParams(p: ScenarioParams, minPayloadBytes: number): string[] {
  const problems: string[] = [];
  const positive = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) problems.push(`${name} must be an integer >= ${min} (got ${v})`);
  };
  positive('publishers', p.publishers, p.idle ? 0 : 1);
  positive('subscribers', p.subscribers, 1);
  positive('channels', p.channels, 1);
  positive('window', p.window, 1);
  positive('patterns', p.nonMatchingPatterns, 0);
  positive('payload', p.payloadBytes, minPayloadBytes);
  if (!(p.ratePerSec >= 0)) problems.push(`rate must be >= 0 (got ${p.ratePerSec})`);
  if (p.roundtrip && (p.publishers !== 1 || p.subscribers < 1)) problems.push('roundtrip needs exactly 1 publisher');
  return problems;
}
