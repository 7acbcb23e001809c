// The SPSC ring and the doorbells across REAL threads: the main thread (this file, as the broker's
// main thread would, never blocking: Doorbell.sleepAsync) against a worker (fixtures/ring-peer.ts,
// blocking in Doorbell.sleep). Every record carries a sequence number and a payload drawn from it; the
// consumer checks each one and both ends hash the stream. Lost wake-ups fail the test rather than
// hang it: a worker sleep that reaches its 10 s fallback ends the run with an error, and the main
// side races a deadline. Needs dist/ (`npx tsc -p tsconfig.json`, or `npm test` which builds first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createDoorbellBuffer, Doorbell } from '../../src/shm/doorbell.js';
import { createRingBuffer, RingConsumer, RingProducer } from '../../src/shm/ring.js';
import {
  CHECKSUM_SEED,
  payloadBytesFor,
  SequenceChecker,
  tryWriteRecord,
  type PeerConfig,
  type PeerReport,
  type PeerRole,
} from './fixtures/ring-traffic.js';

const PEER_SCRIPT = new URL('../../dist/test/concurrency/fixtures/ring-peer.js', import.meta.url);
const MAIN_BELL = 0;
const WORKER_BELL = 1;
const WORKER_SLEEP_FALLBACK_MS = 10_000;
const DEADLINE_MS = 50_000;
const TEST_TIMEOUT_MS = 60_000;
/** Records the main side produces or consumes before it looks at the other ring. */
const MAIN_SLICE_RECORDS = 512;
const DRAIN_LIMIT = 256;

interface MainReport {
  sentCount: number;
  sentChecksum: number;
  receivedCount: number;
  checker: SequenceChecker | null;
  sleepCount: number;
}

interface Scenario {
  dataBytes: number;
  recordCount: number;
  publishEvery: number;
}

