// Fossil delta compression end to end with the official SDK (client-protocol.md §5).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer, token, type TestServer } from '../helpers/server.js';
import { collect, once, sdkClient, waitFor } from '../helpers/sdk.js';

/** A ~5 KB JSON document where each version changes a little. */
function evolvingDoc(version: number): string {
  const items = Array.from({ length: 60 }, (_, i) => ({
    id: i,
    name: `item number ${i} with a fairly descriptive label`,
    price: i === version % 60 ? version : i * 3,
    tags: ['alpha', 'beta', 'gamma'],
  }));
  return JSON.stringify({ version, updated: `step-${version}`, items });
}

describe('fossil delta with the SDK', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer({
      channel: {
        namespaces: [
          {
            name: 'delta',
            allow_subscribe_for_client: true,
            history_size: 300,
            history_ttl: 300_000,
            force_recovery: true,
            allowed_delta_types: ['fossil'],
            delta_publish: true,
          },
          { name: 'nodelta', allow_subscribe_for_client: true, history_size: 10, history_ttl: 300_000, force_recovery: true },
        ] as never,
      },
    });
  });
  after(() => ts.stop());

  it('delivers 200 evolving documents byte-identical to what was published, mostly as patches', async () => {
    const c = sdkClient(ts.wsUrl, { token: await token('delta-user') });
    const sub = c.newSubscription('delta:doc', { delta: 'fossil' });
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    const ctx = await once(sub, 'subscribed');
    assert.equal(ctx.recoverable, true);

    // A raw observer with delta negotiated sees what actually travels.
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('observer') } });
    await raw.waitReply(1);
    raw.send({ id: 2, subscribe: { channel: 'delta:doc', delta: 'fossil' } });
    const subReply = await raw.waitReply(2);
    assert.equal(subReply.subscribe.delta, true);

    const published: string[] = [];
    for (let v = 0; v < 200; v++) {
      const doc = evolvingDoc(v);
      published.push(doc);
      const r = await ts.api('publish', `{"channel":"delta:doc","data":${doc}}`);
      assert.equal(r.status, 200);
    }
    await waitFor(() => pubs.length === 200, 10_000, '200 publications');
    for (let i = 0; i < 200; i++) assert.equal(JSON.stringify(pubs[i].data), published[i], `publication ${i}`);

    await raw.until(() => raw.pushes('pub').length === 200, 10_000, 'raw observer');
    const pushes = raw.pushes('pub').map((p) => p.pub);
    assert.equal(pushes[0].delta, undefined, 'first publication after subscribe is full');
    assert.equal(typeof pushes[0].data, 'string', 'full data is a JSON string once delta is negotiated');
    const patches = pushes.filter((p) => p.delta === true).length;
    assert.ok(patches >= 190, `most publications travel as patches (${patches})`);
    const wire = pushes.reduce((n, p) => n + Buffer.byteLength(p.data), 0);
    const full = published.reduce((n, d) => n + Buffer.byteLength(d), 0);
    assert.ok(wire < full * 0.3, `delta saves at least 70% (${wire} vs ${full} bytes)`);
    raw.close();
    c.disconnect();
  });

  it('recovers with delta: missed publications arrive full, then patches resume', async () => {
    const c = sdkClient(ts.wsUrl, { token: await token('delta-recover') });
    const sub = c.newSubscription('delta:rec', { delta: 'fossil' });
    const pubs = collect(sub, 'publication');
    const subscribed = collect(sub, 'subscribed');
    c.connect();
    sub.subscribe();
    await waitFor(() => subscribed.length === 1);
    for (let v = 0; v < 5; v++) await ts.api('publish', `{"channel":"delta:rec","data":${evolvingDoc(v)}}`);
    await waitFor(() => pubs.length === 5);
    c.disconnect();
    for (let v = 5; v < 10; v++) await ts.api('publish', `{"channel":"delta:rec","data":${evolvingDoc(v)}}`);
    c.connect();
    await waitFor(() => subscribed.length === 2);
    assert.equal(subscribed[1].recovered, true);
    for (let v = 10; v < 15; v++) await ts.api('publish', `{"channel":"delta:rec","data":${evolvingDoc(v)}}`);
    await waitFor(() => pubs.length === 15, 5000, '15 publications');
    for (let v = 0; v < 15; v++) assert.equal(JSON.stringify(pubs[v].data), evolvingDoc(v));
    c.disconnect();
  });

  it('does not negotiate delta where the namespace does not allow it, and sends plain data', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('plain') } });
    await raw.waitReply(1);
    raw.send({ id: 2, subscribe: { channel: 'nodelta:x', delta: 'fossil' } });
    const reply = await raw.waitReply(2);
    assert.equal(reply.subscribe.delta, undefined);
    await ts.api('publish', { channel: 'nodelta:x', data: { a: 1 }, delta: true });
    await raw.until(() => raw.pushes('pub').length === 1);
    assert.deepEqual(raw.pushes('pub')[0].pub.data, { a: 1 });
    raw.close();
  });

  it('sends history through the API and the client history call as full plain data', async () => {
    const r = await ts.api('history', { channel: 'delta:doc', limit: 1, reverse: true });
    assert.equal(JSON.stringify(r.json.result.publications[0].data), evolvingDoc(199));
  });
});
