// The built-in consumers: configs in, running consumers out. Each turns
// messages from outside into server API calls through the same Dispatcher as
// the HTTP API.

import type { ConsumerConfig } from '../config/consumers.js';
import type { Consumer, ConsumerDeps } from './consumer.js';

export { ConsumerStartError, type Consumer, type ConsumerDeps, type ConsumerHealth } from './consumer.js';

/**
 * Builds the enabled consumers (disabled ones are logged and skipped, as in
 * Centrifugo). Each kind is loaded only when configured: pg and kafkajs cost
 * a node without consumers about a tenth of a second of start-up.
 */
export async function createConsumers(configs: ConsumerConfig[], deps: ConsumerDeps): Promise<Consumer[]> {
  const out: Consumer[] = [];
  for (const c of configs) {
    if (!c.enabled) {
      deps.log.info({ consumer: c.name }, 'consumer is not enabled, skip');
    } else if (c.type === 'postgresql') {
      const { PostgresOutboxConsumer } = await import('./postgres-outbox/consumer.js');
      out.push(new PostgresOutboxConsumer(c.name, c.postgresql, deps));
    } else if (c.type === 'kafka') {
      const { KafkaConsumer } = await import('./kafka/consumer.js');
      out.push(new KafkaConsumer(c.name, c.kafka, deps));
    } else throw new Error(`consumer "${c.name}": type "${c.type}" is not supported`);
  }
  return out;
}
