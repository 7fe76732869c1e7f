// One gRPC proxy endpoint: unary calls to centrifugal.centrifugo.proxy.
// CentrifugoProxy over one lazily connected channel, messages written and read
// by our own protobuf codec (proto.ts), a deadline per call. Per-RPC
// credentials go out as one more metadata pair, which gRPC allows over
// plaintext too, as Centrifugo's do.

import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from '../protocol/protobuf/message.js';
import type { MessageDesc } from '../protocol/protobuf/schema.js';
import { readPem, type TlsSettings } from '../util/tls.js';
import { ProxyFailure } from './http-caller.js';

export interface GrpcCallerOptions {
  endpoint: string;
  timeoutMs: number;
  tls: TlsSettings & { enabled: boolean };
  credentialsKey: string;
  credentialsValue: string;
  compression: boolean;
}

/** `grpc://host:port` or a bare `host:port`, as Centrifugo reads the endpoint. */
export function grpcTarget(endpoint: string): string {
  return endpoint.startsWith('grpc://') ? new URL(endpoint).host : endpoint;
}

function channelCredentials(tls: GrpcCallerOptions['tls']): grpc.ChannelCredentials {
  if (!tls.enabled) return grpc.credentials.createInsecure();
  const pem = (v: string, key: string) => (v ? Buffer.from(readPem(v, key)) : null);
  const verify = tls.insecure_skip_verify ? { checkServerIdentity: () => undefined, rejectUnauthorized: false } : {};
  return grpc.credentials.createSsl(pem(tls.server_ca_pem, 'server_ca_pem'), pem(tls.key_pem, 'key_pem'), pem(tls.cert_pem, 'cert_pem'), verify);
}

export class GrpcCaller {
  private readonly client: grpc.Client;

  constructor(private readonly opts: GrpcCallerOptions) {
    const options: grpc.ChannelOptions = {};
    if (opts.tls.enabled && opts.tls.server_name) options['grpc.ssl_target_name_override'] = opts.tls.server_name;
    if (opts.compression) options['grpc.default_compression_algorithm'] = 2; // gzip
    this.client = new grpc.Client(grpcTarget(opts.endpoint), channelCredentials(opts.tls), options);
  }

  call(
    method: string,
    request: MessageDesc,
    response: MessageDesc,
    value: object,
    metadata: Record<string, string[]>,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const md = new grpc.Metadata();
    for (const [key, values] of Object.entries(metadata)) for (const v of values) md.add(key, v);
    if (this.opts.credentialsKey !== '') md.set(this.opts.credentialsKey, this.opts.credentialsValue);
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        method,
        (v: object) => encodeMessage(request, v),
        (b: Buffer) => decodeMessage(b, response),
        value,
        md,
        { deadline: Date.now() + this.opts.timeoutMs },
        (err, answer) => {
          signal?.removeEventListener('abort', onAbort);
          if (err) reject(new ProxyFailure(`gRPC ${grpc.status[err.code] ?? err.code}: ${err.details}`));
          else resolve(answer as Record<string, unknown>);
        },
      );
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.client.close();
  }
}
