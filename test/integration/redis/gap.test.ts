// After a PUB/SUB gap the node reads each channel's stream top once: a
// positioned subscriber that missed nothing stays put; one behind the top is
// told its state is insufficient and recovers the missed publication.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { HISTORY_ADD } from '../../../src/engines/redis/lua.js';
import { encodePublication } from '../../../src/engines/redis/payloads.js';
import { waitFor } from '../../helpers/process.js';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';
import { collect, once, sdkClient } from '../../helpers/sdk.js';
import { startServer, token, type TestServer } from '../../helpers/server.js';

const redis = new Redis(redisUrl());
let ts: TestServer | undefined;
after(async () => {
  await ts?.stop();
  redis.disconnect();
  await cleanUp();
});

describe('delivery gap: only subscribers behind the stream top resubscribe', () => {
  it('a gap that lost nothing moves nobody; a missed publication is recovered', async () => {
    const prefix = ownRedisPrefix(redisUrl(), 'gap');
    ts = await startServer({
      engine: { type: 'redis', redis: { address: [redisUrl()], prefix } },
      channel: { namespaces: [{ name: 'gp', allow_subscribe_for_client: true, history_size: 10, history_ttl: 60_000, force_recovery: true }] },
    } as never);
    const c = sdkClient(ts.wsUrl, { token: await token('gina') });
    const sub = c.newSubscription('gp:room');
    const subscribed = collect(sub, 'subscribed');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    await ts.api('publish', { channel: 'gp:room', data: { n: 1 } });
    await waitFor(() => pubs.length === 1, 5000, 'the live publication');

    ts.server.node.onDeliveryGap(['gp:room']);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(subscribed.length, 1, 'nothing was missed: no resubscribe');

    // A publication that reaches the stream but not PUB/SUB (the script's channel argument is empty).
    const meta = await redis.hgetall(`${prefix}.stream.meta.gp:room`);
    await redis.eval(
      HISTORY_ADD.lua,
      3,
      `${prefix}.stream.gp:room`,
      `${prefix}.stream.meta.gp:room`,
      `${prefix}.result.gp:room.`,
      encodePublication({ data: Buffer.from('{"n":2}'), offset: 0 }),
      10,
      60,
      '',
      300,
      meta.e!,
      'publish',
      '',
      '0',
      '0',
      '',
    );
    ts.server.node.onDeliveryGap(['gp:room']);
    await waitFor(() => subscribed.length === 2 && pubs.length === 2, 5000, 'the resubscribe and the recovered publication');
    assert.equal(subscribed[1].recovered, true);
    assert.deepEqual(
      pubs.map((p) => p.data.n),
      [1, 2],
    );
    c.disconnect();
  });
});
