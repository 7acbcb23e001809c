/**
 * A generator process (started by coordinator.ts with child_process.fork; never inside a broker).
 * It hosts the publisher and subscriber connections its plan names, speaks raw RESP over them,
 * and reports counters, latencies and integrity over the IPC channel (ipc.ts has the protocol).
 *
 * Publishers: each connection keeps at most `window` PUBLISHes unanswered; each batch is built in
 * a per-connection slab and written with one socket.write, stamped with one clock read. Paced
 * runs release PUBLISHes from a 1 ms timer (node timers do not go finer; 10,000/s is 10 per tick).
 * In recipe mode the unit is a transaction (MULTI, LPUSH, LTRIM, PUBLISH, EXEC: five replies, the
 * last one EXEC's array whose third element is the PUBLISH count).
 * Subscribers: each socket chunk gets one clock read; every message in it is checked for its
 * channel, stream and sequence (integrity.ts) and, inside the measurement window, its latency
 * (receive time of the chunk - send time in the payload) goes into the process's histogram.
 * WebSocket subscribers (`resp` subprotocol) unwrap frames first (ws-client.ts); the rest is the same.
 *
 * Invariants: nothing is allocated per message on either side (per batch and per chunk only);
 * a process whose coordinator goes away exits at once; a publisher connection closing is fatal,
 * a subscriber connection closing is counted (its messages then show up as lost).
 */
import net from 'node:net';
import { Bench } from 'tinybench';
import {
  FRAME_ARRAY, FRAME_ERROR, FRAME_INTEGER, FRAME_SIMPLE, RespReader, bytesEqual, parseInteger,
} from './resp-reader.js';
import { LatencyHistogram } from './histogram.js';
import { SequenceChecker, addIntegrityCounts, emptyIntegrityCounts } from './integrity.js';
import type {
  CoordinatorMessage, GeneratorMessage, PlanMessage, ProcessResult, ProgressCounters, RoundtripStats,
} from './ipc.js';
import { PROGRESS_INTERVAL_MS } from './ipc.js';
import { payloadTemplate, sharedClockOffsetUs, sharedClockUs, writePayloadHeader } from './payload.js';
import { BACKLOG_LENGTH, CHANNEL_PREFIX, backlogKey, channelName, nonMatchingPattern } from './scenarios.js';
import {
  OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, WS_SUBPROTOCOL, WsFrameDecoder, encodeClientFrame, openWebSocket, parseWsUrl,
} from './ws-client.js';

const CONNECTS_IN_FLIGHT = 128;
const PACE_TICK_MS = 1;
const PATTERNS_PER_COMMAND = 1000;
const MIN_SLAB_BYTES = 1 << 20;
const ROUNDTRIP_WARMUP_MS = 300;
const ROUNDTRIP_MIN_ITERATIONS = 100;
const ROUNDTRIP_TIMEOUT_MS = 5_000;
/** Replies per recipe transaction: +OK (MULTI), +QUEUED × 3, then EXEC's array. */
const RECIPE_REPLIES = 5;
const RESP_INTEGER = 0x3a;
const RESP_SIMPLE = 0x2b;
const RECIPE_TAIL = Buffer.from('\r\n*1\r\n$4\r\nEXEC\r\n');

const LF = 10;
const CR = 13;

function send(message: GeneratorMessage): void {
  process.send?.(message);
}

/** A command as RESP text: an array of bulk strings. */
function commandText(args: string[]): string {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return text;
}

/** Encodes a command as a RESP array of bulk strings (set-up commands only). */
function encodeCommand(args: string[]): Buffer {
  return Buffer.from(commandText(args));
}

function openSocket(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const onError = (err: Error): void => reject(new Error(`connect to ${host}:${port}: ${err.message}`));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Runs `task` for each item with at most `limit` running at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]);
  });
  await Promise.all(lanes);
}

