// A real application backend for proxy tests: an HTTP server on 127.0.0.1
// (one path per proxy type, JSON bodies) or a gRPC server implementing
// centrifugal.centrifugo.proxy.CentrifugoProxy, whose messages are read and
// written by protobufjs from test/fixtures/proxy.proto, independently of the
// server's own codec. Each test says how the backend answers each type and
// reads what it was sent.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export type ProxyType = 'connect' | 'refresh' | 'subscribe' | 'publish' | 'sub_refresh' | 'rpc';

/** What the backend does for one call: answer JSON (or a protobuf object), fail with a status, hang, or answer late. */
export type Reply =
  | { json: unknown; delayMs?: number }
  | { status: number; body?: string; delayMs?: number }
  | { raw: string | Buffer; delayMs?: number }
  | { hang: true }
  | { grpcError: grpc.status };

export interface Received {
  type: ProxyType;
  /** HTTP: the parsed JSON body; gRPC: the decoded request as protobufjs objects (bytes as Buffers). */
  body: any;
  /** HTTP: the raw body text. */
  text: string;
  /** HTTP headers or gRPC metadata (lower-case keys, values joined with ', '). */
  headers: Record<string, string>;
}

type Handler = (req: Received) => Reply | Promise<Reply>;

const TYPES: ProxyType[] = ['connect', 'refresh', 'subscribe', 'publish', 'sub_refresh', 'rpc'];
const GRPC_METHODS: Record<ProxyType, string> = {
  connect: 'Connect',
  refresh: 'Refresh',
  subscribe: 'Subscribe',
  publish: 'Publish',
  sub_refresh: 'SubRefresh',
  rpc: 'RPC',
};

export class ProxyBackend {
  readonly received: Received[] = [];
  private readonly handlers = new Map<ProxyType, Handler>();
  private readonly hanging: Array<() => void> = [];

  private stopFn: () => Promise<void> = async () => undefined;
  private base = '';

  private constructor(readonly kind: 'http' | 'grpc') {}

  /** Where the started server listens, and how it stops. */
  private listening(base: string, stop: () => Promise<void>): this {
    this.base = base;
    this.stopFn = stop;
    return this;
  }

  /** The endpoint of one proxy type (HTTP: a path each; gRPC: one address). */
  endpoint(type: ProxyType): string {
    return this.kind === 'http' ? `${this.base}/${type}` : this.base;
  }

  /** How the backend answers `type` from now on. */
  on(type: ProxyType, handler: Handler | Reply): this {
    this.handlers.set(type, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  of(type: ProxyType): Received[] {
    return this.received.filter((r) => r.type === type);
  }

  protected async answer(req: Received): Promise<Reply> {
    this.received.push(req);
    const handler = this.handlers.get(req.type);
    if (!handler) return { status: 404 };
    const reply = await handler(req);
    if ('delayMs' in reply && reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    return reply;
  }

  async stop(): Promise<void> {
    for (const release of this.hanging.splice(0)) release();
    await this.stopFn();
  }

  /** An HTTP backend; HTTPS with `tls` (PEM key and certificate). */
  static async http(opts: { tls?: { key: string; cert: string } } = {}): Promise<ProxyBackend> {
    const backend = new ProxyBackend('http');
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const type = (req.url ?? '').slice(1) as ProxyType;
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
        const reply = await backend.answer({ type, body, text, headers });
        if ('hang' in reply) {
          backend.hanging.push(() => res.destroy());
          return;
        }
        if ('status' in reply) {
          res.writeHead(reply.status).end(reply.body ?? '');
          return;
        }
        if ('raw' in reply) {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(reply.raw);
          return;
        }
        if ('json' in reply) res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.json));
        else res.writeHead(500).end();
      });
    };
    const server = opts.tls ? https.createServer(opts.tls, onRequest) : http.createServer(onRequest);
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return backend.listening(
      `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
  }

  static async grpc(opts: { credentials?: grpc.ServerCredentials } = {}): Promise<ProxyBackend> {
    // keepCase: field names as the .proto writes them (expire_at), as Go's generated code and JSON have them.
    const source = await readFile(fileURLToPath(new URL('../fixtures/proxy.proto', import.meta.url)), 'utf8');
    const root = protobuf.parse(source, { keepCase: true }).root;
    const backend = new ProxyBackend('grpc');
    const server = new grpc.Server();
    const service: Record<string, grpc.MethodDefinition<any, any>> = {};
    const impl: grpc.UntypedServiceImplementation = {};
    for (const type of TYPES) {
      const method = GRPC_METHODS[type];
      const reqType = root.lookupType(`centrifugal.centrifugo.proxy.${method}Request`);
      const resType = root.lookupType(`centrifugal.centrifugo.proxy.${method}Response`);
      service[method] = {
        path: `/centrifugal.centrifugo.proxy.CentrifugoProxy/${method}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: any) => Buffer.from(reqType.encode(reqType.fromObject(v)).finish()),
        requestDeserialize: (b: Buffer) => reqType.toObject(reqType.decode(b), { longs: Number, bytes: Buffer as any, defaults: false }),
        responseSerialize: (v: any) => Buffer.from(resType.encode(resType.fromObject(v)).finish()),
        responseDeserialize: (b: Buffer) => resType.toObject(resType.decode(b)),
      };
      impl[method] = (async (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
        for (const [k, v] of Object.entries(call.metadata.toJSON())) if (v.length > 1) headers[k] = v.map(String).join(', ');
        const reply = await backend.answer({ type, body: call.request, text: '', headers });
        if ('hang' in reply) {
          backend.hanging.push(() => callback({ code: grpc.status.UNAVAILABLE, details: 'backend stopped' }));
          return;
        }
        if ('grpcError' in reply) return callback({ code: reply.grpcError, details: 'backend refused' });
        if ('json' in reply) return callback(null, jsonToProto(reply.json));
        callback({ code: grpc.status.INTERNAL, details: 'no such reply over gRPC' });
      }) as grpc.handleUnaryCall<any, any>;
    }
    server.addService(service, impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return backend.listening(`grpc://127.0.0.1:${port}`, () => new Promise<void>((r) => server.tryShutdown(() => r())));
  }
}

/** An HTTP-style JSON answer as protobufjs input: payload members (info, data, meta) become the bytes of their JSON text. */
function jsonToProto(value: any, key = ''): any {
  if (['info', 'data', 'meta'].includes(key)) return Buffer.from(JSON.stringify(value));
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  const out: any = {};
  for (const [k, v] of Object.entries(value)) out[k] = key === 'subs' ? jsonToProto(v) : jsonToProto(v, k);
  return out;
}
