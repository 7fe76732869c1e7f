// Server API methods that act on connected clients or read their state:
// subscribe, unsubscribe, disconnect, refresh, presence, presence_stats,
// channels and info, checked through the official SDK and raw WebSockets.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultChannelOptions } from '../../src/config/schema.js';
import type { ChannelOptions, NamespaceConfig } from '../../src/config/schema.js';
import { RawClient } from '../helpers/raw-ws.js';
import { collect, once, sdkClient, waitFor, type Centrifuge } from '../helpers/sdk.js';
import { startServer, token, type TestServer } from '../helpers/server.js';

function ns(name: string, opts: Partial<ChannelOptions> = {}): NamespaceConfig {
  return { ...defaultChannelOptions(), allow_subscribe_for_client: true, ...opts, name };
}

const BAD_REQUEST = { error: { code: 107, message: 'bad request' } };
const UNKNOWN_CHANNEL = { error: { code: 102, message: 'unknown channel' } };
const NOT_AVAILABLE = { error: { code: 108, message: 'not available' } };
const OK = { result: {} };

const CONFIG = {
  channel: {
    without_namespace: { allow_subscribe_for_client: true },
    namespaces: [ns('pres', { presence: true }), ns('hist', { history_size: 10, history_ttl: 300_000 }), ns('plain')],
  },
};

/** Tracks every client a test opens so `after` can close them all. */
class Clients {
  private readonly sdk: Centrifuge[] = [];
  private readonly raw: RawClient[] = [];
  constructor(private readonly ts: () => TestServer) {}

  async sdkConnect(user: string, claims: Record<string, unknown> = {}): Promise<{ c: Centrifuge; id: string }> {
    const c = sdkClient(this.ts().wsUrl, { token: await token(user, claims) });
    this.sdk.push(c);
    const connected = once(c, 'connected');
    c.connect();
    const ctx = await connected;
    return { c, id: ctx.client };
  }

  async sdkSubscribe(c: Centrifuge, channel: string) {
    const sub = c.newSubscription(channel);
    const subscribed = once(sub, 'subscribed');
    sub.subscribe();
    await subscribed;
    return sub;
  }

  async rawConnect(user: string, claims: Record<string, unknown> = {}, ttl = 3600): Promise<{ c: RawClient; id: string }> {
    const c = await RawClient.open(this.ts().wsUrl);
    this.raw.push(c);
    c.send({ id: 1, connect: { token: await token(user, claims, ttl) } });
    const r = await c.waitReply(1);
    assert.ok(r.connect, JSON.stringify(r));
    return { c, id: r.connect.client };
  }

  close(): void {
    for (const c of this.sdk) c.disconnect();
    for (const c of this.raw) c.terminate();
  }
}

