/**
 * ringcast/client: the typed client for ringcast's WebSocket endpoint (`ws://host:http-port/ws`,
 * subprotocol `json` or `msgpack`), for browsers and for Node. Runs on the caller's thread: the
 * page's main thread, or any Node thread. It needs only a WebSocket constructor (the global one in
 * browsers, the `WebSocket` option in Node 20, e.g. the `ws` package), TextDecoder, atob/btoa and
 * timers; no DOM or Node types.
 *
 * Invariants:
 * - Replies are matched to commands by order. `inFlight` is the FIFO of commands sent on the
 *   current socket; each expects a known number of reply frames: one, or for the subscribe family
 *   one confirmation per name (for an argument-less unsubscribe, one per name held, at least one).
 *   An array whose first element is "message", "pmessage" or "smessage" is a push and never
 *   consumes a reply.
 * - `channels`, `patterns` and `shardChannels` mirror what the server holds for this connection in
 *   command order: they change when a (un)subscribe is *sent*, so the reply count of an
 *   argument-less unsubscribe and the set re-subscribed after a reconnect are both exact.
 * - Every string the server sends is handed out as a JS string when it is valid UTF-8 and as a
 *   Uint8Array when it is not, on both subprotocols (json sends the latter as {"base64":...};
 *   msgpack sends payloads as binary, which is decoded here when it is UTF-8).
 * - msgpackr is imported (dynamically) only when the msgpack subprotocol is chosen, so the json
 *   path, which the chat page uses, loads this one file and nothing else: no bundler needed.
 */

/** A channel name, pattern or payload: a string when valid UTF-8, bytes otherwise. */
export type Payload = string | Uint8Array;

/** A command argument; numbers are sent as their decimal text. */
export type CommandArg = string | number | Uint8Array;

export type SubprotocolName = 'json' | 'msgpack';

export interface RingcastMessage {
  kind: 'message' | 'pmessage' | 'smessage';
  /** The pattern that matched (pmessage only). */
  pattern?: Payload;
  channel: Payload;
  message: Payload;
}

export interface ReconnectOptions {
  /** Delay before the first retry; doubles per failed attempt. */
  initialDelayMs: number;
  /** Ceiling for the doubled delay. Each actual delay is drawn from [delay/2, delay] (jitter). */
  maxDelayMs: number;
}

/** The part of the WebSocket API this client uses (browsers' WebSocket and `ws` both fit). */
export interface MinimalWebSocket {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => MinimalWebSocket;

export interface RingcastClientOptions {
  /** Subprotocol; default 'json'. */
  protocol?: SubprotocolName;
  /** WebSocket implementation; default globalThis.WebSocket (required in Node 20: pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect with exponential backoff and jitter (the default), or false to stay closed. */
  reconnect?: ReconnectOptions | false;
}

export interface DisconnectInfo {
  /** The WebSocket close code: 1000 server shutdown, 1008 too slow a reader, 1009 frame too big, ... */
  code: number;
  reason: string;
}

export interface RingcastEvents {
  message: (channel: Payload, message: Payload) => void;
  pmessage: (pattern: Payload, channel: Payload, message: Payload) => void;
  smessage: (channel: Payload, message: Payload) => void;
  /** The first connection is open (and anything subscribed before it is confirmed). */
  connect: () => void;
  /** An open connection was lost; a reconnect follows unless `reconnect: false`. */
  disconnect: (info: DisconnectInfo) => void;
  /** A new connection is open and every channel and pattern held before is subscribed again. */
  reconnect: () => void;
  /** Something the caller cannot see otherwise: a frame that is not in the protocol, a refused re-subscribe. */
  error: (err: Error) => void;
}

/** An error reply from the server; `message` is its text, e.g. "ERR unknown command 'FOO'...". */
export class ReplyError extends Error {
  override readonly name = 'ReplyError';
}

/** The connection dropped after the command was sent: it may or may not have run. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
}

/** close() was called before the command completed (or the command was issued after it). */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
}

