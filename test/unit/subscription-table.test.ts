// The partition's subscriber sets: idempotent adds, encoding changes, swap-removal, and names
// dropped (so the pattern index can drop them) when the last subscriber leaves.
import { describe, expect, it } from 'vitest';
import { SubscriberSet, SubscriptionTable } from '../../src/partition/subscription-table.js';
import { ENC_RESP2, ENC_RESP3 } from '../../src/shm/records.js';

describe('SubscriberSet', () => {
  it('adding the same client twice counts once; a new encoding moves it between counts', () => {
    const s = new SubscriberSet(Buffer.from('ch'));
    expect(s.add(7, ENC_RESP2)).toBe(1);
    expect(s.add(7, ENC_RESP2)).toBe(0);
    expect(s.size).toBe(1);
    expect(s.add(7, ENC_RESP3)).toBe(0);
    expect(s.countByEncoding[ENC_RESP2]).toBe(0);
    expect(s.countByEncoding[ENC_RESP3]).toBe(1);
  });

  it('removal by swap keeps every other client findable', () => {
    const s = new SubscriberSet(Buffer.from('ch'));
    for (let id = 1; id <= 5; id++) s.add(id, id % 2 === 0 ? ENC_RESP3 : ENC_RESP2);
    expect(s.remove(2)).toBe(1);
    expect(s.remove(2)).toBe(0);
    expect(s.remove(5)).toBe(1);
    expect([...s.ids].sort()).toEqual([1, 3, 4]);
    for (let i = 0; i < s.ids.length; i++) expect(s.encodings[i]).toBe(s.ids[i] % 2 === 0 ? ENC_RESP3 : ENC_RESP2);
    expect(s.remove(1) + s.remove(3)).toBe(2);
    expect(s.ids).toEqual([4]);
  });
});

describe('SubscriptionTable', () => {
  it('creates a set on the first subscriber, drops it with the last, and copies the name', () => {
    const t = new SubscriptionTable();
    const ring = Buffer.from('xxroom:1yy');
    const created = t.add('room:1', ring, 2, 6, 1, ENC_RESP2);
    expect(created?.bytes.toString()).toBe('room:1');
    ring.fill(0); // ring memory is reused: the table must own its copy
    expect(t.get('room:1')?.bytes.toString()).toBe('room:1');
    expect(t.add('room:1', ring, 2, 6, 2, ENC_RESP2)).toBeNull();
    expect(t.remove('room:1', 1)).toBeNull();
    expect(t.remove('room:1', 3)).toBeNull();
    expect(t.remove('room:1', 2)).toBe(created);
    expect(t.size).toBe(0);
  });
});

describe('SubscriptionTable.getBytes (the publish lookup by bytes)', () => {
  const view = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.byteLength);

  it('finds every name by its bytes at any offset and length, binary and empty names included', () => {
    const t = new SubscriptionTable();
    const names = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'room:1', 'room:10', 'room:100', '\x00\xff\r\n', 'x'.repeat(300)];
    for (const [i, n] of names.entries()) {
      const src = Buffer.from(n, 'latin1');
      t.add(n, src, 0, src.length, i + 1, ENC_RESP2);
    }
    for (const [i, n] of names.entries()) {
      const padded = Buffer.concat([Buffer.from('123'), Buffer.from(n, 'latin1'), Buffer.from('!')]);
      const set = t.getBytes(view(padded), 3, n.length);
      expect(set?.bytes.toString('latin1')).toBe(n);
      expect(set?.ids).toEqual([i + 1]);
    }
    const other = Buffer.from('room:2');
    expect(t.getBytes(view(other), 0, other.length)).toBeUndefined();
    const prefix = Buffer.from('room:1');
    expect(t.getBytes(view(prefix), 0, 5)).toBeUndefined(); // 'room:' is not a name
  });

  it('keeps the right sets reachable when names share a hash, removing heads and tails of chains', () => {
    // 200 k names under a 30-bit hash collide about 19 times: real collisions, found, not forced.
    const t = new SubscriptionTable();
    const count = 200_000;
    const byHash = new Map<number, string[]>();
    for (let i = 0; i < count; i++) {
      const n = Buffer.from(`room:${i}`);
      const set = t.add(n.toString('latin1'), n, 0, n.length, i, ENC_RESP2)!;
      const names = byHash.get(set.hash);
      if (names === undefined) byHash.set(set.hash, [n.toString()]);
      else names.push(n.toString());
    }
    const chains = [...byHash.values()].filter((names) => names.length > 1);
    expect(chains.length).toBeGreaterThan(0);
    const find = (n: string) => {
      const b = Buffer.from(n);
      return t.getBytes(view(b), 0, b.length);
    };
    const idOf = (n: string) => Number(n.slice(5));
    for (const [k, names] of chains.entries()) {
      for (const n of names) expect(find(n)?.ids).toEqual([idOf(n)]);
      // The first name added is the chain's tail, the last its head: remove one or the other.
      const gone = k % 2 === 0 ? names[0] : names[names.length - 1];
      expect(t.remove(gone, idOf(gone))).not.toBeNull();
      expect(find(gone)).toBeUndefined();
      for (const n of names) if (n !== gone) expect(find(n)?.ids).toEqual([idOf(n)]);
    }
    for (let i = 0; i < count; i += 997) expect(find(`room:${i}`)?.ids ?? []).toEqual(t.get(`room:${i}`)?.ids ?? []);
  });
});
