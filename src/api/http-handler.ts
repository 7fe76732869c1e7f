// HTTP front of the server API: POST /api/<method> and the legacy POST /api.
// Status codes and bodies follow Centrifugo (server-api.md §1.1).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpApiConfig } from '../config/schema.js';
import type { Node } from '../node/node.js';
import { stringifyWithRaw } from '../protocol/json/raw-json.js';
import { BodyTooLarge, readBody, send, sendJson } from '../util/http.js';
import { apiKeyAuthorized } from './auth.js';
import { Dispatcher, carriesStoredPayloads, isApiMethod, type ApiReply } from './dispatcher.js';
import { ApiDecodeError } from './errors.js';
import { handleLegacy } from './legacy.js';
import { isJson } from '../util/values.js';

/**
 * Centrifugo reads API bodies without a limit; a production server should not,
 * so we cap them far above any sane batch.
 */
const MAX_API_BODY = 64 * 1024 * 1024;

function httpStatusForError(code: number): number {
  switch (code) {
    case 102:
    case 104:
      return 404;
    case 107:
    case 108:
      return 400;
    case 112:
      return 416;
    case 113:
      return 409;
    default:
      return 500;
  }
}

/** Go's http.Error: plain text, the message and a newline, nosniff. */
function httpError(res: ServerResponse, status: number, text: string): void {
  if (!res.headersSent) res.setHeader('X-Content-Type-Options', 'nosniff');
  send(res, status, text + '\n', 'text/plain; charset=utf-8');
}

export class ApiHttpHandler {
  readonly dispatcher: Dispatcher;
  readonly prefix: string;

  constructor(
    private readonly node: Node,
    private readonly cfg: HttpApiConfig,
  ) {
    this.dispatcher = new Dispatcher(node);
    this.prefix = cfg.handler_prefix;
  }

  /**
   * True when this handler owns the path: the legacy route, and everything
   * under the prefix (an unknown method there gets the router's 404). With the
   * prefix `/` only the method routes are taken, so /health, /metrics and the
   * connection endpoints keep working, as Go's mux prefers the longer patterns.
   */
  matches(pathname: string): boolean {
    if (pathname === this.prefix) return true;
    if (this.prefix === '/') return isApiMethod(pathname.slice(1));
    return pathname.startsWith(this.prefix + '/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const legacy = url.pathname === this.prefix;
    const method = legacy ? '' : url.pathname.slice(this.prefix.length + (this.prefix === '/' ? 0 : 1));
    // An unknown method has no route at all: the router's 404 comes before
    // the POST and key checks, which only wrap registered routes.
    if (!legacy && !isApiMethod(method)) return send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
    if (req.method !== 'POST') return send(res, 405);
    if (!this.cfg.insecure && !apiKeyAuthorized(req, url, this.cfg.key)) return send(res, 401);
    if (legacy && this.node.shuttingDown) return send(res, 503);

    let body: string;
    try {
      body = (await readBody(req, MAX_API_BODY)).toString('utf8');
    } catch (err) {
      if (err instanceof BodyTooLarge) return httpError(res, 413, 'Request Entity Too Large');
      this.node.metrics.apiCommandErrors.inc({ protocol: 'http', method: method || 'legacy', error: 'read_body' });
      return httpError(res, 500, 'Internal Server Error');
    }
    // The legacy route refuses a body with no bytes at all; whitespace decodes
    // to no commands and gets an empty 200, as in Centrifugo. For the method
    // routes an empty body is malformed JSON, refused by dispatchJson.
    if (legacy && body.length === 0) return httpError(res, 400, 'Bad Request');

    try {
      if (legacy) return sendJson(res, 200, await handleLegacy(this.dispatcher, body));
      const reply = await this.dispatcher.dispatchJson(method, body, 'http');
      this.respond(req, res, method, reply);
    } catch (err) {
      if (err instanceof ApiDecodeError) return httpError(res, 400, 'Bad Request');
      this.node.log.error({ err, method }, 'api request failed');
      return httpError(res, 500, 'Internal Server Error');
    }
  }

  private respond(req: IncomingMessage, res: ServerResponse, method: string, reply: ApiReply): void {
    const transportMode =
      method !== 'batch' && (this.cfg.error_mode === 'transport' || String(req.headers['x-centrifugo-error-mode'] ?? '').toLowerCase() === 'transport');
    if (reply.error && transportMode) {
      return sendJson(res, httpStatusForError(reply.error.code), JSON.stringify(reply.error));
    }
    // Centrifugo's batch reply is the BatchResponse itself, `{"replies":[…]}`
    // (`{}` with no commands), not wrapped in `result` as every other method.
    const text = stringifyWithRaw(method === 'batch' && reply.result ? reply.result : reply);
    if (carriesStoredPayloads(method, reply) && !isJson(text)) {
      // A payload stored from b64data that is not JSON cannot be embedded:
      // Go's encoder fails the same way and answers 500.
      this.node.metrics.apiCommandErrors.inc({ protocol: 'http', method, error: 'marshal' });
      this.node.log.error({ method }, 'api reply is not valid JSON: a stored payload is not JSON');
      return httpError(res, 500, 'Internal Server Error');
    }
    sendJson(res, 200, text);
  }
}
