/**
 * Output for WebSocket json/msgpack connections (main thread): every reply and every pub/sub frame
 * is its own WebSocket message.
 *
 * Replies arrive as RESP3 bytes through the inherited byte-stream methods (command handlers do not
 * know the transport); pub/sub frames arrive whole through appendMessage, already encoded by a
 * partition worker and shared by every recipient. The order between the two is kept by sealing the
 * reply bytes written so far each time a frame arrives. take() is not used: the transport reads
 * takeEntries() and converts reply bytes per message (src/protocol/resp-values.ts).
 *
 * Only whole replies are sealed: an EXEC's `*N` and first replies can be written before a PUBLISH
 * count inside it comes back from a partition, and half a reply cannot become a message. The
 * unfinished tail waits for the rest. No frame arrives meanwhile: the router orders other clients'
 * frames behind the EXEC, and holds the transaction's own (a client subscribed to what it publishes
 * inside MULTI) until the whole EXEC reply is written, as Redis 7.2+ does.
 */
import { OutputBuffer } from './output-buffer.js';

/** A run of RESP3 reply bytes (one or more whole replies), or one complete pub/sub frame. */
export interface OutputEntry {
  isFrame: boolean;
  bytes: Buffer;
}

export class MessageOutputBuffer extends OutputBuffer {
  private entries: OutputEntry[] = [];
  private entryBytes = 0;
  /** Reply bytes that do not end a reply yet (an EXEC waiting for a PUBLISH count from a partition). */
  private partial: Buffer | null = null;

  override get messageOriented(): boolean {
    return true;
  }

  override get queuedBytes(): number {
    return this.queued + this.entryBytes;
  }

  override get isEmpty(): boolean {
    return this.queued === 0 && this.entries.length === 0;
  }

  override appendMessage(frame: Buffer): void {
    this.sealReplies();
    this.entries.push({ isFrame: true, bytes: frame });
    this.entryBytes += frame.length;
  }

  /** Everything queued, in order; the buffer is empty afterwards. */
  takeEntries(): OutputEntry[] {
    this.sealReplies();
    const out = this.entries;
    this.entries = [];
    this.entryBytes = 0;
    return out;
  }

  override discard(): void {
    super.discard();
    this.entries = [];
    this.entryBytes = 0;
    this.partial = null;
  }

  private sealReplies(): void {
    if (this.queued === 0) return;
    const pieces = this.take();
    const bytes = Buffer.concat(this.partial === null ? pieces : [this.partial, ...pieces]);
    this.afterWrite(true);
    const whole = wholeRepliesLength(bytes);
    this.partial = whole < bytes.length ? bytes.subarray(whole) : null;
    if (whole === 0) return;
    this.entries.push({ isFrame: false, bytes: bytes.subarray(0, whole) });
    this.entryBytes += whole;
  }
}

/** Bytes of the longest prefix of `buf` made of whole RESP3 replies. */
function wholeRepliesLength(buf: Buffer): number {
  let end = 0;
  for (;;) {
    const next = replyEnd(buf, end);
    if (next < 0) return end;
    end = next;
  }
}

/** Where the reply starting at `pos` ends, or -1 when `buf` does not hold all of it. */
function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const lineEnd = buf.indexOf(13, pos + 1);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return -1;
  const type = buf[pos];
  const n = Number(buf.toString('latin1', pos + 1, lineEnd));
  let next = lineEnd + 2;
  switch (type) {
    case 0x24: case 0x3d: case 0x21: // $ = !
      if (n < 0) return next;
      return next + n + 2 <= buf.length ? next + n + 2 : -1;
    case 0x2a: case 0x7e: case 0x3e: case 0x25: { // * ~ > %
      const items = type === 0x25 ? 2 * n : n;
      for (let i = 0; i < items && next >= 0; i++) next = replyEnd(buf, next);
      return next;
    }
    default:
      return next;
  }
}
