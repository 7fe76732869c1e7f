// Shared by the Kafka tests: the test broker (TRIBUTARY_TEST_KAFKA_BROKERS, set
// by scripts/run-tests.mjs; started here with scripts/services/kafka.sh when a
// file runs on its own), fresh topics, a producer, and Tributary servers with
// a Kafka consumer in this process.

import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import type { KafkaConsumer } from '../../../src/consumers/kafka/consumer.js';
import { startConsumerServer, type ConsumerServer, type ConsumerServerOptions } from '../../helpers/consumer-server.js';
import { serviceAddress } from '../../helpers/services.js';

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

/** Creates a topic with `partitions` partitions and waits until it has leaders. */
export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

export async function newProducer(): Promise<Producer> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  return producer;
}

export function kafkaConsumerConfig(name: string, kafkaOptions: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    enabled: true,
    type: 'kafka',
    kafka: { brokers: kafkaBrokers(), consumer_group: uniqueName(name), session_timeout: '6s', ...kafkaOptions },
  };
}

export type KafkaServer = ConsumerServer<KafkaConsumer>;

export function startKafkaServer(consumers: Record<string, unknown>[], opts: ConsumerServerOptions = {}): Promise<KafkaServer> {
  return startConsumerServer<KafkaConsumer>(consumers, opts);
}
