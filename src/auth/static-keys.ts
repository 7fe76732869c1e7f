// The keys configured inline (HMAC secret, RSA and ECDSA public keys), each
// bound to the only algorithms its key type can serve. The binding is what makes
// algorithm confusion impossible: a token's `alg` picks the key family, the
// family's algorithm list goes to jose, and a public key is never handed out as
// an HMAC secret, so an HS256 token "signed" with the RSA PEM text never matches.

import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyInput } from 'jose';
import type { TokenConfig } from '../config/types.js';
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
/** ECDSA algorithms are tied to one curve each (RFC 7518 §3.4). */
const EC_ALGORITHM_BY_CURVE: Record<string, string> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};
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
    this.hmacPrevious =
      this.hmacSecret && cfg.hmac_previous_secret_key !== ''
        ? encoder.encode(cfg.hmac_previous_secret_key)
        : undefined;
    this.hmacPreviousValidUntil = cfg.hmac_previous_secret_key_valid_until;
    this.rsaKey = cfg.rsa_public_key !== '' ? parsePublicKey(cfg.rsa_public_key, 'rsa', 'rsa_public_key') : undefined;
    this.ecKey = cfg.ecdsa_public_key !== '' ? parsePublicKey(cfg.ecdsa_public_key, 'ec', 'ecdsa_public_key') : undefined;
    const curve = this.ecKey?.asymmetricKeyDetails?.namedCurve;
    const ecAlgorithm = curve !== undefined ? EC_ALGORITHM_BY_CURVE[curve] : undefined;
    if (this.ecKey && ecAlgorithm === undefined) {
      throw new Error(`ecdsa_public_key uses unsupported curve ${curve ?? '(unknown)'}`);
    }
    this.ecAlgorithms = ecAlgorithm !== undefined ? [ecAlgorithm] : [];
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

/**
 * Node's parser (not jose's importSPKI) because it is synchronous and accepts
 * what Go's PEM helpers accept: SPKI "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY" and
 * X.509 certificates. Only parsing happens here; jose does all verification.
 */
function parsePublicKey(pem: string, type: 'rsa' | 'ec', name: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new Error(`${name} is not a valid PEM public key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== type) {
    throw new Error(`${name} must be an ${type.toUpperCase()} key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}
