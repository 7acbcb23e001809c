/**
 * Question: with 10,000 PSUBSCRIBE patterns that do not match and one that does, how much faster
 * does PatternIndex.collectMatches find the match than running globMatch on every pattern?
 *
 * Baseline: a brute-force scan (globMatch on each pattern, Redis's own strategy).
 * Candidate: PatternIndex (prefix trie + suffix trees; see src/partition/pattern-index.ts).
 * Patterns: a third each of `other:<i>:*` (ANY_TAIL), `other:*:<i>` (SUFFIX) and
 * `other:<i>:[ab]*` (GENERAL), plus `bench:*`; channel `bench:42`. Also prints the index's heap
 * cost per pattern (heap delta after a forced GC).
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/micro/pattern-match.js
 */

import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Bench } from 'tinybench';
import { globMatch } from '../../src/partition/glob.js';
import { PatternIndex } from '../../src/partition/pattern-index.js';

interface Pattern {
  readonly bytes: Uint8Array;
}

const NON_MATCHING_PATTERN_COUNT = 10_000;

function makePatterns(): Pattern[] {
  const patterns: Pattern[] = [];
  for (let i = 0; i < NON_MATCHING_PATTERN_COUNT; i++) {
    const shape = i % 3 === 0 ? `other:${i}:*` : i % 3 === 1 ? `other:*:${i}` : `other:${i}:[ab]*`;
    patterns.push({ bytes: Buffer.from(shape) });
  }
  patterns.push({ bytes: Buffer.from('bench:*') });
  return patterns;
}

function bruteForceMatches(patterns: readonly Pattern[], channel: Uint8Array, out: Pattern[]): number {
  let found = 0;
  for (let i = 0; i < patterns.length; i++) {
    const bytes = patterns[i].bytes;
    if (globMatch(bytes, 0, bytes.length, channel, 0, channel.length)) out[found++] = patterns[i];
  }
  return found;
}

function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function indexHeapBytesPerPattern(patterns: readonly Pattern[]): number {
  const gc = forcedGc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const index = new PatternIndex<Pattern>();
  for (const pattern of patterns) index.add(pattern);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (index.size !== patterns.length) throw new Error('index lost patterns');
  return Math.round((after - before) / patterns.length);
}

const patterns = makePatterns();
const index = new PatternIndex<Pattern>();
for (const pattern of patterns) index.add(pattern);
const channel = Buffer.from('bench:42');
const out: Pattern[] = [];

if (bruteForceMatches(patterns, channel, out) !== 1 || index.collectMatches(channel, 0, channel.length, out) !== 1) {
  throw new Error('both strategies must find exactly `bench:*`');
}

const bench = new Bench({ name: `match bench:42 against ${patterns.length} patterns`, time: 1000 });
bench
  .add('brute force: globMatch on every pattern (baseline)', () => {
    bruteForceMatches(patterns, channel, out);
  })
  .add('PatternIndex.collectMatches (candidate)', () => {
    index.collectMatches(channel, 0, channel.length, out);
  });

await bench.run();
console.log(bench.name);
console.table(bench.table());
console.log(`PatternIndex heap: ~${indexHeapBytesPerPattern(patterns)} bytes per pattern (${index.nodeCount} nodes)`);
