// Server API key check, in Centrifugo's order: X-API-Key, then
// `Authorization: apikey <key>`, then the `api_key` query parameter.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function apiKeyAuthorized(req: IncomingMessage, url: URL, key: string): boolean {
  if (key === '') return false; // no key configured: nothing is authorized
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '' && safeEqual(header, key)) return true;
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const parts = auth.trim().split(/\s+/);
    if (parts.length === 2 && parts[0]!.toLowerCase() === 'apikey' && safeEqual(parts[1]!, key)) return true;
  }
  const q = url.searchParams.get('api_key');
  return q !== null && safeEqual(q, key);
}
