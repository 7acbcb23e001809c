/**
 * The WebSocket side of a generator subscriber (generator processes): just enough RFC 6455 client
 * to subscribe over the `resp` subprotocol and read a flood of server frames, over a plain
 * net.Socket. Why not the `ws` package: it hands out one Buffer per message (and per fragment), and
 * a WebSocket fan-out bench makes the subscriber side the busiest process of the run; here a
 * frame's payload is fed to the RespReader in place, so a subscriber costs the same per message
 * over WebSocket as over TCP plus one frame header.
 *
 * With `resp`, binary messages carry raw RESP as a byte stream (a message may hold many pub/sub
 * frames, or part of one), so the RESP reader and everything after it are the TCP subscriber's.
 *
 *   client ── GET <path>, Upgrade: websocket, Sec-WebSocket-Protocol: resp ──▶ server
 *          ◀── 101, Sec-WebSocket-Accept, Sec-WebSocket-Protocol: resp ───────
 *          ── masked binary frames: SUBSCRIBE ... (set-up only) ─────────────▶
 *          ◀── unmasked binary frames: RESP bytes; ping → pong; close → close
 *
 * Invariants: nothing is allocated per data frame (a frame header split across TCP chunks is
 * gathered in a 14-byte buffer owned by the decoder); control frames (ping, close) are rare and may
 * allocate; a protocol violation by the server throws WsProtocolError from feed().
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

export const WS_SUBPROTOCOL = 'resp';
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HANDSHAKE_BYTES = 16 * 1024;
const MAX_HEADER_BYTES = 14;
const MAX_CONTROL_PAYLOAD_BYTES = 125;
const HEADER_END = Buffer.from('\r\n\r\n');

export class WsProtocolError extends Error {}

export interface WsEndpoint {
  host: string;
  port: number;
  /** Path and query, e.g. `/ws`. */
  path: string;
}

/** Parses `ws://host:port/path`; throws a message naming the bad URL (wss is not supported). */
export function parseWsUrl(url: string): WsEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${url}' is not a URL (expected ws://host:port/path)`);
  }
  if (u.protocol !== 'ws:') throw new Error(`'${url}': only ws:// URLs are supported`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port === '' ? 80 : Number(u.port), path: `${u.pathname}${u.search}` };
}

/**
 * Connects and performs the opening handshake for `subprotocol`. Resolves with the socket (its
 * 'data' listeners removed) and any bytes that followed the 101 response in the same chunk (frames
 * the caller must feed first). Rejects when the server answers anything but 101 with the right
 * accept key and subprotocol.
 */
export function openWebSocket(endpoint: WsEndpoint, subprotocol: string): Promise<{ socket: net.Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const where = `ws://${endpoint.host}:${endpoint.port}${endpoint.path}`;
    const socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true });
    const key = randomBytes(16).toString('base64');
    let head: Buffer = Buffer.alloc(0);
    const fail = (message: string): void => {
      socket.destroy();
      reject(new Error(`WebSocket ${where}: ${message}`));
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf(HEADER_END);
      if (end === -1) {
        if (head.length > MAX_HANDSHAKE_BYTES) fail('handshake response too long');
        return;
      }
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      const lines = head.toString('latin1', 0, end).split('\r\n');
      const status = lines[0];
      if (!/^HTTP\/1\.1 101 /.test(status)) {
        fail(`expected 101 Switching Protocols, got '${status}' ${head.toString('utf8', end + 4, end + 204).trim()}`);
        return;
      }
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
      if (headers.get('sec-websocket-accept') !== accept) return fail('wrong Sec-WebSocket-Accept');
      if (headers.get('sec-websocket-protocol') !== subprotocol) {
        return fail(`the server did not accept subprotocol '${subprotocol}' (answered '${headers.get('sec-websocket-protocol') ?? ''}')`);
      }
      resolve({ socket, rest: head.subarray(end + HEADER_END.length) });
    };
    const onError = (err: Error): void => fail(err.message);
    const onClose = (): void => fail('the server closed the connection during the handshake');
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('connect', () => {
      socket.write(`GET ${endpoint.path} HTTP/1.1\r\nHost: ${endpoint.host}:${endpoint.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${subprotocol}\r\n\r\n`);
    });
  });
}

