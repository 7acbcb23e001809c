import { describe, expect, it } from 'vitest';
import { globMatch, globMatchBytes, MAX_STAR_NESTING } from '../../src/partition/glob.js';

/** Patterns and subjects are written as latin1 strings so that `\xff` is the single byte 0xff. */
const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const matches = (pattern: string, subject: string): boolean => globMatchBytes(bytes(pattern), bytes(subject));

interface Case {
  pattern: string;
  subject: string;
  expected: boolean;
}

/** One table per bullet of section 2 of redis-pubsub-spec.md. */
const specTable: Record<string, Case[]> = {
  '`*` matches any byte sequence including the empty one, and runs of `*` collapse': [
    { pattern: 'a*b', subject: 'ab', expected: true },
    { pattern: 'a*b', subject: 'axyzb', expected: true },
    { pattern: 'a**b', subject: 'ab', expected: true },
    { pattern: '***', subject: 'x', expected: true },
    { pattern: '*', subject: '*?[', expected: true },
    { pattern: 'a*b', subject: 'axyzbc', expected: false },
  ],
  '`*` and `**` do not match the empty channel; only the empty pattern does': [
    { pattern: '*', subject: '', expected: false },
    { pattern: '**', subject: '', expected: false },
    { pattern: '', subject: '', expected: true },
    { pattern: '', subject: 'a', expected: false },
    { pattern: '?', subject: '', expected: false },
  ],
  'trailing `*`s are skipped once the subject is exhausted': [
    { pattern: 'a*', subject: 'a', expected: true },
    { pattern: 'a***', subject: 'a', expected: true },
    { pattern: 'a*?', subject: 'a', expected: false },
    { pattern: 'a*b*', subject: 'ab', expected: true },
  ],
  '`?` matches exactly one byte, not one code point': [
    { pattern: 'h?llo', subject: 'hello', expected: true },
    { pattern: 'h?llo', subject: 'h\xc3\xa9llo', expected: false },
    { pattern: 'h??llo', subject: 'h\xc3\xa9llo', expected: true },
    { pattern: '?', subject: 'ab', expected: false },
  ],
  '`[...]` matches one byte from the set and `[^...]` negates it': [
    { pattern: '[abc]', subject: 'b', expected: true },
    { pattern: '[abc]', subject: 'd', expected: false },
    { pattern: '[^abc]', subject: 'd', expected: true },
    { pattern: '[^abc]', subject: 'a', expected: false },
    { pattern: '[a^]', subject: '^', expected: true },
    { pattern: '[abc]', subject: 'ab', expected: false },
  ],
  '`\\x` inside a class is the literal x': [
    { pattern: '[\\]]', subject: ']', expected: true },
    { pattern: '[a\\-z]', subject: '-', expected: true },
    { pattern: '[a\\-z]', subject: 'z', expected: true },
    { pattern: '[a\\-z]', subject: 'b', expected: false },
  ],
  'ranges include both ends and reversed ranges are swapped': [
    { pattern: '[a-c]', subject: 'b', expected: true },
    { pattern: '[a-c]', subject: 'c', expected: true },
    { pattern: '[a-c]', subject: 'd', expected: false },
    { pattern: '[z-a]', subject: 'm', expected: true },
    { pattern: '[z-a]', subject: 'A', expected: false },
  ],
  'range bounds and the subject byte compare as signed chars': [
    { pattern: '[a-\xff]', subject: 'b', expected: false },
    { pattern: '[a-\xff]', subject: '\xc3', expected: false },
    { pattern: '[a-\xff]', subject: '\x01', expected: true },
    { pattern: '[a-\xff]', subject: 'a', expected: true },
    { pattern: '[a-\xff]', subject: '\xff', expected: true },
    { pattern: '[\x80-\xff]', subject: '\xc3', expected: true },
    { pattern: '[\x80-\xff]', subject: 'a', expected: false },
  ],
  '`]` right after `[` or `[^` closes the class': [
    { pattern: '[]', subject: ']', expected: false },
    { pattern: '[]', subject: 'a', expected: false },
    { pattern: '[]a]', subject: 'a', expected: false },
    { pattern: '[]a]', subject: ']a]', expected: false },
    { pattern: '[^]', subject: 'x', expected: true },
    { pattern: '[^]', subject: ']', expected: true },
    { pattern: '[^]', subject: '', expected: false },
    { pattern: '[^]', subject: 'xy', expected: false },
  ],
  'a range ending at the closing `]` consumes it and the class runs on': [
    { pattern: '[a-]', subject: 'a', expected: true },
    { pattern: '[a-]', subject: '_', expected: true },
    { pattern: '[a-]', subject: ']', expected: true },
    { pattern: '[a-]', subject: '-', expected: false },
    { pattern: '[a-]b]', subject: 'b', expected: true },
    { pattern: '[a-]b]x', subject: 'bx', expected: true },
    { pattern: '[-a]', subject: '-', expected: true },
    { pattern: '[-a]', subject: 'a', expected: true },
  ],
  'an unterminated class runs to the pattern end': [
    { pattern: '[abc', subject: 'c', expected: true },
    { pattern: '[abc', subject: 'd', expected: false },
    { pattern: '[', subject: '[', expected: false },
    { pattern: '[', subject: 'a', expected: false },
    { pattern: '[^', subject: 'a', expected: true },
    { pattern: '[^', subject: '^', expected: true },
    { pattern: '[a-', subject: '-', expected: true },
    { pattern: '[a-', subject: 'b', expected: false },
    { pattern: '[\\', subject: '\\', expected: true },
  ],
  '`\\c` outside a class matches c literally and a trailing `\\` matches a backslash': [
    { pattern: '\\*', subject: '*', expected: true },
    { pattern: '\\*', subject: 'a', expected: false },
    { pattern: '\\?', subject: 'x', expected: false },
    { pattern: '\\[a]', subject: '[a]', expected: true },
    { pattern: 'a\\', subject: 'a\\', expected: true },
    { pattern: '\\', subject: '\\', expected: true },
    { pattern: 'a\\', subject: 'a', expected: false },
  ],
  'the spec example: every pattern of a PUBLISH news delivery matches': [
    { pattern: 'n*', subject: 'news', expected: true },
    { pattern: '*s', subject: 'news', expected: true },
    { pattern: 'ne?s', subject: 'news', expected: true },
    { pattern: '[n]ews', subject: 'news', expected: true },
    { pattern: '*', subject: 'news', expected: true },
  ],
};

