// Shared by the multi-node NATS tests: the config of a Tributary node whose
// broker is NATS, with a namespace for presence and join/leave, and one that
// asks for history (which a Nats broker cannot give).

import { nodeProcessConfig } from '../../helpers/process.js';

export function natsNodeConfig(nats: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return nodeProcessConfig({
    broker: { enabled: true, type: 'nats', nats },
    channel: {
      namespaces: [
        {
          name: 'room',
          allow_subscribe_for_client: true,
          presence: true,
          join_leave: true,
          force_push_join_leave: true,
          allow_presence_for_subscriber: true,
        },
        { name: 'hist', allow_subscribe_for_client: true, history_size: 10, history_ttl: '60s', force_recovery: true },
      ],
    },
    ...extra,
  });
}