describe('server API: client-facing methods', () => {
  let ts: TestServer;
  const clients = new Clients(() => ts);
  let seq = 0;
  const fresh = (prefix = '') => `${prefix}c${++seq}`;

  before(async () => {
    ts = await startServer(CONFIG);
  });

  after(async () => {
    clients.close();
    await ts.stop();
  });

  describe('subscribe', () => {
    it('subscribes the user server-side; the SDK then gets publications of that channel', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const ch = fresh();
      const subscribed = once(c, 'subscribed');
      const r = await ts.api('subscribe', { channel: ch, user });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"result":{}}');
      const ctx = await subscribed;
      assert.equal(ctx.channel, ch);
      const publication = once(c, 'publication');
      await ts.api('publish', { channel: ch, data: { hello: 'server-side' } });
      const p = await publication;
      assert.equal(p.channel, ch);
      assert.deepEqual(p.data, { hello: 'server-side' });
    });

    it('passes data to the subscribe push and applies override flags', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const ch = fresh('hist:');
      const top = await ts.api('publish', { channel: ch, data: 1 });
      const subscribed = once(c, 'subscribed');
      await ts.api('subscribe', { channel: ch, user, data: { welcome: true }, override: { force_recovery: { value: true } } });
      const ctx = await subscribed;
      assert.deepEqual(ctx.data, { welcome: true });
      assert.equal(ctx.recoverable, true);
      assert.equal(ctx.positioned, true);
      assert.equal(ctx.streamPosition.offset, 1);
      assert.equal(ctx.streamPosition.epoch, top.json.result.epoch);
    });

    it('accepts b64data for the subscribe push', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const subscribed = once(c, 'subscribed');
      await ts.api('subscribe', { channel: fresh(), user, b64data: Buffer.from('{"b":64}').toString('base64') });
      assert.deepEqual((await subscribed).data, { b: 64 });
    });

    it('targets only the given user, and only the given client when set', async () => {
      const user = fresh('user');
      const a = await clients.sdkConnect(user);
      const b = await clients.sdkConnect(user);
      const other = await clients.sdkConnect(fresh('user'));
      const seen = { a: collect(a.c, 'subscribed'), b: collect(b.c, 'subscribed'), other: collect(other.c, 'subscribed') };
      const ch1 = fresh();
      assert.deepEqual((await ts.api('subscribe', { channel: ch1, user })).json, OK);
      await waitFor(() => seen.a.length === 1 && seen.b.length === 1, 3000, 'both connections subscribed');
      const ch2 = fresh();
      assert.deepEqual((await ts.api('subscribe', { channel: ch2, user, client: b.id })).json, OK);
      await waitFor(() => seen.b.length === 2, 3000, 'client b subscribed');
      // Everything for `a` was sent before b's push; one more publication proves nothing else comes.
      const pa = once(a.c, 'publication');
      await ts.api('publish', { channel: ch1, data: 'marker' });
      await pa;
      assert.deepEqual(
        seen.a.map((x) => x.channel),
        [ch1],
      );
      assert.deepEqual(
        seen.b.map((x) => x.channel),
        [ch1, ch2],
      );
      assert.equal(seen.other.length, 0);
    });

    it('subscribes anonymous connections with user ""', async () => {
      const { c } = await clients.rawConnect('');
      const ch = fresh();
      assert.deepEqual((await ts.api('subscribe', { channel: ch, user: '' })).json, OK);
      await c.until(() => c.pushes('subscribe').some((p) => p.channel === ch));
    });

    it('answers {} for a user without connections', async () => {
      assert.deepEqual((await ts.api('subscribe', { channel: fresh(), user: 'nobody-here' })).json, OK);
    });

    it('107 for no channel, 102 for an unknown namespace', async () => {
      assert.deepEqual((await ts.api('subscribe', { user: 'x' })).json, BAD_REQUEST);
      assert.deepEqual((await ts.api('subscribe', { channel: 'nope:x', user: 'x' })).json, UNKNOWN_CHANNEL);
    });

    it('sets channel info (info / b64info) seen in presence', async () => {
      const user = fresh('user');
      const a = await clients.rawConnect(user);
      const ch1 = fresh('pres:');
      const ch2 = fresh('pres:');
      await ts.api('subscribe', { channel: ch1, user, info: { role: 'admin' } });
      await ts.api('subscribe', { channel: ch2, user, b64info: Buffer.from('{"role":"b64"}').toString('base64') });
      await a.c.until(() => a.c.pushes('subscribe').length === 2);
      const p1 = await ts.api('presence', { channel: ch1 });
      assert.deepEqual(p1.json.result.presence, { [a.id]: { user, client: a.id, chan_info: { role: 'admin' } } });
      const p2 = await ts.api('presence', { channel: ch2 });
      assert.deepEqual(p2.json.result.presence[a.id].chan_info, { role: 'b64' });
    });
    it('channel info that is not JSON makes presence a 500 (as Go), presence_stats still works', async () => {
      const user = fresh('user');
      const a = await clients.rawConnect(user);
      const ch = fresh('pres:');
      await ts.api('subscribe', { channel: ch, user, b64info: Buffer.from([0xde, 0xad]).toString('base64') });
      await a.c.until(() => a.c.pushes('subscribe').length === 1);
      const p = await ts.api('presence', { channel: ch });
      assert.equal(p.status, 500);
      assert.equal(p.text, 'Internal Server Error\n');
      assert.deepEqual((await ts.api('presence_stats', { channel: ch })).json, { result: { num_clients: 1, num_users: 1 } });
    });
  });

  describe('unsubscribe', () => {
    it('unsubscribes a client-side subscription with code 2000', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const ch = fresh();
      const sub = await clients.sdkSubscribe(c, ch);
      const unsubscribed = once(sub, 'unsubscribed');
      assert.deepEqual((await ts.api('unsubscribe', { channel: ch, user })).json, OK);
      const ctx = await unsubscribed;
      assert.equal(ctx.code, 2000);
      assert.equal(ctx.reason, 'server unsubscribe');
    });

    it('sends the unsubscribe push for a server-side subscription and stops delivery', async () => {
      const user = fresh('user');
      const { c } = await clients.rawConnect(user);
      const ch = fresh();
      const keep = fresh();
      await ts.api('subscribe', { channel: ch, user });
      await ts.api('subscribe', { channel: keep, user });
      await c.until(() => c.pushes('subscribe').length === 2);
      await ts.api('unsubscribe', { channel: ch, user });
      await c.until(() => c.pushes('unsubscribe').length === 1);
      assert.deepEqual(c.pushes('unsubscribe')[0], { channel: ch, unsubscribe: { code: 2000, reason: 'server unsubscribe' } });
      await ts.api('publish', { channel: ch, data: 'gone' });
      await ts.api('publish', { channel: keep, data: 'marker' });
      await c.until(() => c.pushes('pub').length === 1);
      assert.deepEqual(c.pushes('pub'), [{ channel: keep, pub: { data: 'marker' } }]);
    });

    it('the SDK drops a server-side subscription on the push', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const ch = fresh();
      const subscribed = once(c, 'subscribed');
      await ts.api('subscribe', { channel: ch, user });
      await subscribed;
      const unsubscribed = once(c, 'unsubscribed');
      await ts.api('unsubscribe', { channel: ch, user });
      assert.equal((await unsubscribed).channel, ch);
    });

    it('narrows to one client', async () => {
      const user = fresh('user');
      const a = await clients.rawConnect(user);
      const b = await clients.rawConnect(user);
      const ch = fresh();
      await ts.api('subscribe', { channel: ch, user });
      await a.c.until(() => a.c.pushes('subscribe').length === 1);
      await b.c.until(() => b.c.pushes('subscribe').length === 1);
      await ts.api('unsubscribe', { channel: ch, user, client: a.id });
      await a.c.until(() => a.c.pushes('unsubscribe').length === 1);
      await ts.api('publish', { channel: ch, data: 1 });
      await b.c.until(() => b.c.pushes('pub').length === 1);
      assert.equal(b.c.pushes('unsubscribe').length, 0);
    });

    it('102 for an unknown namespace; an empty channel or no subscription is fine', async () => {
      assert.deepEqual((await ts.api('unsubscribe', { channel: 'nope:x', user: 'u' })).json, UNKNOWN_CHANNEL);
      assert.deepEqual((await ts.api('unsubscribe', { channel: '', user: 'u' })).json, OK);
      assert.deepEqual((await ts.api('unsubscribe', { channel: fresh(), user: 'nobody' })).json, OK);
    });
  });

  describe('disconnect', () => {
    it('disconnects with 3503 "force disconnect" by default', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const disconnected = once(c, 'disconnected');
      assert.deepEqual((await ts.api('disconnect', { user })).json, OK);
      const ctx = await disconnected;
      assert.equal(ctx.code, 3503);
      assert.equal(ctx.reason, 'force disconnect');
    });

    it('uses a custom code and reason', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const disconnected = once(c, 'disconnected');
      await ts.api('disconnect', { user, disconnect: { code: 4501, reason: 'custom bye' } });
      const ctx = await disconnected;
      assert.equal(ctx.code, 4501);
      assert.equal(ctx.reason, 'custom bye');
    });

    it('closes the raw WebSocket with the code', async () => {
      const user = fresh('user');
      const { c } = await clients.rawConnect(user);
      await ts.api('disconnect', { user, disconnect: { code: 4001, reason: 'reconnect please' } });
      assert.equal(await c.waitClose(), 4001);
      assert.equal(c.closeReason, 'reconnect please');
    });

    it('keeps whitelisted clients and narrows to one client', async () => {
      const user = fresh('user');
      const a = await clients.rawConnect(user);
      const b = await clients.rawConnect(user);
      const c = await clients.rawConnect(user);
      await ts.api('disconnect', { user, whitelist: [a.id] });
      assert.equal(await b.c.waitClose(), 3503);
      assert.equal(await c.c.waitClose(), 3503);
      assert.equal(a.c.closeCode, null);
      const d = await clients.rawConnect(user);
      await ts.api('disconnect', { user, client: d.id });
      assert.equal(await d.c.waitClose(), 3503);
      // a is still connected and served.
      const ch = fresh();
      await ts.api('subscribe', { channel: ch, user });
      await a.c.until(() => a.c.pushes('subscribe').length === 1);
      assert.equal(a.c.closeCode, null);
    });

    it('answers {} for a user without connections', async () => {
      assert.deepEqual((await ts.api('disconnect', { user: 'nobody' })).json, OK);
    });
  });

  describe('refresh', () => {
    it('expired: true closes the connection with 3005', async () => {
      const user = fresh('user');
      const { c } = await clients.rawConnect(user);
      assert.deepEqual((await ts.api('refresh', { user, expired: true })).json, OK);
      assert.equal(await c.waitClose(), 3005);
      assert.equal(c.closeReason, 'connection expired');
    });

    it('the SDK sees 3005 and reconnects', async () => {
      const user = fresh('user');
      const { c } = await clients.sdkConnect(user);
      const connecting = once(c, 'connecting');
      await ts.api('refresh', { user, expired: true });
      const ctx = await connecting;
      assert.equal(ctx.code, 3005);
      await once(c, 'connected');
    });

    it('expire_at sends a refresh push with the new ttl; no options make the connection non-expiring', async () => {
      const user = fresh('user');
      const { c } = await clients.rawConnect(user, {}, 60);
      const expireAt = Math.floor(Date.now() / 1000) + 600;
      await ts.api('refresh', { user, expire_at: expireAt });
      await c.until(() => c.pushes('refresh').length === 1);
      const push = c.pushes('refresh')[0].refresh;
      assert.equal(push.expires, true);
      assert.ok(push.ttl >= 598 && push.ttl <= 600, String(push.ttl));
      await ts.api('refresh', { user });
      await c.until(() => c.pushes('refresh').length === 2);
      assert.deepEqual(c.pushes('refresh')[1], { refresh: {} });
    });

    it('info replaces the connection info used by later subscriptions', async () => {
      const user = fresh('user');
      const a = await clients.rawConnect(user, { info: { v: 1 } });
      await ts.api('refresh', { user, info: { v: 2 } });
      await a.c.until(() => a.c.pushes('refresh').length === 1);
      const ch = fresh('pres:');
      await ts.api('subscribe', { channel: ch, user });
      await a.c.until(() => a.c.pushes('subscribe').length === 1);
      const p = await ts.api('presence', { channel: ch });
      assert.deepEqual(p.json.result.presence[a.id].conn_info, { v: 2 });
    });

    it('answers {} for a user without connections', async () => {
      assert.deepEqual((await ts.api('refresh', { user: 'nobody', expired: true })).json, OK);
    });
  });

  describe('presence and presence_stats', () => {
    /** Polls presence_stats until `pred` holds (presence is removed asynchronously). */
    async function statsWhen(channel: string, pred: (s: any) => boolean): Promise<any> {
      let stats: any;
      for (let i = 0; i < 200; i++) {
        stats = (await ts.api('presence_stats', { channel })).json.result;
        if (pred(stats)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return stats;
    }

    it('108 when presence is off, 102 unknown namespace, 107 no channel', async () => {
      for (const method of ['presence', 'presence_stats']) {
        assert.deepEqual((await ts.api(method, { channel: 'plain:x' })).json, NOT_AVAILABLE, method);
        assert.deepEqual((await ts.api(method, { channel: 'no-presence' })).json, NOT_AVAILABLE, method);
        assert.deepEqual((await ts.api(method, { channel: 'nope:x' })).json, UNKNOWN_CHANNEL, method);
        assert.deepEqual((await ts.api(method, { channel: '' })).json, BAD_REQUEST, method);
      }
    });

    it('an empty channel has empty presence and zero stats', async () => {
      const ch = fresh('pres:');
      assert.equal((await ts.api('presence', { channel: ch })).text, '{"result":{"presence":{}}}');
      assert.equal((await ts.api('presence_stats', { channel: ch })).text, '{"result":{"num_clients":0,"num_users":0}}');
    });

    it('lists SDK subscribers with their connection info, and counts them', async () => {
      const ch = fresh('pres:');
      const alice = fresh('alice');
      const bob = fresh('bob');
      const a1 = await clients.sdkConnect(alice, { info: { name: 'Alice' } });
      const a2 = await clients.sdkConnect(alice, { info: { name: 'Alice' } });
      const b1 = await clients.sdkConnect(bob);
      await clients.sdkSubscribe(a1.c, ch);
      await clients.sdkSubscribe(a2.c, ch);
      const bobSub = await clients.sdkSubscribe(b1.c, ch);

      const p = await ts.api('presence', { channel: ch });
      assert.deepEqual(p.json.result.presence, {
        [a1.id]: { user: alice, client: a1.id, conn_info: { name: 'Alice' } },
        [a2.id]: { user: alice, client: a2.id, conn_info: { name: 'Alice' } },
        [b1.id]: { user: bob, client: b1.id },
      });
      assert.deepEqual((await ts.api('presence_stats', { channel: ch })).json, { result: { num_clients: 3, num_users: 2 } });

      bobSub.unsubscribe();
      assert.deepEqual(await statsWhen(ch, (s) => s.num_users === 1), { num_clients: 2, num_users: 1 });
      a2.c.disconnect();
      assert.deepEqual(await statsWhen(ch, (s) => s.num_clients === 1), { num_clients: 1, num_users: 1 });
      assert.deepEqual(Object.keys((await ts.api('presence', { channel: ch })).json.result.presence), [a1.id]);
    });
  });

  describe('channels', () => {
    it('lists channels with subscribers, filtered by a glob pattern', async () => {
      const user = fresh('user');
      const a = await clients.sdkConnect(user);
      const b = await clients.sdkConnect(fresh('user'));
      const tag = fresh('g');
      const chans = [`pres:${tag}-one`, `pres:${tag}-two`, `${tag}-x`];
      for (const ch of chans) await clients.sdkSubscribe(a.c, ch);
      await clients.sdkSubscribe(b.c, chans[0]!);

      const all = (await ts.api('channels', {})).json.result.channels;
      assert.deepEqual(all[chans[0]!], { num_clients: 2 });
      assert.deepEqual(all[chans[1]!], { num_clients: 1 });
      assert.deepEqual(all[chans[2]!], { num_clients: 1 });

      const only = async (pattern: string) => (await ts.api('channels', { pattern })).json.result.channels;
      assert.deepEqual(await only(`pres:${tag}-*`), { [chans[0]!]: { num_clients: 2 }, [chans[1]!]: { num_clients: 1 } });
      assert.deepEqual(await only(`*${tag}-t?o`), { [chans[1]!]: { num_clients: 1 } });
      assert.deepEqual(Object.keys(await only(`{${chans[0]},${chans[2]}}`)).sort(), [chans[0], chans[2]].sort());
      assert.deepEqual(Object.keys(await only(`pres:${tag}-[!o]*`)), [chans[1]]);
      assert.equal((await ts.api('channels', { pattern: 'no-such-channel-*' })).text, '{"result":{"channels":{}}}');
    });
  });
});

