// What every streaming HTTP endpoint does around its transport: read the
// request body within its limit, and open a client session on the response
// that ends when the response does.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientSession } from '../client/client.js';
import type { SessionContext } from '../client/session-context.js';
import type { Logger } from '../log.js';
import { BodyTooLarge, readBody } from '../util/http.js';
import type { Admission } from './admission.js';
import type { HttpStreamTransport } from './http-stream-transport.js';

/** Status Centrifugo answers when the client went away while its request body was read. */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * The request body, at most `limit` bytes; null when the request was answered
 * instead (413 over the limit, 499 when reading failed).
 */
export async function readLimitedBody(req: IncomingMessage, res: ServerResponse, limit: number, log: Logger, what: string): Promise<Buffer | null> {
  try {
    return await readBody(req, limit);
  } catch (err) {
    log.info({ err: (err as Error).message, limit }, `error reading ${what} request body`);
    res.writeHead(err instanceof BodyTooLarge ? 413 : CLIENT_CLOSED_REQUEST);
    res.end();
    return null;
  }
}

/** A session living on `transport`; closed (with its subscriptions and presence cleaned up) when the stream does. */
export function openStreamSession(shared: SessionContext, admission: Admission, req: IncomingMessage, transport: HttpStreamTransport): ClientSession {
  const node = shared.node;
  const client = new ClientSession(shared, transport, admission.connectionContext(req));
  node.trackConnection(client);
  transport.whenClosed(() => {
    node.untrackConnection(client);
    client.onTransportClosed();
  });
  return client;
}

export function answer(res: ServerResponse, status: number, body = ''): void {
  if (res.headersSent) return;
  res.writeHead(status, body === '' ? {} : { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
