// Checks of the registered JWT claims (aud, iss, exp, nbf) against the token
// config. They are split so the verifier can keep Centrifugo's order: the regex
// checks run before the signature (upstream they also pick the JWKS URL), the
// exact aud/iss checks after it, and the time checks last, so a token that is
// both for another audience and expired is reported invalid, not expired.

import type { TokenConfig } from '../config/schema.js';
import { compileGoRegex } from '../util/go-syntax.js';
import { expiredToken, invalidToken } from './errors.js';
import type { RawClaims } from './claims.js';

export class RegisteredClaimChecks {
  private readonly audienceRegex: RegExp | undefined;
  private readonly issuerRegex: RegExp | undefined;
  private readonly audience: string;
  private readonly issuer: string;

  /** Throws a plain Error for a config regex that does not compile. */
  constructor(cfg: TokenConfig) {
    this.audience = cfg.audience;
    this.issuer = cfg.issuer;
    this.audienceRegex = compileConfigRegex(cfg.audience_regex, 'audience_regex');
    this.issuerRegex = compileConfigRegex(cfg.issuer_regex, 'issuer_regex');
  }

  checkPatterns(claims: RawClaims): void {
    if (this.audienceRegex && !audiences(claims).some((aud) => this.audienceRegex!.test(aud))) {
      throw invalidToken('token audience does not match audience_regex');
    }
    if (this.issuerRegex && !this.issuerRegex.test(issuerOf(claims))) {
      throw invalidToken('token issuer does not match issuer_regex');
    }
  }

  checkExact(claims: RawClaims): void {
    if (this.audience !== '' && !audiences(claims).includes(this.audience)) {
      throw invalidToken('token is not for the configured audience');
    }
    if (this.issuer !== '' && issuerOf(claims) !== this.issuer) {
      throw invalidToken('token is not from the configured issuer');
    }
  }

  /** No clock tolerance: a token is usable strictly before exp and from nbf on. */
  checkTime(claims: RawClaims, nowSeconds: number): void {
    const exp = numericDate(claims, 'exp');
    const nbf = numericDate(claims, 'nbf');
    numericDate(claims, 'iat'); // only its type is checked, as upstream does
    if (exp !== undefined && exp <= nowSeconds) throw expiredToken('token expired');
    if (nbf !== undefined && nbf > nowSeconds) throw expiredToken('token not valid yet (nbf)');
  }
}

/** `aud` may be one string or an array of strings (RFC 7519 §4.1.3). */
function audiences(claims: RawClaims): string[] {
  const aud = claims.aud;
  if (aud === undefined || aud === null) return [];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((item) => typeof item === 'string')) return aud as string[];
  throw invalidToken('aud claim must be a string or an array of strings');
}

function issuerOf(claims: RawClaims): string {
  const iss = claims.iss;
  if (iss === undefined || iss === null) return '';
  if (typeof iss !== 'string') throw invalidToken('iss claim must be a string');
  return iss;
}

function numericDate(claims: RawClaims, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidToken(`${name} claim must be a number`);
  }
  return value;
}

/** Config regexes are Go RE2, read as Go reads them (the config check already refused those that do not compile). */
function compileConfigRegex(source: string, name: string): RegExp | undefined {
  if (source === '') return undefined;
  try {
    return compileGoRegex(source);
  } catch (err) {
    throw new Error(`invalid ${name} ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}
