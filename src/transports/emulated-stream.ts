// The bidirectional-emulation transports: /connection/http_stream (POST, JSON
// lines or, with Content-Type application/octet-stream, varint-delimited
// Protobuf) and /connection/sse (EventSource: GET with the connect command in
// `cf_connect`, or POST; JSON only). The request carries the first commands
// (the connect); the response streams every reply and push; later commands
// come through the emulation endpoint, addressed by the session id and node
// id the connect result tells the client.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionContext } from '../client/session-context.js';
import type { ProtocolName } from '../protocol/codec.js';
import type { Admission } from './admission.js';
import { applyCors, answerPreflight } from './cors.js';
import { HttpStreamTransport, JSON_LINES, PROTOBUF_DELIMITED, SSE_EVENTS } from './http-stream-transport.js';
import { answer, openStreamSession, readLimitedBody } from './stream-session.js';

export type EmulatedStreamKind = 'http_stream' | 'sse';

export class EmulatedStreamEndpoint {
  constructor(
    private readonly shared: SessionContext,
    private readonly admission: Admission,
    readonly kind: EmulatedStreamKind,
  ) {}

  get path(): string {
    return this.shared.node.config[this.kind].handler_prefix;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const node = this.shared.node;
    applyCors(req, res, this.admission.origins);
    const method = req.method ?? 'GET';
    if (this.kind === 'http_stream' && method === 'OPTIONS') return answerPreflight(res);
    const allowed = this.kind === 'http_stream' ? method === 'POST' : method === 'POST' || method === 'GET';
    if (!allowed) return answer(res, 405);
    let commands: Buffer | null;
    if (method === 'GET') {
      const connect = url.searchParams.get('cf_connect') ?? '';
      if (connect === '') return answer(res, 400);
      commands = Buffer.from(connect);
    } else {
      commands = await readLimitedBody(req, res, node.config[this.kind].max_request_body_size, node.log, this.kind);
      if (commands === null) return;
    }
    if (!this.admission.admit()) return answer(res, 503);
    const protocol: ProtocolName = this.kind === 'http_stream' && req.headers['content-type'] === 'application/octet-stream' ? 'protobuf' : 'json';
    const framing = this.kind === 'sse' ? SSE_EVENTS : protocol === 'protobuf' ? PROTOBUF_DELIMITED : JSON_LINES;
    const transport = new HttpStreamTransport(req, res, this.kind, protocol, 'emulation', framing);
    const client = openStreamSession(this.shared, this.admission, req, transport);
    // The head goes out before the commands run, as in Centrifugo: the client sees the stream open at once.
    transport.start();
    client.handleMessage(commands);
  }
}
