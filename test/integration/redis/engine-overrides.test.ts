// Centrifugo's `broker` and `presence_manager` blocks replace one half of the
// engine: publications and history from the broker, presence from the
// presence manager, each on its own backend.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ConfigError } from '../../../src/config/errors.js';
import { engineName } from '../../../src/engines/status.js';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';
import { once, sdkClient } from '../../helpers/sdk.js';
import { startServer, testConfig, token, type TestServer } from '../../helpers/server.js';

const redis = new Redis(redisUrl());
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
  redis.disconnect();
  await cleanUp();
});

const NAMESPACE = { name: 'ov', allow_subscribe_for_client: true, presence: true, allow_presence_for_subscriber: true, history_size: 10, history_ttl: 60_000 };

async function serverWith(overrides: Record<string, unknown>): Promise<TestServer> {
  const ts = await startServer({ channel: { namespaces: [NAMESPACE] }, ...overrides } as never);
  servers.push(ts);
  return ts;
}

/** Names of the server's connections to Redis (client_name is set to `name`), sorted. */
async function connectionNames(name: string): Promise<string[]> {
  const list = (await redis.call('client', 'list')) as string;
  const names = [...list.matchAll(/ name=(\S+)/g)].map((m) => m[1]!);
  return names.filter((n) => n.startsWith(`${name}-`)).sort();
}

async function presentAndPublished(ts: TestServer, channel: string): Promise<void> {
  const c = sdkClient(ts.wsUrl, { token: await token('olga') });
  const s = c.newSubscription(channel);
  c.connect();
  s.subscribe();
  await once(s, 'subscribed');
  const r = await ts.api('publish', { channel, data: { x: 1 } });
  assert.equal(r.json.result.offset, 1);
  const p = await ts.api('presence', { channel });
  assert.deepEqual(
    Object.values(p.json.result.presence as Record<string, { user: string }>).map((x) => x.user),
    ['olga'],
  );
  c.disconnect();
}

describe('engine halves: broker and presence_manager', () => {
  it('memory engine + presence_manager redis: presence in Redis, history in memory', async () => {
    const prefix = ownRedisPrefix(redisUrl(), 'ovp');
    const ts = await serverWith({ presence_manager: { enabled: true, type: 'redis', redis: { address: [redisUrl()], prefix } } });
    assert.equal(ts.server.node.broker.name, 'memory');
    assert.equal(ts.server.node.presenceManager.name, 'redis');
    assert.equal(engineName(ts.server.node), 'memory+redis-presence');
    await presentAndPublished(ts, 'ov:a');
    assert.equal(await redis.exists(`${prefix}.presence.data.ov:a`), 1, 'presence went to Redis');
    assert.equal(await redis.exists(`${prefix}.stream.ov:a`), 0, 'history did not');
  });

  it('memory engine + broker redis: history in Redis, presence in memory', async () => {
    const prefix = ownRedisPrefix(redisUrl(), 'ovb');
    const ts = await serverWith({ broker: { enabled: true, type: 'redis', redis: { address: [redisUrl()], prefix } } });
    assert.equal(ts.server.node.broker.name, 'redis');
    assert.equal(ts.server.node.presenceManager.name, 'memory');
    assert.equal(engineName(ts.server.node), 'redis+memory-presence');
    await presentAndPublished(ts, 'ov:b');
    assert.equal(await redis.exists(`${prefix}.stream.ov:b`), 1, 'history went to Redis');
    assert.equal(await redis.exists(`${prefix}.presence.data.ov:b`), 0, 'presence did not');
  });

  it('presence_manager redis alone subscribes nothing in Redis and opens no PUB/SUB connection', async () => {
    const prefix = ownRedisPrefix(redisUrl(), 'ovn');
    const ts = await serverWith({ presence_manager: { enabled: true, type: 'redis', redis: { address: [redisUrl()], prefix, client_name: prefix } } });
    await presentAndPublished(ts, 'ov:n');
    assert.deepEqual(await redis.call('pubsub', 'channels', `${prefix}.*`), [], 'no channel of the prefix has a subscriber');
    assert.deepEqual(await connectionNames(prefix), [`${prefix}-cmd`]);
  });

  it('engine redis: broker and presence manager share one command connection', async () => {
    const prefix = ownRedisPrefix(redisUrl(), 'ovs');
    const ts = await serverWith({ engine: { type: 'redis', redis: { address: [redisUrl()], prefix, client_name: prefix } } });
    assert.equal(engineName(ts.server.node), 'redis');
    await presentAndPublished(ts, 'ov:s');
    assert.equal(await redis.exists(`${prefix}.presence.data.ov:s`), 1, 'presence in Redis');
    assert.equal(await redis.exists(`${prefix}.stream.ov:s`), 1, 'history in Redis');
    assert.deepEqual(await connectionNames(prefix), [`${prefix}-cmd`, `${prefix}-sub`]);
  });

  it('a disabled block changes nothing; unknown or unsupported types name their key', () => {
    assert.equal(testConfig({ broker: { enabled: false, type: 'redis' } } as never).broker.enabled, false);
    assert.throws(
      () => testConfig({ broker: { enabled: true, type: 'postgres' } } as never),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /broker\.type: "postgres" is not supported by Tributary \(memory, redis or nats\)/);
        return true;
      },
    );
    assert.throws(
      () => testConfig({ presence_manager: { enabled: true, type: 'postgres' } } as never),
      /presence_manager\.type: "postgres" must be one of "memory", "redis"/,
    );
    assert.throws(() => testConfig({ broker: { enabled: true, type: 'redis', redis: { db: 'x' } } } as never), /broker\.redis\.db: "x" is not an integer/);
  });
});