function startPeer(config: PeerConfig): { worker: Worker; report: Promise<PeerReport> } {
  if (!existsSync(fileURLToPath(PEER_SCRIPT))) {
    throw new Error(`${fileURLToPath(PEER_SCRIPT)} is missing: run \`npx tsc -p tsconfig.json\` first`);
  }
  const worker = new Worker(PEER_SCRIPT, { workerData: config });
  const report = new Promise<PeerReport>((resolve, reject) => {
    worker.once('message', (peerReport: PeerReport) => {
      // The peer gives up at its first expired sleep; fail now instead of waiting for the deadline.
      if (peerReport.timedOutSleepCount === 0) resolve(peerReport);
      else reject(new Error(`a ${config.role} sleep reached its fallback timeout (lost wake-up?): ${JSON.stringify(peerReport)}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`ring peer exited (code ${code}) without a report`)));
  });
  return { worker, report };
}

/** Rejects after `ms` so that a lost main-thread wake-up (a never-resolving waitAsync) fails the test. */
async function withDeadline<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`deadline of ${ms} ms passed: ${what()}`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The main thread's end: produce `count` records into `producer` and/or check `count` records from
 * `consumer`, publishing per `publishEvery`, and when neither side can move, announce and arm the
 * main doorbell (sleepAsync, no timeout) until a worker rings it. Bounded: every loop turn either
 * moves a record or waits for a ring, and rings only follow the worker's progress.
 */
async function runMainSide(
  producer: RingProducer | null,
  consumer: RingConsumer | null,
  bell: Doorbell,
  scenario: Scenario,
  progress: MainReport,
): Promise<MainReport> {
  const { recordCount, publishEvery } = scenario;
  const checker = progress.checker;
  let unpublished = 0;
  const producing = (): boolean => producer !== null && progress.sentCount < recordCount;
  const consuming = (): boolean => consumer !== null && progress.receivedCount < recordCount;
  const hasWork = (): boolean =>
    (consuming() && consumer!.hasData()) ||
    (producing() && producer!.canClaim(payloadBytesFor(progress.sentCount, producer!.maxPayloadBytes)));

  for (let turn = 0; turn < 4 * recordCount + 1000 && (producing() || consuming()); turn++) {
    let moved = 0;
    if (producing()) {
      for (let i = 0; i < MAIN_SLICE_RECORDS && progress.sentCount < recordCount; i++) {
        const checksum = tryWriteRecord(producer!, progress.sentCount, progress.sentChecksum);
        if (checksum < 0) break;
        progress.sentChecksum = checksum;
        progress.sentCount++;
        moved++;
        if (++unpublished === publishEvery) {
          producer!.publish();
          unpublished = 0;
        }
      }
      producer!.publish();
      unpublished = 0;
    }
    if (consuming()) {
      for (let i = 0; i < MAIN_SLICE_RECORDS && consumer!.next(); i++) {
        checker!.check(consumer!);
        progress.receivedCount++;
        moved++;
      }
      consumer!.release();
    }
    if (moved === 0) {
      if (producing()) producer!.requestSpaceSignal();
      progress.sleepCount++;
      await new Promise<void>((resolve) => bell.sleepAsync(hasWork, resolve));
    } else if (turn % 16 === 0) {
      // Let worker messages (errors) and the deadline timer run now and then.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return progress;
}

/** Runs one scenario: the worker plays `role`, the main thread the other end of each ring. */
async function runScenario(role: PeerRole, scenario: Scenario): Promise<{ main: MainReport; peer: PeerReport }> {
  const bells = createDoorbellBuffer(2);
  const toWorker = role === 'producer' ? null : createRingBuffer(scenario.dataBytes);
  const toMain = role === 'consumer' ? null : createRingBuffer(scenario.dataBytes);
  const mainBell = new Doorbell(bells, MAIN_BELL);
  const workerBell = new Doorbell(bells, WORKER_BELL);

  let producer: RingProducer | null = null;
  if (toWorker !== null) {
    producer = new RingProducer(toWorker);
    producer.consumerBell = workerBell;
  }
  let consumer: RingConsumer | null = null;
  if (toMain !== null) {
    consumer = new RingConsumer(toMain);
    consumer.producerBell = workerBell;
  }
  const progress: MainReport = {
    sentCount: 0,
    sentChecksum: CHECKSUM_SEED,
    receivedCount: 0,
    checker: consumer === null ? null : new SequenceChecker(consumer.maxPayloadBytes),
    sleepCount: 0,
  };

  const { worker, report } = startPeer({
    role,
    inRing: toWorker,
    outRing: toMain,
    bells,
    ownBellIndex: WORKER_BELL,
    peerBellIndex: MAIN_BELL,
    recordCount: scenario.recordCount,
    publishEvery: scenario.publishEvery,
    drainLimit: DRAIN_LIMIT,
    sleepTimeoutMs: WORKER_SLEEP_FALLBACK_MS,
  });
  try {
    const [main, peer] = await withDeadline(
      Promise.all([runMainSide(producer, consumer, mainBell, scenario, progress), report]),
      DEADLINE_MS,
      () =>
        `main sent ${progress.sentCount}, received ${progress.receivedCount} of ${scenario.recordCount}; ` +
        `main has work while waiting: ${consumer?.hasData() ?? false}`,
    );
    return { main, peer };
  } finally {
    await worker.terminate();
  }
}

const scenarios: Array<[string, Scenario]> = [
  ['a 1 MiB ring, publishing per 32 records', { dataBytes: 1 << 20, recordCount: 2_000_000, publishEvery: 32 }],
  [
    'a 4096-byte ring that is full most of the time and wraps constantly, publishing per record',
    { dataBytes: 4096, recordCount: 300_000, publishEvery: 1 },
  ],
];

describe.each(scenarios)('over %s', (_name, scenario) => {
  it(
    `main -> worker: the worker receives all ${scenario.recordCount} records once, in order, with equal checksums`,
    async () => {
      const { main, peer } = await runScenario('consumer', scenario);
      expect(main.sentCount).toBe(scenario.recordCount);
      expect(peer.firstMismatch).toBe('');
      expect(peer.mismatchCount).toBe(0);
      expect(peer.recordCount).toBe(scenario.recordCount);
      expect(peer.checksum).toBe(main.sentChecksum);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `worker -> main (main wakes with sleepAsync): all ${scenario.recordCount} records arrive once, in order, with equal checksums`,
    async () => {
      const { main, peer } = await runScenario('producer', scenario);
      expect(peer.recordCount).toBe(scenario.recordCount);
      expect(main.checker!.firstMismatch).toBe('');
      expect(main.checker!.mismatchCount).toBe(0);
      expect(main.receivedCount).toBe(scenario.recordCount);
      expect(main.checker!.checksum).toBe(peer.checksum);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'both directions at once (the worker echoes every record): every record comes back once, in order, intact',
    async () => {
      const echoScenario = { ...scenario, recordCount: Math.min(scenario.recordCount, 500_000) };
      const { main, peer } = await runScenario('echo', echoScenario);
      expect(peer.recordCount).toBe(echoScenario.recordCount);
      expect(main.sentCount).toBe(echoScenario.recordCount);
      expect(main.checker!.firstMismatch).toBe('');
      expect(main.checker!.mismatchCount).toBe(0);
      expect(main.receivedCount).toBe(echoScenario.recordCount);
      expect(main.checker!.checksum).toBe(main.sentChecksum);
    },
    TEST_TIMEOUT_MS,
  );
});
