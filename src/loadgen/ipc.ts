/**
 * The process boundary of the load generator: every message between the coordinator (the process
 * running `ringcast bench` or `npm run bench`) and its generator processes (worker-process.ts,
 * started with child_process.fork). Both sides import this file and nothing else of each other.
 *
 *   coordinator                                     generator process
 *     plan ───────────────────────────────────────▶ connect, SUBSCRIBE / PSUBSCRIBE
 *          ◀─────────────────────────────────────── ready (all confirmations read)
 *     start ──────────────────────────────────────▶ publishers begin
 *          ◀───────────── progress (every PROGRESS_INTERVAL_MS, cumulative counters)
 *     mark start / mark end ──────────────────────▶ measurement window edges (counters, CPU, histogram)
 *     pause / resume ─────────────────────────────▶ delivery-lag guard (coordinator.ts)
 *     stop ───────────────────────────────────────▶ publishers send nothing new, read every reply
 *          ◀─────────────────────────────────────── stopped (final sequence number per stream)
 *     finish (every stream's final sequence) ─────▶ subscribers tally lost messages
 *          ◀─────────────────────────────────────── result
 *     exit ───────────────────────────────────────▶ close sockets, exit 0
 *   Any failure in the generator process: ◀── fatal (then it exits 1).
 *
 * Channel messages use the default JSON serialization: a handful per second, never per message.
 */
import type { HistogramSnapshot, LatencySummary } from './histogram.js';
import type { IntegrityCounts } from './integrity.js';
import type { PublishMode, SubscriberTransport } from './scenarios.js';

export const PROGRESS_INTERVAL_MS = 50;

export interface SubscriberPlan {
  /** Channel indexes to SUBSCRIBE to; empty when `pattern` is set. */
  channels: number[];
  /** A pattern to PSUBSCRIBE to instead (matches every channel of the run). */
  pattern: string | null;
}

export interface PlanMessage {
  type: 'plan';
  processIndex: number;
  host: string;
  port: number;
  resp: 2 | 3;
  subscriberTransport: SubscriberTransport;
  /** The WebSocket endpoint (`ws://host:port/path`) when subscriberTransport is ws, else null. */
  wsUrl: string | null;
  publishMode: PublishMode;
  /** Run-wide totals: stream ids are publisherIndex * channelCount + channel. */
  publisherCount: number;
  channelCount: number;
  payloadBytes: number;
  window: number;
  /** PUBLISHes per second for each publisher hosted here; 0 = window-limited. */
  ratePerPublisher: number;
  /** Global indexes of the publishers this process hosts. */
  publishers: number[];
  subscribers: SubscriberPlan[];
  /** Non-matching patterns this process holds on one extra connection (0: none). */
  nonMatchingPatterns: number;
  /** Roundtrip scenario: tinybench time budget in ms (0 when not a roundtrip run). */
  roundtripTimeMs: number;
  /** Phase deadline for connecting and subscribing. */
  setupTimeoutMs: number;
}

export type CoordinatorMessage =
  | PlanMessage
  | { type: 'start' }
  | { type: 'mark'; phase: 'start' | 'end' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'finish'; finalSeqs: number[] }
  | { type: 'exit' };

export interface ProgressCounters {
  /** PUBLISHes sent (recipe: transactions). */
  published: number;
  /** Replies read to them (recipe: EXEC replies). */
  replies: number;
  /** Sum of the integer replies to PUBLISH (recipe: EXEC's PUBLISH element): the receivers the server counted. */
  replySum: number;
  delivered: number;
  deliveredPayloadBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
}

export interface RoundtripStats {
  /** From tinybench's task result, converted to µs. */
  latency: LatencySummary;
  iterations: number;
}

export interface ProcessResult {
  /** Counters at the two marks; the window is their difference. */
  atStart: ProgressCounters;
  atEnd: ProgressCounters;
  /** Counters after the drain (whole run, warm-up included). */
  total: ProgressCounters;
  /** Latencies recorded inside the window. */
  histogram: HistogramSnapshot;
  integrity: IntegrityCounts;
  publishErrors: number;
  firstError: string | null;
  /** Time the publishers here were held by the delivery-lag guard inside the window. */
  pausedMs: number;
  /** Paced runs: the most PUBLISHes this process was ever behind its schedule. */
  maxScheduleLag: number;
  roundtrip: RoundtripStats | null;
  /** Unexpected frames (not a pub/sub message, reply or confirmation). */
  unexpectedFrames: number;
  /** Subscriber connections the server closed during the run. */
  disconnects: number;
}

export type GeneratorMessage =
  | { type: 'ready'; clockOffsetUs: number; connections: number }
  | ({ type: 'progress' } & ProgressCounters)
  | { type: 'stopped'; finalSeqs: Array<[number, number[]]> }
  | { type: 'result'; result: ProcessResult }
  | { type: 'fatal'; message: string };
