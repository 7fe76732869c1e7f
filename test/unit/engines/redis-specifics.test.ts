// What the Redis broker and presence manager do beyond the shared contracts: Centrifugo's
// key layout and PUB/SUB envelopes, state shared between nodes, sharding, bad
// input on PUB/SUB, and Redis going away and coming back. Real Redis only.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';

import { redisOptions as parseRedisOptions } from '../../helpers/config.js';
import { EngineUnavailableError } from '../../../src/engines/availability.js';
import type { PublishOptions } from '../../../src/engines/broker.js';
import type { RedisPresenceManager } from '../../../src/engines/redis/redis-presence-manager.js';
import { fnv1a64, jumpConsistentHash, shardIndex } from '../../../src/engines/redis/shard-index.js';
import { engineHealth } from '../../../src/engines/status.js';
import { RecordingHandler } from '../../broker-suite.js';
import { redisBroker, redisOptions, redisPair } from '../../helpers/redis-engines.js';
import { corruptMessagesCounter } from '../../../src/engines/corrupt-messages.js';
import { RedisBroker } from '../../../src/engines/redis/redis-broker.js';
import { RedisMetrics } from '../../../src/engines/redis/metrics.js';
import { RedisShards } from '../../../src/engines/redis/shards.js';
import { silentLogger } from '../../../src/log.js';
import { Metrics } from '../../../src/metrics.js';
import { cleanUp, deleteOwnRedisKeys, ownRedisKeys } from '../../helpers/cleanup.js';
import { redisUrl, secondRedisUrl } from '../../helpers/redis.js';

const HISTORY: PublishOptions = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 300_000 };

const opened: Array<{ close(): Promise<void> | void }> = [];
after(async () => {
  for (const o of opened.reverse()) await o.close();
  // The keys of every prefix startRedis used, on each server it used.
  await cleanUp();
});

function prefix(): string {
  return `spec-${randomBytes(4).toString('hex')}`;
}

/** A started broker and presence manager sharing shards, as `engine.type: redis` builds them. */
async function startRedis(
  addresses: string[],
  p: string,
  extra: Record<string, unknown> = {},
): Promise<{ broker: RedisBroker; presence: RedisPresenceManager; events: RecordingHandler }> {
  for (const address of addresses) ownRedisKeys(address, p);
  const parsed = parseRedisOptions({ address: addresses, prefix: p, ...extra });
  assert.ok(parsed.options, JSON.stringify(parsed.problems));
  const { broker, presenceManager: presence } = redisPair(parsed.options);
  const events = new RecordingHandler();
  await broker.start(events);
  await presence.start();
  opened.push(broker, presence);
  return { broker, presence, events };
}

function client(url: string): Redis {
  const r = new Redis(url, { lazyConnect: false });
  opened.push({ close: () => void r.disconnect() });
  return r;
}

