import { describe, expect, it } from 'vitest';
import { globMatchBytes } from '../../src/partition/glob.js';
import { PatternIndex } from '../../src/partition/pattern-index.js';

interface Entry {
  readonly bytes: Uint8Array;
  readonly id: number;
}

let nextEntryId = 0;
const entry = (pattern: string | Uint8Array): Entry => ({
  bytes: typeof pattern === 'string' ? Buffer.from(pattern, 'latin1') : pattern,
  id: nextEntryId++,
});
const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** The matching entries' patterns, sorted, for readable failures. */
function indexMatches(index: PatternIndex<Entry>, channel: string): string[] {
  const out: Entry[] = [];
  const channelBytes = bytes(channel);
  const found = index.collectMatches(channelBytes, 0, channelBytes.length, out);
  return out.slice(0, found).map((e) => Buffer.from(e.bytes).toString('latin1')).sort();
}

function indexOf(...patterns: string[]): PatternIndex<Entry> {
  const index = new PatternIndex<Entry>();
  for (const pattern of patterns) index.add(entry(pattern));
  return index;
}

/** mulberry32: small seeded PRNG, returns [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** A literal of 0..maxLength units over a small alphabet, so that prefixes and suffixes collide. */
function randomLiteral(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * (maxLength + 1));
  let text = '';
  for (let i = 0; i < length; i++) text += pick(random, ['a', 'b', ':', 'a', 'b', '\\a', '\\*', '\\?', '\xff']);
  return text;
}

function randomPattern(random: () => number): string {
  const prefix = randomLiteral(random, 4);
  const suffix = randomLiteral(random, 3);
  const glob = (): string => pick(random, ['*', '?', '[ab]', '[^a]', '[a-', '**', '[]', '[b-a]']);
  switch (Math.floor(random() * 8)) {
    case 0:
      return prefix;
    case 1:
      return `${prefix}*`;
    case 2:
      return `${prefix}**`;
    case 3:
      return `${prefix}*${suffix}`;
    case 4:
      return `${prefix}**${suffix}${pick(random, ['', '\\'])}`;
    case 5:
      return `${prefix}*${suffix}*`;
    case 6:
      return `${prefix}${glob()}${suffix}`;
    default:
      return `${glob()}${prefix}${glob()}${suffix}`;
  }
}

/** A channel made by filling in a pattern's wildcards, or random bytes, so that matches are common. */
function randomChannel(random: () => number, patterns: readonly Entry[]): string {
  if (patterns.length === 0 || random() < 0.3) {
    return randomLiteral(random, 6).replace(/\\(.)/g, '$1');
  }
  const pattern = Buffer.from(pick(random, patterns).bytes).toString('latin1');
  return pattern
    .replace(/\[[^\]]*\]?/g, () => pick(random, ['a', 'b', '-']))
    .replace(/\\(.)/g, '$1')
    .replace(/\*+/g, () => randomLiteral(random, 3).replace(/\\(.)/g, '$1'))
    .replace(/\?/g, () => pick(random, ['a', 'b', ':']));
}

function bruteForce(entries: Iterable<Entry>, channel: string): string[] {
  const channelBytes = bytes(channel);
  const found: string[] = [];
  for (const e of entries) {
    if (globMatchBytes(e.bytes, channelBytes)) found.push(Buffer.from(e.bytes).toString('latin1'));
  }
  return found.sort();
}

