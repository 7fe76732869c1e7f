// Recovery with the official SDK: the acceptance scenario.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, token, type TestServer } from '../helpers/server.js';
import { collect, once, sdkClient, waitFor } from '../helpers/sdk.js';

const ns = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  allow_subscribe_for_client: true,
  history_size: 100,
  history_ttl: 300_000,
  force_recovery: true,
  ...extra,
});

describe('SDK recovery', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer({
      channel: {
        namespaces: [
          ns('recovery'),
          ns('small', { history_size: 2 }),
          ns('cache', { force_recovery_mode: 'cache' }),
          ns('autocache', { force_recovery_mode: 'cache', auto_cache_recover: true }),
        ] as never,
      },
    });
  });
  after(() => ts.stop());

  it('delivers exactly the publications missed while disconnected, in order, with recovered: true', async () => {
    const c = sdkClient(ts.wsUrl, { token: await token('alice') });
    const sub = c.newSubscription('recovery:room');
    const subscribedEvents = collect(sub, 'subscribed');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await waitFor(() => subscribedEvents.length === 1, 4000, 'first subscribe');
    assert.equal(subscribedEvents[0].recoverable, true);
    await ts.api('publish', { channel: 'recovery:room', data: { n: 0 } });
    await waitFor(() => pubs.length === 1, 4000, 'live publication');

    c.disconnect();
    for (let n = 1; n <= 10; n++) {
      const r = await ts.api('publish', { channel: 'recovery:room', data: { n } });
      assert.equal(r.json.result.offset, n + 1);
    }
    c.connect();
    await waitFor(() => subscribedEvents.length === 2, 4000, 'resubscribe');
    const ctx = subscribedEvents[1];
    assert.equal(ctx.wasRecovering, true);
    assert.equal(ctx.recovered, true);
    await waitFor(() => pubs.length === 11, 4000, 'recovered publications');
    assert.deepEqual(
      pubs.slice(1).map((p) => p.data.n),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(
      pubs.slice(1).map((p) => p.offset),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    );
    // And live delivery goes on after recovery, without duplicates.
    await ts.api('publish', { channel: 'recovery:room', data: { n: 11 } });
    await waitFor(() => pubs.length === 12, 4000, 'live after recovery');
    assert.equal(pubs[11].data.n, 11);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pubs.length, 12);
    c.disconnect();
  });

  it('recovers nothing but still subscribes when the missed publications fell out of history', async () => {
    const c = sdkClient(ts.wsUrl, { token: await token('bob') });
    const sub = c.newSubscription('small:room');
    const subscribedEvents = collect(sub, 'subscribed');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await waitFor(() => subscribedEvents.length === 1);
    await ts.api('publish', { channel: 'small:room', data: { n: 0 } });
    await waitFor(() => pubs.length === 1);
    c.disconnect();
    for (let n = 1; n <= 5; n++) await ts.api('publish', { channel: 'small:room', data: { n } });
    c.connect();
    await waitFor(() => subscribedEvents.length === 2);
    assert.equal(subscribedEvents[1].wasRecovering, true);
    assert.equal(subscribedEvents[1].recovered, false);
    assert.equal(pubs.length, 1, 'no publications are replayed when recovery fails');
    await ts.api('publish', { channel: 'small:room', data: { n: 6 } });
    await waitFor(() => pubs.length === 2, 4000, 'live flow continues');
    assert.equal(pubs[1].data.n, 6);
    c.disconnect();
  });

  it('recovers after unsubscribe and subscribe again on the same connection', async () => {
    const c = sdkClient(ts.wsUrl, { token: await token('carol') });
    const sub = c.newSubscription('recovery:resub');
    const subscribedEvents = collect(sub, 'subscribed');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await waitFor(() => subscribedEvents.length === 1);
    await ts.api('publish', { channel: 'recovery:resub', data: { n: 1 } });
    await waitFor(() => pubs.length === 1);
    const unsubscribed = once(sub, 'unsubscribed');
    sub.unsubscribe();
    await unsubscribed;
    await ts.api('publish', { channel: 'recovery:resub', data: { n: 2 } });
    await ts.api('publish', { channel: 'recovery:resub', data: { n: 3 } });
    sub.subscribe();
    await waitFor(() => subscribedEvents.length === 2);
    assert.equal(subscribedEvents[1].recovered, true);
    await waitFor(() => pubs.length === 3);
    assert.deepEqual(
      pubs.map((p) => p.data.n),
      [1, 2, 3],
    );
    c.disconnect();
  });

  it('reports an epoch change as not recovered (history reset)', async () => {
    const c = sdkClient(ts.wsUrl, { token: await token('dave') });
    const sub = c.newSubscription('recovery:epoch', { since: { offset: 5, epoch: 'not-the-epoch' } });
    const subscribed = once(sub, 'subscribed');
    c.connect();
    sub.subscribe();
    const ctx = await subscribed;
    assert.equal(ctx.wasRecovering, true);
    assert.equal(ctx.recovered, false);
    c.disconnect();
  });

  it('cache mode hands back only the latest publication', async () => {
    for (let n = 1; n <= 3; n++) await ts.api('publish', { channel: 'cache:state', data: { n } });
    const c = sdkClient(ts.wsUrl, { token: await token('erin') });
    const sub = c.newSubscription('cache:state', { since: { offset: 0, epoch: '' } });
    const pubs = collect(sub, 'publication');
    const subscribed = once(sub, 'subscribed');
    c.connect();
    sub.subscribe();
    const ctx = await subscribed;
    assert.equal(ctx.recovered, true);
    await waitFor(() => pubs.length === 1);
    assert.equal(pubs[0].data.n, 3);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pubs.length, 1);
    c.disconnect();
  });

  it('auto_cache_recover: a subscribe without a position still gets the latest publication', async () => {
    for (let n = 1; n <= 2; n++) await ts.api('publish', { channel: 'autocache:state', data: { n } });
    await ts.api('publish', { channel: 'cache:plain', data: { n: 1 } });
    const c = sdkClient(ts.wsUrl, { token: await token('frank') });
    const auto = c.newSubscription('autocache:state');
    const plain = c.newSubscription('cache:plain');
    const autoPubs = collect(auto, 'publication');
    const plainPubs = collect(plain, 'publication');
    const subscribed = [once(auto, 'subscribed'), once(plain, 'subscribed')];
    c.connect();
    auto.subscribe();
    plain.subscribe();
    const [autoCtx, plainCtx] = await Promise.all(subscribed);
    assert.equal(autoCtx.wasRecovering, true);
    assert.equal(autoCtx.recovered, true);
    assert.equal(plainCtx.wasRecovering, false, 'without the option nothing is recovered unasked');
    await waitFor(() => autoPubs.length === 1);
    assert.equal(autoPubs[0].data.n, 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(autoPubs.length, 1);
    assert.equal(plainPubs.length, 0);
    c.disconnect();
  });

  it('auto_cache_recover reaches server-side subscriptions, which cannot ask for recovery', async () => {
    await ts.api('publish', { channel: 'autocache:server', data: { n: 7 } });
    const c = sdkClient(ts.wsUrl, { token: await token('gina', { channels: ['autocache:server'] }) });
    const pubs = collect(c, 'publication');
    const subscribed = once(c, 'subscribed');
    c.connect();
    const ctx = await subscribed;
    assert.equal(ctx.channel, 'autocache:server');
    await waitFor(() => pubs.length === 1, 4000, 'the latest publication of the server-side subscription');
    assert.equal(pubs[0].data.n, 7);
    c.disconnect();
  });
});
