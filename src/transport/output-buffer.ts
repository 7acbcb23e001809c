/**
 * Per-connection output, accumulated during an event-loop turn and written once (main thread).
 *
 * Small pieces (replies, fan-out frames) are copied into a staging Buffer; large payloads are kept
 * by reference so a 64 KiB message fanned out to 100 subscribers is not copied 100 times. At flush
 * the transport takes the pieces in order and writes them with one syscall (node-budget.md §4:
 * per-socket accumulation beats cork/uncork by 1.3-2x and one write per frame by 10-30x).
 *
 * The staging Buffer is reused only when the transport reports that the previous write left the
 * socket's queue empty; otherwise it is still owned by the socket and a fresh one is taken.
 */

import { copyBytes, copyView } from '../codec/copy-bytes.js';

/** Frames at least this big are referenced instead of copied into the staging buffer. */
export const REFERENCE_THRESHOLD_BYTES = 4096;
const STAGING_BYTES = 16 * 1024;
/** Lead byte, sign, 16 digits of a safe integer, CRLF. */
const MAX_DECIMAL_LINE_BYTES = 20;

export class OutputBuffer {
  /** Pieces sealed in order, waiting for the flush. */
  private pieces: Buffer[] = [];
  private staging: Buffer = Buffer.allocUnsafe(STAGING_BYTES);
  /** A DataView of `staging`, made with it: frames are copied in through it (src/codec/copy-bytes.ts). */
  private stagingView = new DataView(this.staging.buffer, this.staging.byteOffset, STAGING_BYTES);
  private stagingUsed = 0;
  /** Start of the not-yet-sealed region of the staging buffer. */
  private stagingSealed = 0;
  /** Bytes appended and not yet taken by a flush. */
  protected queued = 0;

  get queuedBytes(): number {
    return this.queued;
  }

  get isEmpty(): boolean {
    return this.queued === 0;
  }

  /**
   * False: a byte stream (TCP, the WebSocket `resp` subprotocol). True for outputs where each
   * pub/sub frame must stay one message (MessageOutputBuffer): the router then hands them whole
   * frames with appendMessage.
   */
  get messageOriented(): boolean {
    return false;
  }

  /** A complete pub/sub frame for a message-oriented output; a byte stream just appends it. */
  appendMessage(frame: Buffer): void {
    this.appendStable(frame);
  }

  /** A pub/sub frame: the frame bytes, then (payload held on the main thread) payload and tail. */
  appendFrame(src: Uint8Array, start: number, end: number, payload: Buffer | null, tail: Buffer | null): void {
    this.appendBytes(src, start, end);
    if (payload !== null) {
      this.appendStable(payload);
      if (tail !== null && tail.length > 0) this.appendBytes(tail, 0, tail.length);
    }
  }

  /**
   * Copies src[start, end), read through a DataView: how the router copies a frame out of a results
   * ring into each recipient (a group's frame goes to every recipient, so this is the fan-out loop).
   */
  appendFromView(src: DataView, start: number, end: number): void {
    const len = end - start;
    if (!this.makeRoomFor(len)) {
      this.appendBytes(new Uint8Array(src.buffer, src.byteOffset + start, len), 0, len);
      return;
    }
    copyView(src, start, end, this.stagingView, this.stagingUsed);
    this.stagingUsed += len;
    this.queued += len;
  }

  /**
   * Copies all of `view` with one native set(): how a frame shared by a group of recipients is
   * copied, the view made once per group. Per recipient of a 100-byte frame 125 ns against 152 for
   * appendFromView, 89 against 283 at 200 bytes, even at 40 (bench/micro/byte-copy.ts, fan-out).
   */
  appendWhole(view: Uint8Array): void {
    const len = view.length;
    if (!this.makeRoomFor(len)) {
      this.appendBytes(view, 0, len);
      return;
    }
    this.staging.set(view, this.stagingUsed);
    this.stagingUsed += len;
    this.queued += len;
  }

