/**
 * Entry of a partition worker thread: attach to the rings and doorbells the main thread created,
 * then run the partition loop until OP_STOP. No logic lives here (see src/partition/).
 */
import { workerData } from 'node:worker_threads';
import { RingConsumer, RingProducer } from '../src/shm/ring.js';
import { Doorbell } from '../src/shm/doorbell.js';
import { Partition } from '../src/partition/partition.js';
import type { PartitionWorkerData } from '../src/routing/partition-link.js';

const data = workerData as PartitionWorkerData;
const ops = new RingConsumer(data.opsRing);
const results = new RingProducer(data.resultsRing);
const ownBell = new Doorbell(data.bells, data.workerBellIndex);
const mainBell = new Doorbell(data.bells, data.mainBellIndex);
// Results wake the main thread; space freed in the ops ring tells a waiting main thread too.
results.consumerBell = mainBell;
ops.producerBell = mainBell;

new Partition(ops, results, (ready) => ownBell.sleep(ready, 50)).run(ownBell);
