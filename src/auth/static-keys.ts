// The keys configured inline (HMAC secret, RSA and ECDSA public keys), each
// bound to the only algorithms its key type can serve. The binding is what makes
// algorithm confusion impossible: a token's `alg` picks the key family, the
// family's algorithm list goes to jose, and a public key is never handed out as
// an HMAC secret, so an HS256 token "signed" with the RSA PEM text never matches.

import type { KeyObject } from 'node:crypto';
import type { KeyInput } from 'jose';
import type { TokenConfig } from '../config/schema.js';
import { EC_ALGORITHM_BY_CURVE, parsePublicKey } from '../util/token-keys.js';
import { invalidToken } from './errors.js';

/** What a token with a given `alg` must verify against: any one of `keys`. */
export interface KeyCandidates {
  /** Passed to jose as `algorithms`, a second guard on top of the family choice. */
  algorithms: string[];
  /** Tried in order; more than one only for HMAC rotation. */
  keys: KeyInput[];
}

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
const EC_ALGORITHMS = Object.values(EC_ALGORITHM_BY_CURVE);

export class StaticKeys {
  private readonly hmacSecret: Uint8Array | undefined;
  private readonly hmacPrevious: Uint8Array | undefined;
  private readonly hmacPreviousValidUntil: number;
  private readonly rsaKey: KeyObject | undefined;
  private readonly ecKey: KeyObject | undefined;
  private readonly ecAlgorithms: string[];

  /** Throws a plain Error for a malformed PEM, so a bad config fails at startup, not per token. */
  constructor(cfg: TokenConfig) {
    const encoder = new TextEncoder();
    // The previous secret only makes sense next to a current one.
    this.hmacSecret = cfg.hmac_secret_key !== '' ? encoder.encode(cfg.hmac_secret_key) : undefined;
    this.hmacPrevious = this.hmacSecret && cfg.hmac_previous_secret_key !== '' ? encoder.encode(cfg.hmac_previous_secret_key) : undefined;
    this.hmacPreviousValidUntil = cfg.hmac_previous_secret_key_valid_until;
    this.rsaKey = cfg.rsa_public_key !== '' ? parsePublicKey(cfg.rsa_public_key, 'rsa', 'rsa_public_key') : undefined;
    this.ecKey = cfg.ecdsa_public_key !== '' ? parsePublicKey(cfg.ecdsa_public_key, 'ec', 'ecdsa_public_key') : undefined;
    const curve = this.ecKey?.asymmetricKeyDetails?.namedCurve;
    this.ecAlgorithms = curve !== undefined ? [EC_ALGORITHM_BY_CURVE[curve]!] : [];
  }

  /** Throws TokenError('invalid') for an algorithm with no configured key or no support at all. */
  candidates(alg: string, nowSeconds: number): KeyCandidates {
    if (HMAC_ALGORITHMS.includes(alg)) {
      if (!this.hmacSecret) throw invalidToken(`disabled algorithm ${alg}`);
      const keys = [this.hmacSecret];
      if (this.hmacPrevious && this.previousStillValid(nowSeconds)) keys.push(this.hmacPrevious);
      return { algorithms: HMAC_ALGORITHMS, keys };
    }
    if (RSA_ALGORITHMS.includes(alg)) {
      if (!this.rsaKey) throw invalidToken(`disabled algorithm ${alg}`);
      return { algorithms: RSA_ALGORITHMS, keys: [this.rsaKey] };
    }
    if (EC_ALGORITHMS.includes(alg)) {
      // An ES384 token against a P-256 key is as disabled as one with no key.
      if (!this.ecKey || !this.ecAlgorithms.includes(alg)) throw invalidToken(`disabled algorithm ${alg}`);
      return { algorithms: this.ecAlgorithms, keys: [this.ecKey] };
    }
    throw invalidToken(`unsupported algorithm ${JSON.stringify(alg)}`);
  }

  private previousStillValid(nowSeconds: number): boolean {
    return this.hmacPreviousValidUntil === 0 || nowSeconds < this.hmacPreviousValidUntil;
  }
}
