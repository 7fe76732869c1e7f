// A GRPC client of the server API for tests: grpc-js, with messages read and
// written by protobufjs from the API's .proto text (src/api/api-proto.ts, the
// schema reflection serves), independent of the server's own codec. `call` resolves with the decoded response, or rejects
// with the GRPC ServiceError.

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { API_PROTO } from '../../src/api/api-proto.js';

export class ApiGrpcClient {
  private constructor(
    private readonly root: protobuf.Root,
    private readonly client: grpc.Client,
    private readonly key?: string,
  ) {}

  static async open(
    address: string,
    opts: { key?: string; credentials?: grpc.ChannelCredentials; options?: grpc.ChannelOptions } = {},
  ): Promise<ApiGrpcClient> {
    const root = protobuf.parse(API_PROTO, { keepCase: true }).root;
    const client = new grpc.Client(address, opts.credentials ?? grpc.credentials.createInsecure(), opts.options);
    return new ApiGrpcClient(root, client, opts.key);
  }

  type(name: string): protobuf.Type {
    return this.root.lookupType(`centrifugal.centrifugo.api.${name}`);
  }

  /** Calls CentrifugoApi/<method> with `request` (a protobufjs object: bytes as Buffers). */
  call(method: string, request: object, metadata: Record<string, string> = {}): Promise<any> {
    const reqType = this.type(`${method}Request`);
    const resType = this.type(`${method}Response`);
    const md = new grpc.Metadata();
    if (this.key !== undefined) md.set('authorization', `apikey ${this.key}`);
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/centrifugal.centrifugo.api.CentrifugoApi/${method}`,
        (v: object) => Buffer.from(reqType.encode(reqType.fromObject(v)).finish()),
        (b: Buffer) => resType.toObject(resType.decode(b), { longs: Number, bytes: Buffer as any, defaults: false }),
        request,
        md,
        { deadline: Date.now() + 10_000 },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * A GRPC response in the HTTP API's JSON shape, for comparing the two APIs:
 * payload bytes parsed as the JSON they hold, and the zero values proto3 leaves
 * out dropped on both sides (see `withoutZeros`).
 */
export function asJson(value: unknown, key = ''): unknown {
  if (Buffer.isBuffer(value)) return PAYLOAD_KEYS.has(key) ? JSON.parse(value.toString('utf8')) : value.toString('base64');
  if (Array.isArray(value)) return value.map((v) => asJson(v));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJson(v, k)]));
}
const PAYLOAD_KEYS = new Set(['data', 'info', 'conn_info', 'chan_info', 'params']);

/** Drops what proto3 cannot tell from absent: 0, false, '', empty objects and lists. */
export function withoutZeros(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutZeros);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const w = withoutZeros(v);
    if (w === 0 || w === false || w === '' || w === undefined || w === null) continue;
    if (typeof w === 'object' && !Array.isArray(w) && Object.keys(w as object).length === 0 && k !== 'result') continue;
    if (Array.isArray(w) && w.length === 0) continue;
    out[k] = w;
  }
  return out;
}
