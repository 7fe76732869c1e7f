// A raw WebSocket client for what the SDK never sends: garbage, odd frames,
// commands out of order. Collects every message and the close code.

import { WebSocket } from 'ws';
import { Arrivals } from './arrivals.js';

export class RawClient {
  readonly messages: any[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private readonly arrivals = new Arrivals();
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n')) {
        if (line.trim() !== '') this.messages.push(JSON.parse(line));
      }
      this.wake();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.wake();
    });
  }

  static open(url: string, opts: { origin?: string; headers?: Record<string, string> } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin: opts.origin, headers: opts.headers });
      const client = new RawClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(data: string | Buffer | object): void {
    this.ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
  }

  private wake(): void {
    this.arrivals.wake();
  }

  /** Waits until `pred` holds over what was received, or fails after `ms`. */
  until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    return this.arrivals.until(pred, ms, what, () => `${JSON.stringify(this.messages)} close=${this.closeCode}`);
  }

  reply(id: number): any {
    return this.messages.find((m) => m.id === id);
  }

  async waitReply(id: number, ms = 3000): Promise<any> {
    await this.until(() => this.reply(id) !== undefined, ms, `reply ${id}`);
    return this.reply(id);
  }

  async waitClose(ms = 3000): Promise<number> {
    await this.until(() => this.closeCode !== null, ms, 'close');
    return this.closeCode!;
  }

  pushes(kind: string): any[] {
    return this.messages.filter((m) => m.push && m.push[kind]).map((m) => m.push);
  }

  /** Stops reading from the socket, like a client whose app froze. */
  pauseReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
