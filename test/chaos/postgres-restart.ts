// PostgreSQL restarted under outbox traffic. Two nodes on the Redis engine
// drain one outbox while rows keep arriving; the database stops for a few
// seconds and starts again. The producer retries a failed insert with the
// same numbers and idempotency keys (a commit whose answer was lost may have
// happened). Afterwards the consumers must have reconnected by themselves and
// every committed row must be in history and at the subscriber once, in order
// per partition.

import { LeanSubscriber } from '../helpers/lean-subscriber.js';
import { sleep } from '../helpers/process.js';
import { healthStatus, healthSummary, healthWatch, historyIds, Nodes, redisNodeConfig } from './nodes.js';
import { checkCounts, Verdict } from './outcome.js';
import { dropOutbox, newOutbox, newPool, outboxConsumer, rowProducer, rowsLeft } from './outbox.js';
import { settle, type Scenario } from './scenario.js';
import { consumerSetup, ensureService, stopService } from './services.js';
import { tally } from './tally.js';

const PARTITIONS = 4;

export const postgresRestart: Scenario = {
  name: 'postgres-restart',
  summary: '2 nodes (Redis engine) drain an outbox under continuous inserts while PostgreSQL stops for a few seconds and starts again',
  services: ['postgres', 'redis'],
  async run(ctx) {
    const v = new Verdict();
    const { source: dsn, redis, prefix, channels } = await consumerSetup('postgres', 'pr', PARTITIONS);
    const box = await newOutbox(dsn, 'chaos_pgrestart');
    const pool = newPool(dsn);
    try {
      const file = Nodes.file(redisNodeConfig(redis, { consumers: [outboxConsumer('chaos_pg', box, PARTITIONS)] }));
      const a = await ctx.nodes.start(file);
      const b = await ctx.nodes.start(file);
      const sub = await LeanSubscriber.open(a.wsUrl, channels);
      const health = healthWatch(a.httpUrl);
      const producer = rowProducer(pool, box, { partitions: PARTITIONS, prefix, batch: 10, everyMs: 20, keyed: true });
      await sleep(ctx.seconds * 300);
      // Longer than the few seconds a consumer waits before /health reports it.
      const downMs = Math.max(6000, ctx.seconds * 250);
      await stopService('postgres');
      await sleep(downMs);
      await ensureService('postgres');
      v.note(`PostgreSQL down for ${(downMs / 1000).toFixed(1)} s; ${producer.errors} insert transactions failed and were retried`);
      const back = await settle(async () => (await healthStatus(a.httpUrl)) === 200 && (await healthStatus(b.httpUrl)) === 200, 30_000);
      v.check(back, 'both nodes healthy again within 30 s');
      await sleep(ctx.seconds * 500);
      await producer.stop();
      await health.stop();

      const acked = producer.acked;
      v.check(await settle(async () => (await rowsLeft(pool, box)) === 0, 60_000), 'the outbox drained within 60 s');
      await settle(() => sub.total >= acked.length, 10_000);
      await sleep(500);
      const history = tally(acked, await Promise.all(channels.map((c) => historyIds(a.httpUrl, c))));
      const subscribers = tally(
        acked,
        channels.map((c) => sub.received.get(c)!.map((x) => x.i)),
      );
      sub.close();
      v.note(`node A /health every 250 ms: ${healthSummary(health.seen)}`);
      checkCounts(v, 'history', history);
      checkCounts(v, "node A's subscriber", subscribers);
      v.check(ctx.nodes.crashed().length === 0 && a.proc.exitCode === null && b.proc.exitCode === null, 'no node crashed');
      return v.outcome({ sent: producer.sent(), acked: acked.length, history, subscribers });
    } finally {
      await ctx.nodes.killAll();
      await pool.end();
      await dropOutbox(box).catch(() => undefined);
    }
  },
};