describe('Redis engine: layout on the wire (spec §4.2–4.5)', () => {
  it('history, meta and idempotency keys have Centrifugo names and fields', async () => {
    const p = prefix();
    const { broker: e } = await startRedis([redisUrl()], p);
    const r = client(redisUrl());
    const res = await e.publish('news', Buffer.from('{"a":1}'), { ...HISTORY, idempotencyKey: 'k1' });
    assert.equal(res.position.offset, 1);
    const meta = await r.hgetall(`${p}.stream.meta.news`);
    assert.equal(meta.s, '1');
    assert.equal(meta.e, res.position.epoch);
    const entries = await r.xrange(`${p}.stream.news`, '-', '+');
    assert.equal(entries.length, 1);
    assert.equal(entries[0]![0], '1-0', 'the stream ID is the offset');
    assert.deepEqual(await r.hgetall(`${p}.result.news.k1`), { e: res.position.epoch, s: '1' });
    assert.ok((await r.ttl(`${p}.result.news.k1`)) > 290, 'idempotency result lives 5 minutes');
    assert.ok((await r.ttl(`${p}.stream.news`)) > 50, 'stream TTL is the history TTL');
  });

  it('publications, deltas, joins and leaves travel in the __p1/__d1/__j__/__l__ envelopes', async () => {
    const p = prefix();
    const { broker: e, events } = await startRedis([redisUrl()], p);
    const sub = client(redisUrl());
    const seen: Buffer[] = [];
    sub.on('messageBuffer', (_ch: Buffer, msg: Buffer) => seen.push(msg));
    await sub.subscribe(`${p}.client.env`);
    await e.subscribe(['env']);
    const first = await e.publish('env', Buffer.from('one'), HISTORY);
    await e.publish('env', Buffer.from('two'), { ...HISTORY, delta: true });
    await e.publishJoin('env', { user: 'u', client: 'c' });
    await e.publishLeave('env', { user: 'u', client: 'c' });
    await events.waitFor(() => seen.length === 4 && events.leaves.length === 1, 'four messages');
    assert.ok(seen[0]!.toString('latin1').startsWith(`__p1:1:${first.position.epoch}__`));
    assert.ok(seen[1]!.toString('latin1').startsWith(`__d1:2:${first.position.epoch}:`));
    assert.ok(seen[2]!.toString('latin1').startsWith('__j__'));
    assert.ok(seen[3]!.toString('latin1').startsWith('__l__'));
    const delivered = events.on('env');
    assert.equal(delivered[1]!.delta, true);
    assert.equal(delivered[1]!.prev?.data.toString(), 'one', 'the delta base comes with the publication');
    assert.equal(delivered[1]!.prev?.offset, 1);
    assert.equal(events.joins[0]!.info.user, 'u');
  });

  it('presence lives in a hash and an expiry sorted set; expired entries are dropped on read', async () => {
    const p = prefix();
    const { presence: e } = await startRedis([redisUrl()], p);
    const r = client(redisUrl());
    await e.addPresence('room', 'c1', { user: 'u1', client: 'c1', connInfo: Buffer.from('{"n":1}') });
    await e.addPresence('room', 'c2', { user: 'u1', client: 'c2' });
    assert.deepEqual((await r.hkeys(`${p}.presence.data.room`)).sort(), ['c1', 'c2']);
    assert.equal(await r.zcard(`${p}.presence.expire.room`), 2);
    // c2's entry expired long ago (as if its node died without removing it).
    await r.zadd(`${p}.presence.expire.room`, 1, 'c2');
    const map = await e.presence('room');
    assert.deepEqual([...map.keys()], ['c1']);
    assert.equal(map.get('c1')!.connInfo?.toString(), '{"n":1}');
    assert.deepEqual(await e.presenceStats('room'), { numClients: 1, numUsers: 1 });
    assert.deepEqual(await r.hkeys(`${p}.presence.data.room`), ['c1']);
  });
});

describe('Redis engine: edges', () => {
  it('an idempotency window of 0 means the default, not "expire at once"', async () => {
    const { broker: e } = await startRedis([redisUrl()], prefix());
    const o = { ...HISTORY, idempotencyKey: 'k0', idempotentResultTtlMs: 0 };
    const first = await e.publish('ttl0', Buffer.from('x'), o);
    const again = await e.publish('ttl0', Buffer.from('x'), o);
    assert.equal(again.suppressed, true);
    assert.deepEqual(again.position, first.position);
  });

  it('offsets past 1e14 are written as integers (not 1e+14) in stream IDs and envelopes', async () => {
    const p = prefix();
    const { broker: e, events } = await startRedis([redisUrl()], p);
    const r = client(redisUrl());
    await e.subscribe(['big']);
    const first = await e.publish('big', Buffer.from('a'), HISTORY);
    await r.hset(`${p}.stream.meta.big`, 's', '99999999999999');
    const res = await e.publish('big', Buffer.from('b'), HISTORY);
    assert.equal(res.position.offset, 100000000000000);
    assert.equal(res.position.epoch, first.position.epoch);
    const last = await r.xrevrange(`${p}.stream.big`, '+', '-', 'COUNT', 1);
    assert.equal(last[0]![0], '100000000000000-0');
    await events.waitForPublications('big', 2);
    assert.equal(events.on('big')[1]!.position.offset, 100000000000000);
  });
});

