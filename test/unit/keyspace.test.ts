// Unit tests for the keyspace layer (src/store): score text in and out, notification flags, the
// list ring, the sorted-set skip list (against a naive model), and the Keyspace itself with a
// controllable clock (lazy and active expiry, notifications, propagation, SCAN, dump). Pure: no
// sockets, no threads, no timers.
import { describe, expect, it } from 'vitest';
import { Deque } from '../../src/store/deque.js';
import { Keyspace, type KeyspaceHooks } from '../../src/store/keyspace.js';
import {
  formatKeyspaceEvents, NOTIFY_ALL, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_NEW, parseKeyspaceEvents,
} from '../../src/store/keyspace-events.js';
import { formatScore, parseRangeBound, parseScore } from '../../src/store/score.js';
import { SortedSet } from '../../src/store/sorted-set.js';

/** A seeded xorshift32 generator, so a failing random test can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

describe('score text', () => {
  it.each([
    [1, '1'], [-3, '-3'], [0, '0'], [-0, '-0'], [1.5, '1.5'], [0.1, '0.1'], [0.1 + 0.2, '0.30000000000000004'],
    [1 / 3, '0.3333333333333333'], [123456.789, '123456.789'], [Infinity, 'inf'], [-Infinity, '-inf'], [NaN, 'nan'],
    [1700000000000, '1700000000000'], [1700000000000.5, '1700000000000.5'], [1e18, '1000000000000000000'],
    [2 ** 62, '4611686018427387904'], [-(2 ** 62), '-4611686018427387904'], [2 ** 63, '9223372036854776000'],
    [1e20, '1e+20'], [1e21, '1e+21'], [1.7976931348623157e308, '1.7976931348623157e+308'], [5e-324, '5e-324'],
    [0.000001, '0.000001'], [1e-7, '1e-7'], [1.5e-6, '1.5e-6'], [0.0001234, '1.234e-4'], [0.001234, '0.001234'],
    [-2.5e-10, '-2.5e-10'], [1e100, '1e+100'], [1.25e-100, '1.25e-100'],
  ])('formats %d as Redis 7.2 does: %s', (value, text) => {
    expect(formatScore(value)).toBe(text);
  });

  it('prints scores that read back as the same double', () => {
    const next = random(7);
    for (let i = 0; i < 2000; i++) {
      const value = (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
      expect(parseScore(formatScore(value))).toBe(value === 0 ? 0 : value);
    }
  });

  it.each([
    ['1', 1], ['-1.5', -1.5], ['+1.5', 1.5], ['.5', 0.5], ['5.', 5], ['00001', 1], ['1e3', 1000], ['1E-2', 0.01],
    ['inf', Infinity], ['+inf', Infinity], ['-INF', -Infinity], ['infinity', Infinity], ['-Infinity', -Infinity],
    ['0x10', 16], ['0x1p3', 8], ['0x1.8p1', 3], ['-0x.8', -0.5], ['1e-310', 1e-310], ['0e-400', 0],
  ])('parseScore reads %s like strtod', (text, value) => {
    expect(parseScore(text)).toBe(value);
  });

  it.each([
    [''], [' 1'], ['1 '], ['1e'], ['nan'], ['-nan'], ['x'], ['1_0'], ['0x'], ['1e400'], ['-1e400'], ['1e-400'], ['infinit'], ['1\0'],
  ])('parseScore refuses %j as Redis does (not a valid float)', (text) => {
    expect(parseScore(text)).toBeNull();
  });

  it.each([
    ['', 0], [' 1', 1], ['\t2.5', 2.5], ['1e400', Infinity], ['1\0garbage', 1], ['-inf', -Infinity],
  ])('a range bound %j is raw strtod: %d', (text, value) => {
    expect(parseRangeBound(text)).toBe(value);
  });

  it.each([['x'], ['1 '], ['  '], ['nan'], ['(1']])('a range bound %j is not a float', (text) => {
    expect(parseRangeBound(text)).toBeNull();
  });
});

describe('notify-keyspace-events flags', () => {
  it.each([
    ['KEA', 'AKE'], ['AKEmn', 'AKEm'], ['g$lshzxetdKEmn', 'AKEm'], ['gl', 'gl'], ['AKEAA', 'AKE'], ['', ''],
    ['Elg', 'glE'], ['nK', 'nK'], ['xeK', 'xeK'],
  ])('%j reads back as %j', (text, shown) => {
    expect(formatKeyspaceEvents(parseKeyspaceEvents(text))).toBe(shown);
  });

  it('A keeps n enabled though it is not shown', () => {
    const flags = parseKeyspaceEvents('AKEn');
    expect(flags & NOTIFY_NEW).toBe(NOTIFY_NEW);
    expect(flags & NOTIFY_ALL).toBe(NOTIFY_ALL);
  });

  it.each([['q'], ['k'], ['KEa'], ['K E']])('refuses %j', (text) => {
    expect(parseKeyspaceEvents(text)).toBe(-1);
  });
});

describe('Deque', () => {
  it('keeps order across pushes at both ends and wraps around its ring', () => {
    const d = new Deque();
    const model: string[] = [];
    const next = random(11);
    for (let i = 0; i < 5000; i++) {
      const r = next();
      if (r < 0.3) {
        d.pushFront(`f${i}`);
        model.unshift(`f${i}`);
      } else if (r < 0.6) {
        d.pushBack(`b${i}`);
        model.push(`b${i}`);
      } else if (r < 0.8 && model.length > 0) {
        expect(d.popFront()).toBe(model.shift());
      } else if (model.length > 0) {
        expect(d.popBack()).toBe(model.pop());
      }
      expect(d.length).toBe(model.length);
    }
    expect(Array.from({ length: d.length }, (_, i) => d.at(i))).toEqual(model);
  });

  it('trims both ends and keeps the middle', () => {
    const d = new Deque();
    for (let i = 0; i < 100; i++) d.pushBack(String(i));
    d.trimFront(10);
    d.trimBack(85);
    expect(Array.from({ length: d.length }, (_, i) => d.at(i))).toEqual(['10', '11', '12', '13', '14']);
  });

  it('removes matches from the head, from the tail, or all of them', () => {
    const build = (): Deque => {
      const d = new Deque();
      for (const e of ['a', 'b', 'a', 'c', 'a']) d.pushBack(e);
      return d;
    };
    const contents = (d: Deque): string[] => Array.from({ length: d.length }, (_, i) => d.at(i));
    const head = build();
    expect(head.remove('a', 2, false)).toBe(2);
    expect(contents(head)).toEqual(['b', 'c', 'a']);
    const tail = build();
    expect(tail.remove('a', 1, true)).toBe(1);
    expect(contents(tail)).toEqual(['a', 'b', 'a', 'c']);
    const all = build();
    expect(all.remove('a', 0, false)).toBe(3);
    expect(contents(all)).toEqual(['b', 'c']);
    expect(all.remove('zz', 0, false)).toBe(0);
  });

  it('keeps working after shrinking from a large size to a few elements', () => {
    const d = new Deque();
    for (let i = 0; i < 10_000; i++) d.pushFront(String(i));
    d.trimBack(9_990);
    d.pushBack('tail');
    expect(Array.from({ length: d.length }, (_, i) => d.at(i))).toEqual(['9999', '9998', '9997', '9996', '9995', '9994', '9993', '9992', '9991', '9990', 'tail']);
  });
});

describe('SortedSet against a sorted-array model', () => {
  type Pair = [string, number];
  const order = (a: Pair, b: Pair): number => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const walk = (z: SortedSet): Pair[] => {
    const out: Pair[] = [];
    for (let n = z.first; n !== null; n = n.next) out.push([n.member, n.score]);
    return out;
  };

  it('agrees on order, ranks, scores and both walk directions through random inserts, updates and removals', () => {
    const next = random(42);
    const z = new SortedSet();
    const model = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const member = `m${Math.floor(next() * 300)}`;
      const score = Math.floor(next() * 50) - 25;
      const r = next();
      if (r < 0.5) {
        if (model.has(member)) z.updateScore(member, score);
        else z.insert(member, score);
        model.set(member, score);
      } else if (r < 0.7) {
        expect(z.remove(member)).toBe(model.delete(member));
      } else if (r < 0.8) {
        const expected = [...model].sort(order).findIndex(([m]) => m === member);
        expect(z.rank(member, false)).toBe(expected);
        expect(z.rank(member, true)).toBe(expected < 0 ? -1 : model.size - 1 - expected);
      }
    }
    const sorted = [...model].sort(order);
    expect(walk(z)).toEqual(sorted);
    expect(z.size).toBe(sorted.length);
    const backwards: Pair[] = [];
    for (let n = z.last; n !== null; n = n.previous) backwards.push([n.member, n.score]);
    expect(backwards).toEqual([...sorted].reverse());
    for (let rank = 0; rank < sorted.length; rank += 7) expect(z.nodeAt(rank).member).toBe(sorted[rank][0]);
    for (const [member, score] of sorted) expect(z.score(member)).toBe(score);
  });

  it('finds score ranges with inclusive and exclusive bounds, and counts them', () => {
    const z = new SortedSet();
    for (let i = 1; i <= 10; i++) z.insert(`m${i}`, i);
    expect(z.firstInRange({ min: 3, max: 6, minExclusive: false, maxExclusive: false })!.member).toBe('m3');
    expect(z.firstInRange({ min: 3, max: 6, minExclusive: true, maxExclusive: false })!.member).toBe('m4');
    expect(z.lastInRange({ min: 3, max: 6, minExclusive: false, maxExclusive: true })!.member).toBe('m5');
    expect(z.countInRange({ min: -Infinity, max: Infinity, minExclusive: false, maxExclusive: false })).toBe(10);
    expect(z.countInRange({ min: 3, max: 3, minExclusive: true, maxExclusive: false })).toBe(0);
    expect(z.countInRange({ min: 7, max: 2, minExclusive: false, maxExclusive: false })).toBe(0);
    expect(z.firstInRange({ min: 11, max: 20, minExclusive: false, maxExclusive: false })).toBeNull();
  });

  it('finds lex ranges among equal scores', () => {
    const z = new SortedSet();
    for (const m of ['a', 'b', 'c', 'd']) z.insert(m, 0);
    const bound = (text: string): { infinity: -1 | 0 | 1; member: string; exclusive: boolean } =>
      text === '-' ? { infinity: -1, member: '', exclusive: true } : text === '+' ? { infinity: 1, member: '', exclusive: true }
        : { infinity: 0, member: text.slice(1), exclusive: text[0] === '(' };
    expect(z.firstInLexRange({ min: bound('(a'), max: bound('+') })!.member).toBe('b');
    expect(z.lastInLexRange({ min: bound('-'), max: bound('[c') })!.member).toBe('c');
    expect(z.firstInLexRange({ min: bound('[c'), max: bound('(c') })).toBeNull();
  });

  it('removes score and rank ranges', () => {
    const z = new SortedSet();
    for (let i = 0; i < 100; i++) z.insert(`m${i}`, i);
    expect(z.removeRangeByScore({ min: -Infinity, max: 49, minExclusive: false, maxExclusive: false })).toBe(50);
    expect(z.removeRangeByRank(0, 9)).toBe(10);
    expect(z.size).toBe(40);
    expect(z.first!.member).toBe('m60');
    expect(z.rank('m99', false)).toBe(39);
  });

  it('stores -0 as 0', () => {
    const z = new SortedSet();
    z.insert('a', -0);
    expect(Object.is(z.score('a'), 0)).toBe(true);
  });
});

/** A Keyspace on a clock the test moves, with its hooks recorded. */
function harness(notify = '') {
  let nowMs = 1_000_000;
  const published: string[] = [];
  const propagated: string[] = [];
  const settings = { notifyKeyspaceEvents: parseKeyspaceEvents(notify) };
  const hooks: KeyspaceHooks = {
    publish: (channel, message) => published.push(`${channel.toString('latin1')} ${message.toString('latin1')}`),
    propagate: (db, args) => propagated.push(`${db}: ${args.map((a) => a.toString('latin1')).join(' ')}`),
  };
  const ks = new Keyspace(hooks, settings, () => nowMs);
  return { ks, published, propagated, settings, advance: (ms: number) => { nowMs += ms; }, now: () => nowMs };
}