/** The channel index in `bench:<index>`, or -1 when the bytes are not a generator channel. */
function parseChannelIndex(buf: Buffer, start: number, end: number): number {
  if (end - start <= CHANNEL_PREFIX.length) return -1;
  for (let i = 0; i < CHANNEL_PREFIX.length; i++) if (buf[start + i] !== CHANNEL_PREFIX.charCodeAt(i)) return -1;
  let n = 0;
  for (let i = start + CHANNEL_PREFIX.length; i < end; i++) {
    const digit = buf[i] - 0x30;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

class GeneratorProcess {
  readonly histogram = new LatencyHistogram();
  recording = false;
  /** Shared-clock time at which the chunk being parsed was read off its socket. */
  chunkReceiveUs = 0;
  published = 0;
  replies = 0;
  replySum = 0;
  delivered = 0;
  deliveredPayloadBytes = 0;
  publishErrors = 0;
  firstError: string | null = null;
  unexpectedFrames = 0;
  disconnects = 0;
  /** Set by `start`: nothing is published before every process is subscribed (a HELLO reply must not trigger a fill). */
  started = false;
  paused = false;
  stopping = false;
  maxScheduleLag = 0;
  /** Roundtrip mode: what the message in flight still waits for. */
  roundtripWait: { deliveries: number; reply: boolean; resolve: () => void } | null = null;

  readonly publishers: PublisherConnection[] = [];
  readonly subscribers: SubscriberConnection[] = [];
  private holder: net.Socket | null = null;
  readonly template: Buffer;
  /**
   * Per channel, the bytes before the (first) payload: `*3\r\n$7\r\nPUBLISH\r\n$<n>\r\n<channel>\r\n$<payload>\r\n`,
   * or in recipe mode MULTI and LPUSH up to its payload.
   */
  readonly commandPrefixes: Buffer[] = [];
  /** Recipe mode, per channel: from after LPUSH's payload to PUBLISH's payload (LTRIM in between). */
  readonly recipeMiddles: Buffer[] = [];
  readonly maxCommandBytes: number;
  private pausedTotalMs = 0;
  private pausedSinceMs = 0;
  private pausedAtMark = 0;
  private paceTimer: NodeJS.Timeout | null = null;
  private progressTimer: NodeJS.Timeout | null = null;
  private atStart: ProgressCounters | null = null;
  private atEnd: ProgressCounters | null = null;
  private windowPausedMs = 0;
  private stoppedSent = false;
  private roundtrip: RoundtripStats | null = null;

  constructor(readonly plan: PlanMessage) {
    this.template = payloadTemplate(plan.payloadBytes);
    let longest = 0;
    if (plan.publishers.length > 0) {
      const payloadHeader = `$${plan.payloadBytes}\r\n`;
      for (let c = 0; c < plan.channelCount; c++) {
        const name = channelName(c);
        const publishHead = `*3\r\n$7\r\nPUBLISH\r\n$${name.length}\r\n${name}\r\n${payloadHeader}`;
        if (plan.publishMode === 'recipe') {
          const key = backlogKey(c);
          const prefix = Buffer.from(`${commandText(['MULTI'])}*3\r\n$5\r\nLPUSH\r\n$${key.length}\r\n${key}\r\n${payloadHeader}`);
          const middle = Buffer.from(`\r\n${commandText(['LTRIM', key, '0', String(BACKLOG_LENGTH - 1)])}${publishHead}`);
          this.commandPrefixes.push(prefix);
          this.recipeMiddles.push(middle);
          longest = Math.max(longest, prefix.length + plan.payloadBytes + middle.length + plan.payloadBytes + RECIPE_TAIL.length);
        } else {
          const prefix = Buffer.from(publishHead);
          this.commandPrefixes.push(prefix);
          longest = Math.max(longest, prefix.length + plan.payloadBytes + 2);
        }
      }
    }
    this.maxCommandBytes = longest;
  }

  async setUp(): Promise<void> {
    const { plan } = this;
    const hello = plan.resp === 3 ? encodeCommand(['HELLO', '3']) : null;
    const wsEndpoint = plan.subscriberTransport === 'ws' ? parseWsUrl(plan.wsUrl!) : null;
    const subscriberJobs = plan.subscribers.map((sub) => async () => {
      const command = sub.pattern !== null ? ['PSUBSCRIBE', sub.pattern] : ['SUBSCRIBE', ...sub.channels.map(channelName)];
      const first = hello === null ? encodeCommand(command) : Buffer.concat([hello, encodeCommand(command)]);
      if (wsEndpoint === null) {
        const socket = await openSocket(plan.host, plan.port);
        const connection = new SubscriberConnection(this, socket, sub.channels, sub.pattern, hello !== null, false);
        this.subscribers.push(connection);
        socket.write(first);
        await connection.subscribed;
        return;
      }
      const { socket, rest } = await openWebSocket(wsEndpoint, WS_SUBPROTOCOL);
      const connection = new SubscriberConnection(this, socket, sub.channels, sub.pattern, hello !== null, true);
      this.subscribers.push(connection);
      if (rest.length > 0) connection.receive(rest);
      socket.write(encodeClientFrame(first));
      await connection.subscribed;
    });
    const publisherJobs = plan.publishers.map((index) => async () => {
      const socket = await openSocket(plan.host, plan.port);
      const connection = new PublisherConnection(this, socket, index, hello !== null);
      this.publishers.push(connection);
      if (hello !== null) socket.write(hello);
      await connection.greeted;
    });
    const jobs = [...subscriberJobs, ...publisherJobs];
    if (plan.nonMatchingPatterns > 0) jobs.push(() => this.holdPatterns(hello));
    await forEachLimited(jobs, CONNECTS_IN_FLIGHT, (job) => job());
  }

  /** One connection PSUBSCRIBEs every non-matching pattern, in commands of PATTERNS_PER_COMMAND. */
  private async holdPatterns(hello: Buffer | null): Promise<void> {
    const { plan } = this;
    const socket = await openSocket(plan.host, plan.port);
    this.holder = socket;
    let confirmations = 0;
    let greeted = hello === null;
    await new Promise<void>((resolve, reject) => {
      const reader = new RespReader((r) => {
        if (!greeted) {
          greeted = true;
          return;
        }
        if (r.kind === FRAME_ERROR) reject(new Error(`PSUBSCRIBE failed: ${r.elementText(0)}`));
        else if (++confirmations === plan.nonMatchingPatterns) resolve();
      });
      socket.on('data', (chunk: Buffer) => reader.feed(chunk));
      socket.on('error', (err) => reject(err));
      if (hello !== null) socket.write(hello);
      for (let from = 0; from < plan.nonMatchingPatterns; from += PATTERNS_PER_COMMAND) {
        const patterns: string[] = [];
        for (let i = from; i < Math.min(plan.nonMatchingPatterns, from + PATTERNS_PER_COMMAND); i++) patterns.push(nonMatchingPattern(i));
        socket.write(encodeCommand(['PSUBSCRIBE', ...patterns]));
      }
    });
  }

  start(): void {
    this.started = true;
    this.progressTimer ??= setInterval(() => send({ type: 'progress', ...this.counters() }), PROGRESS_INTERVAL_MS);
    if (this.plan.roundtripTimeMs > 0) {
      void this.runRoundtrip().catch(fail);
      return;
    }
    const startMs = performance.now();
    for (const p of this.publishers) p.paceStartMs = startMs;
    if (this.plan.ratePerPublisher > 0) {
      this.paceTimer = setInterval(() => this.pace(), PACE_TICK_MS);
    } else {
      for (const p of this.publishers) p.fill();
    }
  }

  private pace(): void {
    const nowMs = performance.now();
    for (const p of this.publishers) {
      const scheduled = Math.floor((this.plan.ratePerPublisher * (nowMs - p.paceStartMs)) / 1000);
      if (scheduled > p.pacedSent) p.fill(scheduled - p.pacedSent);
      // Still behind after sending: the window (the server's replies) held the schedule back.
      if (scheduled - p.pacedSent > this.maxScheduleLag) this.maxScheduleLag = scheduled - p.pacedSent;
    }
  }

  /** Windowed or paced: whether publishers may send more now. */
  canPublish(): boolean {
    return this.started && !this.paused && !this.stopping;
  }

  mark(phase: 'start' | 'end'): void {
    if (phase === 'start') {
      this.histogram.reset();
      this.recording = true;
      this.atStart = this.counters();
      this.pausedAtMark = this.pausedMsNow();
    } else {
      this.recording = false;
      this.atEnd = this.counters();
      this.windowPausedMs = this.pausedMsNow() - this.pausedAtMark;
    }
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) {
      this.pausedSinceMs = performance.now();
    } else {
      this.pausedTotalMs += performance.now() - this.pausedSinceMs;
      if (this.plan.ratePerPublisher === 0) for (const p of this.publishers) p.fill();
    }
  }

  private pausedMsNow(): number {
    return this.pausedTotalMs + (this.paused ? performance.now() - this.pausedSinceMs : 0);
  }

  stop(): void {
    this.stopping = true;
    if (this.paceTimer !== null) clearInterval(this.paceTimer);
    this.paceTimer = null;
    this.reportStoppedWhenDrained();
  }

  /** Sends `stopped` once every publisher here has read the reply to everything it sent. */
  reportStoppedWhenDrained(): void {
    if (this.stoppedSent || !this.stopping) return;
    for (const p of this.publishers) if (p.outstanding > 0) return;
    this.stoppedSent = true;
    send({ type: 'stopped', finalSeqs: this.publishers.map((p) => [p.index, Array.from(p.lastSeqs)]) });
  }

  finish(finalSeqs: number[]): void {
    const integrity = emptyIntegrityCounts();
    for (const s of this.subscribers) addIntegrityCounts(integrity, s.checker.counts(finalSeqs, this.plan.publisherCount));
    const total = this.counters();
    const result: ProcessResult = {
      atStart: this.atStart ?? total,
      atEnd: this.atEnd ?? total,
      total,
      histogram: this.histogram.snapshot(),
      integrity,
      publishErrors: this.publishErrors,
      firstError: this.firstError,
      pausedMs: this.windowPausedMs,
      maxScheduleLag: this.maxScheduleLag,
      roundtrip: this.roundtrip,
      unexpectedFrames: this.unexpectedFrames,
      disconnects: this.disconnects,
    };
    send({ type: 'result', result });
  }

  close(): void {
    if (this.progressTimer !== null) clearInterval(this.progressTimer);
    if (this.paceTimer !== null) clearInterval(this.paceTimer);
    for (const s of this.subscribers) s.socket.destroy();
    for (const p of this.publishers) p.socket.destroy();
    this.holder?.destroy();
  }

  counters(): ProgressCounters {
    const cpu = process.cpuUsage();
    return {
      published: this.published,
      replies: this.replies,
      replySum: this.replySum,
      delivered: this.delivered,
      deliveredPayloadBytes: this.deliveredPayloadBytes,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
    };
  }

  /**
   * Roundtrip mode: tinybench times one PUBLISH from write to the moment its reply and every
   * subscriber's delivery have been read (the subscribers live in this process).
   */
  private async runRoundtrip(): Promise<void> {
    const publisher = this.publishers[0];
    const deliveriesPerMessage = this.subscribers.length;
    const publishOne = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`roundtrip: no delivery within ${ROUNDTRIP_TIMEOUT_MS} ms`)), ROUNDTRIP_TIMEOUT_MS);
        this.roundtripWait = { deliveries: deliveriesPerMessage, reply: true, resolve: () => { clearTimeout(timer); resolve(); } };
        publisher.fill(1);
      });
    const bench = new Bench({
      name: 'publish -> delivery',
      time: this.plan.roundtripTimeMs,
      iterations: ROUNDTRIP_MIN_ITERATIONS,
      warmupTime: ROUNDTRIP_WARMUP_MS,
      retainSamples: true,
      throws: true,
    });
    bench.add('publish -> delivery', publishOne);
    await bench.run();
    const task = bench.tasks[0];
    const result = task.result;
    if (!('latency' in result)) throw new Error(`tinybench task ended in state ${result.state}`);
    const ms = result.latency;
    // tinybench reports p50, p75, p99, p99.5 and p99.9; p90 comes from its retained (sorted) samples.
    const sorted = ms.samples ?? [0];
    const p90Ms = sorted[Math.max(0, Math.ceil(0.9 * sorted.length) - 1)];
    this.roundtrip = {
      iterations: ms.samplesCount,
      latency: {
        samples: ms.samplesCount,
        minUs: ms.min * 1000,
        meanUs: ms.mean * 1000,
        p50Us: ms.p50 * 1000,
        p90Us: p90Ms * 1000,
        p99Us: ms.p99 * 1000,
        p999Us: ms.p999 * 1000,
        maxUs: ms.max * 1000,
      },
    };
    this.stop();
  }

  /** Roundtrip mode: one of the things the message in flight waits for has arrived. */
  settleRoundtrip(kind: 'delivery' | 'reply'): void {
    const wait = this.roundtripWait;
    if (wait === null) return;
    if (kind === 'delivery') wait.deliveries--;
    else wait.reply = false;
    if (wait.deliveries <= 0 && !wait.reply) {
      this.roundtripWait = null;
      wait.resolve();
    }
  }
}

