// Public keys from a JWKS endpoint, cached per `kid`. Written over fetch rather
// than jose's createRemoteJWKSet to follow Centrifugo's rules exactly: 1 s
// timeout, 2 attempts, only `use: "sig"` keys, each key cached for 1 h. jose
// still imports the JWKs and verifies the signatures.

import type { JWK } from 'jose';
import { checkJwksUrl } from '../util/token-keys.js';
import { invalidToken } from './errors.js';

export interface JwksOptions {
  fetch?: typeof fetch;
  /** Per attempt. */
  timeoutMs?: number;
  attempts?: number;
  /** How long a fetched key stays usable without refetching. */
  keyTtlMs?: number;
  /**
   * After a successful fetch, an unknown `kid` does not trigger another fetch
   * for this long: otherwise every forged token would make us hit the endpoint.
   */
  missRefetchIntervalMs?: number;
}

/** The key to verify with and the algorithms it may serve. */
export interface JwksKey {
  jwk: JWK;
  algorithms: string[];
}

interface CachedKey extends JwksKey {
  expiresAt: number;
}

export class JwksCache {
  private readonly keys = new Map<string, CachedKey>();
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly keyTtlMs: number;
  private readonly missRefetchIntervalMs: number;
  /** One fetch at a time: a burst of connects after a restart shares it. */
  private inFlight: Promise<void> | undefined;
  private lastFetchAt = -Infinity;

  /** Throws a plain Error for a URL that cannot be used, so it fails at startup. */
  constructor(
    private readonly url: string,
    opts: JwksOptions = {},
  ) {
    checkJwksUrl(url);
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.attempts = opts.attempts ?? 2;
    this.keyTtlMs = opts.keyTtlMs ?? 60 * 60 * 1000;
    this.missRefetchIntervalMs = opts.missRefetchIntervalMs ?? 5000;
  }

  /** Throws TokenError('invalid') when the key is unknown or cannot serve `alg`. */
  async key(kid: string, alg: string): Promise<JwksKey> {
    let cached = this.fresh(kid);
    if (!cached) {
      if (Date.now() - this.lastFetchAt >= this.missRefetchIntervalMs) await this.refresh();
      cached = this.fresh(kid);
    }
    if (!cached) throw invalidToken(`no JWKS key with kid ${JSON.stringify(kid)}`);
    if (!cached.algorithms.includes(alg)) {
      throw invalidToken(`JWKS key ${JSON.stringify(kid)} cannot verify ${alg}`);
    }
    return { jwk: cached.jwk, algorithms: cached.algorithms };
  }

  private fresh(kid: string): CachedKey | undefined {
    const cached = this.keys.get(kid);
    if (cached && cached.expiresAt > Date.now()) return cached;
    if (cached) this.keys.delete(kid);
    return undefined;
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    let body: unknown;
    try {
      body = await this.fetchWithRetry();
    } catch (err) {
      throw invalidToken(`JWKS fetch from ${this.url} failed: ${(err as Error).message}`, err);
    }
    const now = Date.now();
    this.lastFetchAt = now;
    // Keys dropped from the set stay cached until their own TTL, as upstream.
    for (const [kid, key] of usableKeys(body)) this.keys.set(kid, { ...key, expiresAt: now + this.keyTtlMs });
  }

  private async fetchWithRetry(): Promise<unknown> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      try {
        const response = await this.fetchImpl(this.url, {
          headers: { accept: 'application/json' },
          // Covers reading the body too, not only the response headers.
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (response.status !== 200) {
          // Release the connection instead of leaving an unread body behind.
          await response.body?.cancel().catch(() => {});
          throw new Error(`status ${response.status}`);
        }
        return await response.json();
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }
}

/** The `use: "sig"` keys of a JWKS document that have a kid and a supported type. */
function usableKeys(body: unknown): Map<string, JwksKey> {
  const found = new Map<string, JwksKey>();
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return found;
  for (const item of keys) {
    if (typeof item !== 'object' || item === null) continue;
    const jwk = item as JWK;
    if (jwk.use !== 'sig' || typeof jwk.kid !== 'string' || jwk.kid === '') continue;
    const algorithms = algorithmsFor(jwk);
    if (algorithms.length === 0) continue;
    found.set(jwk.kid, { jwk: publicPart(jwk), algorithms });
  }
  return found;
}

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
const EC_ALGORITHM_BY_CURVE: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** Every algorithm a JWKS key can serve; others are refused before any fetch. */
export const JWKS_ALGORITHMS: readonly string[] = [...RSA_ALGORITHMS, ...Object.values(EC_ALGORITHM_BY_CURVE), 'EdDSA'];

/**
 * The algorithms a JWK may verify: its own `alg` when it names one from its
 * family, else the whole family. An EC key serves only its curve's algorithm.
 */
function algorithmsFor(jwk: JWK): string[] {
  let family: string[];
  if (jwk.kty === 'RSA') family = RSA_ALGORITHMS;
  else if (jwk.kty === 'EC') {
    const alg = jwk.crv !== undefined ? EC_ALGORITHM_BY_CURVE[jwk.crv] : undefined;
    family = alg !== undefined ? [alg] : [];
  } else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') family = ['EdDSA'];
  else family = [];
  if (jwk.alg === undefined) return family;
  return family.includes(jwk.alg) ? [jwk.alg] : [];
}

/**
 * Only the public members go to jose: a JWKS that (wrongly) publishes a private
 * key must not turn it into a private-key verify. A fresh object per fetch also
 * lets jose's per-object import cache do its work.
 */
function publicPart(jwk: JWK): JWK {
  const { kty, crv, n, e, x, y } = jwk;
  const pub: JWK = { kty };
  for (const [name, value] of Object.entries({ crv, n, e, x, y })) {
    if (value !== undefined) (pub as Record<string, unknown>)[name] = value;
  }
  return pub;
}
