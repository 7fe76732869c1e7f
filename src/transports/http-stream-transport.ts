// A client session's connection over one long HTTP response: the
// HTTP-streaming and SSE transports, bidirectional (emulation) and
// unidirectional alike. Each writes the response head once, then every
// protocol message in its framing; a close ends the response (the session has
// already written a disconnect push, the only way a stream can say why).

import type { ServerResponse } from 'node:http';
import type { Transport, TransportMode } from '../client/transport.js';
import type { Frame, ProtocolName } from '../protocol/codec.js';

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

export class HttpStreamTransport implements Transport {
  readonly disconnectPush = true;
  readonly writeTimeoutMs = STREAM_WRITE_TIMEOUT_MS;
  readonly writeMany: ((messages: Frame[]) => void) | undefined;
  private started = false;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    readonly name: string,
    readonly protocol: ProtocolName,
    readonly mode: TransportMode,
    private readonly framing: StreamFraming,
    /** HTTP/1.x: Connection: keep-alive (a header HTTP/2 forbids). */
    private readonly http1: boolean,
  ) {
    this.writeMany = framing.frameEach ? (messages) => this.writeBytes(Buffer.concat(messages.map((m) => framing.frame(m)))) : undefined;
  }

  /** Sends the head (200 and the no-caching, no-buffering headers) and the preamble, once. */
  start(): void {
    if (this.started || this.ended) return;
    this.started = true;
    const res = this.res;
    if (this.http1) res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    if (this.framing.contentType) res.setHeader('Content-Type', this.framing.contentType);
    res.setHeader('Cache-Control', 'private, no-cache, no-store, must-revalidate, max-age=0');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Expire', '0');
    res.writeHead(200);
    if (this.framing.preamble) res.write(this.framing.preamble);
  }

  /** Whether the head went out: until then a failed connect may still answer with another status. */
  get headSent(): boolean {
    return this.started;
  }

  bufferedAmount(): number {
    return this.res.writableLength;
  }

  write(message: Frame): void {
    this.writeBytes(this.framing.frame(message));
  }

  private writeBytes(chunk: Buffer): void {
    if (this.ended || this.res.destroyed) return;
    this.start();
    this.res.write(chunk);
  }

  // Nothing is read from a stream's request after its body: commands arrive through the emulation endpoint.
  pauseReading(): void {}
  resumeReading(): void {}

  close(): void {
    if (this.ended) return;
    this.start();
    this.ended = true;
    this.res.end();
  }
}
