// The WebSocket endpoint's wire protocol, seen through the raw `ws` package (no ringcast client):
// each subprotocol's exact frames (json text, msgpack decoded with msgpackr, resp bytes equal to
// what TCP gives), traffic across transports both ways, the handshake's rejections, the close
// codes (1007 not a command, 1009 too big, 1008 too slow a reader), and /healthz.
//
// Invariants: every wait is bounded (FrameInbox.next, withTimeout, waitFor, bounded flood loop);
// every socket a test opens is closed in afterEach; every broker is stopped in afterAll.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ReplyReader, encodeCommand, escapeBytes } from '../helpers/resp-reply.js';

const HOST = '127.0.0.1';
const WAIT_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 20;
const MAX_PAYLOAD_BYTES = 64 * 1024;
const NON_UTF8 = Buffer.from([0xff, 0x00, 0xfe]);
const FLOOD_PAYLOAD_BYTES = 64 * 1024;
const FLOOD_BATCH_SIZE = 16;
// 256 MiB at most: far beyond a 1 MiB limit plus every socket buffer on the way.
const MAX_FLOOD_BATCHES = 256;

let broker: BrokerHandle;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  broker = await startBroker({ args: ['--ws-max-payload', `${MAX_PAYLOAD_BYTES / 1024}kb`] });
});

afterAll(async () => {
  await broker?.stop();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_TIMEOUT_MS} ms waiting for ${what}`);
    await sleep(POLL_INTERVAL_MS);
  }
}

interface Frame {
  data: Buffer;
  isBinary: boolean;
}

/** A raw WebSocket whose frames queue up until a test takes them. */
class FrameInbox {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private wake: (() => void) | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push({ data, isBinary });
      this.wake?.();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
    });
  }

  /** The next `count` frames, removed from the queue. */
  async next(count: number, what: string): Promise<Frame[]> {
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.frames.length < count) return;
          this.wake = null;
          resolve();
        };
        this.wake = check;
        check();
      }),
      `${count} ${what} (got ${this.frames.length})`,
    );
    return this.frames.splice(0, count);
  }

  /** The next `count` json frames, as their exact text; each must be a text frame. */
  async nextTexts(count: number, what: string): Promise<string[]> {
    const frames = await this.next(count, what);
    expect(frames.map((frame) => frame.isBinary)).toEqual(frames.map(() => false));
    return frames.map((frame) => frame.data.toString('utf8'));
  }

  /** The next `count` msgpack frames, decoded; each must be a binary frame. */
  async nextUnpacked(count: number, what: string): Promise<unknown[]> {
    const frames = await this.next(count, what);
    expect(frames.map((frame) => frame.isBinary)).toEqual(frames.map(() => true));
    return frames.map((frame) => unpack(frame.data));
  }
}

function wsUrl(path = '/ws', handle: BrokerHandle = broker): string {
  return `ws://${HOST}:${handle.httpPort}${path}`;
}

/** An open raw WebSocket offering `protocol` (none when undefined); closed after the test. */
async function openWs(protocol?: string, handle: BrokerHandle = broker): Promise<FrameInbox> {
  const ws = protocol === undefined ? new WebSocket(wsUrl('/ws', handle)) : new WebSocket(wsUrl('/ws', handle), protocol);
  closers.push(() => ws.terminate());
  const inbox = new FrameInbox(ws);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    }),
    `a WebSocket (${protocol ?? 'no subprotocol'}) to open`,
  );
  return inbox;
}

/** The HTTP answer to an upgrade the server refuses. */
function refusedUpgrade(url: string, protocol?: string): Promise<{ status: number; body: string }> {
  const ws = protocol === undefined ? new WebSocket(url) : new WebSocket(url, protocol);
  closers.push(() => ws.terminate());
  ws.on('error', () => {});
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error(`the upgrade to ${url} (${protocol}) was accepted`)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    }),
    'the refusal',
  );
}

function sendJson(inbox: FrameInbox, command: unknown[]): void {
  inbox.ws.send(JSON.stringify(command));
}