const DEFAULT_RECONNECT: ReconnectOptions = { initialDelayMs: 100, maxDelayMs: 5_000 };
const NORMAL_CLOSURE = 1000;
// Any larger exponent already exceeds every sane maxDelayMs; it only keeps 2 ** n finite.
const MAX_BACKOFF_EXPONENT = 30;

// ---------------------------------------------------------------------------------------------
// Frame codecs
// ---------------------------------------------------------------------------------------------

/** Turns command arguments into one frame, and one received frame into a value. */
interface FrameCodec {
  encode(args: readonly CommandArg[]): string | Uint8Array;
  /** The frame's value: strings or Uint8Array (non-UTF-8), numbers, null, arrays, objects; ReplyError for errors. */
  decode(data: unknown): unknown;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as a string when they are valid UTF-8, else the bytes themselves. */
function bytesToPayload(bytes: Uint8Array): Payload {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes;
  }
}

// btoa/atob work on "binary strings" (one char per byte); chunks keep the spread below the engine's
// argument limit.
const BASE64_CHUNK_BYTES = 0x8000;

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += BASE64_CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(i, i + BASE64_CHUNK_BYTES));
  }
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Rewrites a decoded frame in place into the client's value model: {"error"} objects become
 * ReplyError, {"base64"} objects and (msgpack) binaries become Payloads, RESP3 maps stay objects.
 * An object with exactly one key named "error" or "base64" is read as the wrapper; that is the
 * protocol's rule, so a map reply of that one shape cannot be told apart.
 */
function normalise(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return bytesToPayload(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normalise(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    const only = record[keys[0]!];
    if (keys[0] === 'error' && typeof only === 'string') return new ReplyError(only);
    // Sent only for strings that are not UTF-8: no need to try decoding them.
    if (keys[0] === 'base64' && typeof only === 'string') return base64ToBytes(only);
  }
  for (const key of keys) record[key] = normalise(record[key]);
  return record;
}

const jsonCodec: FrameCodec = {
  encode(args) {
    const wire: (string | { base64: string })[] = new Array(args.length);
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      wire[i] = typeof arg === 'string' ? arg : typeof arg === 'number' ? String(arg) : { base64: bytesToBase64(arg) };
    }
    return JSON.stringify(wire);
  },
  decode(data) {
    if (typeof data !== 'string') throw new Error('ringcast client: a binary frame on a json connection');
    return normalise(JSON.parse(data));
  },
};

