// One configured proxy, of one type: builds the request (encoding, binary
// payloads, connection meta), the headers or metadata it forwards, calls the
// backend over HTTP or gRPC, counts and times the call, and hands back the
// backend's answer. A transport failure (unreachable, timeout, non-200 without
// a transform, unreadable answer) is thrown as a ProxyFailure; what the client
// then gets is the caller's business (proxies.md §6).

import type { ProxyOptions } from '../config/proxies.js';
import type { Logger } from '../log.js';
import { isHttpEndpoint } from '../config/proxies.js';
import { isJsonSafePayload, stringifyWithRaw } from '../protocol/json/raw-json.js';
import { answerFromJson, BadAnswer, readAnswer } from './answer.js';
import { GrpcCaller } from './grpc-caller.js';
import { HttpCaller, ProxyFailure } from './http-caller.js';
import { GRPC_METHODS, type ProxyAnswer, type ProxyRequest, type ProxyType, type ResultOf } from './messages.js';
import type { ProxyMetrics } from './metrics.js';
import { GRPC_SERVICE, PROTO } from './proto.js';

/** What the connection tells a proxy call beyond the request: the headers it may forward. */
export interface CallContext {
  /** Headers of the HTTP request that opened the connection (names lower-case). */
  headers?: Record<string, string | string[] | undefined>;
  /** The `headers` map the client sent with connect. */
  emulatedHeaders?: Record<string, string>;
  /** Aborted when the client goes away: the call is dropped. */
  signal?: AbortSignal;
}

/** When the dropped-emulated-headers hint was last logged (once a minute for the process). */
let lastDroppedHint = 0;

/** Request fields that carry client payloads: base64 in `b64<name>` in binary mode. */
const PAYLOAD_FIELDS = ['data'];

export class ProxyEndpoint<T extends ProxyType = ProxyType> {
  readonly protocol: 'http' | 'grpc';
  private readonly http?: HttpCaller;
  private readonly grpc?: GrpcCaller;
  private readonly labels: { protocol: string; type: string; name: string };
  private readonly allowedHeaders: Set<string>;
  private readonly allowedEmulated: Set<string>;
  private readonly children;

  constructor(
    readonly type: T,
    readonly name: string,
    readonly options: ProxyOptions,
    metrics: ProxyMetrics,
    private readonly log?: Logger,
  ) {
    this.protocol = isHttpEndpoint(options.endpoint) ? 'http' : 'grpc';
    if (options.endpoint === '') {
      // Only the default RPC block can be used without an endpoint (as in Centrifugo): its calls fail.
    } else if (this.protocol === 'http') {
      this.http = new HttpCaller({ endpoint: options.endpoint, timeoutMs: options.timeout, tls: options.http.tls });
    } else {
      this.grpc = new GrpcCaller({
        endpoint: options.endpoint,
        timeoutMs: options.timeout,
        tls: options.grpc.tls,
        credentialsKey: options.grpc.credentials_key,
        credentialsValue: options.grpc.credentials_value,
        compression: options.grpc.compression,
      });
    }
    this.labels = { protocol: this.protocol, type, name };
    this.allowedHeaders = new Set(options.http_headers.map((h) => h.toLowerCase()));
    this.allowedEmulated = new Set(options.emulated_headers.map((h) => h.toLowerCase()));
    this.children = {
      duration: metrics.duration.labels(this.labels),
      summary: metrics.durationSummary.labels(this.labels),
      errors: metrics.errors.labels(this.labels),
      inflight: metrics.inflight.labels(this.labels),
    };
  }

  /** Whether calls carry the connection meta (never connect's). */
  get includeMeta(): boolean {
    return this.options.include_connection_meta && this.type !== 'connect';
  }

  /** Headers this proxy forwards, so transports keep only those. */
  get forwardedHeaders(): readonly string[] {
    return [...this.allowedHeaders];
  }

  async call(request: ProxyRequest, ctx: CallContext = {}): Promise<ProxyAnswer<ResultOf[T]>> {
    const started = performance.now();
    this.children.inflight.inc();
    let response: Record<string, unknown>;
    try {
      response = await this.send(this.encode(request), ctx);
      this.observe(started);
    } catch (err) {
      if (ctx.signal?.aborted) throw err; // the client left: neither timed nor counted
      this.observe(started);
      if (!(err instanceof ProxyFailure) && !(err instanceof BadAnswer)) throw err;
      this.children.errors.inc();
      throw err instanceof ProxyFailure ? err : new ProxyFailure(err.message);
    } finally {
      this.children.inflight.dec();
    }
    // The backend answered: bad base64 in it fails the call (BadAnswer) but is no transport error, as in Centrifugo.
    return readAnswer(this.type, response);
  }

