// kill -9 of a node in the middle of an outbox drain. Two nodes on the Redis
// engine share one outbox table (a partition is drained by one node at a
// time) while rows keep arriving; three times, one node is killed right after
// a large insert, while it has batches in flight, and started again (whether
// a kill catches a batch published but not yet deleted is timing: the count
// of rows published again says how many it caught). Rows carry no
// idempotency_key: the key the consumer derives from its name and the row id
// must keep a row published before the kill but not yet deleted out of
// history when it is published again.

import { LeanSubscriber } from '../helpers/lean-subscriber.js';
import { sleep, type Proc } from '../helpers/process.js';
import { historyIds, kill9WhileBusy, Nodes, redisNodeConfig, suppressedRepeats } from './nodes.js';
import { checkCounts, Verdict } from './outcome.js';
import { dropOutbox, insertRows, newOutbox, newPool, outboxConsumer, rowProducer, rowsLeft } from './outbox.js';
import { settle, type Scenario } from './scenario.js';
import { consumerSetup } from './services.js';
import { tally } from './tally.js';

const PARTITIONS = 4;
const BURST = 5000;
/** kill -9 and start again this many times, spread over the middle of the traffic. */
const KILLS = 3;

export const kill9Outbox: Scenario = {
  name: 'kill9-outbox',
  summary: '2 nodes (Redis engine) drain one outbox under continuous inserts; kill -9 one mid-drain and start it again, 3 times',
  services: ['postgres', 'redis'],
  async run(ctx) {
    const v = new Verdict();
    const { source: dsn, redis, prefix, channels } = await consumerSetup('postgres', 'ko', PARTITIONS);
    const box = await newOutbox(dsn, 'chaos_kill9');
    const pool = newPool(dsn);
    try {
      const file = Nodes.file(redisNodeConfig(redis, { consumers: [outboxConsumer('chaos_outbox', box, PARTITIONS)] }));
      const a = await ctx.nodes.start(file);
      const b = await ctx.nodes.start(file);
      const sub = await LeanSubscriber.open(b.wsUrl, channels);
      const opts = { partitions: PARTITIONS, prefix, batch: 20, everyMs: 20, keyed: false };
      const acked: number[] = [];
      let sent = 0;
      let producer = rowProducer(pool, box, opts);
      const victims: Proc[] = [a];
      let replays = 0;
      let killedBusy = 0;
      await sleep(ctx.seconds * 300);
      for (let k = 0; k < KILLS; k++) {
        await producer.stop();
        acked.push(...producer.acked);
        sent += producer.sent();
        // A burst the nodes need a while to drain, so that the kill lands mid-drain.
        const burstFrom = producer.next();
        await insertRows(pool, box, burstFrom, BURST, opts);
        for (let j = 0; j < BURST; j++) acked.push(burstFrom + j);
        sent += BURST;
        producer = rowProducer(pool, box, { ...opts, from: burstFrom + BURST });
        // A restarted node's count of repeats dies with it.
        if (k > 0) replays += await suppressedRepeats(victims.at(-1)!.httpUrl);
        const busy = await kill9WhileBusy(victims.at(-1)!, 100);
        if (busy) killedBusy++;
        ctx.log(`kill -9 with ${await rowsLeft(pool, box)} rows in the outbox${busy ? ', the node in the middle of draining them' : ''}`);
        await sleep(1000);
        victims.push(await ctx.nodes.start(file));
        await sleep((ctx.seconds * 400) / KILLS - 1150);
      }
      await sleep(ctx.seconds * 300);
      await producer.stop();
      acked.push(...producer.acked);
      sent += producer.sent();
      const again = victims.at(-1)!;

      const drained = await settle(async () => (await rowsLeft(pool, box)) === 0, 60_000);
      v.check(drained, 'the outbox drained within 60 s');
      await settle(() => sub.total >= acked.length, 10_000);
      await sleep(500);
      const history = tally(acked, await Promise.all(channels.map((c) => historyIds(b.httpUrl, c))));
      const subscribers = tally(
        acked,
        channels.map((c) => sub.received.get(c)!.map((x) => x.i)),
      );
      sub.close();
      replays += (await suppressedRepeats(b.httpUrl)) + (await suppressedRepeats(again.httpUrl));
      v.note(`${KILLS} kills (${killedBusy} seen draining); rows published again after a kill and dropped by their derived key: ${replays}`);
      checkCounts(v, 'history', history);
      checkCounts(v, "node B's subscriber", subscribers);
      v.check(ctx.nodes.crashed().length === 0, 'no node crashed');
      return v.outcome({ sent, acked: acked.length, history, subscribers });
    } finally {
      await ctx.nodes.killAll();
      await pool.end();
      await dropOutbox(box).catch(() => undefined);
    }
  },
};
