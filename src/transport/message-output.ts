/**
 * Output for WebSocket json/msgpack connections (main thread): every reply and every pub/sub frame
 * is its own WebSocket message.
 *
 * Replies arrive as RESP3 bytes through the inherited byte-stream methods (command handlers do not
 * know the transport); pub/sub frames arrive whole through appendMessage, already encoded by a
 * partition worker and shared by every recipient. The order between the two is kept by sealing the
 * reply bytes written so far each time a frame arrives. take() is not used: the transport reads
 * takeEntries() and converts reply bytes per message (src/protocol/resp-values.ts).
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
  }

  private sealReplies(): void {
    if (this.queued === 0) return;
    const bytes = Buffer.concat(this.take());
    this.afterWrite(true);
    this.entries.push({ isFrame: false, bytes });
    this.entryBytes += bytes.length;
  }
}