async function ioredis(handle: BrokerHandle = broker): Promise<Redis> {
  const client = new Redis({ host: HOST, port: handle.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  closers.push(() => client.disconnect());
  await withTimeout(client.connect(), 'ioredis to connect');
  return client;
}

async function rawTcp(handle: BrokerHandle = broker): Promise<RawClient> {
  const client = await RawClient.connect(handle.port, HOST);
  closers.push(() => client.close());
  return client;
}

/** A field of INFO stats, read over TCP. */
async function infoStat(handle: BrokerHandle, field: string): Promise<number> {
  const client = await RawClient.connect(handle.port, HOST);
  try {
    const text = (await client.command('INFO', 'stats')).toString('latin1');
    const match = new RegExp(`\\r\\n${field}:(\\d+)\\r\\n`).exec(text);
    if (match === null) throw new Error(`INFO stats has no ${field}: ${JSON.stringify(text)}`);
    return Number(match[1]);
  } finally {
    client.close();
  }
}

describe('the json subprotocol', () => {
  it('with no subprotocol offered the connection speaks json and answers no protocol header', async () => {
    const inbox = await openWs();
    expect(inbox.ws.protocol).toBe('');
    sendJson(inbox, ['PING']);
    expect(await inbox.nextTexts(1, 'PONG')).toEqual(['"PONG"']);
  });

  it('offering json selects it', async () => {
    const inbox = await openWs('json');
    expect(inbox.ws.protocol).toBe('json');
  });

  it("confirmations, messages, pmessages, replies and errors are one text frame each, in Redis's shapes", async () => {
    const inbox = await openWs('json');
    const publisher = await rawTcp();
    sendJson(inbox, ['SUBSCRIBE', 'json:a', 'json:b']);
    sendJson(inbox, ['PSUBSCRIBE', 'json:room:*']);
    expect(await inbox.nextTexts(3, 'confirmations')).toEqual([
      '["subscribe","json:a",1]',
      '["subscribe","json:b",2]',
      '["psubscribe","json:room:*",3]',
    ]);

    expect((await publisher.command('PUBLISH', 'json:a', 'Hello there!')).toString()).toBe(':1\r\n');
    expect((await publisher.command('PUBLISH', 'json:room:chatty', 'Hello there!')).toString()).toBe(':1\r\n');
    expect(await inbox.nextTexts(2, 'message and pmessage')).toEqual([
      '["message","json:a","Hello there!"]',
      '["pmessage","json:room:*","json:room:chatty","Hello there!"]',
    ]);

    // Publishing to itself: the reply comes before its own message (Redis 7.2+ order). A binary
    // argument goes in as {"base64"} and a non-UTF-8 payload comes out the same way.
    sendJson(inbox, ['PUBLISH', 'json:a', { base64: NON_UTF8.toString('base64') }]);
    expect(await inbox.nextTexts(2, 'reply and message')).toEqual(['1', `["message","json:a",{"base64":"${NON_UTF8.toString('base64')}"}]`]);

    sendJson(inbox, ['PING']);
    sendJson(inbox, ['ECHO', 42]);
    sendJson(inbox, ['CONFIG', 'GET', 'port']);
    sendJson(inbox, ['CLIENT', 'GETNAME']);
    sendJson(inbox, ['PUBSUB', 'NUMSUB', 'json:a', 'json:nobody']);
    sendJson(inbox, ['NOSUCHCOMMAND', 'x']);
    expect(await inbox.nextTexts(6, 'replies')).toEqual([
      '"PONG"',
      '"42"',
      `{"port":"${broker.port}"}`,
      'null',
      '["json:a",1,"json:nobody",0]',
      `{"error":"ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' "}`,
    ]);

    sendJson(inbox, ['UNSUBSCRIBE']);
    sendJson(inbox, ['UNSUBSCRIBE']);
    sendJson(inbox, ['PUNSUBSCRIBE']);
    expect(await inbox.nextTexts(4, 'unsubscribe confirmations')).toEqual([
      '["unsubscribe","json:a",2]',
      '["unsubscribe","json:b",1]',
      '["unsubscribe",null,1]',
      '["punsubscribe","json:room:*",0]',
    ]);
  });

  it('publishing to itself inside EXEC: the whole EXEC reply frame first, then its own messages (Redis 7.2+)', async () => {
    const inbox = await openWs('json');
    sendJson(inbox, ['SUBSCRIBE', 'json:self']);
    expect(await inbox.nextTexts(1, 'confirmation')).toEqual(['["subscribe","json:self",1]']);
    for (const command of [['MULTI'], ['PUBLISH', 'json:self', 'm1'], ['ECHO', 'between'], ['PUBLISH', 'json:self', 'm2'], ['EXEC']]) sendJson(inbox, command);
    expect(await inbox.nextTexts(7, 'replies, EXEC reply and messages')).toEqual([
      '"OK"', '"QUEUED"', '"QUEUED"', '"QUEUED"',
      '[1,"between",1]',
      '["message","json:self","m1"]',
      '["message","json:self","m2"]',
    ]);
  });

  it('a non-UTF-8 channel name arrives as {"base64"} in the confirmation and the message', async () => {
    const inbox = await openWs('json');
    const publisher = await rawTcp();
    const channel = Buffer.concat([Buffer.from('json:'), NON_UTF8]);
    const channel64 = channel.toString('base64');
    sendJson(inbox, ['SUBSCRIBE', { base64: channel64 }]);
    expect(await inbox.nextTexts(1, 'confirmation')).toEqual([`["subscribe",{"base64":"${channel64}"},1]`]);
    await publisher.command('PUBLISH', channel, 'hi');
    expect(await inbox.nextTexts(1, 'message')).toEqual([`["message",{"base64":"${channel64}"},"hi"]`]);
  });

  it.each([
    ['a JSON string', '"PING"'],
    ['a JSON object', '{"command":"PING"}'],
    ['an empty array', '[]'],
    ['an array holding a nested array', '[["PING"]]'],
    ['text that is not JSON', '[PING'],
  ])('%s instead of a command array closes the connection with 1007', async (_what, text) => {
    const inbox = await openWs('json');
    sendJson(inbox, ['ECHO', 'before']);
    inbox.ws.send(text);
    expect(await inbox.nextTexts(1, 'the earlier reply')).toEqual(['"before"']);
    expect((await withTimeout(inbox.closed, 'the close')).code).toBe(1007);
  });
});

describe('the msgpack subprotocol', () => {
  it('commands and replies are binary msgpack frames: str names, bin payloads, maps, errors', async () => {
    const inbox = await openWs('msgpack');
    expect(inbox.ws.protocol).toBe('msgpack');
    const publisher = await rawTcp();
    inbox.ws.send(pack(['SUBSCRIBE', 'mp:a']));
    inbox.ws.send(pack(['PSUBSCRIBE', 'mp:*']));
    expect(await inbox.nextUnpacked(2, 'confirmations')).toEqual([['subscribe', 'mp:a', 1], ['psubscribe', 'mp:*', 2]]);

    await publisher.command('PUBLISH', 'mp:a', 'Hello there!');
    expect(await inbox.nextUnpacked(2, 'message and pmessage')).toEqual([
      ['message', 'mp:a', Buffer.from('Hello there!')],
      ['pmessage', 'mp:*', 'mp:a', Buffer.from('Hello there!')],
    ]);

    inbox.ws.send(pack(['PUBLISH', 'mp:a', NON_UTF8]));
    inbox.ws.send(pack(['PING']));
    inbox.ws.send(pack(['ECHO', 7]));
    inbox.ws.send(pack(['CONFIG', 'GET', 'port']));
    inbox.ws.send(pack(['CLIENT', 'GETNAME']));
    inbox.ws.send(pack(['NOSUCHCOMMAND']));
    expect(await inbox.nextUnpacked(8, 'replies and messages')).toEqual([
      2,
      ['message', 'mp:a', NON_UTF8],
      ['pmessage', 'mp:*', 'mp:a', NON_UTF8],
      'PONG',
      '7',
      { port: String(broker.port) },
      null,
      { error: "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: " },
    ]);
  });

  it('a msgpack value that is not an array closes the connection with 1007', async () => {
    const inbox = await openWs('msgpack');
    inbox.ws.send(pack({ command: 'PING' }));
    expect((await withTimeout(inbox.closed, 'the close')).code).toBe(1007);
  });
});

/** The RESP replies a `resp` WebSocket receives, each as its exact bytes. */
class RespOverWs {
  private readonly reader = new ReplyReader();
  private readonly replies: Buffer[] = [];
  private readonly frameKinds: boolean[] = [];

  constructor(private readonly inbox: FrameInbox) {
    inbox.ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frameKinds.push(isBinary);
      this.reader.feed(data);
      for (let raw = this.reader.nextRaw(); raw !== null; raw = this.reader.nextRaw()) this.replies.push(raw);
    });
  }

  /** True when every frame so far was binary. */
  get allBinary(): boolean {
    return this.frameKinds.every(Boolean);
  }

  send(...args: (string | Buffer)[]): void {
    this.inbox.ws.send(encodeCommand(...args));
  }

  async read(count: number, what: string): Promise<Buffer[]> {
    await waitFor(`${count} RESP replies: ${what} (got ${this.replies.length})`, () => this.replies.length >= count);
    return this.replies.splice(0, count);
  }
}

