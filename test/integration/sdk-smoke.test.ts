import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, token, type TestServer } from '../helpers/server.js';
import { currentSdkTransport, once, sdkClient } from '../helpers/sdk.js';

describe(`SDK smoke (${currentSdkTransport()})`, () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer({ channel: { without_namespace: { allow_subscribe_for_client: true } } as never });
  });
  after(() => ts.stop());

  it('connects with a token, subscribes and receives a publication sent through the HTTP API', async () => {
    const c = sdkClient(ts.wsUrl, { token: await token('42') });
    const connected = once(c, 'connected');
    c.connect();
    const ctx = await connected;
    assert.equal(typeof ctx.client, 'string');
    // The suites in transports/ run this file over the other transports: it is really that one.
    assert.equal(ctx.transport, currentSdkTransport());
    const sub = c.newSubscription('news');
    const subscribed = once(sub, 'subscribed');
    sub.subscribe();
    await subscribed;
    const pub = once(sub, 'publication');
    const r = await ts.api('publish', { channel: 'news', data: { text: 'hello' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { result: {} });
    const p = await pub;
    assert.deepEqual(p.data, { text: 'hello' });
    c.disconnect();
  });
});
