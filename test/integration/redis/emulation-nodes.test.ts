// Emulation across nodes: two Tributary nodes on one Redis, the SDK's stream
// (http_stream, sse) on node A and its emulation requests sent to node B,
// which hands them to A through the control plane's targeted survey. Every
// command still reaches the session, in order; a node that has left is 404.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { Centrifuge } from 'centrifuge';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';
import { collect, once, waitFor } from '../../helpers/sdk.js';
import { startServer, token, type TestServer } from '../../helpers/server.js';

let A: TestServer;
let B: TestServer;
const clients: Centrifuge[] = [];

before(async () => {
  const prefix = ownRedisPrefix(redisUrl(), 'emulation');
  const config = {
    engine: { type: 'redis', redis: { address: [redisUrl()], prefix } },
    channel: {
      namespaces: [
        {
          name: 'room',
          allow_subscribe_for_client: true,
          presence: true,
          allow_presence_for_subscriber: true,
          allow_publish_for_subscriber: true,
          allow_history_for_subscriber: true,
          history_size: 10,
          history_ttl: 60_000,
        },
      ],
    },
  } as never;
  A = await startServer(config);
  B = await startServer(config);
  const nodesOf = async (ts: TestServer) => (await ts.api('info', {})).json.result.nodes.length;
  const deadline = Date.now() + 5000;
  while ((await nodesOf(A)) < 2 || (await nodesOf(B)) < 2) {
    if (Date.now() > deadline) throw new Error('the nodes did not see each other');
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  for (const c of clients) c.disconnect();
  await A.stop();
  await B.stop();
  await cleanUp();
});

for (const transport of ['http_stream', 'sse'] as const) {
  describe(`${transport} on node A, emulation through node B`, () => {
    it('subscribes, publishes, reads presence and history: every command reaches the session on A', async () => {
      const c = new Centrifuge([{ transport, endpoint: `${A.httpUrl}/connection/${transport}` }], {
        token: await token(`user-${transport}`),
        emulationEndpoint: `${B.httpUrl}/emulation`,
        fetch,
        readableStream: ReadableStream,
        eventsource: EventSource,
      } as never);
      clients.push(c);
      c.connect();
      await once(c, 'connected');
      const sub = c.newSubscription(`room:${transport}`);
      const pubs = collect(sub, 'publication');
      sub.subscribe();
      await once(sub, 'subscribed');
      for (let i = 0; i < 5; i++) await sub.publish({ i });
      await waitFor(() => pubs.length === 5, 4000, 'five publications back');
      assert.deepEqual(
        pubs.map((p) => p.data.i),
        [0, 1, 2, 3, 4],
      );
      const presence = await sub.presence();
      assert.deepEqual(
        Object.values(presence.clients).map((p: any) => p.user),
        [`user-${transport}`],
      );
      const history = await sub.history({ limit: 10 });
      assert.equal(history.publications.length, 5);
    });
  });
}

describe('emulation requests for a node', () => {
  it('a node that left is 404; a live node whose session is gone is 204', async () => {
    const aId = A.server.node.id;
    const emulate = (node: string) =>
      fetch(`${B.httpUrl}/emulation`, { method: 'POST', body: JSON.stringify({ node, session: 'gone', data: JSON.stringify('{"id":1,"ping":{}}') }) });
    assert.equal((await emulate(aId)).status, 204);
    for (const c of clients) c.disconnect();
    await A.stop();
    await waitFor(() => !B.server.node.control.registry.has(aId), 5000, 'B forgets A');
    assert.equal((await emulate(aId)).status, 404);
  });
});
