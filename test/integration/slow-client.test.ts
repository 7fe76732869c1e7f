// A client that stops reading is disconnected with 3008 and its state goes away;
// everybody else keeps receiving.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer, token } from '../helpers/server.js';
import { waitFor } from '../helpers/sdk.js';

describe('slow clients', () => {
  it('disconnects a client whose queue passes client.queue_max_size (3008) and keeps serving others', async () => {
    const ts = await startServer({
      client: { queue_max_size: 64 * 1024 },
      channel: { without_namespace: { allow_subscribe_for_client: true, presence: true } },
    });
    try {
      const slow = await RawClient.open(ts.wsUrl);
      const fast = await RawClient.open(ts.wsUrl);
      for (const [c, user] of [
        [slow, 'slow'],
        [fast, 'fast'],
      ] as const) {
        c.send({ id: 1, connect: { token: await token(user) } });
        await c.waitReply(1);
        c.send({ id: 2, subscribe: { channel: 'firehose' } });
        await c.waitReply(2);
      }
      slow.pauseReading();
      const payload = { blob: 'x'.repeat(32 * 1024) };
      for (let i = 0; i < 400; i++) await ts.api('publish', { channel: 'firehose', data: payload });
      await waitFor(() => fast.pushes('pub').length === 400, 10_000, 'fast client got everything');
      const metrics = await (await fetch(`${ts.httpUrl}/metrics`)).text();
      assert.match(metrics, /centrifugo_client_num_server_disconnects\{code="3008"\} 1/);
      const presence = await ts.api('presence', { channel: 'firehose' });
      assert.deepEqual(
        Object.values(presence.json.result.presence).map((p: any) => p.user),
        ['fast'],
      );
      const info = await ts.api('info', {});
      assert.equal(info.json.result.nodes[0].num_clients, 1);
      fast.close();
      slow.terminate();
    } finally {
      await ts.stop();
    }
  });
});
