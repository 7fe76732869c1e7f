// Shared by the Kafka tests: the test broker (TRIBUTARY_TEST_KAFKA_BROKERS, set
// by scripts/run-tests.mjs; started here with scripts/services/kafka.sh when a
// file runs on its own), fresh topics, a producer, and Tributary servers with
// a Kafka consumer in this process. The topics createTopic makes and the
// consumer groups of kafkaConsumerConfig are recorded (test/helpers/cleanup.ts):
// a test file deletes them with cleanUp() in an `after` hook.

import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import type { KafkaConsumer } from '../../../src/consumers/kafka/consumer.js';
import { ownKafkaGroups, ownKafkaTopics } from '../../helpers/cleanup.js';
import { startConsumerServer, type ConsumerServer, type ConsumerServerOptions } from '../../helpers/consumer-server.js';
import { serviceAddress } from '../../helpers/services.js';

export { cleanUp, ownKafkaGroups, ownKafkaTopics, ownRedisPrefix } from '../../helpers/cleanup.js';

export function kafkaBrokers(): string[] {
  return serviceAddress('TRIBUTARY_TEST_KAFKA_BROKERS', 'scripts/services/kafka.sh')
    .split(/[\s,]+/)
    .filter(Boolean);
}

export function kafka(): Kafka {
  return new Kafka({ clientId: 'tributary-tests', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates a topic with `partitions` partitions and waits until it has leaders (recorded for cleanUp). */
export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  ownKafkaTopics(kafkaBrokers(), topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

export async function newProducer(): Promise<Producer> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  return producer;
}

/** A consumer block with a fresh consumer group (recorded for cleanUp, as is a group given in `kafkaOptions`). */
export function kafkaConsumerConfig(name: string, kafkaOptions: Record<string, unknown>): Record<string, unknown> {
  const kafka = { brokers: kafkaBrokers(), consumer_group: uniqueName(name), session_timeout: '6s', ...kafkaOptions };
  if (typeof kafka.consumer_group === 'string') ownKafkaGroups(kafkaBrokers(), kafka.consumer_group);
  return { name, enabled: true, type: 'kafka', kafka };
}

export type KafkaServer = ConsumerServer<KafkaConsumer>;

export function startKafkaServer(consumers: Record<string, unknown>[], opts: ConsumerServerOptions = {}): Promise<KafkaServer> {
  return startConsumerServer<KafkaConsumer>(consumers, opts);
}
