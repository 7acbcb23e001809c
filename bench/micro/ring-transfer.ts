/**
 * Question: how many 64-byte records per second does the SPSC ring (src/shm/ring.ts) move from the
 * main thread to a worker, and what does publishing per record cost against publishing per 32?
 *
 * Baseline: publish() after every record (one Atomics.store(TAIL) + one doorbell load per record).
 * Candidate: publish() per 32 records, the batching src/shm/ring.ts is built for. node-budget.md §1
 * measured 3.07 M/s vs 9.51 M/s for this path with a throwaway ring.
 *
 *   main thread                                   worker (this file again, !isMainThread)
 *   RingProducer --------- 1 MiB ring ----------> RingConsumer: reads the seq in the first 4 bytes
 *     | publish() rings workerBell                 and the last byte, drains <= 4096 per pass,
 *     | ring full: requestSpaceSignal() +          release() rings mainBell if space was wanted,
 *     |   mainBell.sleepAsync (no timeout)          empty: workerBell.sleep (Atomics.wait)
 *
 * Why a plain timed loop and not tinybench: tinybench times repeated calls of a function on one
 * thread, but this cost is a two-thread pipeline that ends when the consumer holds the last record.
 * So each run is one timed transfer of N records, from the producer's first claim to the consumer's
 * last record, on process.hrtime.bigint() (one monotonic clock for the whole process, read on both
 * threads). Worker start-up is outside the timing (the producer starts after the worker said ready).
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/micro/ring-transfer.js [recordCount=5000000]
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createDoorbellBuffer, Doorbell } from '../../src/shm/doorbell.js';
import { createRingBuffer, RingConsumer, RingProducer } from '../../src/shm/ring.js';

const RING_DATA_BYTES = 1 << 20;
const PAYLOAD_BYTES = 64;
const RECORD_TYPE = 1;
const RUN_COUNT = 3;
const CONSUMER_DRAIN_LIMIT = 4096;
const MAIN_BELL = 0;
const WORKER_BELL = 1;
/** A consumer sleep this long means a lost wake-up: the run is reported as failed. */
const CONSUMER_SLEEP_FALLBACK_MS = 5_000;
const RUN_DEADLINE_MS = 60_000;

interface ConsumerConfig {
  ring: SharedArrayBuffer;
  bells: SharedArrayBuffer;
  recordCount: number;
}

interface ConsumerReport {
  endNs: bigint;
  receivedCount: number;
  outOfOrderCount: number;
  sleepCount: number;
  timedOutSleepCount: number;
  /** XOR of every last byte, so the reads cannot be optimised away. */
  touched: number;
}

interface RunResult {
  elapsedNs: number;
  consumerSleepCount: number;
  producerWaitCount: number;
}

function runConsumer(config: ConsumerConfig): void {
  const consumer = new RingConsumer(config.ring);
  consumer.producerBell = new Doorbell(config.bells, MAIN_BELL);
  const bell = new Doorbell(config.bells, WORKER_BELL);
  const hasData = (): boolean => consumer.hasData();
  const report: ConsumerReport = {
    endNs: 0n,
    receivedCount: 0,
    outOfOrderCount: 0,
    sleepCount: 0,
    timedOutSleepCount: 0,
    touched: 0,
  };
  parentPort!.postMessage('ready');
  const { view, bytes } = consumer;
  let received = 0;
  while (received < config.recordCount) {
    let drained = 0;
    while (drained < CONSUMER_DRAIN_LIMIT && consumer.next()) {
      if (view.getUint32(consumer.offset, true) !== received) report.outOfOrderCount++;
      report.touched ^= bytes[consumer.offset + consumer.length - 1]!;
      received++;
      drained++;
    }
    consumer.release();
    if (drained === 0) {
      report.sleepCount++;
      if (!bell.sleep(hasData, CONSUMER_SLEEP_FALLBACK_MS)) {
        report.timedOutSleepCount++;
        break;
      }
    }
  }
  report.endNs = process.hrtime.bigint();
  report.receivedCount = received;
  parentPort!.postMessage(report);
}

/** Resolves with the worker's next message; rejects on its error or exit. */
function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number): void => reject(new Error(`consumer worker exited with code ${code}`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: T) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(message);
    });
  });
}

