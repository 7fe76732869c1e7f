// Channel features through the official SDK: presence, join/leave, history,
// permissions, private and user-limited channels, client publish,
// server-side subscriptions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SECRET, startServer, token, type TestServer } from '../helpers/server.js';
import { collect, once, sdkClient, waitFor } from '../helpers/sdk.js';
import { signToken } from '../../src/auth/sign.js';

describe('SDK channel features', () => {
  let ts: TestServer;
  const clients: Array<{ disconnect(): void }> = [];
  const client = (opts: Record<string, unknown>) => {
    const c = sdkClient(ts.wsUrl, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    ts = await startServer({
      client: { subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal', single_connection: false } },
      channel: {
        without_namespace: { allow_subscribe_for_client: false },
        namespaces: [
          {
            name: 'chat',
            allow_subscribe_for_client: true,
            presence: true,
            join_leave: true,
            force_push_join_leave: true,
            history_size: 10,
            history_ttl: 60_000,
            allow_history_for_subscriber: true,
            allow_presence_for_subscriber: true,
            allow_publish_for_subscriber: true,
          },
          { name: 'readonly', allow_subscribe_for_client: true },
          { name: 'dialog', allow_user_limited_channels: true },
          { name: 'secret' },
          { name: 'personal' },
          { name: 'feed', history_size: 10, history_ttl: 60_000 },
        ] as never,
      },
    });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await ts.stop();
  });

  it('shows presence and pushes join and leave', async () => {
    const a = client({ token: await token('alice', { info: { name: 'Alice' } }) });
    const b = client({ token: await token('bob') });
    const subA = a.newSubscription('chat:room1');
    const joins = collect(subA, 'join');
    const leaves = collect(subA, 'leave');
    a.connect();
    subA.subscribe();
    await once(subA, 'subscribed');
    const subB = b.newSubscription('chat:room1');
    b.connect();
    subB.subscribe();
    await once(subB, 'subscribed');
    await waitFor(() => joins.some((j) => j.info.user === 'bob'), 4000, 'join of bob');

    const presence = await subA.presence();
    const users = Object.values(presence.clients)
      .map((ci: any) => ci.user)
      .sort();
    assert.deepEqual(users, ['alice', 'bob']);
    const alice = Object.values(presence.clients).find((ci: any) => ci.user === 'alice') as any;
    assert.deepEqual(alice.connInfo, { name: 'Alice' });
    const stats = await subA.presenceStats();
    assert.deepEqual(stats, { numClients: 2, numUsers: 2 });

    b.disconnect();
    await waitFor(() => leaves.some((l) => l.info.user === 'bob'), 4000, 'leave of bob');
    const after = await ts.api('presence_stats', { channel: 'chat:room1' });
    assert.deepEqual(after.json.result, { num_clients: 1, num_users: 1 });
  });

  it('reads history and publishes from a subscriber with its info attached', async () => {
    const a = client({ token: await token('carol') });
    const sub = a.newSubscription('chat:history');
    const pubs = collect(sub, 'publication');
    a.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    await sub.publish({ text: 'from carol' });
    await waitFor(() => pubs.length === 1);
    assert.equal(pubs[0].info.user, 'carol');
    assert.deepEqual(pubs[0].data, { text: 'from carol' });
    await ts.api('publish', { channel: 'chat:history', data: { text: 'from api' } });
    const h = await sub.history({ limit: 10 });
    assert.deepEqual(
      h.publications.map((p: any) => p.data.text),
      ['from carol', 'from api'],
    );
    assert.equal(h.offset, 2);
    assert.equal(typeof h.epoch, 'string');
    const rev = await sub.history({ limit: 1, reverse: true });
    assert.equal(rev.publications[0]!.data.text, 'from api');
  });

  it('refuses publish where not allowed (103)', async () => {
    const a = client({ token: await token('dave') });
    const sub = a.newSubscription('readonly:news');
    a.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    await assert.rejects(sub.publish({ x: 1 }), (err: any) => err.code === 103);
    await assert.rejects(sub.history({ limit: 1 }), (err: any) => err.code === 108);
  });

  it('denies a subscribe without permission (103) and to an unknown namespace (102)', async () => {
    const a = client({ token: await token('erin') });
    a.connect();
    const denied = a.newSubscription('nonamespace');
    const unsub = once(denied, 'unsubscribed');
    denied.subscribe();
    const ctx = await unsub;
    assert.equal(ctx.code, 103);
    const unknown = a.newSubscription('nope:room');
    const unsub2 = once(unknown, 'unsubscribed');
    unknown.subscribe();
    assert.equal((await unsub2).code, 102);
  });

  it('subscribes to a private channel only with a subscription token', async () => {
    const a = client({ token: await token('frank') });
    a.connect();
    const noToken = a.newSubscription('$secret:plans');
    const refused = once(noToken, 'unsubscribed');
    noToken.subscribe();
    assert.equal((await refused).code, 103);
    a.removeSubscription(noToken);

    let calls = 0;
    const withToken = a.newSubscription('$secret:plans', {
      getToken: async () => {
        calls++;
        return signToken(SECRET, { sub: 'frank', channel: '$secret:plans' }, 3600);
      },
    });
    const pubs = collect(withToken, 'publication');
    withToken.subscribe();
    await once(withToken, 'subscribed');
    assert.equal(calls, 1);
    await ts.api('publish', { channel: '$secret:plans', data: { plan: 'A' } });
    await waitFor(() => pubs.length === 1);

    // A token for somebody else's channel is an invalid token: the connection is closed with 3500.
    const b = client({ token: await token('gina') });
    const disconnected = once(b, 'disconnected');
    b.connect();
    const stolen = b.newSubscription('$secret:plans', { token: await signToken(SECRET, { sub: 'frank', channel: '$secret:plans' }, 3600) });
    stolen.subscribe();
    assert.equal((await disconnected).code, 3500);
  });

  it('lets only the listed users into a user-limited channel', async () => {
    const a = client({ token: await token('42') });
    a.connect();
    const ok = a.newSubscription('dialog:#42,43');
    ok.subscribe();
    await once(ok, 'subscribed');
    const b = client({ token: await token('44') });
    b.connect();
    const no = b.newSubscription('dialog:#42,43');
    const refused = once(no, 'unsubscribed');
    no.subscribe();
    assert.equal((await refused).code, 103);
  });

  it('subscribes server-side from the token channels claim and the personal channel', async () => {
    const a = client({ token: await token('henry', { channels: ['feed:updates'] }) });
    const subscribed = collect(a, 'subscribed');
    const pubs = collect(a, 'publication');
    a.connect();
    await waitFor(() => subscribed.length === 2, 4000, 'two server-side subscriptions');
    assert.deepEqual(subscribed.map((s) => s.channel).sort(), ['feed:updates', 'personal:#henry']);
    await ts.api('publish', { channel: 'feed:updates', data: { v: 1 } });
    await ts.api('publish', { channel: 'personal:#henry', data: { v: 2 } });
    await waitFor(() => pubs.length === 2);
    assert.deepEqual(pubs.map((p) => [p.channel, p.data.v]).sort(), [
      ['feed:updates', 1],
      ['personal:#henry', 2],
    ]);
  });

  it('rejects connect tokens naming an unknown namespace with 102', async () => {
    const a = client({ token: await token('ivan', { channels: ['ghost:room'] }) });
    const disconnected = once(a, 'disconnected');
    a.connect();
    assert.equal((await disconnected).code, 102);
  });
});
