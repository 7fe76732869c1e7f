// A server-side subscription made through the API with expire_at ends the
// connection with 3006 once it expires (the client cannot refresh it itself).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer, token } from '../helpers/server.js';

describe('server-side subscription expiry', () => {
  it('pushes the subscription without expires/ttl and disconnects with 3006 after expiry', async () => {
    const ts = await startServer({ client: { expired_sub_close_delay: 200 }, channel: { namespaces: [{ name: 'ops' }] as never } });
    try {
      const raw = await RawClient.open(ts.wsUrl);
      raw.send({ id: 1, connect: { token: await token('alice') } });
      await raw.waitReply(1);
      const r = await ts.api('subscribe', { channel: 'ops:alerts', user: 'alice', expire_at: Math.floor(Date.now() / 1000) + 2, data: { hello: 1 } });
      assert.deepEqual(r.json, { result: {} });
      await raw.until(() => raw.pushes('subscribe').length === 1, 3000, 'subscribe push');
      assert.deepEqual(raw.pushes('subscribe')[0], { channel: 'ops:alerts', subscribe: { data: { hello: 1 } } });
      assert.equal(await raw.waitClose(4000), 3006);
    } finally {
      await ts.stop();
    }
  });

  it('ignores an expire_at already in the past', async () => {
    const ts = await startServer({ channel: { namespaces: [{ name: 'ops' }] as never } });
    try {
      const raw = await RawClient.open(ts.wsUrl);
      raw.send({ id: 1, connect: { token: await token('bob') } });
      await raw.waitReply(1);
      await ts.api('subscribe', { channel: 'ops:alerts', user: 'bob', expire_at: Math.floor(Date.now() / 1000) - 5 });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(raw.pushes('subscribe').length, 0);
      raw.close();
    } finally {
      await ts.stop();
    }
  });
});
