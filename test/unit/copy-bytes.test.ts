// The DataView byte copy of the publish path: every length (the 4-byte loop, its tail, the native
// path above 256 bytes) at every alignment lands exactly, and nothing around the target is touched.
import { describe, expect, it } from 'vitest';
import { copyView, ViewCache } from '../../src/codec/copy-bytes.js';

describe('copyView', () => {
  it('copies every length 0..600 at offsets 0..5 on both sides, and writes nothing else', () => {
    const src = Buffer.alloc(700);
    for (let i = 0; i < src.length; i++) src[i] = (i * 31 + 7) & 0xff;
    const sv = new DataView(src.buffer, src.byteOffset, src.length);
    const dst = Buffer.alloc(720);
    const dv = new DataView(dst.buffer, dst.byteOffset, dst.length);
    for (let len = 0; len <= 600; len++) {
      for (let from = 0; from <= 5; from++) {
        const at = (len + from) % 6;
        dst.fill(0xee);
        copyView(sv, from, from + len, dv, at);
        expect(dst.subarray(at, at + len).equals(src.subarray(from, from + len))).toBe(true);
        expect(dst.subarray(0, at).every((b) => b === 0xee)).toBe(true);
        expect(dst.subarray(at + len).every((b) => b === 0xee)).toBe(true);
      }
    }
  });
});

describe('ViewCache', () => {
  it('returns one view per array, a fresh one for another array, and does not pin arrays over 1 MiB', () => {
    const cache = new ViewCache();
    const a = Buffer.alloc(64);
    const b = new Uint8Array(new ArrayBuffer(128), 16, 32);
    const va = cache.of(a);
    expect(cache.of(a)).toBe(va);
    const vb = cache.of(b);
    expect(vb.byteOffset).toBe(16);
    expect(vb.byteLength).toBe(32);
    const huge = new Uint8Array((1 << 20) + 1);
    expect(cache.of(huge)).not.toBe(cache.of(huge)); // not remembered
    expect(cache.of(b)).toBe(vb); // the small one still is
    const pinning = new ViewCache(true);
    expect(pinning.of(huge)).toBe(pinning.of(huge));
  });
});