class PublisherConnection {
  readonly lastSeqs: Uint32Array;
  outstanding = 0;
  paceStartMs = 0;
  /** PUBLISHes sent since pacing started (paced runs compare it with the schedule). */
  pacedSent = 0;
  readonly greeted: Promise<void>;
  private nextChannel = 0;
  /** Recipe mode: replies read of the transaction at the head (0 .. RECIPE_REPLIES - 1). */
  private transactionReplies = 0;
  private slab: Buffer;
  private slabUsed = 0;
  private readonly reader: RespReader;
  private readonly streamBase: number;

  constructor(private readonly proc: GeneratorProcess, readonly socket: net.Socket, readonly index: number, expectHello: boolean) {
    const { plan } = proc;
    this.lastSeqs = new Uint32Array(plan.channelCount);
    this.streamBase = index * plan.channelCount;
    this.slab = Buffer.allocUnsafeSlow(Math.max(MIN_SLAB_BYTES, 2 * plan.window * proc.maxCommandBytes));
    let greet: () => void = () => {};
    let greetFailed: (err: Error) => void = () => {};
    this.greeted = expectHello
      ? new Promise<void>((resolve, reject) => { greet = resolve; greetFailed = reject; })
      : Promise.resolve();
    let awaitingHello = expectHello;
    const recipe = plan.publishMode === 'recipe';
    this.reader = new RespReader((r) => {
      if (awaitingHello) {
        awaitingHello = false;
        if (r.kind === FRAME_ERROR) greetFailed(new Error(`HELLO 3 refused: ${r.elementText(0)}`));
        else greet();
        return;
      }
      if (recipe) {
        if (++this.transactionReplies < RECIPE_REPLIES) return this.checkQueued(r);
        this.transactionReplies = 0;
        this.outstanding--;
        this.checkExec(r);
      } else {
        this.outstanding--;
        if (r.kind === FRAME_INTEGER) {
          proc.replies++;
          proc.replySum += r.integer;
        } else if (r.kind === FRAME_ERROR) {
          proc.publishErrors++;
          proc.firstError ??= r.elementText(0);
        } else {
          proc.unexpectedFrames++;
        }
      }
      if (proc.roundtripWait !== null) proc.settleRoundtrip('reply');
    });
    socket.on('data', (chunk: Buffer) => {
      this.reader.feed(chunk);
      if (proc.stopping) proc.reportStoppedWhenDrained();
      else if (proc.plan.ratePerPublisher === 0 && proc.plan.roundtripTimeMs === 0) this.fill();
    });
    socket.on('error', (err) => fail(new Error(`publisher ${index}: ${err.message}`)));
    socket.on('close', () => {
      if (!closing) fail(new Error(`publisher ${index}: the server closed the connection`));
    });
  }

