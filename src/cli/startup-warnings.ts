// What `serve` warns about once the config is valid: settings that are legal
// but leave the server refusing (or allowing) more than its operator likely
// meant. Each line says what will happen and what to set.

import type { Config } from '../config/schema.js';

export function startupWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const { client, http_api: api } = config;
  if (client.insecure) warnings.push('client.insecure is on: every client may subscribe, publish and read everything');
  if (api.insecure) warnings.push('http_api.insecure is on: the server API accepts requests without a key');
  if (!api.insecure && !api.key) warnings.push('http_api.key is empty: every server API request will get 401');
  const t = client.token;
  const tokenKey = t.hmac_secret_key || t.rsa_public_key || t.ecdsa_public_key || t.jwks_public_endpoint;
  if (!client.insecure && !tokenKey) {
    warnings.push(
      'no connection token key is set (client.token.hmac_secret_key, rsa_public_key, ecdsa_public_key or jwks_public_endpoint): ' +
        (client.allow_anonymous_connect_without_token
          ? 'only anonymous connections without a token can connect'
          : 'every connection will be refused (set a key, or client.allow_anonymous_connect_without_token)'),
    );
  }
  // client.insecure does not open the origin check (nor does it in Centrifugo).
  if (client.allowed_origins.length === 0) {
    warnings.push(
      'client.allowed_origins is empty: browsers (which send an Origin header) are refused; only clients without an Origin can connect. ' +
        'Add your site, e.g. "allowed_origins": ["http://localhost:3000"]',
    );
  }
  return warnings;
}