/** One timed transfer of recordCount records, publishing per publishEvery records. */
async function transfer(recordCount: number, publishEvery: number): Promise<RunResult> {
  const ring = createRingBuffer(RING_DATA_BYTES);
  const bells = createDoorbellBuffer(2);
  const config: ConsumerConfig = { ring, bells, recordCount };
  const worker = new Worker(new URL(import.meta.url), { workerData: config });
  let deadline: NodeJS.Timeout | undefined;
  try {
    await nextMessage<string>(worker);
    const reportArrives = nextMessage<ConsumerReport>(worker);
    const producer = new RingProducer(ring);
    producer.consumerBell = new Doorbell(bells, WORKER_BELL);
    const mainBell = new Doorbell(bells, MAIN_BELL);
    const canClaim = (): boolean => producer.canClaim(PAYLOAD_BYTES);
    const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x5a);
    let producerWaitCount = 0;

    const produce = async (): Promise<bigint> => {
      const startNs = process.hrtime.bigint();
      let unpublished = 0;
      for (let seq = 0; seq < recordCount; seq++) {
        let offset = producer.tryClaim(RECORD_TYPE, PAYLOAD_BYTES);
        while (offset < 0) {
          producer.publish();
          unpublished = 0;
          producer.requestSpaceSignal();
          producerWaitCount++;
          await new Promise<void>((resolve) => mainBell.sleepAsync(canClaim, resolve));
          offset = producer.tryClaim(RECORD_TYPE, PAYLOAD_BYTES);
        }
        producer.bytes.set(payload, offset);
        producer.view.setUint32(offset, seq, true);
        if (++unpublished === publishEvery) {
          producer.publish();
          unpublished = 0;
        }
      }
      producer.publish();
      return startNs;
    };
    const timeout = new Promise<never>((_resolve, reject) => {
      deadline = setTimeout(() => reject(new Error(`run exceeded ${RUN_DEADLINE_MS} ms (lost wake-up?)`)), RUN_DEADLINE_MS);
    });
    const [startNs, report] = await Promise.race([Promise.all([produce(), reportArrives]), timeout]);
    if (report.receivedCount !== recordCount || report.outOfOrderCount !== 0 || report.timedOutSleepCount !== 0) {
      throw new Error(`broken transfer: ${JSON.stringify({ ...report, endNs: String(report.endNs) })}`);
    }
    return {
      elapsedNs: Number(report.endNs - startNs),
      consumerSleepCount: report.sleepCount,
      producerWaitCount,
    };
  } finally {
    clearTimeout(deadline);
    await worker.terminate();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function formatRate(recordsPerSecond: number): string {
  return `${(recordsPerSecond / 1e6).toFixed(2)} M/s`;
}

async function main(): Promise<void> {
  const recordCount = Number(process.argv[2] ?? 5_000_000);
  if (!Number.isInteger(recordCount) || recordCount < 1) throw new Error(`recordCount must be a positive integer, got ${process.argv[2]}`);
  console.log(
    `ring-transfer: main -> worker, ${PAYLOAD_BYTES}-byte payloads, ${RING_DATA_BYTES >> 20} MiB ring, ` +
      `${recordCount.toLocaleString('en-US')} records, ${RUN_COUNT} runs each; node ${process.version}, ` +
      `${new Date().toISOString().slice(0, 10)}`,
  );
  console.log('| publish | records/s median [min..max] | ns/record (median) | payload MB/s (median) | records per consumer wake | producer waits for space |');
  console.log('|---|---|---|---|---|---|');
  for (const publishEvery of [1, 32]) {
    const runs: RunResult[] = [];
    for (let run = 0; run < RUN_COUNT; run++) runs.push(await transfer(recordCount, publishEvery));
    const rates = runs.map((r) => recordCount / (r.elapsedNs / 1e9));
    const medianRate = median(rates);
    const medianSleeps = median(runs.map((r) => r.consumerSleepCount));
    console.log(
      `| per ${publishEvery === 1 ? 'record' : `${publishEvery} records`} ` +
        `| ${formatRate(medianRate)} [${formatRate(Math.min(...rates))}..${formatRate(Math.max(...rates))}] ` +
        `| ${(1e9 / medianRate).toFixed(0)} ` +
        `| ${((medianRate * PAYLOAD_BYTES) / 1e6).toFixed(0)} ` +
        `| ${(recordCount / Math.max(1, medianSleeps)).toFixed(0)} ` +
        `| ${median(runs.map((r) => r.producerWaitCount))} |`,
    );
  }
}

if (isMainThread) {
  await main();
} else {
  runConsumer(workerData as ConsumerConfig);
}