  /**
   * Writes as many PUBLISHes as the window allows (at most `limit`), round-robin over the
   * channels, in one socket.write with one timestamp. Paced and roundtrip runs pass a limit.
   */
  fill(limit = Infinity): void {
    const { proc } = this;
    if (!proc.canPublish()) return;
    const count = Math.min(limit, proc.plan.window - this.outstanding);
    if (count <= 0) return;
    const start = this.claimSlab(count * proc.maxCommandBytes);
    const slab = this.slab;
    const { commandPrefixes } = proc;
    const channelCount = proc.plan.channelCount;
    const payloadBytes = proc.plan.payloadBytes;
    const sendTimeUs = sharedClockUs();
    const { recipeMiddles } = proc;
    const recipe = recipeMiddles.length > 0;
    let at = start;
    for (let i = 0; i < count; i++) {
      const channel = this.nextChannel;
      this.nextChannel = channel + 1 === channelCount ? 0 : channel + 1;
      at += commandPrefixes[channel].copy(slab, at);
      const seq = ++this.lastSeqs[channel];
      const payloadAt = at;
      proc.template.copy(slab, at);
      writePayloadHeader(slab, at, this.streamBase + channel, seq, sendTimeUs);
      at += payloadBytes;
      if (recipe) {
        // LPUSH and PUBLISH carry the same payload: copy the one just written.
        at += recipeMiddles[channel].copy(slab, at);
        at += slab.copy(slab, at, payloadAt, payloadAt + payloadBytes);
        at += RECIPE_TAIL.copy(slab, at);
      } else {
        slab[at++] = CR;
        slab[at++] = LF;
      }
    }
    this.slabUsed = at;
    this.socket.write(slab.subarray(start, at));
    this.outstanding += count;
    this.pacedSent += count;
    proc.published += count;
  }

