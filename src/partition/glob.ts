/**
 * Redis's glob matcher (src/util.c `stringmatchlen`, nocase=0), byte for byte.
 *
 * Runs on the partition worker threads (PSUBSCRIBE delivery) and on cold paths (PUBSUB CHANNELS
 * filters). The spec is section 2 of redis-pubsub-spec.md; every quirk there is kept on purpose.
 *
 * Invariants:
 * - Works on bytes in [off, off+len) only; where Redis looks one byte past the pattern end (it
 *   relies on the sds trailing NUL), this code reads an emulated 0 instead of the next buffer byte.
 * - Class ranges compare bytes as signed chars (x86 `char`), so `[a-\xff]` is the range -1..97.
 * - `*` never matches the empty subject (the main loop needs both sides non-empty); only the empty
 *   pattern matches "".
 * - Same results as Redis 7.0.15 (Debian, with the CVE-2024-31228 patch): a `*` whose recursion would
 *   run at nesting > 1000 makes the whole match fail, and the CVE-2022-36021 "skipLongerMatches"
 *   early exit holds.
 * - No recursion and no allocation: the matcher is a loop with O(1) state (see globMatch). Worst
 *   case O(pLen x sLen) steps per call, the bound skipLongerMatches gives Redis.
 */

const STAR = 0x2a; // '*'
const QUESTION = 0x3f; // '?'
const OPEN_CLASS = 0x5b; // '['
const CLOSE_CLASS = 0x5d; // ']'
const NEGATE = 0x5e; // '^'
const RANGE = 0x2d; // '-'
const ESCAPE = 0x5c; // '\'

/** Redis returns "no match" from any `*` recursion whose nesting exceeds this (CVE-2024-31228). */
export const MAX_STAR_NESTING = 1000;

/** The byte as a C `char` on x86 (-128..127): Redis compares class ranges this way. */
function signedByte(byte: number): number {
  return (byte << 24) >> 24;
}

/**
 * True when pattern[pOff, pOff+pLen) matches subject[sOff, sOff+sLen) the way Redis's
 * stringmatchlen does.
 *
 * Why a loop can replace Redis's recursion: each `*` in Redis calls itself on the rest of the pattern
 * at every subject position. If such a call fails and the `*` runs out of positions, Redis sets
 * skipLongerMatches and every enclosing `*` gives up at once; a `*` therefore never returns "no
 * match" to its parent `*` for a retry. So only the innermost `*` is ever resumed, and its state
 * (pattern position, next subject position) plus the current nesting depth is all the state there is.
 * A `*` that would recurse at nesting > MAX_STAR_NESTING fails every try, so the whole match fails.
 */
export function globMatch(
  pattern: Uint8Array,
  pOff: number,
  pLen: number,
  subject: Uint8Array,
  sOff: number,
  sLen: number,
): boolean {
  const pEnd = pOff + pLen;
  const sEnd = sOff + sLen;
  let p = pOff;
  let s = sOff;
  // The innermost `*` that can still retry: where it sits and the subject position it tried last.
  let starP = -1;
  let starS = 0;
  // Nesting of the Redis call that would be running now (0 = the top-level call).
  let nesting = 0;

  for (;;) {
    if (p < pEnd && s < sEnd) {
      const token = pattern[p];
      let matched = true;
      if (token === STAR) {
        while (p + 1 < pEnd && pattern[p + 1] === STAR) p++;
        if (p + 1 === pEnd) return true; // a trailing `*` takes whatever is left (at least one byte)
        if (nesting >= MAX_STAR_NESTING) return false; // every recursion of this `*` would be refused
        starP = p;
        starS = s;
        nesting++;
        p++;
        continue;
      } else if (token === QUESTION) {
        s++;
      } else if (token === OPEN_CLASS) {
        p++;
        const negated = p < pEnd && pattern[p] === NEGATE;
        if (negated) p++;
        const byte = subject[s];
        let inClass = false;
        for (;;) {
          const member = p < pEnd ? pattern[p] : 0; // emulated trailing NUL
          if (member === ESCAPE && pEnd - p >= 2) {
            p++;
            if (pattern[p] === byte) inClass = true;
          } else if (member === CLOSE_CLASS) {
            break;
          } else if (p === pEnd) {
            p--; // unterminated class: stop on the last pattern byte, the step below passes it
            break;
          } else if (pEnd - p >= 3 && pattern[p + 1] === RANGE) {
            let low = signedByte(member);
            let high = signedByte(pattern[p + 2]);
            if (low > high) {
              const swapped = low;
              low = high;
              high = swapped;
            }
            p += 2; // a range ending in `]` consumes it: `[a-]` is the range `]`..`a`
            const signedSubject = signedByte(byte);
            if (signedSubject >= low && signedSubject <= high) inClass = true;
          } else if (member === byte) {
            inClass = true;
          }
          p++;
        }
        matched = inClass !== negated;
        s++;
      } else {
        if (token === ESCAPE && pEnd - p >= 2) p++; // a lone trailing `\` is a literal backslash
        matched = pattern[p] === subject[s];
        s++;
      }
      if (matched) {
        p++;
        if (s === sEnd) {
          while (p < pEnd && pattern[p] === STAR) p++;
        }
        continue;
      }
    } else if (p === pEnd && s === sEnd) {
      return true;
    }
    // The current call failed: its `*` retries one subject byte further, or the match is over.
    if (starP < 0) return false;
    starS++;
    if (starS === sEnd) return false;
    p = starP + 1;
    s = starS;
  }
}

/** Convenience for cold paths (PUBSUB CHANNELS filter etc.). */
export function globMatchBytes(pattern: Uint8Array, subject: Uint8Array): boolean {
  return globMatch(pattern, 0, pattern.length, subject, 0, subject.length);
}
