// Shared by the multi-node tests: the config of a Tributary node on the Redis
// engine, with a namespace that has history, recovery, presence and join/leave.

import { nodeProcessConfig } from '../../helpers/process.js';

export function nodeConfig(redis: string, prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return nodeProcessConfig({
    engine: { type: 'redis', redis: { address: [redis], prefix } },
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
    ...extra,
  });
}
