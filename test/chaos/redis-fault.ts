// Shared by redis-stop and redis-freeze: two nodes on the chaos Redis, an SDK
// subscriber on node A (recovering from history when told about a gap), a
// steady publisher through node B's HTTP API; the fault comes in the middle
// of the traffic. Afterwards: every publication B acknowledged must be in
// history and at the subscriber, once and in order; what failed must have
// failed with the retryable 100; both nodes must be up and healthy again.
// A publish answered 100 that Redis applied all the same shows up as
// "applied without ack" (the outcome-unknown case, counted, not a failure).

import { sleep, steadyPublisher } from '../helpers/process.js';
import { healthStatus, healthSummary, healthWatch, historyIds, redisNodeConfig, uniqueName } from './nodes.js';
import { checkCounts, Verdict, type Outcome } from './outcome.js';
import { settle, type ChaosContext } from './scenario.js';
import { ensureService, flushChaosRedis } from './services.js';
import { tally } from './tally.js';
import { sdkWatcher } from './watcher.js';

/** The fault: breaks Redis, and returns once it is given back. */
export type RedisFault = (v: Verdict) => Promise<void>;

export async function publishThroughRedisFault(ctx: ChaosContext, fault: RedisFault): Promise<Outcome> {
  const v = new Verdict();
  const redis = await ensureService('redis');
  flushChaosRedis();
  const config = redisNodeConfig(redis);
  const [a, b] = [await ctx.nodes.start(config), await ctx.nodes.start(config)];
  const channel = `room:${uniqueName('rf')}`;
  const watcher = await sdkWatcher(a.wsUrl, channel);
  const health = healthWatch(a.httpUrl);
  const publisher = steadyPublisher(b.httpUrl, channel);
  try {
    await sleep(ctx.seconds * 300);
    await fault(v);
    const back = await settle(async () => (await healthStatus(a.httpUrl)) === 200 && (await healthStatus(b.httpUrl)) === 200, 30_000);
    v.check(back, 'both nodes healthy again within 30 s');
    await sleep(ctx.seconds * 500);
  } finally {
    await publisher.stop();
    await health.stop();
  }
  const { acked, failures } = publisher;
  await settle(() => acked.every((i) => watcher.received.includes(i)), 15_000);
  await sleep(300);
  const history = tally(acked, [await historyIds(a.httpUrl, channel)]);
  const subscribers = tally(acked, [watcher.received]);
  const codes = new Map<string, number>();
  for (const f of failures) {
    const code = (f as { code?: number }).code !== undefined ? `error ${(f as { code: number }).code}` : String(f);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  const resub = watcher.resubscribes();
  v.note(`publishes failed: ${failures.length} (${[...codes].map(([c, n]) => `${n}× ${c}`).join(', ') || 'none'})`);
  v.note(`node A /health every 250 ms: ${healthSummary(health.seen)}`);
  v.note(`subscriber resubscribed ${resub.total}× (${resub.recovered} recovered from history), connected at the end: ${watcher.connected()}`);
  watcher.close();
  checkCounts(v, 'history', history);
  checkCounts(v, 'subscriber', subscribers);
  v.check(
    failures.every((f) => (f as { code?: number }).code === 100),
    'every failed publish answered 100',
  );
  v.check(ctx.nodes.crashed().length === 0 && a.proc.exitCode === null && b.proc.exitCode === null, 'no node crashed');
  return v.outcome({ sent: acked.length + failures.length, acked: acked.length, history, subscribers });
}