  /** Recipe mode: a reply to MULTI or a queued command must be a simple string (+OK, +QUEUED). */
  private checkQueued(r: RespReader): void {
    if (r.kind === FRAME_SIMPLE) return;
    if (r.kind === FRAME_ERROR) this.proc.firstError ??= r.elementText(0);
    else this.proc.unexpectedFrames++;
  }

  /** Recipe mode: EXEC's reply must be [LPUSH length, LTRIM OK, PUBLISH count]; the count is the reply summed. */
  private checkExec(r: RespReader): void {
    const { proc } = this;
    if (r.kind === FRAME_ARRAY && r.elementCount === 3 && r.elementType[0] === RESP_INTEGER &&
        r.elementType[1] === RESP_SIMPLE && r.elementType[2] === RESP_INTEGER) {
      proc.replies++;
      proc.replySum += parseInteger(r.buf, r.elementStart[2], r.elementEnd[2]);
      return;
    }
    proc.publishErrors++;
    if (r.kind === FRAME_ERROR) proc.firstError ??= `EXEC: ${r.elementText(0)}`;
    else proc.firstError ??= 'EXEC: the reply is not [LPUSH length, LTRIM OK, PUBLISH count]';
  }

  /**
   * Where the next batch goes in the slab. A batch still queued in the socket references the slab,
   * so the slab restarts from 0 only when nothing is queued (node-budget.md §4), and a full slab is
   * replaced rather than overwritten.
   */
  private claimSlab(bytes: number): number {
    if (this.socket.writableLength === 0) this.slabUsed = 0;
    if (this.slabUsed + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(this.slab.length, bytes));
      this.slabUsed = 0;
    }
    return this.slabUsed;
  }
}