  /** Copies src[start, end) (or references it when large and `src` is a stable Buffer). */
  appendBytes(src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (!this.makeRoomFor(len)) {
      // Larger than a staging buffer: copy once into its own piece.
      this.sealStaging();
      const piece = Buffer.allocUnsafe(len);
      piece.set(src.subarray(start, end), 0);
      this.pieces.push(piece);
    } else {
      copyBytes(src, start, end, this.staging, this.stagingUsed);
      this.stagingUsed += len;
    }
    this.queued += len;
  }

  /** Appends a Buffer that will not change afterwards: large ones are referenced, not copied. */
  appendStable(buf: Buffer): void {
    if (buf.length < REFERENCE_THRESHOLD_BYTES) {
      this.appendBytes(buf, 0, buf.length);
      return;
    }
    this.sealStaging();
    this.pieces.push(buf);
    this.queued += buf.length;
  }

  /**
   * Appends `<lead><n>\r\n` (lead is a byte: `$`, `*`, `:`, `%`, `~`, `>`, `=`): the headers of
   * bulks, aggregates and integers, written digit by digit into the staging buffer: 52 ns per bulk
   * header against 173 ns for building the string and encoding it, and nothing allocated
   * (bench/micro/reply-encode.ts). n must be a safe integer.
   */
  appendDecimalLine(lead: number, n: number): void {
    this.makeRoomFor(MAX_DECIMAL_LINE_BYTES);
    const out = this.staging;
    let pos = this.stagingUsed;
    out[pos++] = lead;
    if (n < 0) {
      out[pos++] = 45; // '-'
      n = -n;
    }
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    pos += digits;
    for (let i = 1; i <= digits; i++) {
      out[pos - i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    out[pos++] = 13;
    out[pos++] = 10;
    this.queued += pos - this.stagingUsed;
    this.stagingUsed = pos;
  }

  /** Appends `\r\n` (the end of a bulk). */
  appendCrlf(): void {
    this.makeRoomFor(2);
    this.staging[this.stagingUsed++] = 13;
    this.staging[this.stagingUsed++] = 10;
    this.queued += 2;
  }

  /** Appends ASCII text (protocol framing, numbers, simple strings). */
  appendAscii(text: string): void {
    const len = text.length;
    if (!this.makeRoomFor(len)) {
      this.appendBytes(Buffer.from(text, 'latin1'), 0, len);
      return;
    }
    this.stagingUsed += this.staging.write(text, this.stagingUsed, len, 'latin1');
    this.queued += len;
  }

  /** Takes everything queued, in order, for one write. The buffer is empty afterwards. */
  take(): Buffer[] {
    this.sealStaging();
    const out = this.pieces;
    this.pieces = [];
    this.queued = 0;
    return out;
  }

  /**
   * Called by the transport after the write of the pieces returned by take(): when the socket
   * copied or sent everything synchronously, the staging buffer can be rewound and reused.
   */
  afterWrite(socketQueueEmpty: boolean): void {
    if (socketQueueEmpty && this.pieces.length === 0) {
      this.stagingUsed = 0;
      this.stagingSealed = 0;
    } else if (this.stagingUsed > this.staging.length / 2) {
      this.newStaging();
    }
  }

  /** Drops everything queued (the connection is being closed). */
  discard(): void {
    this.pieces = [];
    this.queued = 0;
    this.stagingSealed = this.stagingUsed;
  }

  private sealStaging(): void {
    if (this.stagingUsed > this.stagingSealed) {
      this.pieces.push(this.staging.subarray(this.stagingSealed, this.stagingUsed));
      this.stagingSealed = this.stagingUsed;
    }
  }

  /**
   * If `len` bytes do not fit the staging buffer, seals it and starts a fresh one (the old one
   * belongs to its pieces). False when they do not fit even a fresh one.
   */
  private makeRoomFor(len: number): boolean {
    if (len > this.staging.length - this.stagingUsed) {
      this.sealStaging();
      this.newStaging();
    }
    return len <= this.staging.length - this.stagingUsed;
  }

  private newStaging(): void {
    this.staging = Buffer.allocUnsafe(STAGING_BYTES);
    this.stagingView = new DataView(this.staging.buffer, this.staging.byteOffset, STAGING_BYTES);
    this.stagingUsed = 0;
    this.stagingSealed = 0;
  }
}
