// channel.max_publication_size: off by default (as in Centrifugo); when set,
// a larger publication is refused with 106 from every door, before it reaches
// history, and counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dataOf, subscribedClient } from '../helpers/sdk.js';
import { startServer, token, type TestServer } from '../helpers/server.js';

const LIMIT = 1024;
const LIMIT_EXCEEDED = { error: { code: 106, message: 'limit exceeded' } };
/** JSON data of exactly `bytes` bytes: a string literal. */
const dataOfSize = (bytes: number) => 'x'.repeat(bytes - 2);

describe('channel.max_publication_size', () => {
  let ts: TestServer;
  const channels = { without_namespace: { allow_subscribe_for_client: true, allow_publish_for_client: true, history_size: 10, history_ttl: 60_000 } };

  before(async () => {
    ts = await startServer({ channel: { ...channels, max_publication_size: LIMIT } as never });
  });
  after(() => ts.stop());

  it('API publish: the limit itself passes, one byte more is 106 and stays out of history', async () => {
    assert.deepEqual((await ts.api('publish', { channel: 'size-a', data: dataOfSize(LIMIT) })).json.result.offset, 1);
    assert.deepEqual((await ts.api('publish', { channel: 'size-a', data: dataOfSize(LIMIT + 1) })).json, LIMIT_EXCEEDED);
    const history = await ts.api('history', { channel: 'size-a', limit: -1 });
    assert.equal(history.json.result.publications.length, 1);
    // Transport error mode maps it like Centrifugo maps 106.
    const transport = await ts.api('publish', { channel: 'size-a', data: dataOfSize(LIMIT + 1) }, { 'X-Centrifugo-Error-Mode': 'transport' });
    assert.equal(transport.text, '{"code":106,"message":"limit exceeded"}');
  });

  it('broadcast: each channel answers 106; batch: only the oversized command fails', async () => {
    const big = dataOfSize(LIMIT + 1);
    const b = await ts.api('broadcast', { channels: ['size-b1', 'size-b2'], data: big });
    assert.deepEqual(b.json.result.responses, [LIMIT_EXCEEDED, LIMIT_EXCEEDED]);
    const batch = await ts.api('batch', {
      commands: [{ publish: { channel: 'size-c', data: big } }, { publish: { channel: 'size-c', data: 'small' } }],
    });
    assert.deepEqual(batch.json.replies[0], LIMIT_EXCEEDED);
    assert.equal(batch.json.replies[1].publish.offset, 1);
  });

  it('a client publish over the limit gets error 106 and stays connected; subscribers see only the small one', async () => {
    const { client, sub, pubs } = await subscribedClient(ts.wsUrl, 'size-d', 'alice', (u) => token(u));
    await assert.rejects(sub.publish(dataOfSize(LIMIT + 1)), (err: any) => err.code === 106);
    await sub.publish({ ok: true });
    for (let i = 0; i < 50 && pubs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      pubs.map((p) => dataOf(p.data)),
      [{ ok: true }],
    );
    assert.equal(client.state, 'connected');
    client.disconnect();
  });

  it('is counted', async () => {
    const text = await (await fetch(`${ts.httpUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('tributary_publications_too_large_total '));
    assert.ok(line && Number(line.split(' ')[1]) >= 5, line);
  });

  it('is off by default: a megabyte publishes', async () => {
    const plain = await startServer({ channel: channels as never });
    try {
      assert.equal((await plain.api('publish', { channel: 'size-e', data: dataOfSize(1 << 20) })).json.result.offset, 1);
    } finally {
      await plain.stop();
    }
  });
});
