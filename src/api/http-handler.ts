// HTTP front of the server API: POST /api/<method> and the legacy POST /api.
// Status codes and bodies follow Centrifugo (server-api.md §1.1).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpApiConfig } from '../config/types.js';
import type { Node } from '../node/node.js';
import { stringifyWithRaw } from '../protocol/raw-json.js';
import { BodyTooLarge, readBody, send, sendJson } from '../util/http.js';
import { apiKeyAuthorized } from './auth.js';
import { Dispatcher, isApiMethod, type ApiReply } from './dispatcher.js';
import { ApiDecodeError } from './errors.js';
import { handleLegacy } from './legacy.js';

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

export class ApiHttpHandler {
  readonly dispatcher: Dispatcher;
  readonly prefix: string;

  constructor(
    private readonly node: Node,
    private readonly cfg: HttpApiConfig,
  ) {
    this.dispatcher = new Dispatcher(node);
    this.prefix = cfg.handler_prefix.replace(/\/+$/, '') || '/';
  }

  /** True when this handler owns the path. */
  matches(pathname: string): boolean {
    return pathname === this.prefix || pathname.startsWith(this.prefix === '/' ? '/' : this.prefix + '/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'POST') return send(res, 405);
    if (!this.cfg.insecure && !apiKeyAuthorized(req, url, this.cfg.key)) return send(res, 401);
    const legacy = url.pathname === this.prefix;
    const method = legacy ? '' : url.pathname.slice(this.prefix.length + (this.prefix === '/' ? 0 : 1));
    if (!legacy && !isApiMethod(method)) return send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
    if (legacy && this.node.shuttingDown) return send(res, 503);

    let body: string;
    try {
      body = (await readBody(req, MAX_API_BODY)).toString('utf8');
    } catch (err) {
      if (err instanceof BodyTooLarge) return send(res, 413, 'Request Entity Too Large', 'text/plain; charset=utf-8');
      return send(res, 500, 'Internal Server Error', 'text/plain; charset=utf-8');
    }
    if (body.trim() === '') return send(res, 400, 'Bad Request', 'text/plain; charset=utf-8');

    try {
      if (legacy) return sendJson(res, 200, await handleLegacy(this.dispatcher, body));
      const reply = await this.dispatcher.dispatchJson(method, body, 'http');
      this.respond(req, res, method, reply);
    } catch (err) {
      if (err instanceof ApiDecodeError) return send(res, 400, 'Bad Request', 'text/plain; charset=utf-8');
      this.node.log.error({ err, method }, 'api request failed');
      return send(res, 500, 'Internal Server Error', 'text/plain; charset=utf-8');
    }
  }

  private respond(req: IncomingMessage, res: ServerResponse, method: string, reply: ApiReply): void {
    const transportMode =
      method !== 'batch' &&
      (this.cfg.error_mode === 'transport' || String(req.headers['x-centrifugo-error-mode'] ?? '').toLowerCase() === 'transport');
    if (reply.error && transportMode) {
      return sendJson(res, httpStatusForError(reply.error.code), JSON.stringify(reply.error));
    }
    sendJson(res, 200, stringifyWithRaw(reply));
  }
}
