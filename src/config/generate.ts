// `tributary genconfig`: a minimal v6 config with fresh secrets, in the spirit
// of `centrifugo genconfig` but without the admin block (no admin UI here).

import { randomBytes } from 'node:crypto';

export interface GeneratedConfig {
  client: { token: { hmac_secret_key: string }; allowed_origins: string[] };
  http_api: { key: string };
  channel: {
    without_namespace: { presence: boolean; join_leave: boolean; history_size: number; history_ttl: string };
  };
}

/** 32 random bytes as 64 hex chars: HS256 wants a key at least as long as its 256-bit output. */
function secret(): string {
  return randomBytes(32).toString('hex');
}

export function generateConfig(): GeneratedConfig {
  return {
    client: {
      token: { hmac_secret_key: secret() },
      // Empty: only requests without an Origin header pass until the operator lists their sites.
      allowed_origins: [],
    },
    http_api: { key: secret() },
    channel: {
      // Spelled out so the operator sees where channel features are switched on.
      without_namespace: { presence: false, join_leave: false, history_size: 0, history_ttl: '0s' },
    },
  };
}
