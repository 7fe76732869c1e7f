// Bidirectional WebSocket transport at /connection/websocket (JSON protocol).
// `ws` enforces websocket.message_size_limit itself and closes with 1009.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientSession } from '../client/client.js';
import type { SessionContext } from '../client/session-context.js';
import type { Node } from '../node/node.js';
import type { Transport, TransportMode } from '../client/transport.js';
import type { ProtocolName } from '../protocol/codec.js';
import { PROTOBUF_SUBPROTOCOL } from '../protocol/protobuf/codec.js';
import type { Frame } from '../protocol/codec.js';
import type { Admission } from './admission.js';

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** One unfragmented, unmasked WebSocket data frame (RFC 6455 §5.2). */
export function dataFrame(payload: Buffer, opcode: number): Buffer {
  const len = payload.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLen + len);
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = len;
  } else if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  payload.copy(out, headerLen);
  return out;
}

// A broadcast hands the same payload Buffer to every subscriber of a channel,
// and the flush writes those subscribers one after the other: remembering the
// last framed payload turns "allocate and copy per socket" into "per broadcast".
let lastPayload: Buffer | null = null;
let lastOpcode = 0;
let lastFramed: Buffer | null = null;

function framedOnce(payload: Buffer, opcode: number): Buffer {
  if (payload !== lastPayload || opcode !== lastOpcode || lastFramed === null) {
    lastFramed = dataFrame(payload, opcode);
    lastPayload = payload;
    lastOpcode = opcode;
  }
  return lastFramed;
}

/**
 * The socket under a `ws` connection. ws writes data frames synchronously when
 * it neither compresses (perMessageDeflate is off) nor sends Blobs (we never
 * do), so our direct writes keep their order with its close and pong frames.
 */
function rawSocket(ws: WebSocket): Duplex | undefined {
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  return socket && socket.writable ? socket : undefined;
}

const TEXT = { binary: false };
const BINARY = { binary: true };

/** How long to wait for the peer's closing handshake before dropping the socket. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;

export interface WebsocketTransportOptions {
  name: string;
  mode: TransportMode;
  /** A disconnect push before the close frame (uni_websocket unless disable_disconnect_push). */
  disconnectPush: boolean;
  /** Each protocol message in a frame of its own instead of joined (uni_websocket without join_push_messages). */
  frameEach: boolean;
  /** Drop the socket without a close frame (uni_websocket.disable_closing_handshake). */
  noClosingHandshake: boolean;
  /** Unset: websocket.write_timeout. */
  writeTimeoutMs?: number;
}

const BIDIRECTIONAL: WebsocketTransportOptions = {
  name: 'websocket',
  mode: 'bidirectional',
  disconnectPush: false,
  frameEach: false,
  noClosingHandshake: false,
};

export class WebsocketTransport implements Transport {
  readonly name: string;
  readonly mode: TransportMode;
  readonly disconnectPush: boolean;
  readonly writeMany: ((messages: Frame[]) => void) | undefined;
  readonly writeTimeoutMs: number | undefined;

  private readonly sendOptions: { binary: boolean };

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: ProtocolName,
    private readonly options: WebsocketTransportOptions = BIDIRECTIONAL,
  ) {
    this.name = options.name;
    this.mode = options.mode;
    this.disconnectPush = options.disconnectPush;
    this.writeTimeoutMs = options.writeTimeoutMs;
    this.writeMany = options.frameEach ? (messages) => messages.forEach((m) => this.write(m)) : undefined;
    // JSON frames are Buffers too, but must go out as text frames.
    this.sendOptions = protocol === 'protobuf' ? BINARY : TEXT;
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  write(message: string | Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const socket = rawSocket(this.ws);
    if (socket === undefined || typeof message === 'string') {
      this.ws.send(message, this.sendOptions);
      return;
    }
    // Server frames are never masked, so a data frame is just a header and the
    // payload: written as one buffer with one socket.write, instead of ws's
    // header allocation, cork, two writes and uncork for every delivery.
    socket.write(framedOnce(message, this.sendOptions.binary ? OPCODE_BINARY : OPCODE_TEXT));
  }

  pauseReading(): void {
    this.ws.pause();
  }

  resumeReading(): void {
    this.ws.resume();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.options.noClosingHandshake) {
      this.ws.terminate();
      return;
    }
    const { code: safeCode, reason: safeReason } = closeFrameArgs(code, reason);
    this.ws.close(safeCode, safeReason);
    const ws = this.ws;
    setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_TIMEOUT_MS).unref();
  }
}