class SubscriberConnection {
  readonly checker: SequenceChecker;
  readonly subscribed: Promise<void>;
  /** Handles one chunk read off the socket (over WebSocket: frames around the RESP bytes). */
  readonly receive: (chunk: Buffer) => void;
  private confirmations = 0;

  constructor(
    proc: GeneratorProcess,
    readonly socket: net.Socket,
    channels: number[],
    pattern: string | null,
    expectHello: boolean,
    overWebSocket: boolean,
  ) {
    const { plan } = proc;
    this.checker = new SequenceChecker(plan.publisherCount * plan.channelCount, plan.channelCount, pattern !== null ? 'all' : channels);
    const expectedConfirmations = pattern !== null ? 1 : channels.length;
    let confirm: () => void = () => {};
    let refuse: (err: Error) => void = () => {};
    this.subscribed = new Promise<void>((resolve, reject) => { confirm = resolve; refuse = reject; });
    let awaitingHello = expectHello;
    const payloadBytes = plan.payloadBytes;
    const reader = new RespReader((r) => {
      if (r.kind !== FRAME_ARRAY || r.elementCount < 3) {
        if (awaitingHello) {
          awaitingHello = false;
          if (r.kind === FRAME_ERROR) refuse(new Error(`HELLO 3 refused: ${r.elementText(0)}`));
          return;
        }
        if (r.kind === FRAME_ERROR) refuse(new Error(`subscribe failed: ${r.elementText(0)}`));
        else proc.unexpectedFrames++;
        return;
      }
      const buf = r.buf;
      const kindStart = r.elementStart[0];
      const kindEnd = r.elementEnd[0];
      const kindBytes = kindEnd - kindStart;
      let channelElement: number;
      if (kindBytes === 7 && buf[kindStart] === 0x6d) channelElement = 1; // message
      else if (kindBytes === 8 && buf[kindStart] === 0x70 && buf[kindStart + 1] === 0x6d) channelElement = 2; // pmessage
      else {
        if (bytesEqual(buf, kindStart, kindEnd, 'subscribe') || bytesEqual(buf, kindStart, kindEnd, 'psubscribe')) {
          if (++this.confirmations === expectedConfirmations) confirm();
        } else {
          proc.unexpectedFrames++;
        }
        return;
      }
      const payloadStart = r.elementStart[channelElement + 1];
      const payloadEnd = r.elementEnd[channelElement + 1];
      proc.delivered++;
      proc.deliveredPayloadBytes += payloadEnd - payloadStart;
      if (payloadEnd - payloadStart !== payloadBytes) {
        this.checker.malformed++;
      } else {
        const view = r.view;
        const channel = parseChannelIndex(buf, r.elementStart[channelElement], r.elementEnd[channelElement]);
        this.checker.observe(channel, view.getUint32(payloadStart, true), view.getUint32(payloadStart + 4, true));
        if (proc.recording) proc.histogram.record(proc.chunkReceiveUs - view.getFloat64(payloadStart + 8, true));
      }
      if (proc.roundtripWait !== null) proc.settleRoundtrip('delivery');
    });
    if (overWebSocket) {
      const decoder = new WsFrameDecoder((buf, start, end) => reader.feed(buf, start, end), (opcode, payload) => {
        if (opcode === OPCODE_PING) socket.write(encodeClientFrame(payload, OPCODE_PONG));
        else if (opcode === OPCODE_CLOSE) socket.end(encodeClientFrame(payload.subarray(0, 2), OPCODE_CLOSE));
      });
      this.receive = (chunk) => {
        proc.chunkReceiveUs = sharedClockUs();
        try {
          decoder.feed(chunk);
        } catch (err) {
          fail(new Error(`WebSocket subscriber: ${err instanceof Error ? err.message : String(err)}`));
        }
      };
    } else {
      this.receive = (chunk) => {
        proc.chunkReceiveUs = sharedClockUs();
        reader.feed(chunk);
      };
    }
    socket.on('data', this.receive);
    socket.on('error', (err) => refuse(new Error(`subscriber: ${err.message}`)));
    socket.on('close', () => {
      if (!closing) proc.disconnects++;
      refuse(new Error('subscriber: the server closed the connection before confirming'));
    });
  }
}