describe('Keyspace', () => {
  it('expires a key lazily on its first lookup after the deadline, as DEL and an expired event', () => {
    const { ks, published, propagated, advance, now } = harness('KEA');
    const entry = ks.add(0, 'k', 'v');
    ks.setExpire(0, entry, now() + 100);
    advance(100);
    expect(ks.lookupRead(0, 'k')).toBe(entry);
    advance(1);
    expect(ks.lookupRead(0, 'k')).toBeUndefined();
    expect(propagated).toEqual(['0: DEL k']);
    expect(published).toEqual(['__keyspace@0__:k expired', '__keyevent@0__:expired k']);
    expect(ks.size(0)).toBe(0);
    expect(ks.stats).toEqual({ expiredKeys: 1, hits: 1, misses: 1 });
  });

  it('publishes nothing when notifications are off, and only the chosen classes when on', () => {
    const h = harness('');
    h.ks.add(0, 'k', 'v');
    h.ks.lookupRead(0, 'missing');
    expect(h.published).toEqual([]);
    h.settings.notifyKeyspaceEvents = NOTIFY_KEYEVENT | parseKeyspaceEvents('nm');
    h.ks.add(3, 'k', 'v');
    h.ks.lookupRead(3, 'missing');
    expect(h.published).toEqual(['__keyevent@3__:new k', '__keyevent@3__:keymiss missing']);
    h.settings.notifyKeyspaceEvents = NOTIFY_KEYSPACE | NOTIFY_ALL;
    h.ks.add(3, 'other', 'v');
    expect(h.published).toHaveLength(2);
  });

  it('the active expire cycle removes expired keys nobody reads, and leaves the others', () => {
    const { ks, published, advance, now } = harness('Ex');
    for (let i = 0; i < 1000; i++) ks.setExpire(2, ks.add(2, `short${i}`, 'v'), now() + 50);
    for (let i = 0; i < 10; i++) ks.setExpire(2, ks.add(2, `long${i}`, 'v'), now() + 60_000);
    ks.add(2, 'forever', 'v');
    advance(51);
    let expired = 0;
    for (let cycle = 0; cycle < 100 && ks.size(2) > 11; cycle++) expired += ks.activeExpireCycle(1_000);
    expect(expired).toBe(1000);
    expect(ks.size(2)).toBe(11);
    expect(ks.expiresCount(2)).toBe(10);
    expect(published).toHaveLength(1000);
    expect(published[0]).toMatch(/^__keyevent@2__:expired short\d+$/);
    expect(ks.averageTtlMs(2)).toBeGreaterThan(0);
  });

  it('KEYS skips expired keys without deleting them; DBSIZE still counts them until they go', () => {
    const { ks, advance, now } = harness();
    ks.add(0, 'user:1', 'a');
    ks.setExpire(0, ks.add(0, 'user:2', 'b'), now() + 10);
    ks.add(0, 'other', 'c');
    advance(11);
    expect(ks.keys(0, Buffer.from('user:*')).sort()).toEqual(['user:1']);
    expect(ks.keys(0, Buffer.from('*')).sort()).toEqual(['other', 'user:1']);
    expect(ks.size(0)).toBe(3);
  });

  it('SCAN returns every key present for the whole iteration exactly once, despite deletes and inserts', () => {
    const { ks } = harness();
    const stable = new Set<string>();
    for (let i = 0; i < 500; i++) {
      ks.add(0, `s${i}`, 'v');
      stable.add(`s${i}`);
      ks.add(0, `t${i}`, 'v');
    }
    const seen: string[] = [];
    let cursor = 0;
    let calls = 0;
    let churn = 0;
    do {
      const page = ks.scan(0, cursor, 10, null, null);
      seen.push(...page.keys);
      cursor = page.cursor;
      // Between calls: delete some transient keys and create new ones.
      for (let j = 0; j < 5; j++, churn++) {
        const victim = ks.lookupWrite(0, `t${churn}`);
        if (victim !== undefined) ks.remove(0, victim);
        ks.add(0, `n${churn}`, 'v');
      }
      calls++;
    } while (cursor !== 0 && calls < 10_000);
    expect(cursor).toBe(0);
    const stableSeen = seen.filter((k) => stable.has(k));
    expect(stableSeen.length).toBe(stable.size);
    expect(new Set(stableSeen).size).toBe(stable.size);
  });

  it('SCAN filters by pattern and type, and deletes the expired keys it meets', () => {
    const { ks, propagated, advance, now } = harness();
    ks.add(0, 'a1', 'v');
    ks.add(0, 'a2', new Deque());
    ks.setExpire(0, ks.add(0, 'a3', 'v'), now() + 1);
    ks.add(0, 'b1', 'v');
    advance(2);
    expect(ks.scan(0, 0, 100, Buffer.from('a*'), null).keys).toEqual(['a1', 'a2']);
    expect(propagated).toEqual(['0: DEL a3']);
    expect(ks.scan(0, 0, 100, null, 'list').keys).toEqual(['a2']);
    expect(ks.scan(0, 0, 100, null, 'nosuchtype').keys).toEqual([]);
  });

  it('dumpCommands recreates strings, lists, sorted sets and expiries, and skips expired keys', () => {
    const { ks, advance, now } = harness();
    ks.setExpire(0, ks.add(0, 's', 'hello'), now() + 5_000);
    const list = new Deque();
    for (let i = 0; i < 70; i++) list.pushBack(`e${i}`);
    ks.setExpire(1, ks.add(1, 'l', list), now() + 9_000);
    const zset = new SortedSet();
    zset.insert('a', 0.1);
    zset.insert('b', Infinity);
    ks.add(2, 'z', zset);
    ks.setExpire(0, ks.add(0, 'gone', 'x'), now() + 1);
    advance(2);
    const commands: string[] = [];
    ks.dumpCommands((db, args) => commands.push(`${db}: ${args.map((a) => a.toString('latin1')).join(' ')}`));
    const at = (ms: number): string => String(1_000_000 + ms);
    expect(commands).toEqual([
      `0: SET s hello PXAT ${at(5_000)}`,
      `1: RPUSH l ${Array.from({ length: 64 }, (_, i) => `e${i}`).join(' ')}`,
      `1: RPUSH l ${Array.from({ length: 6 }, (_, i) => `e${64 + i}`).join(' ')}`,
      `1: PEXPIREAT l ${at(9_000)}`,
      '2: ZADD z 0.1 a inf b',
    ]);
  });

  it('binary keys and values round-trip as latin1 text, and glob patterns match their bytes', () => {
    const { ks } = harness();
    const key = Buffer.from([0x00, 0xff, 0x80, 0x0d, 0x0a]).toString('latin1');
    ks.add(0, key, Buffer.from([0xc3, 0xa9]).toString('latin1'));
    expect(ks.keys(0, Buffer.from([0x00, 0x3f, 0x2a]))).toEqual([key]);
    expect(Buffer.from(ks.lookupRead(0, key)!.value as string, 'latin1')).toEqual(Buffer.from([0xc3, 0xa9]));
  });

  it('FLUSHDB empties one database, clear() all of them, without events', () => {
    const { ks, published } = harness('KEA');
    ks.add(0, 'a', 'v');
    ks.add(1, 'b', 'v');
    published.length = 0;
    ks.flushDb(0);
    expect([ks.size(0), ks.size(1)]).toEqual([0, 1]);
    ks.clear();
    expect(ks.size(1)).toBe(0);
    expect(published).toEqual([]);
  });
});