describe('the resp subprotocol', () => {
  it('carries exactly the bytes a TCP client gets for the same commands', async () => {
    const inbox = await openWs('resp');
    expect(inbox.ws.protocol).toBe('resp');
    const overWs = new RespOverWs(inbox);
    const overTcp = await rawTcp();
    const publisher = await rawTcp();

    // Each step: the same command on both connections (or a publish that reaches both), then the
    // same number of replies from each, compared byte for byte.
    const steps: { what: string; args: string[] | Buffer[]; replies: number; publish?: boolean }[] = [
      { what: 'SUBSCRIBE', args: ['SUBSCRIBE', 'resp:a', 'resp:b'], replies: 2 },
      { what: 'PSUBSCRIBE', args: ['PSUBSCRIBE', 'resp:*'], replies: 1 },
      { what: 'a text message', args: ['PUBLISH', 'resp:a', 'Hello there!'], replies: 2, publish: true },
      { what: 'a binary message', args: [Buffer.from('PUBLISH'), Buffer.from('resp:b'), NON_UTF8], replies: 2, publish: true },
      { what: 'PING while subscribed (RESP2)', args: ['PING'], replies: 1 },
      { what: 'a refused command while subscribed', args: ['ECHO', 'x'], replies: 1 },
      { what: 'UNSUBSCRIBE', args: ['UNSUBSCRIBE'], replies: 2 },
      { what: 'PUNSUBSCRIBE', args: ['PUNSUBSCRIBE'], replies: 1 },
      { what: 'PING', args: ['PING'], replies: 1 },
      { what: 'ECHO of bytes', args: [Buffer.from('ECHO'), NON_UTF8], replies: 1 },
      { what: 'an unknown command', args: ['NOSUCHCOMMAND', 'x'], replies: 1 },
    ];
    for (const step of steps) {
      if (step.publish === true) {
        expect((await publisher.command(...step.args)).toString()).toBe(':4\r\n');
      } else {
        overWs.send(...step.args);
        overTcp.send(encodeCommand(...step.args));
      }
      const [fromWs, fromTcp] = [await overWs.read(step.replies, step.what), await overTcp.readReplies(step.replies)];
      expect(fromWs.map(escapeBytes), step.what).toEqual(fromTcp.map(escapeBytes));
    }
    expect(overWs.allBinary).toBe(true);
  });

  it('a command split across two frames is parsed as one stream, as over TCP', async () => {
    const inbox = await openWs('resp');
    const overWs = new RespOverWs(inbox);
    inbox.ws.send(Buffer.from('*2\r\n$4\r\nECHO\r\n$5\r\nhel'));
    inbox.ws.send(Buffer.from('lo\r\n*1\r\n$4\r\nPING\r\n'));
    expect((await overWs.read(2, 'ECHO and PING')).map((reply) => reply.toString())).toEqual(['$5\r\nhello\r\n', '+PONG\r\n']);
  });
});

