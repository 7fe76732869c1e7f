// Shared helpers for the auth tests: a blank token config and token builders.
// Keys are generated per run; no key material lives in the repository.

import assert from 'node:assert/strict';
import { SignJWT, type JWTPayload, type KeyInput } from 'jose';
import type { TokenConfig } from '../../../src/config/schema.js';
import { TokenError, type TokenErrorKind } from '../../../src/auth/errors.js';

export function tokenConfig(overrides: Partial<TokenConfig> = {}): TokenConfig {
  return {
    hmac_secret_key: '',
    hmac_previous_secret_key: '',
    hmac_previous_secret_key_valid_until: 0,
    rsa_public_key: '',
    ecdsa_public_key: '',
    jwks_public_endpoint: '',
    audience: '',
    audience_regex: '',
    issuer: '',
    issuer_regex: '',
    user_id_claim: '',
    ...overrides,
  };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Signs claims with any algorithm and key, and optional extra header fields. */
export function sign(claims: JWTPayload, alg: string, key: KeyInput | string, header: Record<string, unknown> = {}): Promise<string> {
  const signingKey = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  return new SignJWT(claims).setProtectedHeader({ ...header, alg }).sign(signingKey);
}

/** An unsigned token with the given header, built by hand (jose refuses to sign these). */
export function unsignedToken(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.`;
}

export async function rejectsWith(promise: Promise<unknown>, kind: TokenErrorKind, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof TokenError, `expected TokenError, got ${String(err)}`);
    assert.equal(err.kind, kind, `kind of "${err.message}"`);
    if (message) assert.match(err.message, message);
    return true;
  });
}
