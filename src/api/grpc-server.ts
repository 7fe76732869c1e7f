// The server API over GRPC (grpc-api.md): service
// centrifugal.centrifugo.api.CentrifugoApi on a port of its own. It only
// decodes and encodes: every call goes to the same Dispatcher as the HTTP API
// and the consumers, with protocol "grpc" in the metrics. Auth is the
// `authorization: apikey <key>` metadata; errors travel in the response's
// error field, or as GRPC statuses in transport error mode.

import { timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { GrpcApiConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { decodeMessage, encodeMessage } from '../protocol/protobuf/message.js';
import { defineMessage, type MessageDesc } from '../protocol/protobuf/schema.js';
import { readPem } from '../util/tls.js';
import type { ApiReply, Dispatcher } from './dispatcher.js';
import { ApiDecodeError } from './errors.js';
import { API_METHODS, API_SERVICE, BATCH, ErrorMessage, UNIMPLEMENTED_METHODS } from './grpc-proto.js';

type Obj = Record<string, unknown>;

/** API error code → GRPC status in transport mode (Centrifugo's MapErrorToGRPCCode). */
function statusFor(code: number): grpc.status {
  switch (code) {
    case 102:
    case 104:
      return grpc.status.NOT_FOUND;
    case 107:
    case 108:
      return grpc.status.INVALID_ARGUMENT;
    case 112:
      return grpc.status.OUT_OF_RANGE;
    case 113:
      return grpc.status.ALREADY_EXISTS;
    default:
      return grpc.status.INTERNAL;
  }
}

// google.rpc.Status carrying the API Error as a google.protobuf.Any, for the grpc-status-details-bin trailer.
const Any = defineMessage('Any', { type_url: [1, 'string'], value: [2, 'bytes'] });
const RpcStatus = defineMessage('Status', { code: [1, 'int32'], message: [2, 'string'], details: [3, 'repeated', Any] });
const ERROR_TYPE_URL = 'type.googleapis.com/centrifugal.centrifugo.api.Error';

function transportError(error: { code: number; message: string }): Partial<grpc.StatusObject> {
  const code = statusFor(error.code);
  const metadata = new grpc.Metadata();
  const details = encodeMessage(RpcStatus, {
    code,
    message: error.message,
    details: [{ type_url: ERROR_TYPE_URL, value: encodeMessage(ErrorMessage, error) }],
  });
  metadata.set('grpc-status-details-bin', details);
  return { code, details: error.message, metadata };
}

const first = (md: grpc.Metadata, key: string): string | undefined => {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
};

export class GrpcApiServer {
  private readonly server: grpc.Server;
  private readonly expected: Buffer | null;
  private boundPort = 0;

  constructor(
    private readonly cfg: GrpcApiConfig,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
  ) {
    // Channelz bookkeeping costs CPU on every call and nothing here reads it.
    const options: grpc.ServerOptions = { 'grpc.enable_channelz': 0 };
    if (cfg.max_receive_message_size > 0) options['grpc.max_receive_message_length'] = cfg.max_receive_message_size;
    this.server = new grpc.Server(options);
    this.expected = cfg.key !== '' ? Buffer.from(`apikey ${cfg.key}`) : null;
    const service: Record<string, grpc.MethodDefinition<Obj, Buffer>> = {};
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [method, desc] of Object.entries(API_METHODS)) {
      this.register(service, impl, desc.name, desc.request, (req, transport) => this.call(method, req, desc.response, transport));
    }
    this.register(service, impl, BATCH.name, BATCH.request, async (req) => {
      // Batch never uses transport mode: per-command errors are in the replies.
      const reply = await this.dispatcher.dispatch('batch', req, 'grpc');
      return encodeMessage(BATCH.response, reply.result ?? {});
    });
    for (const name of UNIMPLEMENTED_METHODS) {
      service[name] = this.definition(name, null);
      impl[name] = (_call: grpc.ServerUnaryCall<Obj, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        callback({ code: grpc.status.UNIMPLEMENTED, details: `method ${name} not implemented` });
    }
    this.server.addService(service, impl);
  }

  /** The port actually bound (port 0 in config picks a free one). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.cfg.reflection) await this.addReflection();
    const address = `${this.cfg.address || '0.0.0.0'}:${this.cfg.port}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, this.credentials(), (err, port) =>
        err ? reject(new Error(`grpc_api: cannot listen on ${address}: ${err.message}`)) : resolve(port),
      ),
    );
    this.log.info({ port: this.boundPort, tls: this.cfg.tls.enabled }, 'GRPC API listening');
  }

  /**
   * Server reflection, described from the API's .proto text. Loaded only when
   * switched on: the reflection service and the .proto parser cost start-up
   * time nobody else should pay.
   */
  private async addReflection(): Promise<void> {
    const [{ ReflectionService }, protoLoader, { default: protobuf }, { API_PROTO }] = await Promise.all([
      import('@grpc/reflection'),
      import('@grpc/proto-loader'),
      import('protobufjs'),
      import('./api-proto.js'),
    ]);
    const json = protobuf.parse(API_PROTO, { keepCase: true }).root.toJSON();
    new ReflectionService(protoLoader.fromJSON(json, { keepCase: true })).addToServer(this.server);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      // Calls in flight get a moment; then whatever is left is cut.
      const force = setTimeout(() => this.server.forceShutdown(), 2000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.cfg.tls;
    if (!tls.enabled) return grpc.ServerCredentials.createInsecure();
    const clientCa = tls.client_ca_pem ? Buffer.from(readPem(tls.client_ca_pem, 'client_ca_pem')) : null;
    const pair = { private_key: Buffer.from(readPem(tls.key_pem, 'key_pem')), cert_chain: Buffer.from(readPem(tls.cert_pem, 'cert_pem')) };
    return grpc.ServerCredentials.createSsl(clientCa, [pair], clientCa !== null);
  }

  private definition(name: string, request: MessageDesc | null): grpc.MethodDefinition<Obj, Buffer> {
    return {
      path: `/${API_SERVICE}/${name}`,
      requestStream: false,
      responseStream: false,
      // An undecodable request fails in the deserializer: grpc-js answers INTERNAL, as Go's codec does.
      requestDeserialize: (b: Buffer) => (request ? decodeMessage(b, request) : {}),
      requestSerialize: () => Buffer.alloc(0),
      // Handlers encode their own answers (the descriptors differ per method).
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    };
  }

  private register(
    service: Record<string, grpc.MethodDefinition<Obj, Buffer>>,
    impl: grpc.UntypedServiceImplementation,
    name: string,
    request: MessageDesc,
    run: (req: Obj, transportMode: boolean) => Promise<Buffer | Partial<grpc.StatusObject>>,
  ): void {
    service[name] = this.definition(name, request);
    impl[name] = (call: grpc.ServerUnaryCall<Obj, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      if (!this.authorized(call.metadata)) return callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
      const transportMode = this.cfg.error_mode === 'transport' || first(call.metadata, 'x-centrifugo-error-mode') === 'transport';
      run(call.request, transportMode).then(
        (out) => (Buffer.isBuffer(out) ? callback(null, out) : callback(out)),
        (err: unknown) => {
          if (err instanceof ApiDecodeError) return callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
          this.log.error({ err, method: name }, 'grpc api call failed');
          callback({ code: grpc.status.INTERNAL, details: 'internal server error' });
        },
      );
    };
  }

  private async call(method: string, req: Obj, response: MessageDesc, transportMode: boolean): Promise<Buffer | Partial<grpc.StatusObject>> {
    const reply: ApiReply = await this.dispatcher.dispatch(method, req, 'grpc');
    if (reply.error && transportMode) return transportError(reply.error);
    return encodeMessage(response, reply);
  }

  /** The first authorization value must be exactly `apikey <key>` (compared in constant time). */
  private authorized(md: grpc.Metadata): boolean {
    if (this.expected === null) return true;
    const given = Buffer.from(first(md, 'authorization') ?? '');
    return given.length === this.expected.length && timingSafeEqual(given, this.expected);
  }
}