describe('Redis engine: several nodes on one Redis', () => {
  it('a publication through node A reaches node B; history and idempotency are shared', async () => {
    const p = prefix();
    const a = await startRedis([redisUrl()], p);
    const b = await startRedis([redisUrl()], p);
    await b.broker.subscribe(['shared']);
    const first = await a.broker.publish('shared', Buffer.from('x'), { ...HISTORY, idempotencyKey: 'once' });
    const again = await b.broker.publish('shared', Buffer.from('x'), { ...HISTORY, idempotencyKey: 'once' });
    assert.equal(again.suppressed, true, 'the same key through another node is a duplicate');
    assert.deepEqual(again.position, first.position);
    await b.events.waitForPublications('shared', 1);
    const hist = await b.broker.history('shared', { limit: -1 }, { historyMetaTtlMs: 300_000 });
    assert.deepEqual(
      hist.publications.map((x) => x.data.toString()),
      ['x'],
    );
    // Nothing more arrives: a sentinel publication is next in order.
    await a.broker.publish('shared', Buffer.from('sentinel'), HISTORY);
    const got = await b.events.waitForPublications('shared', 2);
    assert.deepEqual(
      got.map((d) => d.pub.data.toString()),
      ['x', 'sentinel'],
    );
  });

  it('control messages reach every node, or just the addressed one', async () => {
    const p = prefix();
    const a = await startRedis([redisUrl()], p);
    const b = await startRedis([redisUrl()], p);
    await a.broker.publishControl(Buffer.from('all'));
    await a.broker.publishControl(Buffer.from('to-b'), b.events.id);
    await b.events.waitFor(() => b.events.controls.length === 2, 'two control messages on B');
    await a.events.waitFor(() => a.events.controls.length === 1, 'the broadcast on A too');
    assert.deepEqual(b.events.controls.map(String), ['all', 'to-b']);
    assert.deepEqual(a.events.controls.map(String), ['all']);
  });

  it('a malformed message on a channel is dropped and counted by what it claimed to be; the next one is delivered', async () => {
    const p = prefix();
    ownRedisKeys(redisUrl(), p);
    const metrics = new Metrics({ defaultMetrics: false });
    const e = new RedisBroker(new RedisShards(redisOptions({ address: [redisUrl()], prefix: p }), silentLogger(), new RedisMetrics(metrics)));
    const events = new RecordingHandler();
    await e.start(events);
    opened.push(e);
    await e.subscribe(['bad']);
    const r = client(redisUrl());
    await r.publish(`${p}.client.bad`, '__d1:xx:garbage');
    await r.publish(`${p}.client.bad`, Buffer.from([0x22, 0xff, 0xff]));
    await r.publish(`${p}.client.bad`, Buffer.concat([Buffer.from('__j__'), Buffer.from([0x0a, 0x7f])]));
    await e.publish('bad', Buffer.from('fine'), HISTORY);
    await events.waitForPublications('bad', 1);
    assert.equal(events.on('bad')[0]!.pub.data.toString(), 'fine');
    assert.equal(e.stats.malformedMessages, 3);
    const counted = (await corruptMessagesCounter(metrics).get()).values.map((v) => [v.labels.broker, v.labels.kind, v.value]);
    assert.deepEqual(counted, [
      ['redis', 'publication', 2],
      ['redis', 'join', 1],
    ]);
  });
});

describe('Redis engine: sharding', () => {
  it('jump consistent hash: stable, in range, and moves few keys when a shard is added', () => {
    assert.equal(jumpConsistentHash(0n, 1), 0);
    assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
    assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
    let moved = 0;
    for (let i = 0; i < 2000; i++) {
      const ch = `ch${i}`;
      const two = shardIndex(ch, 2);
      const three = shardIndex(ch, 3);
      assert.ok(two === 0 || two === 1);
      if (two !== three) {
        moved++;
        assert.equal(three, 2, 'a key only ever moves to the new shard');
      }
    }
    assert.ok(moved > 500 && moved < 850, `about a third move (${moved})`);
  });

  it('channels spread over two Redis instances; each channel keeps its stream on one', async () => {
    const p = prefix();
    const { broker: e, events } = await startRedis([redisUrl(), secondRedisUrl()], p);
    const channels = Array.from({ length: 20 }, (_, i) => `s${i}`);
    await e.subscribe(channels);
    for (const ch of channels) await e.publish(ch, Buffer.from(ch), HISTORY);
    await events.waitFor(() => events.publications.length === channels.length, 'every publication delivered');
    const r1 = client(redisUrl());
    const r2 = client(secondRedisUrl());
    let one = 0;
    let two = 0;
    for (const ch of channels) {
      const onFirst = (await r1.exists(`${p}.stream.${ch}`)) === 1;
      const onSecond = (await r2.exists(`${p}.stream.${ch}`)) === 1;
      assert.notEqual(onFirst, onSecond, `${ch} lives on exactly one shard`);
      assert.equal(onSecond, shardIndex(ch, 2) === 1);
      if (onFirst) one++;
      else two++;
    }
    assert.ok(one > 0 && two > 0, `both shards used (${one}/${two})`);
  });
});