describe('across transports', () => {
  it('a TCP publish reaches WebSocket subscribers of every subprotocol and its count includes them', async () => {
    const [json, msgpack, resp] = [await openWs('json'), await openWs('msgpack'), await openWs('resp')];
    const respReplies = new RespOverWs(resp);
    const tcpSubscriber = await ioredis();
    const tcpReceived: string[] = [];
    tcpSubscriber.on('message', (_channel: string, message: string) => tcpReceived.push(message));
    await tcpSubscriber.subscribe('cross:room');
    sendJson(json, ['SUBSCRIBE', 'cross:room']);
    msgpack.ws.send(pack(['SUBSCRIBE', 'cross:room']));
    respReplies.send('SUBSCRIBE', 'cross:room');
    await json.next(1, 'json confirmation');
    await msgpack.next(1, 'msgpack confirmation');
    await respReplies.read(1, 'resp confirmation');

    const publisher = await ioredis();
    expect(await publisher.publish('cross:room', 'to everyone')).toBe(4);
    expect(await json.nextTexts(1, 'json message')).toEqual(['["message","cross:room","to everyone"]']);
    expect(await msgpack.nextUnpacked(1, 'msgpack message')).toEqual([['message', 'cross:room', Buffer.from('to everyone')]]);
    expect((await respReplies.read(1, 'resp message')).map(String)).toEqual(['*3\r\n$7\r\nmessage\r\n$10\r\ncross:room\r\n$11\r\nto everyone\r\n']);
    await waitFor('the TCP subscriber', () => tcpReceived.length === 1);
    expect(tcpReceived).toEqual(['to everyone']);
  });

  it('a WebSocket publish reaches a TCP subscriber byte for byte', async () => {
    const tcpSubscriber = await ioredis();
    const received: Buffer[] = [];
    tcpSubscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => received.push(message));
    await tcpSubscriber.subscribe('cross:tcp');
    const [json, msgpack] = [await openWs('json'), await openWs('msgpack')];
    sendJson(json, ['PUBLISH', 'cross:tcp', 'from json']);
    expect(await json.nextTexts(1, 'the PUBLISH count')).toEqual(['1']);
    msgpack.ws.send(pack(['PUBLISH', 'cross:tcp', NON_UTF8]));
    expect(await msgpack.nextUnpacked(1, 'the PUBLISH count')).toEqual([1]);
    await waitFor('both messages over TCP', () => received.length === 2);
    expect(received).toEqual([Buffer.from('from json'), NON_UTF8]);
  });
});