describe('server API: info', () => {
  let ts: TestServer;
  const clients = new Clients(() => ts);

  before(async () => {
    ts = await startServer({ ...CONFIG, node: { name: 'info-node' } });
  });

  after(async () => {
    clients.close();
    await ts.stop();
  });

  it('describes the one node', async () => {
    const empty = await ts.api('info', {});
    assert.equal(empty.status, 200);
    const [n0] = empty.json.result.nodes;
    assert.equal(empty.json.result.nodes.length, 1);
    assert.equal(n0.name, 'info-node');
    assert.match(n0.uid, /^[0-9a-f-]{36}$/);
    assert.match(n0.version, /^\d+\.\d+\.\d+.* OSS$/);
    for (const k of ['num_clients', 'num_users', 'num_channels', 'num_subs']) assert.equal(n0[k], 0, k);
    if ('uptime' in n0) assert.ok(Number.isInteger(n0.uptime) && n0.uptime > 0, `uptime ${n0.uptime}`);
    // Go's NodeResult key order; uptime is omitted while 0.
    assert.deepEqual(
      Object.keys(n0).filter((k) => k !== 'uptime'),
      ['uid', 'name', 'version', 'num_clients', 'num_users', 'num_channels', 'metrics', 'num_subs'],
    );
    // Centrifugo's metrics: the interval in seconds, and flat centrifugo.* items.
    assert.equal(n0.metrics.interval, 60);
    assert.equal(n0.metrics.items['centrifugo.node.num_clients'], 0);
    assert.ok(Object.keys(n0.metrics.items).every((k) => k.startsWith('centrifugo.')));

    const a1 = await clients.sdkConnect('alice');
    const a2 = await clients.sdkConnect('alice');
    const b = await clients.sdkConnect('bob');
    await clients.sdkSubscribe(a1.c, 'one');
    await clients.sdkSubscribe(a2.c, 'one');
    await clients.sdkSubscribe(b.c, 'two');
    await clients.sdkSubscribe(b.c, 'pres:three');
    const [n] = (await ts.api('info', {})).json.result.nodes;
    assert.equal(n.uid, n0.uid);
    assert.equal(n.num_clients, 3);
    assert.equal(n.num_users, 2);
    assert.equal(n.num_channels, 3);
    assert.equal(n.num_subs, 4);
  });
});
