// A client session's connection over one long HTTP response: the
// HTTP-streaming and SSE transports, bidirectional (emulation) and
// unidirectional alike. Each writes the response head once, then every
// protocol message in its framing; a close ends the response (the session has
// already written a disconnect push, the only way a stream can say why).
//
// Over HTTP/1.1 the socket is taken over from Node's HTTP server once the head
// is out (socket-takeover.ts): the body is then chunks written to the socket
// directly, and a broadcast hands every subscriber the same chunk Buffer (size
// line, framed message, CRLF built once), where res.write would build a size
// line and four writes per subscriber. Where the socket cannot be taken
// (HTTP/1.0, HTTP/2) the response writes and frames, as before.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Transport, TransportMode } from '../client/transport.js';
import type { Frame, ProtocolName } from '../protocol/codec.js';
import { takeOverSocket } from './socket-takeover.js';

export interface StreamFraming {
  /** Content-Type of the stream (SSE's text/event-stream); none for HTTP-streaming, as Centrifugo. */
  contentType?: string;
  /** Written right after the head (SSE: an empty line, so proxies and EventSource see the stream start). */
  preamble?: string;
  /** One transport message (several protocol messages already joined) as it goes on the stream. */
  frame(message: Frame): Buffer;
  /** Frame each message separately (SSE: an event each) instead of joining them first. */
  frameEach: boolean;
}

/** Keeps the last framed payload: a broadcast hands the same Buffer to every subscriber in turn. */
function lastFramedOnce(frame: (m: Frame) => Buffer): (m: Frame) => Buffer {
  let lastIn: Frame | null = null;
  let lastOut: Buffer | null = null;
  return (m) => {
    if (m !== lastIn || lastOut === null || typeof m === 'string') {
      lastOut = frame(m);
      lastIn = m;
    }
    return lastOut;
  };
}

/** One chunk of a chunked body: its size in hex, CRLF, the bytes, CRLF. */
function chunkOf(payload: Buffer): Buffer {
  const size = payload.length.toString(16);
  const out = Buffer.allocUnsafe(size.length + payload.length + 4);
  out.write(size, 0, 'latin1');
  out.write('\r\n', size.length, 'latin1');
  payload.copy(out, size.length + 2);
  out.write('\r\n', size.length + 2 + payload.length, 'latin1');
  return out;
}

/** chunkOf, remembering the last payload: the framings above hand every subscriber of a broadcast the same one. */
function lastChunkOnce(): (payload: Buffer) => Buffer {
  let lastIn: Buffer | null = null;
  let lastOut: Buffer | null = null;
  return (payload) => {
    if (payload !== lastIn || lastOut === null) {
      lastOut = chunkOf(payload);
      lastIn = payload;
    }
    return lastOut;
  };
}

/** Shared by every stream: broadcasts are written one subscriber after the other, in one turn. */
const sharedChunk = lastChunkOnce();

const NEWLINE = Buffer.from('\n');
const SSE_HEAD = Buffer.from('data: ');
const SSE_TAIL = Buffer.from('\n\n');
const bytes = (m: Frame) => (typeof m === 'string' ? Buffer.from(m) : m);

/** HTTP-streaming, JSON: each message on a line of its own. */
export const JSON_LINES: StreamFraming = { frame: lastFramedOnce((m) => Buffer.concat([bytes(m), NEWLINE])), frameEach: false };
/** HTTP-streaming, Protobuf: the varint-delimited messages as they are. */
export const PROTOBUF_DELIMITED: StreamFraming = { frame: bytes, frameEach: false };
/** SSE: each message one event (`data: …` and an empty line). */
export const SSE_EVENTS: StreamFraming = {
  contentType: 'text/event-stream; charset=utf-8',
  preamble: '\r\n',
  frame: lastFramedOnce((m) => Buffer.concat([SSE_HEAD, bytes(m), SSE_TAIL])),
  frameEach: true,
};

/** Centrifugo's write deadline for streaming responses. */
const STREAM_WRITE_TIMEOUT_MS = 1000;
/** The chunked body's end. */
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

export class HttpStreamTransport implements Transport {
  readonly disconnectPush = true;
  readonly writeTimeoutMs = STREAM_WRITE_TIMEOUT_MS;
  readonly writeMany: ((messages: Frame[]) => void) | undefined;
  private started = false;
  private ended = false;
  private closedFired = false;
  private onClosed: (() => void) | null = null;
  /** The socket once taken over (see the top); null while the response writes. */
  private direct: Socket | null = null;
  /** Until the socket is taken over: let go of then, so a long stream does not keep Node's request and response. */
  private req: IncomingMessage | null;
  private res: ServerResponse | null;
  /** HTTP/1.x: Connection: keep-alive is sent (a header HTTP/2 forbids). */
  private readonly http1: boolean;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    readonly name: string,
    readonly protocol: ProtocolName,
    readonly mode: TransportMode,
    private readonly framing: StreamFraming,
  ) {
    this.req = req;
    this.res = res;
    this.http1 = req.httpVersionMajor === 1;
    this.writeMany = framing.frameEach ? (messages) => this.writeBytes(Buffer.concat(messages.map((m) => framing.frame(m)))) : undefined;
    res.once('close', this.fireClosed);
  }

  /** Calls `fn` once, when the stream is gone: the client left, the socket failed, or close() finished. */
  whenClosed(fn: () => void): void {
    this.onClosed = fn;
  }

  private readonly fireClosed = (): void => {
    if (this.closedFired) return;
    this.closedFired = true;
    this.onClosed?.();
  };

  /** Sends the head (200 and the no-caching, no-buffering headers) and the preamble, once. */
  start(): void {
    const res = this.res;
    if (this.started || this.ended || !res) return;
    this.started = true;
    if (this.http1) res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    if (this.framing.contentType) res.setHeader('Content-Type', this.framing.contentType);
    res.setHeader('Cache-Control', 'private, no-cache, no-store, must-revalidate, max-age=0');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Expire', '0');
    res.writeHead(200);
    res.flushHeaders();
    const socket = this.req ? takeOverSocket(this.req, res) : null;
    if (socket) {
      // The response no longer hears of its socket: the session's end now follows the socket's.
      res.removeListener('close', this.fireClosed);
      socket.once('close', this.fireClosed);
      this.direct = socket;
      this.req = null;
      this.res = null;
    }
    if (this.framing.preamble) this.writeBytes(Buffer.from(this.framing.preamble));
  }

  /** Whether the head went out: until then a failed connect may still answer with another status. */
  get headSent(): boolean {
    return this.started;
  }

  bufferedAmount(): number {
    return this.direct ? this.direct.writableLength : (this.res?.writableLength ?? 0);
  }

  write(message: Frame): void {
    this.writeBytes(this.framing.frame(message));
  }

  private writeBytes(payload: Buffer): void {
    if (this.ended) return;
    this.start();
    const socket = this.direct;
    if (socket) {
      if (!socket.destroyed) socket.write(sharedChunk(payload));
    } else if (this.res && !this.res.destroyed) this.res.write(payload);
  }

  // Nothing is read from a stream's request after its body: commands arrive through the emulation endpoint.
  pauseReading(): void {}
  resumeReading(): void {}

  close(): void {
    if (this.ended) return;
    this.start();
    this.ended = true;
    const socket = this.direct;
    if (!socket) {
      this.res?.end();
      return;
    }
    if (socket.destroyed) return;
    socket.end(LAST_CHUNK);
    // A client that stopped reading never takes the rest: give it the write deadline, then let go.
    socket.setTimeout(STREAM_WRITE_TIMEOUT_MS, () => socket.destroy());
  }
}
