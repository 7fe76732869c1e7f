// The shared broker and presence manager contracts against a real
// three-master Redis Cluster: every key of a channel carries the channel as a
// hash tag, so each Lua script's keys share a slot, and PUB/SUB spans the cluster.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import type { RedisBroker } from '../../../src/engines/redis/redis-broker.js';
import { RecordingHandler, runBrokerSuite } from '../../broker-suite.js';
import { runPresenceManagerSuite } from '../../presence-manager-suite.js';
import { RedisBroker as Broker } from '../../../src/engines/redis/redis-broker.js';
import { RedisShards } from '../../../src/engines/redis/shards.js';
import { RedisMetrics } from '../../../src/engines/redis/metrics.js';
import { Metrics } from '../../../src/metrics.js';
import { silentLogger } from '../../../src/log.js';
import { redisBroker, redisOptions, redisPresenceManager } from '../../helpers/redis-engines.js';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisClusterUrl } from '../../helpers/redis.js';

const url = redisClusterUrl();
const prefix = ownRedisPrefix(url, 'cl');
// The keys go, from every master, once the suites have closed their engines.
after(cleanUp);

function make(extra: Record<string, unknown> = {}): RedisBroker {
  return redisBroker(redisOptions({ address: [url], prefix, ...extra }));
}

runBrokerSuite('redis cluster', async () => make());
// Redis 7 sharded PUB/SUB: SPUBLISH inside the scripts, SSUBSCRIBE per channel.
runBrokerSuite('redis cluster, sharded PUB/SUB', async () => make({ sharded_pubsub: true }));
runPresenceManagerSuite('redis cluster', async () => redisPresenceManager(redisOptions({ address: [url], prefix })));
runPresenceManagerSuite('redis cluster, sharded PUB/SUB', async () => redisPresenceManager(redisOptions({ address: [url], prefix, sharded_pubsub: true })));

describe('Redis Cluster specifics', () => {
  const opened: Array<() => void> = [];
  after(() => opened.forEach((f) => f()));

  it('keys carry {channel} hash tags and live on the slot the channel hashes to', async () => {
    const e = make();
    await e.start(new RecordingHandler());
    opened.push(() => void e.close());
    const res = await e.publish('tagged', Buffer.from('x'), { historySize: 5, historyTtlMs: 60_000, historyMetaTtlMs: 60_000, idempotencyKey: 'k' });
    assert.equal(res.position.offset, 1);
    const seed = new URL(url.replace('redis+cluster', 'http'));
    const c = new Cluster([{ host: seed.hostname, port: Number(seed.port) }]);
    opened.push(() => c.disconnect());
    assert.equal(await c.exists(`${prefix}.stream.{tagged}`), 1);
    assert.equal(await c.hget(`${prefix}.stream.meta.{tagged}`, 's'), '1');
    assert.equal(await c.exists(`${prefix}.result.{tagged}.k`), 1);
  });

  it('sharded PUB/SUB: the channel is a shard channel on its master, and publications still arrive', async () => {
    const e = make({ sharded_pubsub: true });
    const events = new RecordingHandler();
    await e.start(events);
    opened.push(() => void e.close());
    await e.subscribe(['shx']);
    const seed = new URL(url.replace('redis+cluster', 'http'));
    const c = new Cluster([{ host: seed.hostname, port: Number(seed.port) }]);
    opened.push(() => c.disconnect());
    await new Promise((r) => c.once('ready', r));
    const lists = await Promise.all(c.nodes('master').map((n) => n.call('pubsub', 'shardchannels') as Promise<string[]>));
    assert.deepEqual(
      lists.flat().filter((ch) => ch.startsWith(prefix)),
      [`${prefix}.client.{shx}`],
    );
    await e.publish('shx', Buffer.from('via spublish'), { historySize: 5, historyTtlMs: 60_000, historyMetaTtlMs: 60_000 });
    await events.waitForPublications('shx', 1);
  });

  it('a script that Redis answers with NOSCRIPT is sent again in full, and counted', async () => {
    // What a forming or failing-over cluster does to ioredis: its SHA retries
    // end in NOSCRIPT although the EVAL was written (see RedisShard.script).
    const redisMetrics = new RedisMetrics(new Metrics({ defaultMetrics: false }));
    const shards = new RedisShards(redisOptions({ address: [url], prefix }), silentLogger(), redisMetrics);
    const broker = new Broker(shards);
    await broker.start(new RecordingHandler());
    opened.push(() => void broker.close());
    let refused = 0;
    for (const shard of shards.all) {
      const cmd = shard.cmd as unknown as Record<string, unknown>;
      for (const name of ['publishIdempotent', 'publishOnSlot', 'historyAdd', 'historyRead', 'publishIdempotentBuffer', 'historyReadBuffer']) {
        cmd[name] = async () => {
          refused++;
          throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        };
      }
    }
    const opts = { historySize: 5, historyTtlMs: 60_000, historyMetaTtlMs: 60_000 };
    const first = await broker.publish('noscript', Buffer.from('"a"'), { ...opts, idempotencyKey: 'once' });
    const again = await broker.publish('noscript', Buffer.from('"a"'), { ...opts, idempotencyKey: 'once' });
    const second = await broker.publish('noscript', Buffer.from('"b"'), opts);
    assert.equal(first.position.offset, 1);
    assert.equal(again.position.offset, 1, 'the idempotency key still holds on the full-script path');
    assert.equal(second.position.offset, 2);
    const history = await broker.history('noscript', { limit: -1 }, { historyMetaTtlMs: 60_000 });
    assert.deepEqual(
      history.publications.map((p) => p.data.toString()),
      ['"a"', '"b"'],
    );
    assert.ok(refused >= 4, `every call went the NOSCRIPT way (${refused})`);
    const counted = (await redisMetrics.scriptReloads.get()).values.reduce((n, v) => n + v.value, 0);
    assert.equal(counted, refused);
  });
});
