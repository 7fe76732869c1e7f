// The server API over GRPC (grpc-api.md): service
// centrifugal.centrifugo.api.CentrifugoApi on a port of its own. It only
// decodes and encodes: every call goes to the same Dispatcher as the HTTP API
// and the consumers, with protocol "grpc" in the metrics. Auth is the
// `authorization: apikey <key>` metadata; errors travel in the response's
// error field, or as GRPC statuses in transport error mode.
//
// GRPC here is spoken directly over node:http2 rather than through
// @grpc/grpc-js's server: every method is unary, and grpc-js's per-call
// machinery (interceptor chain, metadata objects, call objects) cost about 35
// µs of CPU per call more than this (bench/grpc-api.ts), which made a GRPC
// publish dearer than an HTTP one. What it needs of the protocol is small:
// length-prefixed messages (gzip-compressed ones too), grpc-timeout, the
// size limit, statuses in trailers, and the reflection stream (reflection.ts).

import http2 from 'node:http2';
import { timingSafeEqual } from 'node:crypto';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { GrpcApiConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { decodeMessage, encodeMessage } from '../protocol/protobuf/message.js';
import { defineMessage, type MessageDesc } from '../protocol/protobuf/schema.js';
import { tlsServerOptions } from '../util/tls.js';
import type { ApiReply, Dispatcher } from './dispatcher.js';
import { ApiDecodeError } from './errors.js';
import { API_METHODS, API_SERVICE, BATCH, ErrorMessage, UNIMPLEMENTED_METHODS } from './grpc-proto.js';
import { GrpcStatus, grpcFrame, type GrpcFailure } from './grpc-wire.js';
import { ReflectionStreams } from './grpc-reflection.js';

type Obj = Record<string, unknown>;
const gunzipAsync = promisify(gunzip);

/** The GRPC default for the largest request, when max_receive_message_size is 0. */
const DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;

/** API error code → GRPC status in transport mode (Centrifugo's MapErrorToGRPCCode). */
function statusFor(code: number): GrpcStatus {
  switch (code) {
    case 102:
    case 104:
      return GrpcStatus.NOT_FOUND;
    case 107:
    case 108:
      return GrpcStatus.INVALID_ARGUMENT;
    case 112:
      return GrpcStatus.OUT_OF_RANGE;
    case 113:
      return GrpcStatus.ALREADY_EXISTS;
    default:
      return GrpcStatus.INTERNAL;
  }
}

// google.rpc.Status carrying the API Error as a google.protobuf.Any, for the grpc-status-details-bin trailer.
const Any = defineMessage('Any', { type_url: [1, 'string'], value: [2, 'bytes'] });
const RpcStatus = defineMessage('Status', { code: [1, 'int32'], message: [2, 'string'], details: [3, 'repeated', Any] });
const ERROR_TYPE_URL = 'type.googleapis.com/centrifugal.centrifugo.api.Error';

function transportError(error: { code: number; message: string }): GrpcFailure {
  const code = statusFor(error.code);
  const details = encodeMessage(RpcStatus, {
    code,
    message: error.message,
    details: [{ type_url: ERROR_TYPE_URL, value: encodeMessage(ErrorMessage, error) }],
  });
  return { code, message: error.message, details };
}

/** A unary method: the request's descriptor, and what to do with the decoded request. */
interface Route {
  request: MessageDesc;
  run(req: Obj, transportMode: boolean): Promise<Buffer | GrpcFailure>;
}

/** grpc-timeout: an integer and a unit (H M S m u n). */
function timeoutMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  const m = v ? /^(\d{1,8})([HMSmun])$/.exec(v) : null;
  if (!m) return undefined;
  const n = Number(m[1]);
  const scale = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }[m[2] as 'H'];
  return n * scale;
}

