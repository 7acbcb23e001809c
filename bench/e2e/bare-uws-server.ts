/**
 * The ceiling for the WebSocket fan-out bench: a bare uWebSockets.js app with no broker logic. It is
 * NOT a product and not a fallback: no partitions, no order queue, no output limits, no patterns,
 * one process. `npm run bench` runs the wsfanout case against it and against ringcast in the same
 * run and prints ringcast/bare-uWS: how close ringcast's WebSocket fan-out comes to what
 * uWebSockets.js does on its own (its TopicTree `publish`).
 *
 *   generator publisher ──RESP/TCP (net)──▶ PUBLISH bench:0 <payload>
 *                                             │ app.publish('bench:0', frame, binary)
 *                                             ▼
 *   generator subscribers ◀──WebSocket /ws, `resp` subprotocol── ws.subscribe('bench:0')
 *
 * It speaks exactly what the generator (src/loadgen) needs, so the same generator drives both:
 * - TCP: PUBLISH channel payload → `:N` (N = app.numSubscribers(channel), the receivers), INFO
 *   (server_name and process_id, for identifyServer), PING. Anything else gets an error.
 * - WebSocket `/ws`, subprotocol `resp` (binary messages of raw RESP, as ringcast's): SUBSCRIBE
 *   channel... → ws.subscribe and Redis's confirmation frames, PING. Anything else gets an error.
 * - Message frames are byte-identical to ringcast's and Redis's RESP2 frames:
 *   `*3\r\n$7\r\nmessage\r\n$<n>\r\n<channel>\r\n$<len>\r\n<payload>\r\n`.
 * - Like ringcast, it coalesces: the PUBLISHes of one TCP read on the same channel become one
 *   app.publish (one WebSocket message per subscriber, as ringcast sends one per subscriber per
 *   event-loop turn), and their replies one write. A ceiling should not be handicapped by framing
 *   costs ringcast does not pay.
 * - uWS settings as ringcast's /ws: no compression, backpressure never drops or closes (the
 *   generator's delivery-lag guard bounds what builds up), pings on idle.
 *
 * Flags: --port (RESP, default 0), --http-port (WebSocket, default 0), --bind (default 127.0.0.1).
 * Prints `bare-uws: RESP listening on <host>:<port>` and `bare-uws: WebSocket listening on
 * <host>:<port>`; exits on SIGTERM/SIGINT. Run: node dist/bench/e2e/bare-uws-server.js
 */
import net from 'node:net';
import { createRequire } from 'node:module';
import uWS from 'uWebSockets.js';
import { FRAME_ARRAY, RespReader, bytesEqual } from '../../src/loadgen/resp-reader.js';

const SUBPROTOCOL = 'resp';
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const IDLE_TIMEOUT_SEC = 120;
const MIN_SLAB_BYTES = 1 << 20;
const MAX_CHANNEL_BYTES = 1024;
const CRLF = Buffer.from('\r\n');
const MESSAGE_HEAD = Buffer.from('*3\r\n$7\r\nmessage\r\n');
const PONG = Buffer.from('+PONG\r\n');

interface Flags {
  port: number;
  httpPort: number;
  bind: string;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { port: 0, httpPort: 0, bind: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    if (argv[i] === '--port') flags.port = Number(value);
    else if (argv[i] === '--http-port') flags.httpPort = Number(value);
    else if (argv[i] === '--bind') flags.bind = value;
    else throw new Error(`unknown flag ${argv[i]} (--port, --http-port, --bind)`);
    i++;
  }
  return flags;
}

/** A growable byte buffer reused across reads: frames and replies are appended, then sent and reset. */
class Slab {
  bytes: Buffer;
  used = 0;

  constructor(initialBytes = MIN_SLAB_BYTES) {
    this.bytes = Buffer.allocUnsafeSlow(initialBytes);
  }

  reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.bytes.length, this.used + n));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }

  append(src: Buffer, start = 0, end = src.length): void {
    this.reserve(end - start);
    this.used += src.copy(this.bytes, this.used, start, end);
  }

  appendText(text: string): void {
    this.reserve(text.length);
    this.used += this.bytes.write(text, this.used, 'latin1');
  }
}

