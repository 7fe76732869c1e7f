// One HTTP proxy endpoint: a POST of a JSON body per call over a pool of
// keep-alive connections (node:http's Agent: measured against Node's fetch
// (undici) in bench/proxy.ts, it costs less per call and needs no extra
// dependency), with a hard deadline over the whole exchange (connect, headers
// and body) as Go's http.Client.Timeout has it, and a cap on the answer's size
// so a backend cannot make us buffer without bound.

import http from 'node:http';
import https from 'node:https';
import type { TlsSettings } from '../util/tls.js';
import { tlsConnectionOptions } from '../util/tls.js';

/** Largest answer body read; a larger one fails the call. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export class ProxyFailure extends Error {
  constructor(
    message: string,
    /** A non-200 status, for status_to_code_transforms. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface HttpCallerOptions {
  endpoint: string;
  timeoutMs: number;
  tls?: TlsSettings & { enabled: boolean };
}

export class HttpCaller {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(private readonly opts: HttpCallerOptions) {
    this.url = new URL(opts.endpoint);
    const secure = this.url.protocol === 'https:';
    const pool = { keepAlive: true, maxFreeSockets: 255, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent({ ...pool, ...(opts.tls?.enabled ? tlsConnectionOptions(opts.tls) : {}) }) : new http.Agent(pool);
    this.request = secure ? https.request : http.request;
  }

  /** POSTs `body`; resolves with the 200 answer's body, rejects with a ProxyFailure otherwise. */
  post(body: string, headers: Record<string, string | string[]>, signal?: AbortSignal): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      const req = this.request(this.url, { method: 'POST', agent: this.agent, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        if (res.statusCode !== 200) {
          // The body of a failure is not read (as Centrifugo): drain it so the socket can be reused.
          res.resume();
          finish(new ProxyFailure(`unexpected HTTP status ${res.statusCode}`, res.statusCode));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy();
            finish(new ProxyFailure(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
        res.on('error', (err) => finish(new ProxyFailure(err.message)));
        res.on('aborted', () => finish(new ProxyFailure('answer aborted')));
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish(new ProxyFailure(`no answer within ${this.opts.timeoutMs}ms`));
      }, this.opts.timeoutMs);
      const onAbort = () => {
        req.destroy();
        finish(new ProxyFailure('client went away'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => finish(new ProxyFailure(err.message)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