export class WebsocketEndpoint {
  private readonly wss: WebSocketServer;
  /** Received-message counters bound once per frame type, not looked up per message. */
  private readonly received;

  private readonly node: Node;

  /** `sessions` is what every session this endpoint accepts shares (the node, the token verifiers). */
  constructor(
    private readonly sessions: SessionContext,
    private readonly admission: Admission,
  ) {
    const node = sessions.node;
    this.node = node;
    const cfg = node.config;
    this.wss = new WebSocketServer({
      noServer: true,
      // We never read wss.clients: tracking would cost a Set entry and a close listener per connection.
      clientTracking: false,
      maxPayload: cfg.websocket.message_size_limit,
      perMessageDeflate: false,
      // The Protobuf SDK asks for `centrifuge-protobuf`; browsers abort the
      // handshake unless it is echoed. JSON clients ask for nothing (or `centrifuge-json`).
      handleProtocols: (offered: Set<string>) =>
        offered.has(PROTOBUF_SUBPROTOCOL) ? PROTOBUF_SUBPROTOCOL : offered.has(JSON_SUBPROTOCOL) ? JSON_SUBPROTOCOL : false,
    });
    const bind = (frame_type: string) => ({
      count: node.metrics.messagesReceived.labels({ transport: 'websocket', frame_type }),
      size: node.metrics.messagesReceivedSize.labels({ transport: 'websocket', frame_type }),
    });
    this.received = { text: bind('text'), binary: bind('binary') };
  }

  get path(): string {
    return this.node.config.websocket.handler_prefix;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.admission.originAllowed(req)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!this.admission.admit()) return rejectUpgrade(socket, 503, 'Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const node = this.node;
    const client = new ClientSession(this.sessions, new WebsocketTransport(ws, protocolOf(ws, req)), this.admission.connectionContext(req));
    node.trackConnection(client);
    const received = this.received;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const counters = isBinary ? received.binary : received.text;
      counters.count.inc();
      counters.size.inc(data.length);
      client.handleMessage(data);
    });
    ws.on('close', () => {
      node.untrackConnection(client);
      client.onTransportClosed();
    });
    ws.on('error', (err) => {
      node.log.debug({ err: err.message, client: client.id }, 'websocket error');
    });
  }

  close(): void {
    this.wss.close();
  }
}

const JSON_SUBPROTOCOL = 'centrifuge-json';

/** The subprotocol decides; `?format=protobuf` / `?cf_protocol=protobuf` are the legacy way to ask. */
function protocolOf(ws: WebSocket, req: IncomingMessage): ProtocolName {
  if (ws.protocol === PROTOBUF_SUBPROTOCOL) return 'protobuf';
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  return query.get('format') === 'protobuf' || query.get('cf_protocol') === 'protobuf' ? 'protobuf' : 'json';
}

/**
 * A close frame carries at most 123 bytes of reason and only codes a peer may
 * receive; an API caller can ask for anything, so clamp rather than throw.
 */
export function closeFrameArgs(code: number, reason: string): { code: number; reason: string } {
  const validCode = Number.isInteger(code) && ((code >= 3000 && code <= 4999) || code === 1000 || code === 1001 || code === 1011);
  let r = reason;
  if (Buffer.byteLength(r) > 123) {
    const bytes = Buffer.from(r).subarray(0, 123);
    // Cut at a character boundary: drop a partial UTF-8 sequence at the end.
    r = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD$/, '');
    while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  }
  return validCode ? { code, reason: r } : { code: 3503, reason: 'force disconnect' };
}

export function rejectUpgrade(socket: Duplex, status: number, text: string, body = ''): void {
  const type = body === '' ? '' : 'Content-Type: text/plain; charset=utf-8\r\n';
  socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.destroy();
}
