// Three real Tributary processes sharing one Redis are one hub: what is
// published through any node's API reaches clients on every node, presence
// and join/leave span nodes, a client recovers on a different node from the
// one it left, and idempotency keys deduplicate across nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, spawnTributary, writeConfig, type Proc } from '../../helpers/process.js';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';
import { collect, connectedClient, once, subscribeEach, type Centrifuge, waitFor } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { nodeConfig } from './helpers.js';

const nodes: Proc[] = [];
const clients: Centrifuge[] = [];
let A: Proc;
let B: Proc;
let C: Proc;

before(async () => {
  const file = writeConfig(nodeConfig(redisUrl(), ownRedisPrefix(redisUrl(), 'nodes')));
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

describe('three nodes on one Redis', () => {
  it('a publication through any node reaches subscribers on every node, once, in order', async () => {
    const subs = await Promise.all([A, B, C].map((n, i) => connected(n, `fan${i}`)));
    const received = await subscribeEach(subs, 'room:fan');
    for (let i = 0; i < 9; i++) {
      const via = [A, B, C][i % 3]!;
      const r = await api(via.httpUrl, 'publish', { channel: 'room:fan', data: { i } });
      assert.equal(r.result.offset, i + 1, 'one stream, one offset sequence across nodes');
    }
    await waitFor(() => received.every((r) => r.pubs.length === 9), 5000, 'nine publications on every node');
    for (const r of received)
      assert.deepEqual(
        r.pubs.map((p) => p.data.i),
        [0, 1, 2, 3, 4, 5, 6, 7, 8],
      );
  });

  it('presence lists clients of every node; join and leave cross nodes', async () => {
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
    const stats = await api(C.httpUrl, 'presence_stats', { channel: 'room:presence' });
    assert.deepEqual(stats.result, { num_clients: 2, num_users: 2 });

    sb.unsubscribe();
    await waitFor(() => leaves.some((l) => l.info.user === 'bob'), 5000, "bob's leave on node A");
    const after = await api(B.httpUrl, 'presence', { channel: 'room:presence' });
    assert.deepEqual(
      Object.values(after.result.presence as Record<string, { user: string }>).map((x) => x.user),
      ['alice'],
    );
  });

  it('a client that left node A recovers the missed publications on node C', async () => {
    const a = await connected(A, 'carol');
    const s = a.newSubscription('room:recover');
    const pubs = collect(s, 'publication');
    s.subscribe();
    await once(s, 'subscribed');
    await api(B.httpUrl, 'publish', { channel: 'room:recover', data: { n: 0 } });
    await waitFor(() => pubs.length === 1, 5000, 'the live publication');
    const position = { offset: pubs[0].offset as number, epoch: (await api(B.httpUrl, 'history', { channel: 'room:recover', limit: 0 })).result.epoch };
    a.disconnect();
    for (let n = 1; n <= 10; n++) await api(B.httpUrl, 'publish', { channel: 'room:recover', data: { n } });

    const c = await connected(C, 'carol');
    const s2 = c.newSubscription('room:recover', { since: position });
    const recovered = collect(s2, 'publication');
    s2.subscribe();
    const ctx = await once(s2, 'subscribed');
    assert.equal(ctx.recovered, true);
    assert.equal(ctx.wasRecovering, true);
    await waitFor(() => recovered.length === 10, 5000, 'ten recovered publications');
    assert.deepEqual(
      recovered.map((p) => p.data.n),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(
      recovered.map((p) => p.offset),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    );
  });

  it('an idempotency key deduplicates across nodes', async () => {
    const first = await api(A.httpUrl, 'publish', { channel: 'room:idem', data: { x: 1 }, idempotency_key: 'order-17' });
    const second = await api(B.httpUrl, 'publish', { channel: 'room:idem', data: { x: 1 }, idempotency_key: 'order-17' });
    const third = await api(C.httpUrl, 'publish', { channel: 'room:idem', data: { x: 1 }, idempotency_key: 'order-17' });
    assert.deepEqual(second.result, first.result);
    assert.deepEqual(third.result, first.result);
    const h = await api(C.httpUrl, 'history', { channel: 'room:idem', limit: -1 });
    assert.equal(h.result.publications.length, 1);
  });

  it("disconnect by user reaches the user's connections on every node", async () => {
    const onA = await connected(A, 'erin');
    const onB = await connected(B, 'erin');
    const other = await connected(C, 'frank');
    const reasons = [onA, onB].map((c) => once(c, 'disconnected', 5000));
    const r = await api(C.httpUrl, 'disconnect', { user: 'erin' });
    assert.deepEqual(r, { result: {} });
    for (const ctx of await Promise.all(reasons)) assert.deepEqual([ctx.code, ctx.reason], [3503, 'force disconnect']);
    assert.equal(onA.state, 'disconnected');
    assert.equal(onB.state, 'disconnected');
    assert.equal(other.state, 'connected', 'other users stay');
  });

  it('info lists all three nodes; channels sums subscribers across nodes', async () => {
    const info = await api(A.httpUrl, 'info', {});
    assert.equal(info.result.nodes.length, 3);
    const subs = await Promise.all([B, C].map((n, i) => connected(n, `chan${i}`)));
    await subscribeEach(subs, 'room:counted');
    const ch = await api(A.httpUrl, 'channels', { pattern: 'room:counted' });
    assert.deepEqual(ch.result.channels, { 'room:counted': { num_clients: 2 } });
  });

  it('/health is green on every node', async () => {
    for (const n of nodes) {
      const res = await fetch(`${n.httpUrl}/health`);
      assert.equal(res.status, 200);
    }
  });
});
