// Per-connection output: order is kept across copied and referenced pieces, the staging buffer is
// reused only when the socket took everything, and message outputs keep reply/frame boundaries.
import { describe, expect, it } from 'vitest';
import { OutputBuffer, REFERENCE_THRESHOLD_BYTES } from '../../src/transport/output-buffer.js';
import { MessageOutputBuffer } from '../../src/transport/message-output.js';

describe('OutputBuffer', () => {
  it('keeps the order of small copies, ASCII and large referenced pieces', () => {
    const out = new OutputBuffer();
    const big = Buffer.alloc(REFERENCE_THRESHOLD_BYTES * 2, 0x62);
    out.appendAscii('+OK\r\n');
    out.appendStable(big);
    out.appendBytes(Buffer.from('xyz'), 1, 3);
    expect(out.queuedBytes).toBe(5 + big.length + 2);
    const pieces = out.take();
    expect(pieces).toContain(big); // referenced, not copied
    expect(Buffer.concat(pieces).toString('latin1')).toBe('+OK\r\n' + big.toString('latin1') + 'yz');
    expect(out.isEmpty).toBe(true);
  });

  it('does not overwrite bytes a socket still holds when the write did not complete', () => {
    const out = new OutputBuffer();
    out.appendAscii('first');
    const held = out.take();
    out.afterWrite(false); // the socket queued it: those bytes are still in flight
    out.appendAscii('second');
    expect(Buffer.concat(held).toString()).toBe('first');
    expect(Buffer.concat(out.take()).toString()).toBe('second');
  });

  it('rewinds the staging buffer when the socket took everything', () => {
    const out = new OutputBuffer();
    out.appendAscii('aaaa');
    const [first] = out.take();
    out.afterWrite(true);
    out.appendAscii('bbbb');
    const [second] = out.take();
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
  });

  it('a frame with a held payload is frame, payload, tail', () => {
    const out = new OutputBuffer();
    const payload = Buffer.alloc(10000, 0x70);
    out.appendFrame(Buffer.from('HEAD'), 0, 4, payload, Buffer.from('\r\n'));
    expect(Buffer.concat(out.take())).toEqual(Buffer.concat([Buffer.from('HEAD'), payload, Buffer.from('\r\n')]));
  });

  it('spills writes larger than the staging buffer into their own piece', () => {
    const out = new OutputBuffer();
    const src = Buffer.alloc(100_000, 0x41);
    out.appendAscii('<');
    out.appendBytes(src, 0, src.length);
    out.appendAscii('>');
    expect(Buffer.concat(out.take()).toString('latin1')).toBe('<' + src.toString('latin1') + '>');
  });
});

describe('MessageOutputBuffer', () => {
  it('seals reply bytes before each frame so their order survives', () => {
    const out = new MessageOutputBuffer();
    out.appendAscii(':1\r\n');
    out.appendMessage(Buffer.from('frame-1'));
    out.appendAscii('+PONG\r\n');
    out.appendAscii(':2\r\n');
    out.appendMessage(Buffer.from('frame-2'));
    expect(out.queuedBytes).toBe(4 + 7 + 7 + 4 + 7);
    const entries = out.takeEntries().map((e) => `${e.isFrame ? 'frame' : 'replies'}:${e.bytes.toString()}`);
    expect(entries).toEqual(['replies::1\r\n', 'frame:frame-1', 'replies:+PONG\r\n:2\r\n', 'frame:frame-2']);
    expect(out.isEmpty).toBe(true);
  });

  it('is message-oriented, a byte stream is not', () => {
    expect(new MessageOutputBuffer().messageOriented).toBe(true);
    expect(new OutputBuffer().messageOriented).toBe(false);
  });
});

describe('OutputBuffer: headers and frames written without strings', () => {
  it('appendDecimalLine writes <lead><n>\\r\\n for 0, signs, every digit count up to the largest safe integer', () => {
    const values = [0, 1, 9, 10, 99, 100, -1, -10, -12345, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (let p = 1; p <= 1e15; p *= 10) values.push(p - 1, p, p + 1);
    const out = new OutputBuffer();
    let expected = '';
    for (const n of values) {
      out.appendDecimalLine(0x3a, n);
      out.appendCrlf();
      expected += `:${n}\r\n\r\n`;
    }
    expect(Buffer.concat(out.take()).toString('latin1')).toBe(expected);
    expect(out.queuedBytes).toBe(0);
  });

  it('headers and frames that do not fit the staging buffer start a new one, in order', () => {
    const out = new OutputBuffer();
    const frame = Buffer.alloc(700);
    for (let i = 0; i < frame.length; i++) frame[i] = i & 0xff;
    const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
    let expected = Buffer.alloc(0);
    for (let i = 0; i < 200; i++) {
      out.appendDecimalLine(0x24, i * 1_000_003);
      out.appendFromView(view, i % 7, 100 + i); // short runs through the DataView copy
      out.appendWhole(frame.subarray(i, 300 + i)); // shared group frames
      expected = Buffer.concat([expected, Buffer.from(`$${i * 1_000_003}\r\n`), frame.subarray(i % 7, 100 + i), frame.subarray(i, 300 + i)]);
    }
    expect(out.queuedBytes).toBe(expected.length);
    const pieces = out.take();
    expect(pieces.length).toBeGreaterThan(1); // well over one 16 KiB staging buffer
    expect(Buffer.concat(pieces).equals(expected)).toBe(true);
  });

  it('frames bigger than a staging buffer go through appendBytes whole', () => {
    const out = new OutputBuffer();
    const big = Buffer.alloc(40_000, 0x61);
    big[0] = 0x62;
    big[big.length - 1] = 0x63;
    out.appendAscii('>');
    out.appendFromView(new DataView(big.buffer, big.byteOffset, big.length), 0, big.length);
    out.appendWhole(big);
    out.appendCrlf();
    const all = Buffer.concat(out.take());
    expect(all.equals(Buffer.concat([Buffer.from('>'), big, big, Buffer.from('\r\n')]))).toBe(true);
  });
});
