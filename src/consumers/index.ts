// The built-in consumers: configs in, running consumers out. Each turns
// messages from outside into server API calls through the same Dispatcher as
// the HTTP API.

import type { ConsumerConfig } from '../config/consumers.js';
import type { Consumer, ConsumerDeps } from './consumer.js';
import { KafkaConsumer } from './kafka/consumer.js';
import { PostgresOutboxConsumer } from './postgres-outbox/consumer.js';

export { ConsumerStartError, type Consumer, type ConsumerDeps, type ConsumerHealth } from './consumer.js';

/** Builds the enabled consumers (disabled ones are logged and skipped, as in Centrifugo). */
export function createConsumers(configs: ConsumerConfig[], deps: ConsumerDeps): Consumer[] {
  const out: Consumer[] = [];
  for (const c of configs) {
    if (!c.enabled) {
      deps.log.info({ consumer: c.name }, 'consumer is not enabled, skip');
      continue;
    }
    if (c.type === 'postgresql' && c.postgresql) out.push(new PostgresOutboxConsumer(c.name, c.postgresql, deps));
    else if (c.type === 'kafka' && c.kafka) out.push(new KafkaConsumer(c.name, c.kafka, deps));
    else throw new Error(`consumer "${c.name}": type "${c.type}" is not supported`);
  }
  return out;
}
