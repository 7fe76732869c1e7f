// Shared by the multi-node tests: the config of a Tributary node on the Redis
// engine, with a namespace that has history, recovery, presence and join/leave.

import { API_KEY, SECRET } from '../../helpers/server.js';

export function nodeConfig(redis: string, prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    http_server: { port: 0, address: '127.0.0.1' },
    log: { level: 'info' },
    engine: { type: 'redis', redis: { address: [redis], prefix } },
    client: { token: { hmac_secret_key: SECRET } },
    http_api: { key: API_KEY },
    channel: {
      namespaces: [
        {
          name: 'room',
          allow_subscribe_for_client: true,
          history_size: 100,
          history_ttl: '300s',
          force_recovery: true,
          presence: true,
          join_leave: true,
          force_push_join_leave: true,
          allow_presence_for_subscriber: true,
        },
      ],
    },
    shutdown: { timeout: '5s' },
    ...extra,
  };
}
