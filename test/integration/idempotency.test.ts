// Idempotency keys on publish and broadcast (server-api.md §1.3): a repeat
// within the window returns the first result and delivers nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer, token, type TestServer } from '../helpers/server.js';

describe('idempotency window', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer({
      channel: {
        idempotent_result_ttl: 1000,
        namespaces: [{ name: 'idem', allow_subscribe_for_client: true, history_size: 100, history_ttl: 300_000 }] as never,
      },
    });
  });
  after(() => ts.stop());

  it('suppresses a repeat inside the configured window and publishes again after it', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('watcher') } });
    await raw.waitReply(1);
    raw.send({ id: 2, subscribe: { channel: 'idem:a' } });
    await raw.waitReply(2);

    const first = await ts.api('publish', { channel: 'idem:a', data: { n: 1 }, idempotency_key: 'k1' });
    const again = await ts.api('publish', { channel: 'idem:a', data: { n: 2 }, idempotency_key: 'k1' });
    assert.deepEqual(again.json.result, first.json.result);
    const other = await ts.api('publish', { channel: 'idem:a', data: { n: 3 }, idempotency_key: 'k2' });
    assert.equal(other.json.result.offset, first.json.result.offset + 1);
    await new Promise((r) => setTimeout(r, 1200));
    const later = await ts.api('publish', { channel: 'idem:a', data: { n: 4 }, idempotency_key: 'k1' });
    assert.equal(later.json.result.offset, first.json.result.offset + 2);

    await raw.until(() => raw.pushes('pub').length === 3);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      raw.pushes('pub').map((p) => p.pub.data.n),
      [1, 3, 4],
    );
    const history = await ts.api('history', { channel: 'idem:a', limit: -1 });
    assert.deepEqual(
      history.json.result.publications.map((p: any) => p.data.n),
      [1, 3, 4],
    );
    raw.close();
  });

  it('keys are per channel, also inside a broadcast', async () => {
    const b1 = await ts.api('broadcast', { channels: ['idem:x', 'idem:y'], data: { v: 1 }, idempotency_key: 'bk' });
    const b2 = await ts.api('broadcast', { channels: ['idem:x', 'idem:y', 'idem:z'], data: { v: 2 }, idempotency_key: 'bk' });
    assert.deepEqual(b2.json.result.responses.slice(0, 2), b1.json.result.responses);
    assert.equal(b2.json.result.responses[2].result.offset, 1);
    const hx = await ts.api('history', { channel: 'idem:x', limit: -1 });
    assert.equal(hx.json.result.publications.length, 1);
  });
});