/** grpc-message: percent-encoded, as the GRPC HTTP/2 mapping says. */
function percentEncoded(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8'))
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export class GrpcApiServer {
  private readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly expected: Buffer | null;
  private readonly routes = new Map<string, Route>();
  private readonly maxReceive: number;
  private reflection: ReflectionStreams | null = null;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private boundPort = 0;

  constructor(
    private readonly cfg: GrpcApiConfig,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
  ) {
    this.expected = cfg.key !== '' ? Buffer.from(`apikey ${cfg.key}`) : null;
    this.maxReceive = cfg.max_receive_message_size > 0 ? cfg.max_receive_message_size : DEFAULT_MAX_RECEIVE;
    for (const [method, desc] of Object.entries(API_METHODS)) {
      this.routes.set(`/${API_SERVICE}/${desc.name}`, { request: desc.request, run: (req, transport) => this.call(method, req, desc.response, transport) });
    }
    this.routes.set(`/${API_SERVICE}/${BATCH.name}`, {
      request: BATCH.request,
      // Batch never uses transport mode: per-command errors are in the replies.
      run: async (req) => encodeMessage(BATCH.response, (await this.dispatcher.dispatch('batch', req, 'grpc')).result ?? {}),
    });
    const settings = { maxConcurrentStreams: 1000 };
    this.server = cfg.tls.enabled ? http2.createSecureServer({ ...tlsServerOptions(cfg.tls), settings, allowHTTP1: false }) : http2.createServer({ settings });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    this.server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', () => undefined);
    });
  }

  /** The port actually bound (port 0 in config picks a free one). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    // Loaded only when switched on: describing the API costs start-up time nobody else should pay.
    if (this.cfg.reflection) this.reflection = await ReflectionStreams.load();
    const host = this.cfg.address || '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`grpc_api: cannot listen on ${host}:${this.cfg.port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(this.cfg.port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : 0;
    this.log.info({ port: this.boundPort, tls: this.cfg.tls.enabled }, 'GRPC API listening');
  }

  /** Stops accepting; calls in flight get a moment, then every session is closed. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      const force = setTimeout(() => {
        for (const s of this.sessions) s.destroy();
      }, 2000);
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const s of this.sessions) s.close();
    });
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => undefined); // a client that went away: nothing to answer
    const path = headers[':path'] ?? '';
    const contentType = headerValue(headers['content-type']) ?? '';
    if (headers[':method'] !== 'POST' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    if (this.reflection?.handles(path)) return this.reflection.serve(stream, (onMessage) => this.frames(stream, onMessage));
    const route = this.routes.get(path);
    if (!route) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      const known = path.startsWith(`/${API_SERVICE}/`) && UNIMPLEMENTED_METHODS.includes(name);
      return this.fail(stream, { code: GrpcStatus.UNIMPLEMENTED, message: known ? `method ${name} not implemented` : `unknown method ${path}` });
    }
    if (!this.authorized(headerValue(headers.authorization))) return this.fail(stream, { code: GrpcStatus.UNAUTHENTICATED, message: 'unauthenticated' });
    const transportMode = this.cfg.error_mode === 'transport' || headerValue(headers['x-centrifugo-error-mode']) === 'transport';
    const deadline = timeoutMs(headers['grpc-timeout']);
    let timer: NodeJS.Timeout | undefined;
    if (deadline !== undefined) timer = setTimeout(() => this.fail(stream, { code: GrpcStatus.DEADLINE_EXCEEDED, message: 'deadline exceeded' }), deadline);
    stream.once('close', () => clearTimeout(timer));
    let got: { msg: Buffer; compressed: boolean } | null = null;
    this.frames(stream, (msg, compressed) => {
      // Unary: one request message; a second one is a client bug.
      if (got !== null) return this.fail(stream, { code: GrpcStatus.INTERNAL, message: 'more than one request message' });
      got = { msg, compressed };
    });
    stream.once('end', () => {
      if (stream.headersSent || stream.closed) return;
      if (got === null) return this.fail(stream, { code: GrpcStatus.INTERNAL, message: 'no request message' });
      void this.unary(stream, route, got.msg, got.compressed ? (headerValue(headers['grpc-encoding']) ?? 'identity') : 'identity', transportMode);
    });
  }

  /**
   * Reads length-prefixed messages off a stream and hands each to `onMessage`.
   * A message over the size limit ends the call with RESOURCE_EXHAUSTED
   * before its body is buffered.
   */
  private frames(stream: http2.ServerHttp2Stream, onMessage: (msg: Buffer, compressed: boolean) => void): void {
    let pending: Buffer = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const size = pending.readUInt32BE(1);
        if (size > this.maxReceive) {
          pending = Buffer.alloc(0);
          this.fail(stream, { code: GrpcStatus.RESOURCE_EXHAUSTED, message: `received message larger than max (${size} vs. ${this.maxReceive})` });
          return;
        }
        if (pending.length < 5 + size) break;
        const compressed = pending[0] === 1;
        const msg = pending.subarray(5, 5 + size);
        pending = pending.subarray(5 + size);
        onMessage(msg, compressed);
      }
    });
  }

  /** `encoding`: how the request message is compressed ('identity' when it is not). */
  private async unary(stream: http2.ServerHttp2Stream, route: Route, message: Buffer, encoding: string, transportMode: boolean): Promise<void> {
    let out: Buffer | GrpcFailure;
    try {
      let body = message;
      if (encoding !== 'identity') {
        if (encoding !== 'gzip') return this.fail(stream, { code: GrpcStatus.UNIMPLEMENTED, message: `compression ${encoding} not supported` });
        body = await gunzipAsync(message);
        if (body.length > this.maxReceive) return this.fail(stream, { code: GrpcStatus.RESOURCE_EXHAUSTED, message: 'decompressed message larger than max' });
      }
      let req: Obj;
      try {
        req = decodeMessage(body, route.request, { strictUtf8: true });
      } catch (err) {
        // As Go's codec: a request that does not decode is INTERNAL.
        return this.fail(stream, { code: GrpcStatus.INTERNAL, message: `grpc: error unmarshalling request: ${(err as Error).message}` });
      }
      out = await route.run(req, transportMode);
    } catch (err) {
      if (err instanceof ApiDecodeError) out = { code: GrpcStatus.INVALID_ARGUMENT, message: err.message };
      else {
        this.log.error({ err }, 'grpc api call failed');
        out = { code: GrpcStatus.INTERNAL, message: 'internal server error' };
      }
    }
    if (stream.closed || stream.headersSent) return; // the client went away, or the deadline answered
    if (!Buffer.isBuffer(out)) return this.fail(stream, out);
    this.succeed(stream, out);
  }

  /** An OK answer: headers, one length-prefixed message, then grpc-status 0 in the trailers. */
  private succeed(stream: http2.ServerHttp2Stream, message: Buffer): void {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(grpcFrame(message));
  }

  /** A failure as a trailers-only response (the status in the only header block). */
  private fail(stream: http2.ServerHttp2Stream, f: GrpcFailure): void {
    if (stream.closed || stream.headersSent) return;
    const headers: http2.OutgoingHttpHeaders = {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(f.code),
      'grpc-message': percentEncoded(f.message),
    };
    if (f.details) headers['grpc-status-details-bin'] = f.details.toString('base64').replace(/=+$/, '');
    stream.respond(headers, { endStream: true });
  }

  private async call(method: string, req: Obj, response: MessageDesc, transportMode: boolean): Promise<Buffer | GrpcFailure> {
    const reply: ApiReply = await this.dispatcher.dispatch(method, req, 'grpc');
    if (reply.error && transportMode) return transportError(reply.error);
    return encodeMessage(response, reply);
  }

  /** The first authorization value must be exactly `apikey <key>` (compared in constant time). */
  private authorized(given: string | undefined): boolean {
    if (this.expected === null) return true;
    const g = Buffer.from(given ?? '');
    return g.length === this.expected.length && timingSafeEqual(g, this.expected);
  }
}
