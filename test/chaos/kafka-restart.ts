// The Kafka broker restarted under a stream. One node on the Redis engine
// reads a topic while a producer keeps sending; the broker stops (a clean
// shutdown), stays down a few seconds and starts again with its data. The
// consumer must reconnect and resume from its committed offsets: every record
// the broker acknowledged in history and at the subscriber once, in order per
// partition. A batch the producer saw fail may still have been written; such
// records show as "applied without ack".

import { LeanSubscriber } from '../helpers/lean-subscriber.js';
import { sleep } from '../helpers/process.js';
import { deleteTopic, kafkaClient, kafkaConsumer, newTopic, recordProducer } from './kafka.js';
import { healthStatus, healthSummary, healthWatch, historyIds, Nodes, redisNodeConfig, suppressedRepeats } from './nodes.js';
import { checkCounts, Verdict } from './outcome.js';
import { settle, type Scenario } from './scenario.js';
import { consumerSetup, ensureService, stopService } from './services.js';
import { tally } from './tally.js';

const PARTITIONS = 4;

export const kafkaRestart: Scenario = {
  name: 'kafka-restart',
  summary: 'a node (Redis engine) reads a topic under a steady stream while the Kafka broker stops and starts again',
  services: ['kafka', 'redis'],
  async run(ctx) {
    const v = new Verdict();
    const { source: brokers, redis, prefix, channels } = await consumerSetup('kafka', 'kr', PARTITIONS);
    const kafka = kafkaClient(brokers);
    const topic = await newTopic(kafka, 'chaos-restart', PARTITIONS);
    try {
      const node = await ctx.nodes.start(Nodes.file(redisNodeConfig(redis, { consumers: [kafkaConsumer('chaos_kafka_restart', brokers, topic)] })));
      const sub = await LeanSubscriber.open(node.wsUrl, channels);
      const health = healthWatch(node.httpUrl);
      const producer = await recordProducer(kafka, topic, { partitions: PARTITIONS, prefix, batch: 20, everyMs: 20 });
      await settle(() => sub.total > 0, 30_000);
      await sleep(ctx.seconds * 300);
      const stopping = Date.now();
      await stopService('kafka');
      const downFrom = Date.now();
      await sleep(Math.max(2000, ctx.seconds * 100));
      await ensureService('kafka');
      v.note(`broker stopped in ${((downFrom - stopping) / 1000).toFixed(1)} s, down for ${((Date.now() - downFrom) / 1000).toFixed(1)} s including its start`);
      v.check(await settle(async () => (await healthStatus(node.httpUrl)) === 200, 60_000), 'the node healthy again within 60 s');
      await sleep(ctx.seconds * 500);
      await producer.stop();
      await health.stop();

      const acked = producer.acked;
      const got = () => {
        const seen = new Set<number>();
        for (const list of sub.received.values()) for (const x of list) seen.add(x.i);
        return seen;
      };
      v.check(
        await settle(
          () => {
            const seen = got();
            return acked.every((i) => seen.has(i));
          },
          90_000,
          500,
        ),
        'every acknowledged record delivered within 90 s',
      );
      await sleep(500);
      const history = tally(acked, await Promise.all(channels.map((c) => historyIds(node.httpUrl, c))));
      const subscribers = tally(
        acked,
        channels.map((c) => sub.received.get(c)!.map((x) => x.i)),
      );
      sub.close();
      v.note(
        `${producer.errors} producer batches failed during the restart; records read twice and dropped by their derived key: ${await suppressedRepeats(node.httpUrl)}`,
      );
      v.note(`node /health every 250 ms: ${healthSummary(health.seen)}`);
      checkCounts(v, 'history', history);
      checkCounts(v, 'subscriber', subscribers);
      v.check(ctx.nodes.crashed().length === 0 && node.proc.exitCode === null, 'the node did not crash');
      return v.outcome({ sent: producer.sent(), acked: acked.length, history, subscribers });
    } finally {
      await ctx.nodes.killAll();
      await ensureService('kafka');
      await deleteTopic(kafka, topic).catch(() => undefined);
    }
  },
};