let generator: GeneratorProcess | null = null;
/** Set once the coordinator says exit: closes are expected from then on. */
let closing = false;

function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  closing = true;
  send({ type: 'fatal', message });
  generator?.close();
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
}

async function onMessage(message: CoordinatorMessage): Promise<void> {
  switch (message.type) {
    case 'plan': {
      generator = new GeneratorProcess(message);
      const deadline = setTimeout(() => fail(new Error(`set-up did not finish within ${message.setupTimeoutMs} ms`)), message.setupTimeoutMs);
      await generator.setUp();
      clearTimeout(deadline);
      send({
        type: 'ready',
        clockOffsetUs: sharedClockOffsetUs(),
        connections: generator.subscribers.length + generator.publishers.length + (message.nonMatchingPatterns > 0 ? 1 : 0),
      });
      return;
    }
    case 'start': return generator!.start();
    case 'mark': return generator!.mark(message.phase);
    case 'pause': return generator!.setPaused(true);
    case 'resume': return generator!.setPaused(false);
    case 'stop': return generator!.stop();
    case 'finish': return generator!.finish(message.finalSeqs);
    case 'exit':
      closing = true;
      generator?.close();
      // Not synchronously: when this process starts slower than a failed run ends, 'plan' and 'exit'
      // are replayed from Node's pending-message queue in one loop that touches the IPC channel
      // after the last handler; disconnecting inside it crashes the process (node:internal/child_process).
      setImmediate(() => {
        if (process.connected) process.disconnect();
      });
      return;
  }
}

process.on('message', (message: CoordinatorMessage) => {
  onMessage(message).catch(fail);
});
// The coordinator is gone (crashed or killed): nothing left to report to.
process.on('disconnect', () => {
  const expected = closing;
  closing = true;
  generator?.close();
  process.exit(expected ? 0 : 1);
});
