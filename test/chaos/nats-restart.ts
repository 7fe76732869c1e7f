// NATS between the nodes restarted under traffic. Two nodes with the Nats
// broker, an SDK subscriber on node A, a steady publisher through node B.
// NATS keeps no history (as in Centrifugo), so what was in flight when the
// connection broke may be lost: the run counts it, and judges what must hold
// — once both nodes are healthy again every acknowledged publication arrives,
// nothing arrives twice or out of order, publishes during the outage fail
// with 100, and no node crashes.

import { nodeProcessConfig, sleep, steadyPublisher } from '../helpers/process.js';
import { healthStatus, healthSummary, healthWatch, uniqueName } from './nodes.js';
import { Verdict } from './outcome.js';
import { settle, type Scenario } from './scenario.js';
import { ensureService, stopService } from './services.js';
import { tally } from './tally.js';
import { sdkWatcher } from './watcher.js';

export const natsRestart: Scenario = {
  name: 'nats-restart',
  summary: 'NATS between 2 nodes (Nats broker) stopped for a few seconds under publish traffic and started again',
  services: ['nats'],
  async run(ctx) {
    const v = new Verdict();
    const url = await ensureService('nats');
    const config = nodeProcessConfig({
      broker: { enabled: true, type: 'nats', nats: { url, prefix: uniqueName('chaos') } },
      channel: { namespaces: [{ name: 'room', allow_subscribe_for_client: true }] },
    });
    const [a, b] = [await ctx.nodes.start(config), await ctx.nodes.start(config)];
    const channel = `room:${uniqueName('nr')}`;
    const watcher = await sdkWatcher(a.wsUrl, channel);
    const health = healthWatch(a.httpUrl);
    const publisher = steadyPublisher(b.httpUrl, channel);
    const { acked, failures } = publisher;
    let ackedBeforeOutage = 0;
    let ackedBeforeRecovery = 0;
    try {
      await sleep(ctx.seconds * 300);
      ackedBeforeOutage = acked.length;
      const downMs = Math.max(3000, ctx.seconds * 150);
      await stopService('nats');
      await sleep(downMs);
      await ensureService('nats');
      v.note(`NATS down for ${(downMs / 1000).toFixed(1)} s`);
      const back = await settle(async () => (await healthStatus(a.httpUrl)) === 200 && (await healthStatus(b.httpUrl)) === 200, 30_000);
      v.check(back, 'both nodes healthy again within 30 s');
      ackedBeforeRecovery = acked.length;
      await sleep(ctx.seconds * 500);
    } finally {
      await publisher.stop();
      await health.stop();
    }
    const afterRecovery = acked.slice(ackedBeforeRecovery);
    await settle(() => afterRecovery.every((i) => watcher.received.includes(i)), 10_000);
    await sleep(300);
    const subscribers = tally(acked, [watcher.received]);
    const lostAfter = tally(afterRecovery, [watcher.received]).lost;
    const lostBefore = tally(acked.slice(0, ackedBeforeOutage), [watcher.received]).lost;
    // Where the lost ones sit relative to the stop: -3 is the third-last acknowledged before it.
    const got = new Set(watcher.received);
    const lostAt = acked.flatMap((i, k) => (got.has(i) ? [] : [k - ackedBeforeOutage]));
    v.note(
      `lost before the outage ${lostBefore}, around it ${subscribers.lost - lostAfter - lostBefore} (acknowledged at ${lostAt.join(', ') || '-'} relative to the stop), after both nodes were healthy again ${lostAfter}`,
    );
    v.note(`publishes failed: ${failures.length}; node A /health every 250 ms: ${healthSummary(health.seen)}`);
    v.note(`subscriber connected at the end: ${watcher.connected()}`);
    watcher.close();
    v.check(lostBefore === 0 && lostAfter === 0, 'subscriber: lost 0 outside the outage', `before ${lostBefore}, after ${lostAfter}`);
    v.check(subscribers.duplicated === 0, 'subscriber: duplicated 0', `duplicated ${subscribers.duplicated}`);
    v.check(subscribers.outOfOrder === 0, 'subscriber: out of order 0', `out of order ${subscribers.outOfOrder}`);
    v.check(
      failures.every((f) => (f as { code?: number }).code === 100),
      'every failed publish answered 100',
    );
    v.check(ctx.nodes.crashed().length === 0 && a.proc.exitCode === null && b.proc.exitCode === null, 'no node crashed');
    return v.outcome({ sent: acked.length + failures.length, acked: acked.length, subscribers });
  },
};
