/**
 * A client connection's state, independent of its transport (main thread).
 *
 * What Redis keeps in `struct client` that pub/sub needs: id, name, protocol version, the three
 * subscription sets (channels, patterns, shard channels: the main thread's copy, used for the counts
 * in replies and to unsubscribe everything on close), the output buffer and its limit bookkeeping.
 * The bytes themselves move through a Transport (TCP socket now, WebSocket next).
 */
import { OutputBuffer } from './output-buffer.js';
import type { ReplyTarget } from '../protocol/reply.js';
import type { QueuedCommand } from '../commands/transactions.js';
import { ENC_RESP2, ENC_RESP3 } from '../shm/records.js';

/** What a transport provides to the broker. */
export interface Transport {
  /** Writes everything queued in `out`, in order, as one write where the transport can. */
  flush(out: OutputBuffer): void;
  /** Bytes accepted by write() but not yet sent to the peer (counted against output limits). */
  pendingBytes(): number;
  /** Stops / restarts reading from the peer (backpressure). */
  pause(): void;
  resume(): void;
  /** Closes after what was written is sent. */
  end(): void;
  /** Closes now, dropping what was not sent. */
  destroy(): void;
  /** Closes a subscriber over its output buffer limit (TCP: silently, as Redis; WebSocket: 1008). */
  closeForOutputLimit(): void;
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** Transport name for CLIENT LIST / INFO ("tcp", "ws"). */
  readonly kind: string;
}

export class Client implements ReplyTarget {
  name = '';
  libName = '';
  libVersion = '';
  /** 2 or 3 (HELLO). */
  resp = 2;
  db = 0;
  readonly createdMs = Date.now();
  lastInteractionMs = Date.now();
  lastCommand = 'NULL';
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  /** Where replies go; the router swaps in a scratch buffer while this client's output must wait. */
  out = new OutputBuffer();
  /** Queued in the flush list for this turn. */
  dirty = false;
  /**
   * QUIT, a protocol error or CLIENT KILL of itself: no more input is executed. The close itself
   * waits until every older output has been written (the router orders it like a reply).
   */
  quitting = false;
  /** The quit reached the head of the output order: close once the output is written. */
  closeAfterFlush = false;
  /** The close waits in the router's order queue. */
  closeQueued = false;
  /** Closed or being closed: no more input is executed and no more output is queued. */
  closed = false;
  monitor = false;
  /** Paused because a partition ring was full (resumed when there is room). */
  pausedForRing = false;
  /** When the output first went over the soft limit (0: under it). */
  softLimitSinceMs = 0;
  /**
   * Set for WebSocket json/msgpack connections: their frame encoding, and their replies are RESP3
   * internally (converted per message by the transport) whatever HELLO says.
   */
  wireEncoding = -1;
  /** CLIENT REPLY: replies dropped for the running command (OFF, or the command after SKIP). */
  muted = false;
  replyOff = false;
  skipNextReply = false;
  /**
   * Where pub/sub pushes (subscribe confirmations) are written: the same output, never muted
   * (Redis 7.0.10+ does not suppress them under CLIENT REPLY OFF/SKIP).
   */
  readonly pushes: ReplyTarget;
  /** MULTI: the queued commands, or null outside a transaction. */
  multi: QueuedCommand[] | null = null;
  /** A command failed to queue (unknown, arity): EXEC answers EXECABORT. */
  multiError = false;
  /** WATCHed keys ("db\0key") and whether one of them changed. */
  readonly watchedKeys = new Set<string>();
  watchDirty = false;
  /** Called when input may be read again after a backpressure pause (set by the transport). */
  resumeInput: () => void = () => {};

  constructor(
    readonly id: number,
    readonly transport: Transport,
  ) {
    const client = this;
    this.pushes = {
      get out() { return client.out; },
      get resp() { return client.resp; },
    };
  }

  /** The frame encoding partition workers use for this client's messages. */
  get encoding(): number {
    if (this.wireEncoding >= 0) return this.wireEncoding;
    return this.resp === 3 ? ENC_RESP3 : ENC_RESP2;
  }

  /** The count in subscribe/unsubscribe replies: channels + patterns. */
  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** In pub/sub mode: any subscription at all (Redis's CLIENT_PUBSUB flag). */
  get inPubSub(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }

  /** Output queued here and in the transport: what the output buffer limits measure. */
  get outputBytes(): number {
    return this.out.queuedBytes + this.transport.pendingBytes();
  }
}