describe('PatternIndex.collectMatches', () => {
  it('`*` matches every non-empty channel but not the empty one', () => {
    const index = indexOf('*', '**');
    expect(indexMatches(index, 'x')).toEqual(['*', '**']);
    expect(indexMatches(index, '')).toEqual([]);
  });

  it('the empty pattern matches only the empty channel', () => {
    const index = indexOf('');
    expect(indexMatches(index, '')).toEqual(['']);
    expect(indexMatches(index, 'a')).toEqual([]);
  });

  it('`prefix*` matches the bare prefix and longer channels, not shorter ones', () => {
    const index = indexOf('news.*');
    expect(indexMatches(index, 'news.')).toEqual(['news.*']);
    expect(indexMatches(index, 'news.sports')).toEqual(['news.*']);
    expect(indexMatches(index, 'news')).toEqual([]);
    expect(indexMatches(index, 'newsx')).toEqual([]);
  });

  it('an exact pattern matches only its own channel', () => {
    const index = indexOf('news', 'news.sports');
    expect(indexMatches(index, 'news')).toEqual(['news']);
    expect(indexMatches(index, 'news.sports')).toEqual(['news.sports']);
    expect(indexMatches(index, 'news.')).toEqual([]);
  });

  it('`prefix*suffix` needs room for both: the star may be empty but they may not overlap', () => {
    const index = indexOf('ab*ba', 'a:*:b');
    expect(indexMatches(index, 'abba')).toEqual(['ab*ba']);
    expect(indexMatches(index, 'abxba')).toEqual(['ab*ba']);
    expect(indexMatches(index, 'aba')).toEqual([]);
    expect(indexMatches(index, 'a::b')).toEqual(['a:*:b']);
    expect(indexMatches(index, 'a:x:y:b')).toEqual(['a:*:b']);
    expect(indexMatches(index, 'a:b')).toEqual([]);
    expect(indexMatches(index, 'a:x:bb')).toEqual([]);
  });

  it('escapes in the literal prefix and suffix are resolved', () => {
    const index = indexOf('a\\*b*', '*\\?', 'x\\');
    expect(indexMatches(index, 'a*bc')).toEqual(['a\\*b*']);
    expect(indexMatches(index, 'axbc')).toEqual([]);
    expect(indexMatches(index, 'z?')).toEqual(['*\\?']);
    expect(indexMatches(index, 'zz')).toEqual([]);
    expect(indexMatches(index, 'x\\')).toEqual(['x\\']);
  });

  it('patterns with globs after the prefix and patterns with no prefix are matched by the glob rules', () => {
    const index = indexOf('n*', '*s', 'ne?s', '[n]ews', '*', 'n?', '[^n]*');
    expect(indexMatches(index, 'news')).toEqual(['*', '*s', '[n]ews', 'n*', 'ne?s']);
    expect(indexMatches(index, 'no')).toEqual(['*', 'n*', 'n?']);
  });

  it('the same pattern held by two entries is reported twice, and once after one is removed', () => {
    const index = new PatternIndex<Entry>();
    const first = entry('a*');
    const second = entry('a*');
    index.add(first);
    index.add(second);
    expect(indexMatches(index, 'ab')).toEqual(['a*', 'a*']);
    expect(index.remove(first)).toBe(true);
    const out: Entry[] = [];
    expect(index.collectMatches(bytes('ab'), 0, 2, out)).toBe(1);
    expect(out[0]).toBe(second);
  });

  it('writes from out[0] and returns the count, reading only channel[off, off+len)', () => {
    const index = indexOf('ab*', 'b');
    const out: Entry[] = [entry('stale'), entry('stale'), entry('stale')];
    const buffer = bytes('xxabyy');
    expect(index.collectMatches(buffer, 2, 2, out)).toBe(1);
    expect(Buffer.from(out[0].bytes).toString('latin1')).toBe('ab*');
    expect(index.collectMatches(buffer, 3, 1, out)).toBe(1);
    expect(Buffer.from(out[0].bytes).toString('latin1')).toBe('b');
    expect(index.collectMatches(buffer, 0, 2, out)).toBe(0);
  });

  it('keeps the nesting cap of the matcher', () => {
    const index = indexOf(`x${'*a'.repeat(1000)}`, `x${'*a'.repeat(1001)}`);
    expect(indexMatches(index, `x${'a'.repeat(1000)}`)).toEqual([`x${'*a'.repeat(1000)}`]);
  });

  it.each([1, 2, 3, 4])('returns exactly what a brute-force globMatch scan returns (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const index = new PatternIndex<Entry>();
    const entries: Entry[] = [];
    for (let i = 0; i < 400; i++) {
      const e = entry(randomPattern(random));
      entries.push(e);
      index.add(e);
    }
    let matchedPairs = 0;
    for (let i = 0; i < 1500; i++) {
      const channel = randomChannel(random, entries);
      const expected = bruteForce(entries, channel);
      matchedPairs += expected.length;
      expect(indexMatches(index, channel), `channel ${JSON.stringify(channel)}`).toEqual(expected);
    }
    expect(matchedPairs).toBeGreaterThan(1500);
  });
});

describe('PatternIndex add/remove churn', () => {
  it.each([11, 12, 13])('stays equal to a brute-force scan while patterns come and go (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const index = new PatternIndex<Entry>();
    const live = new Set<Entry>();
    for (let step = 0; step < 3000; step++) {
      if (live.size > 0 && random() < 0.45) {
        const victim = pick(random, [...live]);
        live.delete(victim);
        expect(index.remove(victim)).toBe(true);
      } else {
        const e = entry(randomPattern(random));
        live.add(e);
        index.add(e);
      }
      expect(index.size).toBe(live.size);
      if (step % 10 === 0) {
        const channel = randomChannel(random, [...live]);
        expect(indexMatches(index, channel), `channel ${JSON.stringify(channel)}`).toEqual(bruteForce(live, channel));
      }
    }

    // A compressed trie's shape depends only on the set of keys: churn must leave no extra nodes.
    const rebuilt = new PatternIndex<Entry>();
    for (const e of live) rebuilt.add(e);
    expect(index.nodeCount).toBe(rebuilt.nodeCount);

    for (const e of [...live]) index.remove(e);
    expect(index.size).toBe(0);
    expect(index.nodeCount).toBe(1);
  });

  it('removing every pattern frees every node but the root', () => {
    const index = new PatternIndex<Entry>();
    const entries = ['user:1:*', 'user:2:*', 'user:*:name', 'user:*:mail', 'user:1', 'u*', '*x', 'a\\*b'].map(entry);
    for (const e of entries) index.add(e);
    expect(index.nodeCount).toBeGreaterThan(4);
    for (const e of entries) index.remove(e);
    expect(index.nodeCount).toBe(1);
    expect(indexMatches(index, 'user:1:name')).toEqual([]);
  });

  it('removing an entry that is not indexed returns false and changes nothing', () => {
    const index = indexOf('a*');
    expect(index.remove(entry('a*'))).toBe(false);
    expect(index.size).toBe(1);
    expect(indexMatches(index, 'ab')).toEqual(['a*']);
  });
});