const uwsVersion = (createRequire(import.meta.url)('uWebSockets.js/package.json') as { version: string }).version;
const app = uWS.App();
// The WebSocket messages a TCP read publishes: consecutive PUBLISHes on one channel (the run) are
// coalesced into `frames` and published once when the channel changes or the read ends.
const frames = new Slab();
const runChannel = Buffer.alloc(MAX_CHANNEL_BYTES);
/** -1: no run open. */
let runChannelBytes = -1;
/** Encoded once per run: the frame up to the payload's length line, and `:N\r\n` for the receiver count. */
let runFrameHead = Buffer.alloc(0);
let runReply = Buffer.alloc(0);
/** `$<len>\r\n` for the last payload length seen (the generator's payloads all have one length). */
let lengthLine = Buffer.alloc(0);
let lengthLineBytes = -1;
/** Subscribe confirmations of one WebSocket message (uWS copies what ws.send is given). */
const confirmations = new Slab(4096);

/** Publishes the run. uWS copies the message into its TopicTree, so the slab is reused at once. */
function flushRun(): void {
  if (frames.used === 0) return;
  app.publish(runChannel.subarray(0, runChannelBytes), frames.bytes.subarray(0, frames.used), true);
  frames.used = 0;
  runChannelBytes = -1;
}

/** Appends one PUBLISH's frame to the run (starting a new run on another channel) and its reply to `replies`. */
function publish(r: RespReader, replies: Slab): void {
  const buf = r.buf;
  const channelStart = r.elementStart[1];
  const channelEnd = r.elementEnd[1];
  const channelBytes = channelEnd - channelStart;
  if (channelBytes > MAX_CHANNEL_BYTES) {
    replies.appendText(`-ERR bare-uws: channel names are limited to ${MAX_CHANNEL_BYTES} bytes\r\n`);
    return;
  }
  if (channelBytes !== runChannelBytes || buf.compare(runChannel, 0, runChannelBytes, channelStart, channelEnd) !== 0) {
    flushRun();
    buf.copy(runChannel, 0, channelStart, channelEnd);
    runChannelBytes = channelBytes;
    const channel = runChannel.subarray(0, runChannelBytes);
    runFrameHead = Buffer.concat([MESSAGE_HEAD, Buffer.from(`$${channelBytes}\r\n`), channel, CRLF]);
    runReply = Buffer.from(`:${app.numSubscribers(channel)}\r\n`);
  }
  const payloadStart = r.elementStart[2];
  const payloadEnd = r.elementEnd[2];
  if (payloadEnd - payloadStart !== lengthLineBytes) {
    lengthLineBytes = payloadEnd - payloadStart;
    lengthLine = Buffer.from(`$${lengthLineBytes}\r\n`);
  }
  frames.append(runFrameHead);
  frames.append(lengthLine);
  frames.append(buf, payloadStart, payloadEnd);
  frames.append(CRLF);
  replies.append(runReply);
}

function infoReply(): string {
  const body = `# Server\r\nserver_name:bare-uws\r\nbare_uws_version:${uwsVersion}\r\nprocess_id:${process.pid}\r\n`;
  return `$${Buffer.byteLength(body)}\r\n${body}\r\n`;
}

function onTcpConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  const replies = new Slab();
  const reader = new RespReader((r) => {
    const buf = r.buf;
    if (r.kind === FRAME_ARRAY && r.elementCount === 3 && bytesEqual(buf, r.elementStart[0], r.elementEnd[0], 'PUBLISH')) {
      publish(r, replies);
      return;
    }
    flushRun();
    if (r.kind === FRAME_ARRAY && r.elementCount >= 1 && bytesEqual(buf, r.elementStart[0], r.elementEnd[0], 'INFO')) replies.appendText(infoReply());
    else if (r.kind === FRAME_ARRAY && r.elementCount === 1 && bytesEqual(buf, r.elementStart[0], r.elementEnd[0], 'PING')) replies.append(PONG);
    else replies.appendText('-ERR bare-uws: only PUBLISH channel payload, INFO and PING over TCP\r\n');
  });
  socket.on('data', (chunk: Buffer) => {
    // A write still queued in the socket references the reply slab: replace the slab, never overwrite it.
    if (socket.writableLength > 0) replies.bytes = Buffer.allocUnsafeSlow(replies.bytes.length);
    try {
      reader.feed(chunk);
    } catch (err) {
      socket.destroy(err as Error);
      return;
    }
    flushRun();
    if (replies.used === 0) return;
    socket.write(replies.bytes.subarray(0, replies.used));
    replies.used = 0;
  });
  socket.on('error', () => {});
}

interface WsData {
  reader: RespReader;
  topics: number;
}

/** The socket whose message is being parsed: readers only call back inside feed(), see onWsMessage. */
let feeding: uWS.WebSocket<WsData> | null = null;

function onWsMessage(ws: uWS.WebSocket<WsData>, message: ArrayBuffer): void {
  feeding = ws;
  // The reader copies what it keeps of a message that ends inside a command; the view dies with this callback.
  ws.getUserData().reader.feed(Buffer.from(message));
  feeding = null;
}

function onWsCommand(r: RespReader): void {
  const ws = feeding!;
  const data = ws.getUserData();
  const buf = r.buf;
  if (r.kind === FRAME_ARRAY && r.elementCount >= 2 && bytesEqual(buf, r.elementStart[0], r.elementEnd[0], 'SUBSCRIBE')) {
    confirmations.used = 0;
    for (let i = 1; i < r.elementCount; i++) {
      const channel = buf.subarray(r.elementStart[i], r.elementEnd[i]);
      if (ws.subscribe(channel)) data.topics++;
      confirmations.appendText(`*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n`);
      confirmations.append(channel);
      confirmations.appendText(`\r\n:${data.topics}\r\n`);
    }
    ws.send(confirmations.bytes.subarray(0, confirmations.used), true);
  } else if (r.kind === FRAME_ARRAY && r.elementCount === 1 && bytesEqual(buf, r.elementStart[0], r.elementEnd[0], 'PING')) {
    ws.send(PONG, true);
  } else {
    ws.send('-ERR bare-uws: only SUBSCRIBE channel... and PING over WebSocket\r\n', true);
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  app.ws<WsData>('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: MAX_PAYLOAD_BYTES,
    idleTimeout: IDLE_TIMEOUT_SEC,
    sendPingsAutomatically: true,
    maxBackpressure: 2 ** 31 - 1,
    closeOnBackpressureLimit: 0,
    upgrade: (res, req, context) => {
      const offered = req.getHeader('sec-websocket-protocol').split(',').map((p) => p.trim());
      if (!offered.includes(SUBPROTOCOL)) {
        res.writeStatus('400 Bad Request').end(`bare-uws speaks only the '${SUBPROTOCOL}' subprotocol`);
        return;
      }
      const data: WsData = { reader: new RespReader(onWsCommand), topics: 0 };
      res.upgrade(data, req.getHeader('sec-websocket-key'), SUBPROTOCOL, req.getHeader('sec-websocket-extensions'), context);
    },
    message: onWsMessage,
  });

  const httpPort = await new Promise<number>((resolve, reject) => {
    app.listen(flags.bind, flags.httpPort, (token) => {
      if (!token) reject(new Error(`cannot listen on ${flags.bind}:${flags.httpPort}`));
      else resolve(uWS.us_socket_local_port(token));
    });
  });
  const tcp = net.createServer(onTcpConnection);
  const port = await new Promise<number>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(flags.port, flags.bind, () => resolve((tcp.address() as net.AddressInfo).port));
  });
  console.log(`bare-uws: RESP listening on ${flags.bind}:${port}`);
  console.log(`bare-uws: WebSocket listening on ${flags.bind}:${httpPort} (/ws, subprotocol ${SUBPROTOCOL})`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
}

main().catch((err) => {
  console.error(`bare-uws: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