  private observe(started: number): void {
    const seconds = (performance.now() - started) / 1000;
    this.children.duration.observe(seconds);
    this.children.summary.observe(seconds);
  }

  /** The request as sent: encoding set, payloads in base64 in binary mode. */
  private encode(request: ProxyRequest): ProxyRequest {
    const binary = this.options.binary_encoding;
    const out: ProxyRequest = { client: request.client, transport: request.transport, protocol: request.protocol, encoding: binary ? 'binary' : 'json' };
    for (const [key, value] of Object.entries(request)) {
      if (key in out || value === undefined) continue;
      if (key === 'meta' && !this.includeMeta) continue;
      if (binary && PAYLOAD_FIELDS.includes(key) && Buffer.isBuffer(value)) out[`b64${key}`] = value.toString('base64');
      else out[key] = value;
    }
    return out;
  }

  private async send(request: ProxyRequest, ctx: CallContext): Promise<Record<string, unknown>> {
    const desc = PROTO[this.type];
    if (this.options.endpoint === '') throw new ProxyFailure('the proxy has no endpoint');
    if (this.grpc) {
      const path = `/${GRPC_SERVICE}/${GRPC_METHODS[this.type]}`;
      return this.grpc.call(path, desc.request, desc.response, request, this.forwarded(ctx, this.options.grpc.static_metadata), ctx.signal);
    }
    // Payloads go into the JSON as they are, so they must be JSON (binary_encoding is for others).
    for (const key of ['data', 'meta']) {
      const v = request[key];
      if (Buffer.isBuffer(v) && !isJsonSafePayload(v)) throw new ProxyFailure(`${key} is not JSON; enable binary_encoding for binary payloads`);
    }
    const headers = this.forwarded(ctx, this.options.http.static_headers);
    headers['content-type'] = ['application/json'];
    try {
      const body = await this.http!.post(stringifyWithRaw(request), headers, ctx.signal);
      return answerFromJson(body.toString('utf8'), desc.response);
    } catch (err) {
      const transformed = err instanceof ProxyFailure && err.status !== undefined ? this.transform(err.status) : undefined;
      if (transformed) return transformed;
      throw err;
    }
  }

  /** http.status_to_code_transforms: a non-200 status read as an error or disconnect answer. */
  private transform(status: number): Record<string, unknown> | undefined {
    const t = this.options.http.status_to_code_transforms.find((x) => x.status_code === status);
    if (!t) return undefined;
    if (t.to_error.code !== 0) return { error: { ...t.to_error } };
    return { disconnect: { ...t.to_disconnect } };
  }

  /** Static headers, then the client's allowed emulated headers, then the allowed connection headers (later wins). */
  private forwarded(ctx: CallContext, statics: Record<string, string>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(statics)) out[k.toLowerCase()] = [v];
    if (ctx.emulatedHeaders) {
      let dropped = false;
      for (const [k, v] of Object.entries(ctx.emulatedHeaders)) {
        const name = k.toLowerCase();
        if (this.allowedEmulated.has(name)) out[name] = [v];
        else if (this.allowedHeaders.has(name)) dropped = true;
      }
      if (dropped) this.hintDroppedEmulated();
    }
    if (ctx.headers) {
      for (const [k, v] of Object.entries(ctx.headers)) {
        if (v !== undefined && this.allowedHeaders.has(k)) out[k] = Array.isArray(v) ? v : [v];
      }
    }
    return out;
  }

  /**
   * A client sent, in its connect headers, a header listed in http_headers but
   * not in emulated_headers: not forwarded (Centrifugo v6.9 changed this), and
   * said at most once a minute so an upgrade that relied on it is noticed.
   */
  private hintDroppedEmulated(): void {
    const now = Date.now();
    if (now - lastDroppedHint < 60_000) return;
    lastDroppedHint = now;
    this.log?.info(
      { proxy: this.name, type: this.type },
      'client sent connect headers that are in http_headers but not in emulated_headers: not forwarded to the proxy (list them in emulated_headers to forward them)',
    );
  }

  close(): void {
    this.http?.close();
    this.grpc?.close();
  }
}
