// HS256/384/512 signatures checked with node:crypto's HMAC, synchronously.
// jose (v6) verifies only through WebCrypto: per token an importKey of the
// raw secret and an async sign job with its promise round trip. In a storm of
// 10,000 HS256 connects that was 27% of the server's busy CPU (profile in the
// commit); this is a few microseconds. Only the signature moves here: the
// header and claims are still decoded and checked by jose and by our claim
// checks, and anything unusual (a `crit` header, a signature that is not
// base64url) is left to jose's compactVerify, which refuses it as before.

import { createHmac, timingSafeEqual } from 'node:crypto';

const HASH_BY_ALG: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Whether the compact JWS `token` carries a valid `alg` HMAC of its signing
 * input under `secret`; null when this fast path does not take the token and
 * jose must decide.
 */
export function hmacSignatureMatches(token: string, alg: string, secret: Uint8Array): boolean | null {
  const hash = Object.hasOwn(HASH_BY_ALG, alg) ? HASH_BY_ALG[alg] : undefined;
  const dot = token.lastIndexOf('.');
  if (hash === undefined || dot <= 0) return null;
  const signature = token.slice(dot + 1);
  if (!BASE64URL.test(signature)) return null;
  const given = Buffer.from(signature, 'base64url');
  const expected = createHmac(hash, secret).update(token.slice(0, dot)).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
