/**
 * Every connected client, and the once-per-turn flush of their output (main thread).
 *
 * Anything that queues output marks the client dirty; one setImmediate per event-loop turn writes
 * each dirty client once (STYLE example 6, Redis handleClientsWithPendingWrites). The flush is also
 * where the pub/sub output-buffer limits are enforced, after the write, on what the peer has not
 * taken: a subscriber over the hard limit, or over the soft limit for longer than its seconds, is
 * disconnected and counted, never buffered without bound. (The router caps what one turn appends,
 * so a turn's output is bounded too.)
 */
import type { Config } from '../config.js';
import { Client, type Transport } from './client.js';

export interface ServerStats {
  totalConnectionsReceived: number;
  rejectedConnections: number;
  outputLimitDisconnections: number;
  queryLimitDisconnections: number;
  totalCommandsProcessed: number;
  startedMs: number;
}

export class ClientRegistry {
  readonly byId = new Map<number, Client>();
  readonly stats: ServerStats = {
    totalConnectionsReceived: 0,
    rejectedConnections: 0,
    outputLimitDisconnections: 0,
    queryLimitDisconnections: 0,
    totalCommandsProcessed: 0,
    startedMs: Date.now(),
  };
  private nextId = 1;
  private dirty: Client[] = [];
  private flushScheduled = false;
  /** Run at the start of every flush: the router polls the result rings once per turn here. */
  beforeFlush: () => void = () => {};
  /**
   * Asked after the poll, before any socket write: true keeps this turn's output buffered (the
   * append-only log under appendfsync always, until the writes it may reveal are on disk).
   * Whoever holds calls scheduleFlush() when the hold ends.
   */
  holdReplies: () => boolean = () => false;
  /** Called when a client is gone for good (drop its subscriptions). */
  onClosed: (c: Client) => void = () => {};

  constructor(private readonly config: Config) {}

  get size(): number {
    return this.byId.size;
  }

  create(transport: Transport): Client {
    const c = new Client(this.nextId++, transport);
    this.byId.set(c.id, c);
    this.stats.totalConnectionsReceived++;
    return c;
  }

  /** Queues the client for this turn's flush. */
  markDirty(c: Client): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
    }
    this.scheduleFlush();
  }

  scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Closes a client now: output dropped, transport destroyed, subscriptions released. */
  close(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    c.out.discard();
    c.transport.destroy();
    this.forget(c);
  }

  /** The transport reported the connection gone (peer closed, error, or after end()). */
  forget(c: Client): void {
    c.closed = true;
    if (this.byId.delete(c.id)) this.onClosed(c);
  }

  /** Disconnects a subscriber over its output limit, as Redis does: no error, just closed. */
  dropForOutputLimit(c: Client): void {
    if (c.closed) return;
    this.stats.outputLimitDisconnections++;
    c.closed = true;
    c.out.discard();
    c.transport.closeForOutputLimit();
    console.warn(
      `ringcast: client id=${c.id} addr=${c.transport.remoteAddress} sub=${c.channels.size} psub=${c.patterns.size} ` +
        `ssub=${c.shardChannels.size} omem=${c.transport.pendingBytes()} closed for overcoming of output buffer limits.`,
    );
    this.forget(c);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.beforeFlush();
    if (this.holdReplies()) return;
    const list = this.dirty;
    this.dirty = [];
    const now = Date.now();
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      c.dirty = false;
      if (c.closed) continue;
      if (!c.out.isEmpty) c.transport.flush(c.out);
      // Measured after the write: what the peer has not taken is what the limit bounds.
      if (c.inPubSub && this.outputLimitExceeded(c, now)) {
        this.dropForOutputLimit(c);
        continue;
      }
      if (c.closeAfterFlush) {
        c.closed = true;
        c.transport.end();
      }
    }
  };

  /** Redis's client-output-buffer-limit for the pubsub class (checkClientOutputBufferLimits). */
  private outputLimitExceeded(c: Client, nowMs: number): boolean {
    const { pubsubHardLimitBytes: hard, pubsubSoftLimitBytes: soft, pubsubSoftLimitSeconds: seconds } = this.config;
    const used = c.outputBytes;
    if (hard > 0 && used >= hard) return true;
    if (soft > 0 && used >= soft) {
      if (c.softLimitSinceMs === 0) {
        c.softLimitSinceMs = nowMs;
        return false;
      }
      return nowMs - c.softLimitSinceMs > seconds * 1000;
    }
    c.softLimitSinceMs = 0;
    return false;
  }
}
