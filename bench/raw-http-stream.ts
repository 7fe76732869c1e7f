// A minimal client for the streaming HTTP transports (http_stream, sse and
// their unidirectional versions) over node:net, as cheap per message as
// raw-ws.ts: one request, then a chunked response decoded in place, and every
// complete message handed to the caller as a (buffer, start, end) range.
// Messages are lines: JSON lines as they are, SSE events as their `data: `
// lines with the prefix cut (the server writes one data line per event);
// every other SSE line (the preamble, blank separators) is skipped.

import net from 'node:net';
import type { Framing } from './transports.js';

export interface RawHttpStreamHandler {
  /** The response head was 200: the stream is open. */
  onOpen(conn: RawHttpStream): void;
  /** One message in buf[start, end); valid only during the call. */
  onMessage(conn: RawHttpStream, buf: Buffer, start: number, end: number): void;
  /** The stream is gone (the server ended it, or it failed). */
  onClose(conn: RawHttpStream, error: Error | undefined): void;
  onBytes?(conn: RawHttpStream, n: number): void;
}

export interface RawHttpStreamOptions {
  host: string;
  port: number;
  /** Path and query. */
  path: string;
  method: 'GET' | 'POST';
  /** The request body (POST). */
  body?: string;
  framing: Framing;
  localAddress?: string;
  /** Give up when no response head arrived by then. */
  timeoutMs?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const C_CR = 0x0d;
const C_LF = 0x0a;
const SSE_DATA = Buffer.from('data: ');

/** Where the chunked decoder is: in a size line, in chunk data, or in the CRLF after it. */
const enum Chunk {
  Size,
  Data,
  DataEnd,
}

/** The first LF in buf[from, to), or -1 (indexOf would scan the shared read buffer past `to`). */
function findLf(buf: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) if (buf[i] === C_LF) return i;
  return -1;
}

export class RawHttpStream {
  private readonly socket: net.Socket;
  private open = false;
  private closed = false;
  private head: Buffer | null = Buffer.alloc(0);
  private chunked = false;
  private state = Chunk.Size;
  private sizeLine = '';
  private left = 0;
  /** The start of a message not complete yet (copied out of the shared read buffer). */
  private partial: Buffer | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** Free for the caller's per-connection state. */
  index = 0;

  constructor(
    private readonly opts: RawHttpStreamOptions,
    private readonly handler: RawHttpStreamHandler,
  ) {
    const socket = net.connect({
      host: opts.host,
      port: opts.port,
      localAddress: opts.localAddress,
      onread: { buffer: READ_BUFFER, callback: (n: number) => this.onRead(n) },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', this.onConnect);
    socket.on('error', (err: Error) => this.fail(err));
    socket.on('close', () => this.finish(this.open ? undefined : new Error('closed before the response head')));
    if (opts.timeoutMs) this.timer = setTimeout(() => this.fail(new Error('no response head in time')), opts.timeoutMs);
  }

  private readonly onConnect = (): void => {
    const body = this.opts.body !== undefined ? Buffer.from(this.opts.body) : null;
    let req = `${this.opts.method} ${this.opts.path} HTTP/1.1\r\nHost: ${this.opts.host}:${this.opts.port}\r\n`;
    if (this.opts.framing === 'sse') req += 'Accept: text/event-stream\r\n';
    if (body) req += `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`;
    this.socket.write(req + '\r\n');
    if (body) this.socket.write(body);
  };

  private fail(err: Error): void {
    if (this.closed) return;
    this.finish(err);
    this.socket.destroy();
  }

  private finish(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.handler.onClose(this, err);
  }

  private onRead(n: number): boolean {
    this.handler.onBytes?.(this, n);
    if (this.closed) return true;
    if (this.head === null) {
      this.body(READ_BUFFER, 0, n);
      return true;
    }
    const buf = Buffer.concat([this.head, READ_BUFFER.subarray(0, n)]);
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      if (buf.length > 16384) this.fail(new Error('response head too large'));
      else this.head = buf;
      return true;
    }
    const head = buf.toString('latin1', 0, end);
    this.head = null;
    const status = head.slice(0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.[01] 200/.test(status)) {
      this.fail(new Error(`refused: ${status}`));
      return true;
    }
    this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.open = true;
    this.handler.onOpen(this);
    if (end + 4 < buf.length) this.body(buf, end + 4, buf.length);
    return true;
  }

  /** Decodes the chunked framing of buf[from, to) and passes the payload on. */
  private body(buf: Buffer, from: number, to: number): void {
    if (!this.chunked) return this.payload(buf, from, to);
    let pos = from;
    while (pos < to && !this.closed) {
      if (this.state === Chunk.Size) {
        const lf = findLf(buf, pos, to);
        if (lf < 0) {
          this.sizeLine += buf.toString('latin1', pos, to);
          return;
        }
        const line = this.sizeLine + buf.toString('latin1', pos, lf);
        this.sizeLine = '';
        pos = lf + 1;
        const size = parseInt(line, 16);
        if (!Number.isFinite(size)) return this.fail(new Error(`bad chunk size line ${JSON.stringify(line)}`));
        if (size === 0) {
          this.socket.end(); // the last chunk: the stream is over
          return;
        }
        this.left = size;
        this.state = Chunk.Data;
      } else if (this.state === Chunk.Data) {
        const take = Math.min(this.left, to - pos);
        this.payload(buf, pos, pos + take);
        pos += take;
        this.left -= take;
        if (this.left === 0) {
          this.state = Chunk.DataEnd;
          this.left = 2;
        }
      } else {
        const take = Math.min(this.left, to - pos);
        pos += take;
        this.left -= take;
        if (this.left === 0) this.state = Chunk.Size;
      }
    }
  }

  /** Splits the payload into lines; a line cut by a chunk or read boundary waits in `partial`. */
  private payload(buf: Buffer, from: number, to: number): void {
    let pos = from;
    if (this.partial !== null) {
      const lf = findLf(buf, pos, to);
      if (lf < 0) {
        this.partial = Buffer.concat([this.partial, buf.subarray(pos, to)]);
        return;
      }
      const whole = Buffer.concat([this.partial, buf.subarray(pos, lf)]);
      this.partial = null;
      this.line(whole, 0, whole.length);
      pos = lf + 1;
    }
    while (pos < to && !this.closed) {
      const lf = findLf(buf, pos, to);
      if (lf < 0) {
        this.partial = Buffer.from(buf.subarray(pos, to));
        return;
      }
      this.line(buf, pos, lf);
      pos = lf + 1;
    }
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === C_CR) end--;
    if (end <= start) return;
    if (this.opts.framing === 'lines') return this.handler.onMessage(this, buf, start, end);
    if (end - start > SSE_DATA.length && buf.compare(SSE_DATA, 0, SSE_DATA.length, start, start + SSE_DATA.length) === 0) {
      this.handler.onMessage(this, buf, start + SSE_DATA.length, end);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
