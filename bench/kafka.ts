// Kafka consumer benchmarks, end to end against a real Tributary process (memory
// engine) and the test broker (scripts/services/kafka.sh unless --brokers or
// TRIBUTARY_TEST_KAFKA_BROKERS says where one is):
//
//   npm run bench:kafka -- throughput [--messages 100000] [--partitions 6]
//     A backlog produced before Tributary starts; time from the consumer's start
//     until a subscribed client has received every message.
//
//   npm run bench:kafka -- latency [--rate 5000] [--seconds 10] [--partitions 6]
//     Messages produced at a steady rate; produce → client receive latency
//     percentiles, plus the server's Kafka-timestamp → published histogram.
//
// One JSON line of results on stdout. A tool, not a test.

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { LeanSubscriber } from '../test/helpers/lean-subscriber.js';
import { sleep, spawnTributary, waitFor, writeConfig } from '../test/helpers/process.js';
import { API_KEY, SECRET } from '../test/helpers/server.js';
import { kafkaBrokers } from '../test/integration/kafka/helpers.js';
import { pacedLatencies } from './paced.js';
import { histogramSummaryMs, latencySummary } from './quantiles.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    messages: { type: 'string', default: '100000' },
    partitions: { type: 'string', default: '6' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    brokers: { type: 'string' },
  },
});
const mode = positionals[0] ?? 'throughput';
const partitions = Number(values.partitions);
if (values.brokers) process.env.TRIBUTARY_TEST_KAFKA_BROKERS = values.brokers;
const brokers = kafkaBrokers(); // start the broker now, not in the middle of a measurement
const kafka = new Kafka({ clientId: 'tributary-bench', brokers, logLevel: logLevel.NOTHING });

const channels = (prefix: string) => Array.from({ length: partitions }, (_, p) => `${prefix}${p}`);

function serverConfig(topic: string): string {
  return writeConfig({
    http_server: { port: 0, address: '127.0.0.1' },
    log: { level: 'info' },
    client: { token: { hmac_secret_key: SECRET } },
    http_api: { key: API_KEY },
    channel: { without_namespace: { allow_subscribe_for_client: true, history_size: 1000, history_ttl: '600s' } },
    consumers: [
      {
        name: 'bench',
        enabled: true,
        type: 'kafka',
        kafka: { brokers, topics: [topic], consumer_group: `bench-${randomBytes(4).toString('hex')}`, max_poll_records: 1000 },
      },
    ],
  });
}

async function newTopic(prefix: string): Promise<string> {
  const topic = `${prefix}-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

const message = (channel: string, i: number) => JSON.stringify({ method: 'publish', payload: { channel, data: { i } } });

async function throughput(): Promise<void> {
  const total = Number(values.messages);
  const topic = await newTopic('bench-backlog');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const t0 = Date.now();
  for (let from = 0; from < total; from += 5000) {
    const n = Math.min(5000, total - from);
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, k) => ({ partition: (from + k) % partitions, value: message(`b${(from + k) % partitions}`, from + k) })),
    });
  }
  const produced = Date.now();
  await producer.disconnect();
  // The subscriber must be there before the consumer starts: start Tributary, subscribe, then time.
  const proc = await spawnTributary(serverConfig(topic));
  try {
    const sub = await LeanSubscriber.open(proc.wsUrl, channels('b'));
    const start = Date.now();
    await waitFor(() => sub.total >= total, 300_000, `${total} publications`, 5);
    const done = Date.now();
    sub.close();
    console.log(
      JSON.stringify({
        mode: 'throughput',
        messages: total,
        partitions,
        produce_ms: produced - t0,
        // Includes the consumer joining its group (it starts with the process, before the subscriber).
        drain_ms: done - start,
        messages_per_second: Math.round(total / ((done - start) / 1000)),
      }),
    );
  } finally {
    await proc.stop();
  }
}

async function latency(): Promise<void> {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const topic = await newTopic('bench-latency');
  const proc = await spawnTributary(serverConfig(topic));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const sub = await LeanSubscriber.open(proc.wsUrl, channels('l'));
    // Let the consumer join its group before the clock starts.
    await sleep(3000);
    const latencies = await pacedLatencies(sub, rate, seconds, (from, to) =>
      producer.send({
        topic,
        acks: 1,
        messages: Array.from({ length: to - from }, (_, k) => ({
          partition: (from + k) % partitions,
          value: message(`l${(from + k) % partitions}`, from + k),
        })),
      }),
    );
    sub.close();
    const metrics = await (await fetch(`${proc.httpUrl}/metrics`)).text();
    console.log(
      JSON.stringify({
        mode: 'latency',
        rate,
        seconds,
        partitions,
        messages: rate * seconds,
        produce_to_receive_ms: latencySummary(latencies),
        kafka_timestamp_to_published_ms_from_histogram: histogramSummaryMs(metrics, 'tributary_kafka_publish_latency_seconds'),
      }),
    );
  } finally {
    await producer.disconnect();
    await proc.stop();
  }
}

if (mode === 'throughput') await throughput();
else if (mode === 'latency') await latency();
else {
  console.error('usage: bench/kafka.ts throughput|latency [options]');
  process.exitCode = 2;
}