/** One client → server frame, masked as RFC 6455 §5.3 requires (set-up commands and control replies only). */
export function encodeClientFrame(payload: Buffer, opcode = OPCODE_BINARY): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + 4 + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const maskAt = 2 + lengthBytes;
  randomBytes(4).copy(frame, maskAt);
  const dataAt = maskAt + 4;
  for (let i = 0; i < length; i++) frame[dataAt + i] = payload[i] ^ frame[maskAt + (i & 3)];
  return frame;
}

/**
 * Server → client frame decoder. Data frames (binary, text, continuation) go to `onData` as ranges
 * of the chunk, split wherever TCP split them; control frames are gathered whole and go to
 * `onControl`.
 */
export class WsFrameDecoder {
  private readonly header = Buffer.allocUnsafe(MAX_HEADER_BYTES);
  private headerBytes = 0;
  /** Bytes of the current frame's payload still to come (0: expecting a header). */
  private payloadLeft = 0;
  private opcode = 0;
  private control: Buffer | null = null;
  private controlBytes = 0;

  constructor(
    private readonly onData: (buf: Buffer, start: number, end: number) => void,
    private readonly onControl: (opcode: number, payload: Buffer) => void,
  ) {}

  feed(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.payloadLeft === 0) {
        pos = this.readHeader(chunk, pos, end);
        continue;
      }
      const take = Math.min(this.payloadLeft, end - pos);
      if (this.control === null) {
        this.onData(chunk, pos, pos + take);
      } else {
        chunk.copy(this.control, this.controlBytes, pos, pos + take);
        this.controlBytes += take;
      }
      pos += take;
      this.payloadLeft -= take;
      if (this.payloadLeft === 0) this.endFrame();
    }
  }

  /** Consumes header bytes at `pos`; returns the new position (the header may stay incomplete). */
  private readHeader(chunk: Buffer, pos: number, end: number): number {
    let src = chunk;
    let at = pos;
    const available = end - pos;
    if (this.headerBytes > 0 || available < 2 || available < headerLength(chunk[pos + 1])) {
      // Gather the header: it straddles chunks (rare; at most 14 bytes).
      const need = this.headerBytes < 2 ? 2 : headerLength(this.header[1]);
      const take = Math.min(need - this.headerBytes, available);
      chunk.copy(this.header, this.headerBytes, pos, pos + take);
      this.headerBytes += take;
      if (this.headerBytes < need) return pos + take;
      if (need === 2 && headerLength(this.header[1]) > 2) return pos + take;
      src = this.header;
      at = 0;
      pos += take;
      this.headerBytes = 0;
    }
    const b0 = src[at];
    const b1 = src[at + 1];
    if ((b1 & 0x80) !== 0) throw new WsProtocolError('the server sent a masked frame');
    if ((b0 & 0x70) !== 0) throw new WsProtocolError('the server set RSV bits (no extension was negotiated)');
    let length = b1 & 0x7f;
    let size = 2;
    if (length === 126) {
      length = src.readUInt16BE(at + 2);
      size = 4;
    } else if (length === 127) {
      if (src.readUInt32BE(at + 2) !== 0) throw new WsProtocolError('frame of 4 GiB or more');
      length = src.readUInt32BE(at + 6);
      size = 10;
    }
    this.opcode = b0 & 0x0f;
    if (this.opcode >= OPCODE_CLOSE) {
      if (length > MAX_CONTROL_PAYLOAD_BYTES) throw new WsProtocolError(`control frame of ${length} bytes`);
      this.control = Buffer.allocUnsafe(length);
      this.controlBytes = 0;
    } else if (this.opcode > OPCODE_BINARY) {
      throw new WsProtocolError(`unknown opcode ${this.opcode}`);
    }
    this.payloadLeft = length;
    if (length === 0) this.endFrame();
    return src === chunk ? at + size : pos;
  }

  private endFrame(): void {
    const control = this.control;
    if (control === null) return;
    this.control = null;
    this.onControl(this.opcode, control);
  }
}

/** Header bytes of a server frame (no mask key) given its second byte. */
function headerLength(b1: number): number {
  const length = b1 & 0x7f;
  return length === 126 ? 4 : length === 127 ? 10 : 2;
}
