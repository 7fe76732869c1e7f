// A minimal WebSocket client over node:net for the load generator. It does the
// opening handshake, sends masked text frames, and hands every complete text
// message to the caller as a (buffer, start, end) range of the received chunk:
// no string, no copy, no event per message. Server frames are never masked.
// Fragmented messages are reassembled; pings are answered; close is echoed.

import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface RawWsHandler {
  /** The handshake succeeded. */
  onOpen(conn: RawWs): void;
  /** One complete text (or binary) message in buf[start, end); valid only during the call. */
  onMessage(conn: RawWs, buf: Buffer, start: number, end: number): void;
  /** The connection is gone; `code` is the close frame's code (1006 when there was none). */
  onClose(conn: RawWs, code: number, error: Error | undefined): void;
  /** Called with each received chunk's size, before the messages it holds are handed over. */
  onBytes?(conn: RawWs, n: number): void;
}

export interface RawWsOptions {
  host: string;
  port: number;
  path: string;
  localAddress?: string;
  headers?: Record<string, string>;
  /** Give up on the handshake after this long. */
  timeoutMs?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** Every socket reads into this one buffer; see the constructor. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class RawWs {
  private readonly socket: net.Socket;
  private open = false;
  private closed = false;
  private handshake: Buffer | null = Buffer.alloc(0);
  private pending: Buffer | null = null;
  private fragments: Buffer[] | null = null;
  private closeCode = 1006;
  private timer: NodeJS.Timeout | null = null;

  /** Free for the caller's per-connection state. */
  index = 0;

  constructor(
    private readonly opts: RawWsOptions,
    private readonly handler: RawWsHandler,
  ) {
    // `onread` hands us each read in one shared buffer: no Buffer and no
    // stream event per read. Everything is consumed before the callback
    // returns; only a partial frame is copied out.
    const socket = net.connect({
      host: opts.host,
      port: opts.port,
      localAddress: opts.localAddress,
      onread: { buffer: READ_BUFFER, callback: (n: number) => this.onRead(n) },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', this.onConnect);
    socket.on('error', this.onError);
    socket.on('close', this.onSocketClose);
    if (opts.timeoutMs) {
      this.timer = setTimeout(() => this.fail(new Error('handshake timeout')), opts.timeoutMs);
    }
  }

  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  private readonly onConnect = (): void => {
    const key = randomBytes(16).toString('base64');
    let req =
      `GET ${this.opts.path} HTTP/1.1\r\nHost: ${this.opts.host}:${this.opts.port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
    for (const [k, v] of Object.entries(this.opts.headers ?? {})) req += `${k}: ${v}\r\n`;
    this.socket.write(req + '\r\n');
  };

  private readonly onError = (err: Error): void => {
    this.fail(err);
  };

  private fail(err: Error): void {
    if (this.closed) return;
    this.finish(1006, err);
    this.socket.destroy();
  }

  private readonly onSocketClose = (): void => {
    this.finish(this.closeCode, undefined);
  };

  private finish(code: number, err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.handler.onClose(this, code, err);
  }

  private onRead(n: number): boolean {
    this.handler.onBytes?.(this, n);
    if (this.closed) return true;
    if (this.handshake !== null) {
      const buf = Buffer.concat([this.handshake, READ_BUFFER.subarray(0, n)]);
      const end = buf.indexOf(HEADER_END);
      if (end < 0) {
        if (buf.length > 16384) this.fail(new Error('handshake response too large'));
        else this.handshake = buf;
        return true;
      }
      const head = buf.toString('latin1', 0, end);
      this.handshake = null;
      if (!head.startsWith('HTTP/1.1 101')) {
        this.fail(new Error(`handshake refused: ${head.split('\r\n')[0] ?? head}`));
        return true;
      }
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.open = true;
      this.handler.onOpen(this);
      if (end + 4 < buf.length) this.parse(buf, end + 4, buf.length);
      return true;
    }
    if (this.pending !== null) {
      const buf = Buffer.concat([this.pending, READ_BUFFER.subarray(0, n)]);
      this.pending = null;
      this.parse(buf, 0, buf.length);
    } else {
      this.parse(READ_BUFFER, 0, n);
    }
    return true;
  }

  /** Hands over every complete frame in buf[from, n); keeps a copy of a trailing partial one. */
  private parse(buf: Buffer, from: number, n: number): void {
    let pos = from;
    while (n - pos >= 2 && !this.closed) {
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (n - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        hdr = 4;
      } else if (len === 127) {
        if (n - pos < 10) break;
        len = buf.readUInt32BE(pos + 2) * 0x100000000 + buf.readUInt32BE(pos + 6);
        hdr = 10;
      }
      if (b1 & 0x80) return this.fail(new Error('masked frame from server'));
      if (n - pos < hdr + len) break;
      const start = pos + hdr;
      const end = start + len;
      pos = end;
      this.frame(b0, buf, start, end);
    }
    if (pos < n && !this.closed) this.pending = Buffer.from(buf.subarray(pos, n));
  }

  private frame(b0: number, buf: Buffer, start: number, end: number): void {
    const fin = (b0 & 0x80) !== 0;
    const op = b0 & 0x0f;
    switch (op) {
      case 0x1:
      case 0x2:
        if (fin) this.handler.onMessage(this, buf, start, end);
        else this.fragments = [Buffer.from(buf.subarray(start, end))];
        return;
      case 0x0: {
        if (this.fragments === null) return this.fail(new Error('unexpected continuation frame'));
        this.fragments.push(Buffer.from(buf.subarray(start, end)));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = null;
          this.handler.onMessage(this, whole, 0, whole.length);
        }
        return;
      }
      case 0x8: {
        this.closeCode = end - start >= 2 ? buf.readUInt16BE(start) : 1005;
        this.writeFrame(0x8, end - start >= 2 ? buf.subarray(start, start + 2) : Buffer.alloc(0));
        this.socket.end();
        return;
      }
      case 0x9:
        this.writeFrame(0xa, Buffer.from(buf.subarray(start, end)));
        return;
      default:
        return; // pong or reserved: ignore
    }
  }

  /** Sends one text message. */
  send(text: string | Buffer): void {
    if (!this.isOpen) return;
    this.writeFrame(0x1, typeof text === 'string' ? Buffer.from(text) : text);
  }

  /** Writes a prebuilt frame (for example a masked pong built once). */
  sendRaw(frame: Buffer): void {
    if (this.isOpen) this.socket.write(frame);
  }

  private writeFrame(op: number, payload: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(maskedFrame(op, payload));
  }

  /** Starts a clean close; the socket is destroyed if the peer does not answer. */
  close(code = 1000): void {
    if (this.closed) return;
    if (!this.open) {
      this.socket.destroy();
      return;
    }
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.writeFrame(0x8, body);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A client→server frame: FIN set, masked with a random key. */
export function maskedFrame(op: number, payload: Buffer): Buffer {
  const len = payload.length;
  const hdr = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(hdr + 4 + len);
  out[0] = 0x80 | op;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 0x100000000), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  const mask = randomBytes(4);
  mask.copy(out, hdr);
  for (let i = 0; i < len; i++) out[hdr + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}
