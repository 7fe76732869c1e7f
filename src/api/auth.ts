// Server API key check, in Centrifugo's order: a non-empty X-API-Key decides
// alone (the Authorization header is then not looked at); without it,
// `Authorization: apikey <key>`; and when still not authorized and the URL
// has a query string, the `api_key` query parameter.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Go's strings.Fields whitespace (ASCII and the Unicode White_Space set). */
const FIELDS_SEPARATOR = /[\s\u0085]+/u;

export function apiKeyAuthorized(req: IncomingMessage, url: URL, key: string): boolean {
  if (key === '') return false; // no key configured: nothing is authorized
  let ok = false;
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') {
    ok = safeEqual(header, key);
  } else {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth !== '') {
      const parts = auth.split(FIELDS_SEPARATOR).filter((p) => p !== '');
      ok = parts.length === 2 && parts[0]!.toLowerCase() === 'apikey' && safeEqual(parts[1]!, key);
    }
  }
  if (!ok && url.search !== '') {
    ok = safeEqual(url.searchParams.get('api_key') ?? '', key);
  }
  return ok;
}
