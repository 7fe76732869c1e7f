// The Kafka side of the chaos scenarios: a client on the chaos broker, fresh
// topics, the consumer block that reads one, and a producer that keeps
// sending numbered publish records until stopped.

import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { sleep } from '../helpers/process.js';
import { uniqueName } from './nodes.js';

export function kafkaClient(brokers: string): Kafka {
  return new Kafka({ clientId: 'tributary-chaos', brokers: [brokers], logLevel: logLevel.NOTHING });
}

export async function newTopic(kafka: Kafka, prefix: string, partitions: number): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

export async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

export function kafkaConsumer(name: string, brokers: string, topic: string): Record<string, unknown> {
  return { name, enabled: true, type: 'kafka', kafka: { brokers: [brokers], topics: [topic], consumer_group: uniqueName('chaos'), session_timeout: '6s' } };
}

export interface RecordProducer {
  sent(): number;
  acked: number[];
  errors: number;
  stop(): Promise<void>;
}

/**
 * Sends `batch` records every `everyMs`: record i to partition i % partitions
 * as {method: publish, payload: {channel: <prefix><partition>, data: {i}}}.
 * A batch the broker did not acknowledge is given up (it may still have been
 * written: the count of such records found in history says how many).
 */
export async function recordProducer(
  kafka: Kafka,
  topic: string,
  opts: { partitions: number; prefix: string; batch: number; everyMs: number },
): Promise<RecordProducer> {
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 3 } });
  await producer.connect();
  let next = 0;
  let running = true;
  const p: RecordProducer = { sent: () => next, acked: [], errors: 0, stop: async () => undefined };
  const loop = (async () => {
    while (running) {
      const from = next;
      next += opts.batch;
      const messages = Array.from({ length: opts.batch }, (_, k) => {
        const i = from + k;
        const partition = i % opts.partitions;
        return { partition, value: JSON.stringify({ method: 'publish', payload: { channel: `${opts.prefix}${partition}`, data: { i } } }) };
      });
      try {
        await producer.send({ topic, messages });
        for (let k = 0; k < opts.batch; k++) p.acked.push(from + k);
      } catch {
        p.errors++;
        await sleep(200);
      }
      await sleep(opts.everyMs);
    }
  })();
  p.stop = async () => {
    running = false;
    await loop;
    await producer.disconnect().catch(() => undefined);
  };
  return p;
}