describe('globMatch follows Redis stringmatchlen', () => {
  for (const [rule, cases] of Object.entries(specTable)) {
    it.each(cases)(`${rule}: $pattern against $subject -> $expected`, ({ pattern, subject, expected }) => {
      expect(matches(pattern, subject)).toBe(expected);
    });
  }
});

describe('globMatch limits', () => {
  it('`*a` repeated MAX_STAR_NESTING times matches `a` repeated as often', () => {
    expect(MAX_STAR_NESTING).toBe(1000);
    expect(matches('*a'.repeat(1000), 'a'.repeat(1000))).toBe(true);
  });

  it('`*a` repeated 1001 times does not match (the nesting cap)', () => {
    expect(matches('*a'.repeat(1001), 'a'.repeat(1000))).toBe(false);
    expect(matches('*a'.repeat(1001), 'a'.repeat(2000))).toBe(false);
  });

  it('a trailing `*` at nesting 1000 still matches, a 1002nd `*` does not', () => {
    expect(matches(`${'*a'.repeat(1000)}*`, `${'a'.repeat(1000)}b`)).toBe(true);
    expect(matches(`${'*a'.repeat(1001)}*`, `${'a'.repeat(1001)}b`)).toBe(false);
  });

  it('`*?` x50000 against a 50000-byte subject returns false without overflowing the stack', () => {
    expect(matches('*?'.repeat(50_000), 'x'.repeat(50_000))).toBe(false);
  });

  it('`a*a*...b` against a long run of `a` ends (skipLongerMatches) and does not match', () => {
    expect(matches(`${'a*'.repeat(60)}b`, 'a'.repeat(200))).toBe(false);
    expect(matches(`${'a*'.repeat(60)}b`, `${'a'.repeat(200)}b`)).toBe(true);
  });
});

describe('globMatch reads only the given ranges', () => {
  it('a pattern whose buffer continues with `*` does not take that `*` as a trailing star', () => {
    const buffer = bytes('a*');
    expect(globMatch(buffer, 0, 1, bytes('a'), 0, 1)).toBe(true);
    expect(globMatch(buffer, 0, 1, bytes('ab'), 0, 2)).toBe(false);
  });

  it('a class cut by the pattern length is unterminated even if the buffer closes it', () => {
    const buffer = bytes('[a-z]');
    expect(globMatch(buffer, 0, 3, bytes('m'), 0, 1)).toBe(false);
    expect(globMatch(buffer, 0, 3, bytes('-'), 0, 1)).toBe(true);
    expect(globMatch(buffer, 0, 5, bytes('m'), 0, 1)).toBe(true);
  });

  it('a backslash at the cut pattern end is literal even if the buffer has a byte after it', () => {
    const buffer = bytes('x\\*');
    expect(globMatch(buffer, 0, 2, bytes('x\\'), 0, 2)).toBe(true);
    expect(globMatch(buffer, 0, 2, bytes('x*'), 0, 2)).toBe(false);
  });

  it('subject bytes outside [sOff, sOff+sLen) are ignored', () => {
    const subject = bytes('XXabcYY');
    expect(globMatch(bytes('abc'), 0, 3, subject, 2, 3)).toBe(true);
    expect(globMatch(bytes('abc*'), 0, 4, subject, 2, 3)).toBe(true);
    expect(globMatch(bytes('abc?'), 0, 4, subject, 2, 3)).toBe(false);
    expect(globMatch(bytes('*'), 0, 1, subject, 2, 0)).toBe(false);
  });

  it('pattern offsets inside a larger buffer give the same answers as the bare pattern', () => {
    const pattern = '[^a-c]*?\\*';
    const padded = bytes(`[*${pattern}*]`);
    for (const subject of ['d**', 'dx*', 'a**', 'dd', 'd*', 'dxx*', '']) {
      const expected = matches(pattern, subject);
      expect(globMatch(padded, 2, pattern.length, bytes(subject), 0, subject.length)).toBe(expected);
    }
    expect(matches(pattern, 'dx*')).toBe(true);
  });
});
