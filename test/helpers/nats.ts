// The test NATS server, started by the runner or, for a file run on its own,
// by scripts/services/nats.sh (see services.ts).

import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import type { NatsOptions } from '../../src/config/nats.js';
import { NatsBroker } from '../../src/engines/nats/nats-broker.js';
import { silentLogger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';
import { serviceAddress } from './services.js';

/** The shared test NATS (nats://127.0.0.1:14222 unless the runner says otherwise). */
export function natsUrl(): string {
  return serviceAddress('TRIBUTARY_TEST_NATS_URL', 'scripts/services/nats.sh');
}

/** A parsed `broker.nats` block on the test NATS, with a prefix of its own unless given. */
export function natsOptions(block: Record<string, unknown> = {}): NatsOptions {
  const { config } = loadConfig({
    raw: { broker: { enabled: true, type: 'nats', nats: { url: natsUrl(), prefix: `test-${randomBytes(4).toString('hex')}`, ...block } } },
    env: {},
  });
  if (!config.broker.enabled || config.broker.type !== 'nats') throw new Error('not a nats broker block');
  return config.broker.nats;
}

export function natsBroker(options: NatsOptions = natsOptions(), metrics?: Metrics): NatsBroker {
  return new NatsBroker(options, silentLogger(), metrics);
}
