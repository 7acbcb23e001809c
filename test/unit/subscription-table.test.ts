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
