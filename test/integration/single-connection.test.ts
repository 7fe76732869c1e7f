// client.subscribe_to_user_personal_channel.single_connection: a user's new
// connection disconnects the older ones (3504 "connection limit"), found
// through presence in the personal channel, as Centrifugo does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, once, sdkClient, waitFor, type Centrifuge } from '../helpers/sdk.js';
import { startServer, token, type TestServer } from '../helpers/server.js';

describe('single_connection', () => {
  let ts: TestServer;
  const clients: Centrifuge[] = [];
  const connect = async (user: string) => {
    const c = sdkClient(ts.wsUrl, { token: await token(user) });
    clients.push(c);
    const disconnects = collect(c, 'disconnected');
    const subscribed = once(c, 'subscribed');
    c.connect();
    await subscribed; // the personal channel, with its presence
    return { c, disconnects };
  };

  before(async () => {
    ts = await startServer({
      client: { subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal', single_connection: true } },
      channel: { namespaces: [{ name: 'personal', presence: true }] as never },
    });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await ts.stop();
  });

  it("a user's second connection disconnects the first with 3504, and only that user's", async () => {
    const first = await connect('alice');
    const bob = await connect('bob');
    const second = await connect('alice');
    await waitFor(() => first.disconnects.length === 1, 4000, 'the first connection to be disconnected');
    assert.equal(first.disconnects[0].code, 3504);
    assert.equal(first.disconnects[0].reason, 'connection limit');
    assert.equal(second.c.state, 'connected');
    assert.equal(bob.c.state, 'connected');
    assert.equal(bob.disconnects.length, 0);
    // 3504 is terminal for the SDK (3500–3999 do not reconnect), so the first one stays away.
    assert.equal(first.c.state, 'disconnected');
    const presence = await ts.api('presence', { channel: 'personal:#alice' });
    assert.equal(Object.keys(presence.json.result.presence).length, 1);
  });

  it('refuses to start without presence in the personal namespace', async () => {
    await assert.rejects(
      startServer({
        client: { subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal', single_connection: true } },
        channel: { namespaces: [{ name: 'personal' }] as never },
      }),
      /single_connection: requires presence/,
    );
  });
});
