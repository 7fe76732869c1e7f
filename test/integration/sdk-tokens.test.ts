// Token lifetimes: connection and subscription refresh with the SDK, and the
// server closing what was not refreshed in time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signToken } from '../../src/auth/sign.js';
import { RawClient } from '../helpers/raw-ws.js';
import { SECRET, startServer, token, type TestServer } from '../helpers/server.js';
import { collect, once, sdkClient, waitFor } from '../helpers/sdk.js';

describe('token expiry and refresh', { concurrency: true }, () => {
  let ts: TestServer;
  const clients: Array<{ disconnect(): void }> = [];
  before(async () => {
    ts = await startServer({
      client: { expired_close_delay: 1500, expired_sub_close_delay: 1500 },
      channel: { namespaces: [{ name: 'private' }] as never, without_namespace: { allow_subscribe_for_client: true } },
    });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await ts.stop();
  });

  it('refreshes an expiring connection token and stays connected', async () => {
    let calls = 0;
    const c = sdkClient(ts.wsUrl, {
      token: await token('alice', {}, 2),
      getToken: async () => {
        calls++;
        return token('alice', {}, 2);
      },
    });
    clients.push(c);
    const states = collect(c, 'disconnected');
    const connecting = collect(c, 'connecting');
    c.connect();
    await once(c, 'connected');
    await waitFor(() => calls >= 2, 7000, 'two refreshes');
    assert.equal(states.length, 0);
    assert.equal(connecting.length, 1, 'no reconnect happened');
    c.disconnect();
  });

  it('asks for a new token when the one it connects with has expired (109)', async () => {
    let calls = 0;
    const expired = await signToken(SECRET, { sub: 'bob', exp: Math.floor(Date.now() / 1000) - 10 });
    const c = sdkClient(ts.wsUrl, {
      token: expired,
      getToken: async () => {
        calls++;
        return token('bob');
      },
    });
    clients.push(c);
    c.connect();
    await once(c, 'connected');
    assert.equal(calls, 1);
    c.disconnect();
  });

  it('closes a connection that was not refreshed with 3005 after the grace delay', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    // Two seconds: exp is whole seconds, so a one-second token can be expired (110) by the time it is checked.
    raw.send({ id: 1, connect: { token: await token('carol', {}, 2) } });
    const reply = await raw.waitReply(1);
    assert.equal(reply.connect.expires, true);
    assert.ok(reply.connect.ttl === 1 || reply.connect.ttl === 2, `ttl ${reply.connect.ttl}`);
    const code = await raw.waitClose(5000);
    assert.equal(code, 3005);
  });

  it('refreshes a subscription token and keeps the subscription', async () => {
    let calls = 0;
    const c = sdkClient(ts.wsUrl, { token: await token('dave') });
    clients.push(c);
    const sub = c.newSubscription('$private:x', {
      getToken: async () => {
        calls++;
        return signToken(SECRET, { sub: 'dave', channel: '$private:x' }, 2);
      },
    });
    const unsubscribed = collect(sub, 'unsubscribed');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    await waitFor(() => calls >= 2, 7000, 'subscription refreshes');
    assert.equal(unsubscribed.length, 0);
    await ts.api('publish', { channel: '$private:x', data: { still: 'here' } });
    await waitFor(() => pubs.length === 1);
    c.disconnect();
  });

  it('unsubscribes with 2501 when a subscription token is not refreshed', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('erin') } });
    await raw.waitReply(1);
    // Two seconds: exp is whole seconds, so a one-second token can be expired (110) by the time it is checked.
    const subToken = await signToken(SECRET, { sub: 'erin', channel: '$private:y' }, 2);
    raw.send({ id: 2, subscribe: { channel: '$private:y', token: subToken } });
    const r = await raw.waitReply(2);
    assert.equal(r.subscribe.expires, true);
    await raw.until(() => raw.pushes('unsubscribe').length === 1, 6000, 'unsubscribe push');
    assert.deepEqual(raw.pushes('unsubscribe')[0], { channel: '$private:y', unsubscribe: { code: 2501, reason: 'subscription expired' } });
    raw.close();
  });

  it('refuses a refresh token for another user with 3500', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('frank', {}, 60) } });
    await raw.waitReply(1);
    raw.send({ id: 2, refresh: { token: await token('mallory', {}, 60) } });
    assert.equal(await raw.waitClose(), 3500);
  });
});
