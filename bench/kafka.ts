// Kafka consumer benchmarks, end to end against a real Tributary process (memory
// engine) and the test broker (scripts/services/kafka.sh unless --brokers or
// TRIBUTARY_TEST_KAFKA_BROKERS says where one is):
//
//   npm run bench:kafka -- throughput [--messages 100000] [--partitions 6]
//     A backlog drain: the messages are produced first, then the server starts
//     with a subscribed client; time from the first publication the client
//     receives to the last, and the server's CPU per message over that time.
//
//   npm run bench:kafka -- latency [--rate 5000] [--seconds 10] [--partitions 6]
//     Messages produced at a steady rate; produce → client receive latency
//     percentiles, plus the server's Kafka-timestamp → published histogram.
//
//   --target tributary (default) | centrifugo | tributary,centrifugo: the same
//     measurement against each, one after the other, each on a fresh topic and
//     consumer group; Centrifugo (v6.9.1, scripts/services/centrifugo.sh) runs
//     its own Kafka consumer from the same `consumers` config.
//   --server-build tsx|dist, --server-node-args A: how Tributary is started.
//
// One JSON line of results on stdout. A tool, not a test.

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { LeanSubscriber } from '../test/helpers/lean-subscriber.js';
import { sleep, waitFor } from '../test/helpers/process.js';
import { kafkaBrokers } from '../test/integration/kafka/helpers.js';
import { consumerTargets, cpuMicrosPer, serverCpu, startConsumerTarget, type ConsumerTarget, type RunningTarget } from './consumer-targets.js';
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
    target: { type: 'string', default: 'tributary' },
    'server-build': { type: 'string', default: 'tsx' },
    'server-node-args': { type: 'string', default: '' },
  },
});
const targets = consumerTargets(String(values.target));
const build = values['server-build'] === 'dist' ? 'dist' : 'tsx';
const mode = positionals[0] ?? 'throughput';
const partitions = Number(values.partitions);
if (values.brokers) process.env.TRIBUTARY_TEST_KAFKA_BROKERS = values.brokers;
const brokers = kafkaBrokers(); // start the broker now, not in the middle of a measurement
const kafka = new Kafka({ clientId: 'tributary-bench', brokers, logLevel: logLevel.NOTHING });

const channels = (prefix: string) => Array.from({ length: partitions }, (_, p) => `${prefix}${p}`);

/** Starts `target` with one Kafka consumer on `topic`, in a group of its own. */
function start(target: ConsumerTarget, topic: string): Promise<RunningTarget> {
  const consumer = {
    name: 'bench',
    enabled: true,
    type: 'kafka',
    kafka: { brokers, topics: [topic], consumer_group: `bench-${randomBytes(4).toString('hex')}`, max_poll_records: 1000 },
  };
  return startConsumerTarget(target, [consumer], { build, nodeArgs: String(values['server-node-args']).split(/\s+/).filter(Boolean), historySize: 1000 });
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

async function throughput(target: ConsumerTarget): Promise<void> {
  const total = Number(values.messages);
  const topic = await newTopic('bench-backlog');
  // A backlog: every message is in the topic before the server starts. Its
  // subscriber is connected long before the consumer has joined its group
  // (seconds), so it sees the drain from the first message; the clock runs
  // from the first publication received to the last.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const p0 = Date.now();
  try {
    for (let from = 0; from < total; from += 5000) {
      const n = Math.min(5000, total - from);
      await producer.send({
        topic,
        messages: Array.from({ length: n }, (_, k) => ({ partition: (from + k) % partitions, value: message(`b${(from + k) % partitions}`, from + k) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  const produceMs = Date.now() - p0;
  const proc = await start(target, topic);
  try {
    const sub = await LeanSubscriber.open(proc.wsUrl, channels('b'));
    let first = 0;
    let last = 0;
    let cpuAtFirst: number | null = null;
    sub.onPublication = () => {
      last = Date.now();
      if (first !== 0) return;
      first = last;
      cpuAtFirst = serverCpu(proc);
    };
    // A consumer that joins its group fast may publish the first records before
    // the subscriber is there: the window is then the rest of the drain, which
    // every partition shares, and the rate is over what the window received.
    await waitFor(() => sub.total >= total || (first !== 0 && Date.now() - last > 3000), 300_000, 'the drain', 5);
    const received = sub.total;
    if (received < total * 0.8) throw new Error(`only ${received} of ${total} publications reached the subscriber: it came too late to time the drain`);
    const done = last;
    const cpuPerMessage = cpuMicrosPer(proc, cpuAtFirst, received);
    sub.close();
    console.log(
      JSON.stringify({
        mode: 'throughput',
        target,
        messages: total,
        received,
        partitions,
        produce_ms: produceMs,
        drain_ms: done - first,
        messages_per_second: Math.round(received / ((done - first) / 1000)),
        // Every core the server used, from the first publication received to the last.
        server_cpu_us_per_message: cpuPerMessage,
      }),
    );
  } finally {
    await proc.stop();
  }
}

async function latency(target: ConsumerTarget): Promise<void> {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const topic = await newTopic('bench-latency');
  const proc = await start(target, topic);
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
    const metrics = proc.httpUrl ? await (await fetch(`${proc.httpUrl}/metrics`)).text() : '';
    console.log(
      JSON.stringify({
        mode: 'latency',
        target,
        rate,
        seconds,
        partitions,
        messages: rate * seconds,
        produce_to_receive_ms: latencySummary(latencies),
        kafka_timestamp_to_published_ms_from_histogram: proc.httpUrl ? histogramSummaryMs(metrics, 'tributary_kafka_publish_latency_seconds') : null,
      }),
    );
  } finally {
    await producer.disconnect();
    await proc.stop();
  }
}

if (mode === 'throughput') for (const t of targets) await throughput(t);
else if (mode === 'latency') for (const t of targets) await latency(t);
else {
  console.error('usage: bench/kafka.ts throughput|latency [options]');
  process.exitCode = 2;
}