describe('the handshake and HTTP', () => {
  it('an unknown subprotocol is refused with 400 and a body naming the ones spoken', async () => {
    const refusal = await refusedUpgrade(wsUrl(), 'xml');
    expect(refusal.status).toBe(400);
    expect(refusal.body).toMatch(/json, msgpack or resp/);
  });

  it('an upgrade on a path other than /ws is refused with 404', async () => {
    expect((await refusedUpgrade(wsUrl('/socket'))).status).toBe(404);
  });

  it('GET /healthz answers 200 ok', async () => {
    const response = await withTimeout(fetch(`http://${HOST}:${broker.httpPort}/healthz`), 'healthz');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });

  it('the chat page, its stylesheet and its compiled modules are served with their content types', async () => {
    const expected: [string, RegExp][] = [
      ['/', /^text\/html/],
      ['/web/style.css', /^text\/css/],
      ['/js/web/chat.js', /^text\/javascript/],
      ['/js/client/index.js', /^text\/javascript/],
    ];
    for (const [path, contentType] of expected) {
      const response = await withTimeout(fetch(`http://${HOST}:${broker.httpPort}${path}`), path);
      expect([path, response.status]).toEqual([path, 200]);
      expect(response.headers.get('content-type')).toMatch(contentType);
      await response.arrayBuffer();
    }
  });
});

