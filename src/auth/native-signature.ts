// Token signatures checked with node:crypto, synchronously. jose (v6)
// verifies only through WebCrypto: per token a key import (HMAC secrets are
// raw bytes, JWKS keys are JWK objects) and an async job with its promise
// round trip. In a storm of 10,000 HS256 connects that was 27% of the
// server's busy CPU (profile in the commit); node:crypto does the same check
// in a few microseconds (HMAC) or the bare cost of the RSA/EC operation.
//
// Only the signature moves here, and only where the outcome is the same as
// jose's: the header and claims are still decoded and checked by jose and by
// our claim checks, the key family was already bound to `alg` by its caller,
// and whatever jose would judge differently (a `crit` header, a signature that
// is not base64url, an RSA key under 2048 bits, a curve that does not match
// the algorithm) is left to jose's compactVerify, which decides as before.

import { constants, createHmac, createPublicKey, timingSafeEqual, verify, KeyObject, type JsonWebKey } from 'node:crypto';

const HASH_BY_ALG: Record<string, string> = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};
const CURVE_BY_ALG: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** jose refuses RSA keys below this size; so do we, by leaving them to it. */
const MIN_RSA_BITS = 2048;

/** JWKS keys arrive as JWK objects, kept by the JWKS cache for an hour: each is made a KeyObject once. */
const fromJwk = new WeakMap<object, KeyObject | null>();

function keyObjectOf(key: unknown): KeyObject | null {
  if (key instanceof KeyObject) return key;
  if (typeof key !== 'object' || key === null || key instanceof Uint8Array) return null;
  let k = fromJwk.get(key);
  if (k === undefined) {
    try {
      k = createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    } catch {
      k = null;
    }
    fromJwk.set(key, k);
  }
  return k;
}

/** How node:crypto.verify checks `alg` with `key`; null when jose must decide (wrong family, weak key, other curve). */
function asymmetric(alg: string, key: KeyObject): { digest: string | null; options: Parameters<typeof verify>[2] } | null {
  if (key.type !== 'public') return null;
  const details = key.asymmetricKeyDetails;
  if (alg.startsWith('RS')) {
    if (key.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < MIN_RSA_BITS) return null;
    return { digest: HASH_BY_ALG[alg]!, options: { key, padding: constants.RSA_PKCS1_PADDING } };
  }
  if (alg.startsWith('ES')) {
    if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== CURVE_BY_ALG[alg]) return null;
    return { digest: HASH_BY_ALG[alg]!, options: { key, dsaEncoding: 'ieee-p1363' } };
  }
  if (alg === 'EdDSA' && (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448')) return { digest: null, options: key };
  return null;
}

/**
 * Whether the compact JWS `token` carries a valid `alg` signature of its
 * signing input under `key` (an HMAC secret, a public KeyObject or a public
 * JWK); null when this path does not take the token and jose must decide.
 */
export function nativeSignatureMatches(token: string, alg: string, key: unknown): boolean | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return null;
  const signature = token.slice(dot + 1);
  if (!BASE64URL.test(signature)) return null;
  const given = Buffer.from(signature, 'base64url');
  const input = token.slice(0, dot);
  if (alg.startsWith('HS')) {
    const hash = Object.hasOwn(HASH_BY_ALG, alg) ? HASH_BY_ALG[alg] : undefined;
    if (hash === undefined || !(key instanceof Uint8Array)) return null;
    const expected = createHmac(hash, key).update(input).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  const keyObject = keyObjectOf(key);
  const how = keyObject ? asymmetric(alg, keyObject) : null;
  if (!how) return null;
  try {
    return verify(how.digest, Buffer.from(input), how.options, given);
  } catch {
    return null;
  }
}
