// The server API's by-user commands reach connections on every node: the
// call goes to one server, the WebSocket clients sit on another, and the two
// nodes only share the control link (test/helpers/linked-brokers.ts).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClientSession } from '../../../src/client/client.js';
import { defaultChannelOptions } from '../../../src/config/schema.js';
import { eventually, linkedServers, type LinkedServer } from '../../helpers/cluster.js';
import { RawClient } from '../../helpers/raw-ws.js';
import { token } from '../../helpers/server.js';

const OK = { result: {} };

describe('by-user server API commands across nodes', () => {
  let stop: () => Promise<void>;
  let a: LinkedServer; // receives the API calls
  let b: LinkedServer; // holds the connections
  const opened: RawClient[] = [];
  let seq = 0;
  const fresh = (prefix = '') => `${prefix}x${++seq}`;
  /** The user's session on a server, as the client layer sees it (the node only knows its NodeSession side). */
  const sessionOn = (server: LinkedServer, user: string) => server.server.node.select({ user })[0] as ClientSession | undefined;

  before(async () => {
    const cluster = await linkedServers(2, {
      channel: {
        without_namespace: { allow_subscribe_for_client: true },
        namespaces: [{ ...defaultChannelOptions(), name: 'pres', presence: true, allow_subscribe_for_client: true }],
      },
    });
    stop = cluster.stop;
    [a, b] = cluster.servers as [LinkedServer, LinkedServer];
    await eventually(() => a.server.node.control.nodes().length === 2 && b.server.node.control.nodes().length === 2);
  });

  after(async () => {
    for (const c of opened) c.terminate();
    await stop();
  });

  async function connect(on: LinkedServer, user: string, claims: Record<string, unknown> = {}): Promise<{ c: RawClient; id: string }> {
    const c = await RawClient.open(on.wsUrl);
    opened.push(c);
    c.send({ id: 1, connect: { token: await token(user, claims) } });
    const r = await c.waitReply(1);
    assert.ok(r.connect, JSON.stringify(r));
    return { c, id: r.connect.client };
  }

  it('disconnect reaches the user on the other node, with code, reason and whitelist', async () => {
    const user = fresh('user');
    const here = await connect(a, user);
    const there = await connect(b, user);
    const kept = await connect(b, user);
    const other = await connect(b, fresh('user'));
    assert.deepEqual((await a.api('disconnect', { user, whitelist: [kept.id], disconnect: { code: 4007, reason: 'moved' } })).json, OK);
    assert.equal(await here.c.waitClose(), 4007);
    assert.equal(await there.c.waitClose(), 4007);
    assert.equal(there.c.closeReason, 'moved');
    assert.equal(kept.c.closeCode, null);
    assert.equal(other.c.closeCode, null);
    // Narrowed to one client on the other node; the default code.
    await a.api('disconnect', { user, client: kept.id });
    assert.equal(await kept.c.waitClose(), 3503);
  });

  it('subscribe reaches the other node with the exact data and info bytes', async () => {
    const user = fresh('user');
    const there = await connect(b, user);
    const ch = fresh('pres:');
    // Whitespace inside the raw JSON must survive the trip between nodes.
    const body = `{"channel":"${ch}","user":"${user}","data":{"w":  1},"info":{"ci" :"x"}}`;
    assert.deepEqual((await a.api('subscribe', body)).json, OK);
    await there.c.until(() => there.c.pushes('subscribe').length === 1);
    assert.deepEqual(there.c.pushes('subscribe')[0], { channel: ch, subscribe: { data: { w: 1 } } });
    const presence = await b.api('presence', { channel: ch });
    assert.ok(presence.text.includes(`"chan_info":{"ci" :"x"}`), presence.text);
  });

  it('subscribe carries override and expire_at to the other node', async () => {
    const user = fresh('user');
    const there = await connect(b, user);
    const ch = fresh(); // no presence in this namespace unless overridden
    await a.api('subscribe', { channel: ch, user, override: { presence: { value: true } } });
    await there.c.until(() => there.c.pushes('subscribe').length === 1);
    assert.deepEqual([...(await b.server.node.presence(ch)).keys()], [there.id]);
    const expireAt = Math.floor(Date.now() / 1000) + 3600;
    const ch2 = fresh();
    await a.api('subscribe', { channel: ch2, user, expire_at: expireAt });
    await there.c.until(() => there.c.pushes('subscribe').length === 2);
    assert.equal(sessionOn(b, user)!.subs.get(ch2)?.expireAt, expireAt * 1000);
  });

  it('unsubscribe reaches the other node (one channel, then every channel)', async () => {
    const user = fresh('user');
    const there = await connect(b, user);
    const [ch1, ch2, ch3] = [fresh(), fresh(), fresh()];
    for (const [i, ch] of [ch1, ch2, ch3].entries()) {
      there.c.send({ id: 10 + i, subscribe: { channel: ch } });
      await there.c.waitReply(10 + i);
    }
    assert.deepEqual((await a.api('unsubscribe', { channel: ch1, user })).json, OK);
    await there.c.until(() => there.c.pushes('unsubscribe').length === 1);
    assert.deepEqual(there.c.pushes('unsubscribe')[0], { channel: ch1, unsubscribe: { code: 2000, reason: 'server unsubscribe' } });
    await a.api('unsubscribe', { channel: '', user });
    await there.c.until(() => there.c.pushes('unsubscribe').length === 3);
    assert.deepEqual(
      there.c
        .pushes('unsubscribe')
        .map((p) => p.channel)
        .sort(),
      [ch1, ch2, ch3].sort(),
    );
    assert.equal(sessionOn(b, user)!.subs.size, 0);
  });

  it('refresh reaches the other node: expiry push, exact info bytes, expired closes', async () => {
    const user = fresh('user');
    const there = await connect(b, user, { info: { v: 1 } });
    const expireAt = Math.floor(Date.now() / 1000) + 600;
    assert.deepEqual((await a.api('refresh', `{"user":"${user}","expire_at":${expireAt},"info":{"v" : 2}}`)).json, OK);
    await there.c.until(() => there.c.pushes('refresh').length === 1);
    const push = there.c.pushes('refresh')[0].refresh;
    assert.equal(push.expires, true);
    assert.ok(push.ttl >= 598 && push.ttl <= 600, String(push.ttl));
    assert.deepEqual(sessionOn(b, user)!.connInfo, Buffer.from('{"v" : 2}'));
    await a.api('refresh', { user, expired: true });
    assert.equal(await there.c.waitClose(), 3005);
  });

  it('channels and info see both nodes', async () => {
    const ch = fresh('shared');
    const onA = await connect(a, fresh('user'));
    const onB = await connect(b, fresh('user'));
    for (const { c } of [onA, onB]) {
      c.send({ id: 2, subscribe: { channel: ch } });
      await c.waitReply(2);
    }
    const channels = (await b.api('channels', { pattern: 'shared*' })).json.result.channels;
    assert.deepEqual(channels[ch], { num_clients: 2 });
    const nodes = (await a.api('info', {})).json.result.nodes;
    assert.deepEqual(
      nodes.map((n: { name: string }) => n.name),
      ['server-0', 'server-1'],
    );
  });
});
