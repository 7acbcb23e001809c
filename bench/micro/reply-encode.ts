/**
 * Micro-benchmark: encoding the replies a pipelined publisher gets, 1000 per iteration into one
 * OutputBuffer (then taken, as a flush would), the way a turn of 1000 PUBLISH replies is built.
 *   baseline  - `:<n>\r\n` built as a string per reply and appended with appendAscii.
 *   candidate - addInteger: small counts come from the pre-encoded SMALL_INTEGERS fragments
 *               (STYLE example 3), larger ones fall back to the string path.
 * Two count shapes: small receiver counts (0..99, the common case) and large ones (>= 1024,
 * outside the shared table), so the fallback's cost is visible too.
 * Run: npm run build && node dist/bench/micro/reply-encode.js
 */
import { Bench } from 'tinybench';
import { addInteger, type ReplyTarget } from '../../src/protocol/reply.js';
import { OutputBuffer } from '../../src/transport/output-buffer.js';

const REPLIES_PER_ITERATION = 1000;

function target(): ReplyTarget {
  return { out: new OutputBuffer(), resp: 2 };
}

/** Appends one reply per count, then takes the output (as the flush does) and checks its size. */
function encodeAll(t: ReplyTarget, counts: readonly number[], encode: (t: ReplyTarget, n: number) => void, expectedBytes: number): void {
  for (const n of counts) encode(t, n);
  let bytes = 0;
  for (const piece of t.out.take()) bytes += piece.length;
  t.out.afterWrite(true);
  if (bytes !== expectedBytes) throw new Error(`encoded ${bytes} bytes, expected ${expectedBytes}`);
}

const asString = (t: ReplyTarget, n: number): void => t.out.appendAscii(':' + n + '\r\n');
const byteLength = (counts: readonly number[]): number => counts.reduce((sum, n) => sum + String(n).length + 3, 0);

const smallCounts = Array.from({ length: REPLIES_PER_ITERATION }, (_, i) => i % 100);
const largeCounts = Array.from({ length: REPLIES_PER_ITERATION }, (_, i) => 1024 + i * 37);
const smallBytes = byteLength(smallCounts);
const largeBytes = byteLength(largeCounts);

const bench = new Bench({ name: `${REPLIES_PER_ITERATION} integer replies into one OutputBuffer`, time: 1000 });
const baselineSmall = target();
const candidateSmall = target();
const baselineLarge = target();
const candidateLarge = target();
bench
  .add('counts 0..99: string per reply (baseline)', () => encodeAll(baselineSmall, smallCounts, asString, smallBytes))
  .add('counts 0..99: addInteger (shared fragments)', () => encodeAll(candidateSmall, smallCounts, addInteger, smallBytes))
  .add('counts >= 1024: string per reply (baseline)', () => encodeAll(baselineLarge, largeCounts, asString, largeBytes))
  .add('counts >= 1024: addInteger (fallback)', () => encodeAll(candidateLarge, largeCounts, addInteger, largeBytes));

await bench.run();
console.log(bench.name);
console.table(bench.table());