describe('Redis engine: configuration', () => {
  it('names the key of every problem', () => {
    const r = parseRedisOptions({ address: ['ftp://x'], db: 'x', tls: 3 });
    assert.deepEqual(r.problems.map((p) => p.key).sort(), ['engine.redis.db', 'engine.redis.tls']);
    const s = parseRedisOptions({ sentinel_address: ['127.0.0.1:26379'] });
    assert.match(s.problems[0]!.reason, /sentinel_master_name/);
    const u = parseRedisOptions({ address: 'ftp://x' });
    assert.match(u.problems[0]!.reason, /unsupported scheme/);
  });

  it('reads Centrifugo address forms', () => {
    const r = parseRedisOptions({
      address: ['redis://:secret@10.0.0.1:6380/2', 'rediss://user:pw@host', '10.0.0.3:7000', 'unix:///tmp/redis.sock?db=3'],
    });
    assert.deepEqual(r.problems, []);
    const [a, b, c, d] = r.options!.shards;
    assert.deepEqual(a, {
      kind: 'standalone',
      host: '10.0.0.1',
      port: 6380,
      db: 2,
      user: '',
      password: 'secret',
      tls: false,
      label: 'redis://10.0.0.1:6380/2',
    });
    assert.equal(b!.kind === 'standalone' && b!.tls && b!.user === 'user' && b!.port === 6379, true);
    assert.equal(c!.kind === 'standalone' && c!.port === 7000, true);
    assert.equal(d!.kind === 'standalone' && d!.path === '/tmp/redis.sock' && d!.db === 3, true);
    const cl = parseRedisOptions({ address: ['redis+cluster://a:7000?addr=b:7001'] });
    assert.deepEqual(cl.options!.shards[0], {
      kind: 'cluster',
      seeds: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      user: '',
      password: '',
      tls: false,
      label: 'redis+cluster://a:7000?addr=b:7001',
    });
    const sen = parseRedisOptions({ sentinel_address: ['s1:26379', 's2'], sentinel_master_name: 'mymaster' });
    assert.equal(sen.options!.shards.length, 1);
    assert.equal(sen.options!.shards[0]!.kind, 'sentinel');
  });

  it('refuses to start against an unreachable Redis, naming the address and the cause', async () => {
    const parsed = parseRedisOptions({ address: ['redis://127.0.0.1:1'], prefix: prefix() });
    const e = redisBroker(parsed.options!);
    await assert.rejects(e.start(new RecordingHandler()), /redis:\/\/127\.0\.0\.1:1: cannot connect \(.*ECONNREFUSED/);
  });
});

describe('Redis engine: Redis goes away and comes back', () => {
  const PORT = '16381';
  const script = (cmd: string) => spawnSync('bash', ['scripts/services/redis.sh', cmd, PORT], { encoding: 'utf8' });

  it('publishes fail fast with the retryable error, health says so, and subscribers hear about the gap', async () => {
    const up = script('ensure');
    assert.equal(up.status, 0, up.stderr);
    const url = up.stdout.trim().split('\n').pop()!;
    const { broker: e, presence, events } = await startRedis([url], prefix());
    await e.subscribe(['gap1', 'gap2']);
    assert.equal(e.health().healthy, true);
    assert.equal(presence.health().healthy, true);

    assert.equal(script('stop').status, 0);
    await events.waitFor(() => !e.health().healthy, 'health to turn unhealthy');
    const started = Date.now();
    await assert.rejects(e.publish('gap1', Buffer.from('lost?'), HISTORY), (err: unknown) => err instanceof EngineUnavailableError);
    assert.ok(Date.now() - started < 1000, 'no waiting in an offline queue');
    assert.match(e.health().detail ?? '', /127\.0\.0\.1:16381/);
    // The presence manager on the same shards is down too, and says so in the same words.
    await events.waitFor(() => !presence.health().healthy, 'presence health to turn unhealthy');
    assert.match(presence.health().detail ?? '', /127\.0\.0\.1:16381/);
    await assert.rejects(presence.addPresence('gap1', 'c1', { user: 'u', client: 'c1' }), (err: unknown) => err instanceof EngineUnavailableError);
    assert.deepEqual(engineHealth({ broker: e, presenceManager: presence }), e.health(), '/health reports the shared shard once');

    assert.equal(script('ensure').status, 0);
    await events.waitFor(() => e.health().healthy, 'health back', 10_000);
    await events.waitFor(() => presence.health().healthy, 'presence health back', 10_000);
    await presence.addPresence('gap1', 'c1', { user: 'u', client: 'c1' });
    await events.waitFor(() => events.gaps.length === 1, 'the gap reported', 5000);
    assert.deepEqual([...events.gaps[0]!].sort(), ['gap1', 'gap2']);
    // PUB/SUB works again.
    await e.publish('gap2', Buffer.from('after'), HISTORY);
    await events.waitForPublications('gap2', 1);
    await e.close();
    await presence.close();
    await deleteOwnRedisKeys(url);
    script('stop');
  });
});
