// GRPC server reflection (grpc.reflection.v1 and v1alpha, the same messages)
// for the GRPC API: lists CentrifugoApi and hands out the file descriptor
// built from the API's .proto text, so grpcurl and the like need no .proto.
// As in Centrifugo, the stream needs no key. Built only when
// grpc_api.reflection is on (the .proto parser and descriptor builder load
// then).

import type http2 from 'node:http2';
import { decodeMessage, encodeMessage } from '../protocol/protobuf/message.js';
import { defineMessage } from '../protocol/protobuf/schema.js';
import { API_SERVICE } from './grpc-proto.js';
import { grpcFrame } from './grpc-wire.js';

const PATHS = new Set(['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo']);
const PACKAGE = API_SERVICE.slice(0, API_SERVICE.lastIndexOf('.'));

const Request = defineMessage('ServerReflectionRequest', {
  host: [1, 'string'],
  file_by_filename: [3, 'string'],
  file_containing_symbol: [4, 'string'],
  all_extension_numbers_of_type: [6, 'string'],
  list_services: [7, 'string'],
});
const Response = defineMessage('ServerReflectionResponse', {
  valid_host: [1, 'string'],
  original_request: [2, 'message', Request],
  file_descriptor_response: [4, 'message', defineMessage('FileDescriptorResponse', { file_descriptor_proto: [1, 'bytesList'] })],
  list_services_response: [
    6,
    'message',
    defineMessage('ListServiceResponse', { service: [1, 'repeated', defineMessage('ServiceResponse', { name: [1, 'string'] })] }),
  ],
  error_response: [7, 'message', defineMessage('ErrorResponse', { error_code: [1, 'int32'], error_message: [2, 'string'] })],
});

const NOT_FOUND = 5;

export class ReflectionStreams {
  private constructor(
    /** The API's file descriptors (FileDescriptorProto bytes). */
    private readonly files: Buffer[],
    private readonly fileNames: Set<string>,
  ) {}

  static async load(): Promise<ReflectionStreams> {
    const [protoLoader, { default: protobuf }, { API_PROTO }] = await Promise.all([
      import('@grpc/proto-loader'),
      import('protobufjs'),
      import('./api-proto.js'),
    ]);
    const definition = protoLoader.fromJSON(protobuf.parse(API_PROTO, { keepCase: true }).root.toJSON(), { keepCase: true });
    const type = definition[`${PACKAGE}.PublishRequest`] as { fileDescriptorProtos: Buffer[] };
    const files = type.fileDescriptorProtos.map((b) => Buffer.from(b));
    // The file's name is field 1 of FileDescriptorProto.
    const names = new Set(files.map((f) => (decodeMessage(f, defineMessage('FileName', { name: [1, 'string'] })).name as string) ?? ''));
    return new ReflectionStreams(files, names);
  }

  handles(path: string): boolean {
    return PATHS.has(path);
  }

  /** Answers each request on the stream as it comes; `frames` reads the length-prefixed messages. */
  serve(stream: http2.ServerHttp2Stream, frames: (onMessage: (msg: Buffer) => void) => void): void {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    frames((msg) => {
      let answer: Buffer;
      try {
        answer = encodeMessage(Response, this.answer(decodeMessage(msg, Request)));
      } catch {
        answer = encodeMessage(Response, { error_response: { error_code: 3, error_message: 'undecodable reflection request' } });
      }
      if (!stream.closed) stream.write(grpcFrame(answer));
    });
    stream.once('end', () => {
      if (!stream.closed) stream.end();
    });
  }

  private answer(req: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { valid_host: req.host ?? '', original_request: req };
    if (typeof req.list_services === 'string') {
      out.list_services_response = { service: [{ name: API_SERVICE }] };
    } else if (
      typeof req.file_containing_symbol === 'string' &&
      (req.file_containing_symbol === PACKAGE || req.file_containing_symbol.startsWith(`${PACKAGE}.`))
    ) {
      out.file_descriptor_response = { file_descriptor_proto: this.files };
    } else if (typeof req.file_by_filename === 'string' && this.fileNames.has(req.file_by_filename)) {
      out.file_descriptor_response = { file_descriptor_proto: this.files };
    } else {
      out.error_response = { error_code: NOT_FOUND, error_message: 'not found' };
    }
    return out;
  }
}
