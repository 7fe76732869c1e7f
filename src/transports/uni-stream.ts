// The unidirectional HTTP transports: /connection/uni_sse (EventSource: GET
// with the connect request as JSON in `cf_connect`, or POST with it as the
// body) and /connection/uni_http_stream (POST only; one push per line). The
// request is a bare ConnectRequest; the response streams bare pushes, starting
// with the connect push. A failed connect ends the stream with a disconnect
// push, or, with connect_code_to_http_response, answers with the mapped
// status instead of a stream.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionContext } from '../client/session-context.js';
import { disconnectForFailure, httpResponseForFailure } from '../client/unidirectional.js';
import type { ConnectRequest } from '../protocol/commands.js';
import { decodeJsonConnectRequest } from '../protocol/json/decode.js';
import type { Admission } from './admission.js';
import { applyCors, answerPreflight } from './cors.js';
import { HttpStreamTransport, JSON_LINES, SSE_EVENTS } from './http-stream-transport.js';
import { answer, openStreamSession, readLimitedBody } from './stream-session.js';

export type UniStreamKind = 'uni_sse' | 'uni_http_stream';

export class UniStreamEndpoint {
  constructor(
    private readonly shared: SessionContext,
    private readonly admission: Admission,
    readonly kind: UniStreamKind,
  ) {}

  get path(): string {
    return this.shared.node.config[this.kind].handler_prefix;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const node = this.shared.node;
    const cfg = node.config[this.kind];
    applyCors(req, res, this.admission.origins);
    const method = req.method ?? 'GET';
    if (this.kind === 'uni_http_stream' && method === 'OPTIONS') return answerPreflight(res);
    const allowed = this.kind === 'uni_http_stream' ? method === 'POST' : method === 'POST' || method === 'GET';
    if (!allowed) return answer(res, 405);
    let text: string;
    if (method === 'GET') {
      // No cf_connect is an empty connect request (a token-less, anonymous connect).
      text = url.searchParams.get('cf_connect') || 'null';
    } else {
      const body = await readLimitedBody(req, res, cfg.max_request_body_size, node.log, this.kind);
      if (body === null) return;
      text = body.toString('utf8');
    }
    let connect: ConnectRequest;
    try {
      connect = decodeJsonConnectRequest(text);
    } catch (err) {
      node.log.debug({ err: (err as Error).message, transport: this.kind }, 'malformed connect request');
      return answer(res, 400);
    }
    if (!this.admission.admit()) return answer(res, 503);
    const transport = new HttpStreamTransport(req, res, this.kind, 'json', 'unidirectional', this.kind === 'uni_sse' ? SSE_EVENTS : JSON_LINES);
    const client = openStreamSession(this.shared, this.admission, req, transport);
    const failure = await client.connectUnidirectional(connect);
    if (failure === null) return transport.start();
    if (cfg.connect_code_to_http_response.enabled && !transport.headSent) {
      const { status, body } = httpResponseForFailure(failure, cfg.connect_code_to_http_response);
      client.onTransportClosed();
      return answer(res, status, body);
    }
    client.disconnect(disconnectForFailure(failure, node.config.client));
  }
}
