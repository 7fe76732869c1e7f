// A raw client of the streaming HTTP transports (http_stream, sse, uni_sse,
// uni_http_stream): one request, then the response read as it arrives and
// split into messages (JSON lines, or SSE `data:` events). For what the SDK
// does not show: headers, exact frames, the end of the stream.

import http from 'node:http';
import { Arrivals } from './arrivals.js';

export type StreamFormat = 'lines' | 'sse';

export class RawStream {
  /** Every message received, parsed. */
  readonly messages: any[] = [];
  /** The raw bytes received so far. */
  text = '';
  ended = false;
  private readonly arrivals = new Arrivals();

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly res: http.IncomingMessage,
    private readonly req: http.ClientRequest,
    format: StreamFormat,
  ) {
    let pending = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.text += chunk;
      pending += chunk;
      const sep = format === 'sse' ? '\n\n' : '\n';
      let at: number;
      while ((at = pending.indexOf(sep)) >= 0) {
        const part = pending.slice(0, at);
        pending = pending.slice(at + sep.length);
        const payload = format === 'sse' ? part.replace(/^\r\n/, '') : part;
        if (payload.trim() === '') continue;
        this.messages.push(JSON.parse(format === 'sse' ? payload.replace(/^data: /, '') : payload));
      }
      this.wake();
    });
    res.on('end', () => {
      this.ended = true;
      this.wake();
    });
    res.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** Sends the request; resolves once the response head arrives. */
  static open(
    url: string,
    opts: { method?: string; body?: string | Buffer; headers?: Record<string, string>; format?: StreamFormat } = {},
  ): Promise<RawStream> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers, agent: false }, (res) => {
        resolve(new RawStream(res.statusCode ?? 0, res.headers, res, req, opts.format ?? 'lines'));
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  private wake(): void {
    this.arrivals.wake();
  }

  until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    return this.arrivals.until(pred, ms, what, () => `${this.text.slice(0, 2000)} ended=${this.ended}`);
  }

  /** The first message matching `pred`, waiting for it. */
  async wait(pred: (m: any) => boolean, what = 'message'): Promise<any> {
    await this.until(() => this.messages.some(pred), 3000, what);
    return this.messages.find(pred);
  }

  /** Stops reading from the socket (a client that does not keep up). */
  pauseReading(): void {
    this.res.pause();
  }

  close(): void {
    this.req.destroy();
  }
}
