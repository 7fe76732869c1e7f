// The checks a token key configuration must pass before any token arrives, in
// one place for both users: the config schema (so `checkconfig` refuses what
// `serve` would) and the verifiers (which keep the parsed keys).

import { createPublicKey, type KeyObject } from 'node:crypto';

/** ECDSA algorithms are tied to one curve each (RFC 7518 §3.4). */
export const EC_ALGORITHM_BY_CURVE: Record<string, string> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/**
 * Node's parser (not jose's importSPKI) because it is synchronous and accepts
 * what Go's PEM helpers accept: SPKI "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY" and
 * X.509 certificates. Throws an Error naming `name` for anything else.
 */
export function parsePublicKey(pem: string, type: 'rsa' | 'ec', name: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new Error(`${name} is not a valid PEM public key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== type) {
    throw new Error(`${name} must be an ${type.toUpperCase()} key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === undefined || !Object.hasOwn(EC_ALGORITHM_BY_CURVE, curve)) throw new Error(`${name} uses unsupported curve ${curve ?? '(unknown)'}`);
  }
  return key;
}

/** Throws for a JWKS endpoint that cannot be used. */
export function checkJwksUrl(url: string): void {
  // Centrifugo fills `{{name}}` from named groups of issuer_regex/audience_regex.
  // Not implemented: refuse it rather than fetch a literal "{{name}}" URL.
  if (url.includes('{{')) throw new Error('jwks_public_endpoint placeholders ({{name}}) are not supported');
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error(`jwks_public_endpoint ${JSON.stringify(url)} is not a URL`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`jwks_public_endpoint must be an http(s) URL, got ${protocol}`);
}