describe('limits', () => {
  it.each(['json', 'msgpack'])('a %s frame over --ws-max-payload closes the connection with 1009', async (protocol) => {
    const inbox = await openWs(protocol);
    const oversized = 'x'.repeat(MAX_PAYLOAD_BYTES + 1024);
    inbox.ws.send(protocol === 'json' ? JSON.stringify(['ECHO', oversized]) : pack(['ECHO', oversized]));
    expect((await withTimeout(inbox.closed, 'the close')).code).toBe(1009);
  });

  it('a frame over twice --ws-max-payload is cut off by uWebSockets.js (1006) and the broker carries on', async () => {
    // uWS reads at most maxPayloadLength (2x the limit, so 1009 can be sent above it); past that it
    // drops the connection without a close frame rather than buffer the rest (docs/transports.md).
    const inbox = await openWs('json');
    inbox.ws.send(JSON.stringify(['ECHO', 'x'.repeat(4 * MAX_PAYLOAD_BYTES)]));
    expect((await withTimeout(inbox.closed, 'the close')).code).toBe(1006);
    const next = await openWs('json');
    sendJson(next, ['PING']);
    expect(await next.nextTexts(1, 'the PONG')).toEqual([JSON.stringify('PONG')]);
  });

  it('a frame just under --ws-max-payload is answered', async () => {
    const inbox = await openWs('json');
    const largest = 'y'.repeat(MAX_PAYLOAD_BYTES - 64);
    sendJson(inbox, ['ECHO', largest]);
    expect(await inbox.nextTexts(1, 'the echo')).toEqual([JSON.stringify(largest)]);
  });

  describe('a subscriber that stops reading', () => {
    let limited: BrokerHandle;

    beforeAll(async () => {
      limited = await startBroker({ workers: 1, args: ['--client-output-buffer-limit', 'pubsub 1mb 0 0'] });
    });

    afterAll(async () => {
      await limited?.stop();
    });

    it('is closed with 1008 once over the pubsub output limit, and counted in INFO', async () => {
      const inbox = await openWs('json', limited);
      sendJson(inbox, ['SUBSCRIBE', 'flood']);
      await inbox.next(1, 'the confirmation');
      // Stop reading: what the server sends piles up in its output buffer.
      (inbox.ws as unknown as { _socket: net.Socket })._socket.pause();

      const publisher = net.connect(limited.port, HOST);
      closers.push(() => publisher.destroy());
      publisher.on('error', () => {});
      await withTimeout(new Promise((resolve) => publisher.once('connect', resolve)), 'the publisher to connect');
      let repliedBytes = 0;
      publisher.on('data', (chunk: Buffer) => { repliedBytes += chunk.length; });
      const batch = Buffer.concat(
        Array.from({ length: FLOOD_BATCH_SIZE }, () => encodeCommand('PUBLISH', 'flood', 'z'.repeat(FLOOD_PAYLOAD_BYTES))),
      );
      let disconnections = 0;
      for (let sent = 0; sent < MAX_FLOOD_BATCHES && disconnections === 0; sent++) {
        const repliedBefore = repliedBytes;
        publisher.write(batch);
        await waitFor('the batch to be answered', () => repliedBytes > repliedBefore);
        disconnections = await infoStat(limited, 'client_output_buffer_limit_disconnections');
      }
      expect(disconnections).toBe(1);

      // Reading again: the frames already buffered, then the server's close frame.
      (inbox.ws as unknown as { _socket: net.Socket })._socket.resume();
      expect((await withTimeout(inbox.closed, 'the close')).code).toBe(1008);
    });
  });
});
