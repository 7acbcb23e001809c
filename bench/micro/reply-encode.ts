/**
 * Micro-benchmark: encoding the replies a pipelined publisher gets, 1000 per iteration into one
 * OutputBuffer (then taken, as a flush would), the way a turn of 1000 PUBLISH replies is built.
 *   baseline  - `:<n>\r\n` built as a string per reply and appended with appendAscii.
 *   candidate - addInteger: small counts come from the pre-encoded SMALL_INTEGERS fragments
 *               (STYLE example 3), larger ones fall back to the string path.
 * Two count shapes: small receiver counts (0..99, the common case) and large ones (>= 1024,
 * outside the shared table), so the fallback's cost is visible too.
 * Bulk headers (`$<len>\r\n`, what addBulk writes before every bulk string):
 *   baseline  - the string '$' + len + '\r\n' appended with appendAscii.
 *   candidate - OutputBuffer.appendDecimalLine: digits written straight into the staging buffer.
 * Measured (2-core VM, Node 20.20, ns per reply, medians): counts 0..99 175 -> 31, counts >= 1024
 * 173 -> 59, bulk headers 173 -> 52.
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
const baselineHeaders = target();
const candidateHeaders = target();
const headerLengths = Array.from({ length: REPLIES_PER_ITERATION }, (_, i) => (i * 97) % 5000);
const headerBytes = headerLengths.reduce((sum, n) => sum + String(n).length + 3, 0);
const headerAsString = (t: ReplyTarget, n: number): void => t.out.appendAscii('$' + n + '\r\n');
const headerDirect = (t: ReplyTarget, n: number): void => t.out.appendDecimalLine(0x24, n);
bench
  .add('counts 0..99: string per reply (baseline)', () => encodeAll(baselineSmall, smallCounts, asString, smallBytes))
  .add('counts 0..99: addInteger (shared fragments)', () => encodeAll(candidateSmall, smallCounts, addInteger, smallBytes))
  .add('counts >= 1024: string per reply (baseline)', () => encodeAll(baselineLarge, largeCounts, asString, largeBytes))
  .add('counts >= 1024: addInteger (fallback)', () => encodeAll(candidateLarge, largeCounts, addInteger, largeBytes))
  .add('bulk headers: string per header (baseline)', () => encodeAll(baselineHeaders, headerLengths, headerAsString, headerBytes))
  .add('bulk headers: appendDecimalLine', () => encodeAll(candidateHeaders, headerLengths, headerDirect, headerBytes));

await bench.run();
console.log(bench.name);
console.table(bench.table());
