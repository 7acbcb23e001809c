// The partition worker's frame encoder: every encoding, held and inline payloads, binary names.
import { describe, expect, it } from 'vitest';
import { unpack } from 'msgpackr';
import { FrameEncoder, KIND_MESSAGE, KIND_PMESSAGE, KIND_SMESSAGE, frameTail } from '../../src/partition/frames.js';
import { ENC_JSON, ENC_MSGPACK, ENC_RESP2, ENC_RESP3 } from '../../src/shm/records.js';

/** Lays out [pattern][channel][payload] in one buffer, as the worker sees ring memory. */
function encode(kind: number, enc: number, pattern: Buffer, channel: Buffer, payload: Buffer, held = false): Buffer {
  const src = Buffer.concat([pattern, channel, payload]);
  const f = new FrameEncoder();
  const size = f.prepare(kind, enc, src, 0, pattern.length, src, pattern.length, channel.length, pattern.length + channel.length, payload.length, held);
  const out = Buffer.alloc(size + 8, 0xee);
  f.write(out, 4);
  expect(out.subarray(0, 4)).toEqual(Buffer.alloc(4, 0xee));
  expect(out.subarray(4 + size)).toEqual(Buffer.alloc(4, 0xee));
  return out.subarray(4, 4 + size);
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('FrameEncoder', () => {
  it('RESP2 message, pmessage and smessage frames are byte-identical to Redis', () => {
    expect(encode(KIND_MESSAGE, ENC_RESP2, b(''), b('a'), b('hello')).toString('latin1')).toBe('*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n');
    expect(encode(KIND_PMESSAGE, ENC_RESP2, b('a*'), b('a'), b('hello')).toString('latin1')).toBe('*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$5\r\nhello\r\n');
    expect(encode(KIND_SMESSAGE, ENC_RESP2, b(''), b('a'), b('shello')).toString('latin1')).toBe('*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$6\r\nshello\r\n');
  });

  it('RESP3 frames differ from RESP2 only in the push marker', () => {
    const r2 = encode(KIND_PMESSAGE, ENC_RESP2, b('p?'), b('px'), b('x'));
    const r3 = encode(KIND_PMESSAGE, ENC_RESP3, b('p?'), b('px'), b('x'));
    expect(r3[0]).toBe(0x3e);
    expect(r3.subarray(1)).toEqual(r2.subarray(1));
  });

  it('a held payload stops after its length header; payload and tail complete the frame', () => {
    const payload = Buffer.alloc(70000, 0x61);
    const whole = encode(KIND_MESSAGE, ENC_RESP2, b(''), b('big'), payload);
    const head = encode(KIND_MESSAGE, ENC_RESP2, b(''), b('big'), payload, true);
    expect(Buffer.concat([head, payload, frameTail(ENC_RESP2)])).toEqual(whole);
    const mpWhole = encode(KIND_MESSAGE, ENC_MSGPACK, b(''), b('big'), payload);
    const mpHead = encode(KIND_MESSAGE, ENC_MSGPACK, b(''), b('big'), payload, true);
    expect(Buffer.concat([mpHead, payload, frameTail(ENC_MSGPACK)])).toEqual(mpWhole);
  });

  it('msgpack frames decode to [kind, channel, payload] with the payload as binary', () => {
    for (const len of [0, 5, 31, 32, 255, 256, 65535, 65536]) {
      const payload = Buffer.alloc(len, 0x7a);
      const decoded = unpack(encode(KIND_PMESSAGE, ENC_MSGPACK, b('room:*'), b('room:chatty'), payload)) as unknown[];
      expect(decoded[0]).toBe('pmessage');
      expect(decoded[1]).toBe('room:*');
      expect(decoded[2]).toBe('room:chatty');
      expect(Buffer.from(decoded[3] as Uint8Array)).toEqual(payload);
    }
  });

  it('msgpack carries a non-UTF-8 channel as binary', () => {
    const decoded = unpack(encode(KIND_MESSAGE, ENC_MSGPACK, b(''), Buffer.from([0xff, 0x00]), b('x'))) as unknown[];
    expect(Buffer.from(decoded[1] as Uint8Array)).toEqual(Buffer.from([0xff, 0x00]));
  });

  it('JSON frames are Redis shapes; non-UTF-8 bytes become {base64}', () => {
    expect(JSON.parse(encode(KIND_MESSAGE, ENC_JSON, b(''), b('room:chatty'), Buffer.from('Hello there! "é"\n')).toString())).toEqual(
      ['message', 'room:chatty', 'Hello there! "é"\n']);
    expect(JSON.parse(encode(KIND_PMESSAGE, ENC_JSON, b('room:*'), b('room:x'), Buffer.from([0xff, 0xfe])).toString())).toEqual(
      ['pmessage', 'room:*', 'room:x', { base64: '//4=' }]);
    const held = encode(KIND_MESSAGE, ENC_JSON, b(''), b('c'), b('ignored'), true).toString();
    expect(held).toBe('["message","c",');
  });
});
