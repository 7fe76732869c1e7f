// Three real Tributary processes sharing one NATS (broker) and one Redis
// (presence manager: Centrifugo's usual pairing, since the Nats broker keeps
// no presence) are one hub: what is published through any node's API reaches
// clients on every node, join/leave and presence span nodes, disconnect by
// user reaches every node, info and channels see all three. History is not
// available, as in Centrifugo.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { api, spawnTributary, writeConfig, type Proc } from '../../helpers/process.js';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { natsUrl } from '../../helpers/nats.js';
import { redisUrl } from '../../helpers/redis.js';
import { collect, connectedClient, once, subscribeEach, type Centrifuge, waitFor } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { natsNodeConfig } from './helpers.js';

const nodes: Proc[] = [];
const clients: Centrifuge[] = [];
let A: Proc;
let B: Proc;
let C: Proc;

before(async () => {
  const prefix = `nodes-${randomBytes(4).toString('hex')}`;
  const presence = { enabled: true, type: 'redis', redis: { address: [redisUrl()], prefix: ownRedisPrefix(redisUrl(), 'natsnodes') } };
  const file = writeConfig(natsNodeConfig({ url: natsUrl(), prefix }, { presence_manager: presence }));
  [A, B, C] = (await Promise.all([spawnTributary(file), spawnTributary(file), spawnTributary(file)])) as [Proc, Proc, Proc];
  nodes.push(A, B, C);
});

after(async () => {
  for (const c of clients) c.disconnect();
  const codes = await Promise.all(nodes.map((n) => n.stop()));
  await cleanUp();
  assert.deepEqual(codes, [0, 0, 0], 'every node exits cleanly');
});

const connected = (node: Proc, user: string) => connectedClient(node.wsUrl, user, token, clients);

describe('three nodes on one NATS', () => {
  it('a publication through any node reaches subscribers on every node, once; in order from one node', async () => {
    const subs = await Promise.all([A, B, C].map((n, i) => connected(n, `fan${i}`)));
    const received = await subscribeEach(subs, 'room:fan');
    for (let i = 0; i < 9; i++) {
      const r = await api([A, B, C][i % 3]!.httpUrl, 'publish', { channel: 'room:fan', data: { i } });
      assert.deepEqual(r, { result: {} }, 'no offset or epoch: the Nats broker keeps no stream');
    }
    // Through one node: one NATS connection, so one order for everybody.
    for (let i = 9; i < 50; i++) await api(B.httpUrl, 'publish', { channel: 'room:fan', data: { i } });
    await waitFor(() => received.every((r) => r.pubs.length === 50), 5000, 'fifty publications on every node');
    for (const r of received) {
      const got = r.pubs.map((p) => p.data.i as number);
      assert.deepEqual(
        got.slice(0, 9).sort((x, y) => x - y),
        [0, 1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.deepEqual(
        got.slice(9),
        Array.from({ length: 41 }, (_, k) => k + 9),
      );
      assert.ok(r.pubs.every((p) => p.offset === undefined || p.offset === 0));
    }
  });

  it('join and leave cross nodes; presence (Redis) lists clients of every node', async () => {
    const a = await connected(A, 'alice');
    const b = await connected(B, 'bob');
    const sa = a.newSubscription('room:presence');
    const joins = collect(sa, 'join');
    const leaves = collect(sa, 'leave');
    sa.subscribe();
    await once(sa, 'subscribed');
    const sb = b.newSubscription('room:presence');
    sb.subscribe();
    await once(sb, 'subscribed');
    await waitFor(() => joins.some((j) => j.info.user === 'bob'), 5000, "bob's join on node A");

    const p = await api(C.httpUrl, 'presence', { channel: 'room:presence' });
    const users = Object.values(p.result.presence as Record<string, { user: string }>)
      .map((x) => x.user)
      .sort();
    assert.deepEqual(users, ['alice', 'bob']);
    assert.deepEqual((await api(C.httpUrl, 'presence_stats', { channel: 'room:presence' })).result, { num_clients: 2, num_users: 2 });

    sb.unsubscribe();
    await waitFor(() => leaves.some((l) => l.info.user === 'bob'), 5000, "bob's leave on node A");
  });

  it("disconnect by user reaches the user's connections on every node", async () => {
    const onA = await connected(A, 'erin');
    const onB = await connected(B, 'erin');
    const onC = await connected(C, 'erin');
    const other = await connected(C, 'frank');
    const reasons = [onA, onB, onC].map((c) => once(c, 'disconnected', 5000));
    assert.deepEqual(await api(B.httpUrl, 'disconnect', { user: 'erin' }), { result: {} });
    for (const ctx of await Promise.all(reasons)) assert.deepEqual([ctx.code, ctx.reason], [3503, 'force disconnect']);
    assert.equal(other.state, 'connected', 'other users stay');
  });

  it('info lists all three nodes; channels sums subscribers across nodes', async () => {
    const info = await api(A.httpUrl, 'info', {});
    assert.equal(info.result.nodes.length, 3);
    const subs = await Promise.all([A, B, C].map((n, i) => connected(n, `chan${i}`)));
    await subscribeEach(subs, 'room:counted');
    const ch = await api(C.httpUrl, 'channels', { pattern: 'room:counted' });
    assert.deepEqual(ch.result.channels, { 'room:counted': { num_clients: 3 } });
  });

  it("history and recovery fail as in Centrifugo: 108 to a client, the API's internal error; publishing there still works", async () => {
    // Centrifugo's API maps every history error but an unrecoverable position to 100.
    assert.deepEqual(await api(A.httpUrl, 'history', { channel: 'hist:x', limit: -1 }), { error: { code: 100, message: 'internal server error' } });
    const c = await connected(B, 'hank');
    const s = c.newSubscription('hist:x');
    s.subscribe();
    const refused = await once(s, 'unsubscribed');
    assert.deepEqual([refused.code, refused.reason], [108, 'not available'], 'the SDK gives up on a 108 subscribe error');
    assert.deepEqual(await api(A.httpUrl, 'publish', { channel: 'hist:x', data: {} }), { result: {} });
  });

  it('/health is green on every node', async () => {
    for (const n of nodes) {
      const res = await fetch(`${n.httpUrl}/health`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {});
    }
  });
});
