// The SDK's Protobuf build (`centrifuge/build/protobuf`) through the same
// scenarios as the JSON one: subscribe and receive, presence and join/leave,
// history, recovery, delta, pings, server-side subscriptions, errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer, token, type TestServer } from '../helpers/server.js';
import { collect, dataOf, once, sdkClient, waitFor } from '../helpers/sdk.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('SDK over the Protobuf protocol', () => {
  let ts: TestServer;
  const clients: Array<{ disconnect(): void }> = [];
  const pb = (opts: Record<string, unknown>) => {
    const c = sdkClient(ts.wsUrl, opts, 'protobuf');
    clients.push(c);
    return c;
  };
  before(async () => {
    ts = await startServer({
      client: { ping_interval: 1000, pong_timeout: 500 },
      channel: {
        namespaces: [
          {
            name: 'room',
            allow_subscribe_for_client: true,
            allow_publish_for_subscriber: true,
            allow_history_for_subscriber: true,
            allow_presence_for_subscriber: true,
            presence: true,
            join_leave: true,
            force_push_join_leave: true,
            history_size: 100,
            history_ttl: 300_000,
            force_recovery: true,
            allowed_delta_types: ['fossil'],
          },
          { name: 'locked' },
          { name: 'feed', history_size: 10, history_ttl: 300_000 },
        ] as never,
      },
    });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await ts.stop();
  });

  it('echoes the centrifuge-protobuf subprotocol', async () => {
    const ws = new WebSocket(ts.wsUrl, ['centrifuge-protobuf']);
    await once(ws as never, 'open');
    assert.equal(ws.protocol, 'centrifuge-protobuf');
    ws.close();
  });

  it('connects, subscribes, receives API and client publications, reads history and presence', async () => {
    const a = pb({ token: await token('alice') });
    const b = pb({ token: await token('bob') });
    const subA = a.newSubscription('room:1');
    const pubsA = collect(subA, 'publication');
    const joins = collect(subA, 'join');
    a.connect();
    subA.subscribe();
    await once(subA, 'subscribed');
    const subB = b.newSubscription('room:1');
    b.connect();
    subB.subscribe();
    await once(subB, 'subscribed');
    await waitFor(() => joins.some((j) => j.info.user === 'bob'));

    await ts.api('publish', { channel: 'room:1', data: { from: 'api' } });
    await subB.publish(enc({ from: 'bob' }));
    await waitFor(() => pubsA.length === 2);
    assert.deepEqual(dataOf(pubsA[0].data), { from: 'api' });
    assert.deepEqual(dataOf(pubsA[1].data), { from: 'bob' });
    assert.equal(pubsA[1].info.user, 'bob');

    const history = await subA.history({ limit: 10 });
    assert.deepEqual(
      history.publications.map((p: any) => dataOf(p.data).from),
      ['api', 'bob'],
    );
    const presence = await subA.presence();
    assert.deepEqual(
      Object.values(presence.clients)
        .map((c: any) => c.user)
        .sort(),
      ['alice', 'bob'],
    );
    const stats = await subA.presenceStats();
    assert.deepEqual(stats, { numClients: 2, numUsers: 2 });
  });

  it('recovers exactly the missed publications after a reconnect', async () => {
    const c = pb({ token: await token('carol') });
    const sub = c.newSubscription('room:rec');
    const subscribed = collect(sub, 'subscribed');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await waitFor(() => subscribed.length === 1);
    await ts.api('publish', { channel: 'room:rec', data: { n: 0 } });
    await waitFor(() => pubs.length === 1);
    c.disconnect();
    for (let n = 1; n <= 10; n++) await ts.api('publish', { channel: 'room:rec', data: { n } });
    c.connect();
    await waitFor(() => subscribed.length === 2);
    assert.equal(subscribed[1].recovered, true);
    assert.equal(subscribed[1].wasRecovering, true);
    await waitFor(() => pubs.length === 11);
    assert.deepEqual(
      pubs.map((p) => dataOf(p.data).n),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
  });

  it('applies fossil deltas sent as raw bytes', async () => {
    const c = pb({ token: await token('dora') });
    const sub = c.newSubscription('room:delta', { delta: 'fossil' });
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    const doc = (v: number) => ({ v, body: 'the same long text that stays the same between versions '.repeat(20) });
    for (let v = 0; v < 20; v++) await ts.api('publish', { channel: 'room:delta', data: doc(v), delta: true });
    await waitFor(() => pubs.length === 20);
    for (let v = 0; v < 20; v++) assert.deepEqual(dataOf(pubs[v].data), doc(v));
  });

  it('answers pings with pongs and stays connected across several ping intervals', async () => {
    const c = pb({ token: await token('erin') });
    const disconnected = collect(c, 'disconnected');
    const connecting = collect(c, 'connecting');
    c.connect();
    await once(c, 'connected');
    await new Promise((r) => setTimeout(r, 2600));
    assert.equal(disconnected.length, 0);
    assert.equal(connecting.length, 1);
  });

  it('gets server-side subscriptions from the token', async () => {
    const c = pb({ token: await token('fred', { channels: ['feed:news'] }) });
    const subscribed = collect(c, 'subscribed');
    const pubs = collect(c, 'publication');
    c.connect();
    await waitFor(() => subscribed.length === 1);
    await ts.api('publish', { channel: 'feed:news', data: { hot: true } });
    await waitFor(() => pubs.length === 1);
    assert.deepEqual(dataOf(pubs[0].data), { hot: true });
  });

  it('gets the same error codes (103 on a locked namespace, 102 unknown)', async () => {
    const c = pb({ token: await token('gina') });
    c.connect();
    const locked = c.newSubscription('locked:x');
    const unsub = once(locked, 'unsubscribed');
    locked.subscribe();
    assert.equal((await unsub).code, 103);
    const unknown = c.newSubscription('ghost:x');
    const unsub2 = once(unknown, 'unsubscribed');
    unknown.subscribe();
    assert.equal((await unsub2).code, 102);
  });

  it('delivers binary data from a Protobuf publisher, and closes a JSON subscriber with 3506 instead of sending it', async () => {
    const json = await RawClient.open(ts.wsUrl);
    json.send({ id: 1, connect: { token: await token('jsonreader') } });
    await json.waitReply(1);
    json.send({ id: 2, subscribe: { channel: 'room:bin' } });
    await json.waitReply(2);
    const c = pb({ token: await token('binwriter') });
    const sub = c.newSubscription('room:bin');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    await sub.publish(new Uint8Array([0, 255, 1, 2]));
    await waitFor(() => pubs.length === 1);
    assert.deepEqual([...pubs[0].data], [0, 255, 1, 2]);
    assert.equal(await json.waitClose(), 3506);
  });
});
