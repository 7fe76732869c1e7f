// Builds the two verifiers a node needs from the client config. Subscription
// tokens get their own keys only when client.subscription_token.enabled is on;
// otherwise they share the connection verifier (and its JWKS cache).

import type { ClientConfig, TokenConfig } from '../config/schema.js';
import { TokenVerifier } from './token-verifier.js';

export interface Verifiers {
  connection: TokenVerifier;
  subscription: TokenVerifier;
}

/** Throws a plain Error for an unusable token config (bad PEM, regex or JWKS URL). */
export function createVerifiers(client: ClientConfig, opts: { fetch?: typeof fetch } = {}): Verifiers {
  const verifierOpts = { skipSignature: client.insecure_skip_token_signature_verify, ...opts };
  const connection = new TokenVerifier(client.token, verifierOpts);
  const subscription = client.subscription_token.enabled ? new TokenVerifier(client.subscription_token, verifierOpts) : connection;
  return { connection, subscription };
}

/** True when the config can verify anything: an inline key or a JWKS endpoint. */
export function hasAnyKey(cfg: TokenConfig): boolean {
  return cfg.hmac_secret_key !== '' || cfg.rsa_public_key !== '' || cfg.ecdsa_public_key !== '' || cfg.jwks_public_endpoint !== '';
}
