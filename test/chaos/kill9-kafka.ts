// kill -9 of a node in the middle of a Kafka stream. Two nodes on the Redis
// engine in one consumer group read a topic while records keep arriving;
// three times, one node is killed and started again. The records it had published but not
// committed are read again (by it or the other node, after the rebalance):
// the key derived from topic:partition:offset must keep them out of history.

import { LeanSubscriber } from '../helpers/lean-subscriber.js';
import { sleep, type Proc } from '../helpers/process.js';
import { deleteTopic, kafkaClient, kafkaConsumer, newTopic, recordProducer } from './kafka.js';
import { historyIds, historyTop, kill9WhileBusy, Nodes, redisNodeConfig, suppressedRepeats } from './nodes.js';
import { checkCounts, Verdict } from './outcome.js';
import { settle, type Scenario } from './scenario.js';
import { consumerSetup } from './services.js';
import { tally } from './tally.js';

const PARTITIONS = 4;
/** kill -9 and start again this many times, spread over the middle of the traffic. */
const KILLS = 3;

export const kill9Kafka: Scenario = {
  name: 'kill9-kafka',
  summary: '2 nodes (Redis engine) in one consumer group read a topic under a steady stream; kill -9 one and start it again, 3 times',
  services: ['kafka', 'redis'],
  async run(ctx) {
    const v = new Verdict();
    const { source: brokers, redis, prefix, channels } = await consumerSetup('kafka', 'kk', PARTITIONS);
    const kafka = kafkaClient(brokers);
    const topic = await newTopic(kafka, 'chaos-kill9', PARTITIONS);
    try {
      const file = Nodes.file(redisNodeConfig(redis, { consumers: [kafkaConsumer('chaos_kafka', brokers, topic)] }));
      const a = await ctx.nodes.start(file);
      const b = await ctx.nodes.start(file);
      const sub = await LeanSubscriber.open(b.wsUrl, channels);
      const producer = await recordProducer(kafka, topic, { partitions: PARTITIONS, prefix, batch: 20, everyMs: 20 });
      // Every partition is being consumed before the first kill.
      await settle(async () => (await Promise.all(channels.map((c) => historyTop(b.httpUrl, c)))).every((n) => n > 0), 30_000);
      await sleep(ctx.seconds * 300);
      const victims: Proc[] = [a];
      let replays = 0;
      let killedBusy = 0;
      for (let k = 0; k < KILLS; k++) {
        const published = (await Promise.all(channels.map((c) => historyTop(b.httpUrl, c)))).reduce((x, y) => x + y, 0);
        // A restarted node's count of repeats dies with it.
        if (k > 0) replays += await suppressedRepeats(victims.at(-1)!.httpUrl);
        const busy = await kill9WhileBusy(victims.at(-1)!, 20);
        if (busy) killedBusy++;
        ctx.log(`kill -9 with ${published} of ${producer.acked.length} produced records published${busy ? ', the node in the middle of them' : ''}`);
        await sleep(1000);
        victims.push(await ctx.nodes.start(file));
        await sleep(Math.max(2000, (ctx.seconds * 400) / KILLS - 1000));
      }
      await sleep(ctx.seconds * 300);
      await producer.stop();
      const again = victims.at(-1)!;

      const acked = producer.acked;
      const tops = async () => (await Promise.all(channels.map((c) => historyTop(b.httpUrl, c)))).reduce((x, y) => x + y, 0);
      v.check(await settle(async () => (await tops()) >= acked.length, 90_000), 'every record published within 90 s');
      await settle(() => sub.total >= acked.length, 10_000);
      await sleep(500);
      const history = tally(acked, await Promise.all(channels.map((c) => historyIds(b.httpUrl, c))));
      const subscribers = tally(
        acked,
        channels.map((c) => sub.received.get(c)!.map((x) => x.i)),
      );
      sub.close();
      replays += (await suppressedRepeats(b.httpUrl)) + (await suppressedRepeats(again.httpUrl));
      v.note(`${KILLS} kills (${killedBusy} seen consuming); records read again after a kill and dropped by their derived key: ${replays}`);
      if (producer.errors > 0) v.note(`${producer.errors} producer batches failed`);
      checkCounts(v, 'history', history);
      checkCounts(v, "node B's subscriber", subscribers);
      v.check(ctx.nodes.crashed().length === 0, 'no node crashed');
      return v.outcome({ sent: producer.sent(), acked: acked.length, history, subscribers });
    } finally {
      await ctx.nodes.killAll();
      await deleteTopic(kafka, topic).catch(() => undefined);
    }
  },
};
