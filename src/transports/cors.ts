// CORS for the HTTP transports and the emulation endpoint, as Centrifugo's
// middleware does it: an Origin that passes client.allowed_origins gets the
// CORS headers (echoing the requested headers, with credentials); any other
// request is still served, only without them, so the browser refuses to read
// the answer. Preflights get 204 with the methods these endpoints take.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OriginCheck } from './origin.js';

export function applyCors(req: IncomingMessage, res: ServerResponse, origins: OriginCheck): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === '' || !origins.allowed(origin)) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  const requested = req.headers['access-control-request-headers'];
  if (typeof requested === 'string' && requested !== '' && requested !== 'null') res.setHeader('Access-Control-Allow-Headers', requested);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
}

/** A browser preflight of a POST-only endpoint. */
export function answerPreflight(res: ServerResponse): void {
  res.setHeader('Access-Control-Max-Age', '300');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.writeHead(204);
  res.end();
}
