// Verifies connection and subscription JWTs for one token config, in
// Centrifugo's order: decode, aud/iss regexes, signature, exact aud/iss,
// exp/nbf, then the Centrifugo claims. Every failure is a TokenError.

import { compactVerify, decodeJwt, decodeProtectedHeader, errors, type JWSHeaderParameters } from 'jose';
import type { TokenConfig } from '../config/schema.js';
import { parseConnectClaims, parseSubscribeClaims, type ConnectTokenClaims, type RawClaims, type SubscribeTokenClaims } from './claims.js';
import { invalidToken } from './errors.js';
import { nativeSignatureMatches } from './native-signature.js';
import { JWKS_ALGORITHMS, JwksCache } from './jwks.js';
import { RegisteredClaimChecks } from './registered-claims.js';
import { StaticKeys, type KeyCandidates } from './static-keys.js';

export { connectionExpiry } from './claims.js';
export { TokenError } from './errors.js';
export type { ConnectTokenClaims, ServerSideSubscription, SubscribeTokenClaims } from './claims.js';

export interface TokenVerifierOptions {
  /** client.insecure_skip_token_signature_verify: trust the claims unsigned. */
  skipSignature?: boolean;
  /** For the JWKS endpoint; tests inject their own. */
  fetch?: typeof fetch;
}

export class TokenVerifier {
  private readonly checks: RegisteredClaimChecks;
  /** Exactly one is set: a JWKS endpoint replaces the inline keys. */
  private readonly staticKeys: StaticKeys | undefined;
  private readonly jwks: JwksCache | undefined;
  private readonly skipSignature: boolean;
  private readonly userIdClaim: string;

  /** Throws a plain Error for an unusable config (bad PEM, regex or JWKS URL). */
  constructor(cfg: TokenConfig, opts: TokenVerifierOptions = {}) {
    this.checks = new RegisteredClaimChecks(cfg);
    this.skipSignature = opts.skipSignature ?? false;
    this.userIdClaim = cfg.user_id_claim;
    if (cfg.jwks_public_endpoint !== '') {
      this.jwks = new JwksCache(cfg.jwks_public_endpoint, opts.fetch ? { fetch: opts.fetch } : {});
    } else {
      this.staticKeys = new StaticKeys(cfg);
    }
  }

  async verifyConnectToken(token: string): Promise<ConnectTokenClaims> {
    return parseConnectClaims(await this.verify(token), this.userIdClaim);
  }

  async verifySubscribeToken(token: string): Promise<SubscribeTokenClaims> {
    return parseSubscribeClaims(await this.verify(token), this.userIdClaim);
  }

  /** Returns the claims of a token that passed every generic JWT check. */
  private async verify(token: string): Promise<RawClaims> {
    let header: JWSHeaderParameters;
    let claims: RawClaims;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
      claims = decodeJwt(token);
    } catch (err) {
      throw invalidToken('malformed token', err);
    }
    // With b64=false (RFC 7797) the signed bytes are not the base64url payload
    // decoded above; JWTs never use it, so refuse instead of reasoning about it.
    if (header.b64 !== undefined) throw invalidToken('b64 header parameter is not allowed in a JWT');
    this.checks.checkPatterns(claims);
    if (!this.skipSignature) await this.verifySignature(token, header);
    this.checks.checkExact(claims);
    this.checks.checkTime(claims, Date.now() / 1000);
    return claims;
  }

  private async verifySignature(token: string, header: JWSHeaderParameters): Promise<void> {
    const alg = header.alg;
    if (typeof alg !== 'string') throw invalidToken('token has no alg header');
    const { algorithms, keys } = await this.candidates(alg, header.kid);
    let lastError: unknown;
    // More than one key only for HMAC rotation: current secret first, then previous.
    for (const key of keys) {
      const fast = header.crit === undefined && algorithms.includes(alg) ? nativeSignatureMatches(token, alg, key) : null;
      if (fast === true) return;
      if (fast === false) {
        lastError = new errors.JWSSignatureVerificationFailed();
        continue;
      }
      try {
        await compactVerify(token, key, { algorithms });
        return;
      } catch (err) {
        lastError = err;
        // Anything but a signature mismatch (e.g. a bad crit header) will not
        // be fixed by another key.
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw invalidToken(
      lastError instanceof errors.JWSSignatureVerificationFailed
        ? 'invalid token signature'
        : `invalid token: ${(lastError as Error | undefined)?.message ?? 'no key'}`,
      lastError,
    );
  }

  private async candidates(alg: string, kid: unknown): Promise<KeyCandidates> {
    if (this.jwks) {
      // Checked before the kid lookup so `alg: none` or HS256 never costs a fetch.
      if (!JWKS_ALGORITHMS.includes(alg)) throw invalidToken(`unsupported algorithm ${JSON.stringify(alg)} with JWKS`);
      if (typeof kid !== 'string' || kid === '') throw invalidToken('token has no kid header (required with JWKS)');
      const { jwk, algorithms } = await this.jwks.key(kid, alg);
      return { algorithms, keys: [jwk] };
    }
    return this.staticKeys!.candidates(alg, Date.now() / 1000);
  }
}