/** Loaded on first use so that json clients (browsers without a bundler) never import msgpackr. */
async function loadMsgpackCodec(): Promise<FrameCodec> {
  const { Packr, Unpackr } = await import('msgpackr');
  const packr = new Packr({ useRecords: false });
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
  return {
    encode(args) {
      const wire: (string | Uint8Array)[] = new Array(args.length);
      for (let i = 0; i < args.length; i++) {
        const arg = args[i]!;
        wire[i] = typeof arg === 'number' ? String(arg) : arg;
      }
      // pack() returns a view of a slab it reuses: copy before the socket may keep it.
      return packr.pack(wire).slice();
    },
    decode(data) {
      if (!(data instanceof ArrayBuffer)) throw new Error('ringcast client: a text frame on a msgpack connection');
      return normalise(unpackr.unpack(new Uint8Array(data)));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Commands and their replies
// ---------------------------------------------------------------------------------------------

interface Command {
  args: readonly CommandArg[];
  /** Reply frames still expected; set when the command is sent. */
  framesLeft: number;
  /** Subscribe family: resolves with undefined after the last confirmation; others with the reply. */
  isSubscription: boolean;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** A FIFO that does not shift the array per dequeue (a pipeline of 10k commands stays O(n)). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return all;
  }
}

/** A held subscription set, keyed so that a name given as UTF-8 bytes and as a string is one name. */
class NameSet {
  private readonly names = new Map<string, Payload>();

  get size(): number {
    return this.names.size;
  }

  add(name: CommandArg): void {
    const payload = toPayload(name);
    this.names.set(nameKey(payload), payload);
  }

  delete(name: CommandArg): void {
    this.names.delete(nameKey(toPayload(name)));
  }

  clear(): void {
    this.names.clear();
  }

  values(): Payload[] {
    return [...this.names.values()];
  }
}

function toPayload(arg: CommandArg): Payload {
  if (typeof arg === 'number') return String(arg);
  return typeof arg === 'string' ? arg : bytesToPayload(arg);
}

function nameKey(name: Payload): string {
  return typeof name === 'string' ? `s${name}` : `b${bytesToBase64(name)}`;
}

// ---------------------------------------------------------------------------------------------
// Message iterators
// ---------------------------------------------------------------------------------------------

/** The async iterator behind messages(): buffers what arrives until the consumer asks for it. */
class MessageStream implements AsyncIterableIterator<RingcastMessage> {
  private readonly buffered = new Fifo<RingcastMessage>();
  private waiter: ((result: IteratorResult<RingcastMessage>) => void) | null = null;
  private ended = false;

  constructor(private readonly onReturn: (stream: MessageStream) => void) {}

  offer(message: RingcastMessage): void {
    if (this.waiter !== null) {
      const wake = this.waiter;
      this.waiter = null;
      wake({ value: message, done: false });
    } else {
      this.buffered.push(message);
    }
  }

  end(): void {
    this.ended = true;
    if (this.waiter !== null) {
      const wake = this.waiter;
      this.waiter = null;
      wake({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<RingcastMessage>> {
    const message = this.buffered.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<RingcastMessage>> {
    this.onReturn(this);
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RingcastMessage> {
    return this;
  }
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

type ConnectionState = 'connecting' | 'resubscribing' | 'open' | 'backing-off' | 'closed';

export class RingcastClient {
  private readonly url: string;
  private readonly protocol: SubprotocolName;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly reconnectOptions: ReconnectOptions | false;

  private state: ConnectionState = 'connecting';
  private socket: MinimalWebSocket | null = null;
  private codec: FrameCodec | null = null;
  /** Bumped per socket, so callbacks of a socket that is gone do nothing. */
  private generation = 0;
  private failedAttempts = 0;
  private hasConnected = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private closedPromise: Promise<void> | null = null;

  private readonly inFlight = new Fifo<Command>();
  /** Commands issued while no socket was open; sent, in order, once one is. */
  private readonly offline = new Fifo<Command>();
  /** (Un)subscribe commands cut off by a disconnect: the re-subscribe after reconnecting completes them. */
  private interruptedSubscriptions: Command[] = [];
  private resubscribesLeft = 0;
  private connectedWaiters: { resolve(): void; reject(err: Error): void }[] = [];

  private readonly channels = new NameSet();
  private readonly patterns = new NameSet();
  private readonly shardChannels = new NameSet();

  private readonly listeners: { [E in keyof RingcastEvents]: RingcastEvents[E][] } = {
    message: [], pmessage: [], smessage: [], connect: [], disconnect: [], reconnect: [], error: [],
  };
  private readonly streams = new Set<MessageStream>();

  constructor(url: string, options: RingcastClientOptions = {}) {
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketImpl === undefined) {
      throw new TypeError('RingcastClient: no global WebSocket here (Node 20); pass one, e.g. { WebSocket } from "ws"');
    }
    const protocol = options.protocol ?? 'json';
    if (protocol !== 'json' && protocol !== 'msgpack') {
      throw new TypeError(`RingcastClient: protocol must be 'json' or 'msgpack', not '${String(protocol)}'`);
    }
    this.url = url;
    this.protocol = protocol;
    this.WebSocketImpl = WebSocketImpl;
    this.reconnectOptions = options.reconnect === undefined ? DEFAULT_RECONNECT : options.reconnect;
    void this.openSocket();
  }

  /** True while a socket is open and every held subscription is confirmed on it. */
  get isConnected(): boolean {
    return this.state === 'open';
  }

  /**
   * Resolves once connected (now, if already). While disconnected it waits for the next successful
   * reconnect; rejects after close(), or when the connection fails with `reconnect: false`.
   */
  connected(): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new ClientClosedError('RingcastClient: closed'));
    return new Promise((resolve, reject) => this.connectedWaiters.push({ resolve, reject }));
  }

  /**
   * Sends any command and resolves with its reply (rejects with ReplyError on an error reply).
   * Issued while disconnected, it waits for the connection. In flight when the connection drops,
   * it rejects with ConnectionLostError (it may or may not have run), except the subscribe family,
   * whose effect the reconnect restores and which then resolves.
   */
  command(...args: CommandArg[]): Promise<unknown> {
    return this.issue(args, false);
  }

  /** PUBLISH: resolves with the number of subscribers (channel and pattern) that received it. */
  async publish(channel: CommandArg, message: CommandArg): Promise<number> {
    return (await this.issue(['PUBLISH', channel, message], false)) as number;
  }

  /** Resolves when every channel's confirmation has arrived. */
  subscribe(...channels: CommandArg[]): Promise<void> {
    return this.issue(['SUBSCRIBE', ...channels], true) as Promise<void>;
  }

  psubscribe(...patterns: CommandArg[]): Promise<void> {
    return this.issue(['PSUBSCRIBE', ...patterns], true) as Promise<void>;
  }

  /** With no names: every channel held. */
  unsubscribe(...channels: CommandArg[]): Promise<void> {
    return this.issue(['UNSUBSCRIBE', ...channels], true) as Promise<void>;
  }

  /** With no patterns: every pattern held. */
  punsubscribe(...patterns: CommandArg[]): Promise<void> {
    return this.issue(['PUNSUBSCRIBE', ...patterns], true) as Promise<void>;
  }

  on<E extends keyof RingcastEvents>(event: E, listener: RingcastEvents[E]): this {
    this.listeners[event].push(listener);
    return this;
  }

  off<E extends keyof RingcastEvents>(event: E, listener: RingcastEvents[E]): this {
    const list = this.listeners[event];
    const index = list.indexOf(listener);
    if (index >= 0) list.splice(index, 1);
    return this;
  }

  /**
   * Every message, pmessage and smessage from now on, in arrival order, until close() or until the
   * loop breaks. Messages wait in memory until consumed: keep consuming, or break out.
   */
  messages(): AsyncIterableIterator<RingcastMessage> {
    const stream = new MessageStream((ended) => this.streams.delete(ended));
    if (this.state === 'closed') stream.end();
    else this.streams.add(stream);
    return stream;
  }

  /**
   * Closes for good: no reconnect, pending commands reject with ClientClosedError, iterators end.
   * Resolves once the socket has closed.
   */
  close(): Promise<void> {
    if (this.closedPromise !== null) return this.closedPromise;
    const socket = this.socket;
    this.closedPromise = socket === null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
        socket.onclose = () => resolve();
      });
    socket?.close(NORMAL_CLOSURE, 'client closed');
    this.shutDown(new ClientClosedError('RingcastClient: closed'));
    return this.closedPromise;
  }

  // --- commands ------------------------------------------------------------------------------

  private issue(args: CommandArg[], isSubscription: boolean): Promise<unknown> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError('RingcastClient: closed'));
    return new Promise((resolve, reject) => {
      const command: Command = { args, framesLeft: 1, isSubscription, resolve, reject };
      if (this.state === 'open' || this.state === 'resubscribing') this.send(command);
      else this.offline.push(command);
    });
  }

  /** Encodes and writes `command` on the open socket, and books the replies it will get. */
  private send(command: Command): void {
    let frame: string | Uint8Array;
    try {
      frame = this.codec!.encode(command.args);
    } catch (err) {
      command.reject(err as Error);
      return;
    }
    command.framesLeft = this.trackSubscriptions(command);
    this.inFlight.push(command);
    this.socket!.send(frame);
  }

  /**
   * Applies a subscribe-family command (or RESET) to the held sets and returns how many reply
   * frames it will get. Also marks the command as a subscription when issued through command().
   */
  private trackSubscriptions(command: Command): number {
    const { args } = command;
    const name = typeof args[0] === 'string' ? args[0].toUpperCase() : '';
    switch (name) {
      case 'SUBSCRIBE': return this.hold(this.channels, command);
      case 'PSUBSCRIBE': return this.hold(this.patterns, command);
      case 'SSUBSCRIBE': return this.hold(this.shardChannels, command);
      case 'UNSUBSCRIBE': return this.release(this.channels, command);
      case 'PUNSUBSCRIBE': return this.release(this.patterns, command);
      case 'SUNSUBSCRIBE': return this.release(this.shardChannels, command);
      case 'RESET':
        this.channels.clear();
        this.patterns.clear();
        this.shardChannels.clear();
        return 1;
      default:
        return 1;
    }
  }

  private hold(set: NameSet, command: Command): number {
    command.isSubscription = true;
    for (let i = 1; i < command.args.length; i++) set.add(command.args[i]!);
    // No names: an arity error, one frame.
    return Math.max(1, command.args.length - 1);
  }

  private release(set: NameSet, command: Command): number {
    command.isSubscription = true;
    if (command.args.length === 1) {
      // One confirmation per name held, or a single one (null name) when none is.
      const heldCount = set.size;
      set.clear();
      return Math.max(1, heldCount);
    }
    for (let i = 1; i < command.args.length; i++) set.delete(command.args[i]!);
    return command.args.length - 1;
  }

  // --- frames --------------------------------------------------------------------------------

  private onFrame(data: unknown): void {
    let value: unknown;
    try {
      value = this.codec!.decode(data);
    } catch (err) {
      this.emitError(new Error(`RingcastClient: unreadable frame: ${(err as Error).message}`));
      return;
    }
    if (Array.isArray(value) && this.deliverPush(value)) return;
    const command = this.inFlight.peek();
    if (command === undefined) {
      this.emitError(new Error(`RingcastClient: a reply with no command waiting for it: ${describe(value)}`));
      return;
    }
    if (value instanceof ReplyError) {
      // An error is the whole reply, even for a command that expected several confirmations.
      this.inFlight.shift();
      command.reject(value);
      return;
    }
    if (--command.framesLeft > 0) return;
    this.inFlight.shift();
    command.resolve(command.isSubscription ? undefined : value);
  }

  /** Delivers `frame` when it is a message push; false when it is a reply. */
  private deliverPush(frame: unknown[]): boolean {
    const kind = frame[0];
    if (kind === 'message' && frame.length === 3) {
      const channel = frame[1] as Payload;
      const message = frame[2] as Payload;
      for (const listener of this.listeners.message) listener(channel, message);
      if (this.streams.size > 0) this.offerToStreams({ kind, channel, message });
      return true;
    }
    if (kind === 'pmessage' && frame.length === 4) {
      const pattern = frame[1] as Payload;
      const channel = frame[2] as Payload;
      const message = frame[3] as Payload;
      for (const listener of this.listeners.pmessage) listener(pattern, channel, message);
      if (this.streams.size > 0) this.offerToStreams({ kind, pattern, channel, message });
      return true;
    }
    if (kind === 'smessage' && frame.length === 3) {
      const channel = frame[1] as Payload;
      const message = frame[2] as Payload;
      for (const listener of this.listeners.smessage) listener(channel, message);
      if (this.streams.size > 0) this.offerToStreams({ kind, channel, message });
      return true;
    }
    return false;
  }

  private offerToStreams(message: RingcastMessage): void {
    for (const stream of this.streams) stream.offer(message);
  }

  // --- connection lifecycle ------------------------------------------------------------------

  private async openSocket(): Promise<void> {
    const generation = ++this.generation;
    this.state = 'connecting';
    try {
      this.codec ??= this.protocol === 'json' ? jsonCodec : await loadMsgpackCodec();
    } catch (err) {
      this.emitError(new Error(`RingcastClient: cannot load msgpackr: ${(err as Error).message}`));
      this.shutDown(err as Error);
      return;
    }
    // close() (which bumps the generation) may have run while msgpackr was loading.
    if (generation !== this.generation) return;
    let socket: MinimalWebSocket;
    try {
      socket = new this.WebSocketImpl(this.url, this.protocol);
    } catch (err) {
      // A malformed URL: retrying cannot help.
      this.shutDown(err as Error);
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      if (generation === this.generation) this.onOpen(generation);
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (generation === this.generation) this.onFrame(event.data);
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      if (generation === this.generation) this.onClose(event.code, event.reason);
    };
    // Every error is followed by a close event, which does the work.
    socket.onerror = () => {};
  }

  /** Re-subscribes everything held, then sends what was issued while offline (in that order). */
  private onOpen(generation: number): void {
    this.failedAttempts = 0;
    this.state = 'resubscribing';
    const held: [string, NameSet][] = [['SUBSCRIBE', this.channels], ['PSUBSCRIBE', this.patterns], ['SSUBSCRIBE', this.shardChannels]];
    const done = (): void => this.onResubscribed(generation);
    for (const [verb, set] of held) {
      if (set.size === 0) continue;
      this.resubscribesLeft++;
      this.send({
        args: [verb, ...set.values()],
        framesLeft: 1,
        isSubscription: true,
        resolve: done,
        reject: (err) => {
          this.emitError(new Error(`RingcastClient: re-subscribing after a reconnect failed: ${err.message}`));
          done();
        },
      });
    }
    for (let command = this.offline.shift(); command !== undefined; command = this.offline.shift()) this.send(command);
    if (this.resubscribesLeft === 0) this.finishConnecting();
  }

  private onResubscribed(generation: number): void {
    if (generation !== this.generation) return;
    if (--this.resubscribesLeft === 0) this.finishConnecting();
  }

  private finishConnecting(): void {
    this.state = 'open';
    const interrupted = this.interruptedSubscriptions;
    this.interruptedSubscriptions = [];
    for (const command of interrupted) command.resolve(undefined);
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const waiter of waiters) waiter.resolve();
    if (this.hasConnected) {
      for (const listener of this.listeners.reconnect) listener();
    } else {
      this.hasConnected = true;
      for (const listener of this.listeners.connect) listener();
    }
  }

  private onClose(code: number, reason: string): void {
    const wasOpen = this.state === 'open' || this.state === 'resubscribing';
    this.socket = null;
    this.resubscribesLeft = 0;
    for (const command of this.inFlight.drain()) {
      if (command.isSubscription) this.interruptedSubscriptions.push(command);
      else command.reject(new ConnectionLostError(`RingcastClient: connection lost (close code ${code}) before the reply`));
    }
    if (wasOpen) {
      for (const listener of this.listeners.disconnect) listener({ code, reason });
    }
    if (this.state === 'closed') return;
    if (this.reconnectOptions === false) {
      this.shutDown(new ConnectionLostError(`RingcastClient: connection closed (code ${code}) and reconnect is off`));
      return;
    }
    this.scheduleReconnect(this.reconnectOptions);
  }

  /** Exponential backoff with jitter: attempt n waits a random time in [d/2, d], d = min(max, initial * 2^n). */
  private scheduleReconnect(options: ReconnectOptions): void {
    this.state = 'backing-off';
    const exponent = Math.min(this.failedAttempts++, MAX_BACKOFF_EXPONENT);
    const ceilingMs = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
    const delayMs = ceilingMs / 2 + Math.random() * (ceilingMs / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.openSocket();
    }, delayMs);
  }

  /** Final state: everything waiting fails with `reason`, iterators end, no more reconnects. */
  private shutDown(reason: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.generation++;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const failed = [...this.inFlight.drain(), ...this.offline.drain(), ...this.interruptedSubscriptions];
    this.interruptedSubscriptions = [];
    for (const command of failed) command.reject(reason);
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const waiter of waiters) waiter.reject(reason);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private emitError(err: Error): void {
    for (const listener of this.listeners.error) listener(err);
  }
}

/** A short printable form of a decoded frame, for error messages. */
function describe(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
