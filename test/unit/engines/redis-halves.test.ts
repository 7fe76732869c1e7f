// The Redis broker and presence manager as separate halves: a presence
// manager uses only command connections (no PUB/SUB link, no subscription),
// and a pair built on one RedisShards shares one command connection per shard
// until the last of them closes. Checked on the Redis server itself
// (CLIENT LIST, PUBSUB), never on a mock.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RecordingHandler } from '../../broker-suite.js';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { RedisBroker } from '../../../src/engines/redis/redis-broker.js';
import { RedisMetrics } from '../../../src/engines/redis/metrics.js';
import { RedisPresenceManager } from '../../../src/engines/redis/redis-presence-manager.js';
import { RedisShards } from '../../../src/engines/redis/shards.js';
import { Metrics } from '../../../src/metrics.js';
import { redisBroker, redisOptions, redisPair, redisPresenceManager } from '../../helpers/redis-engines.js';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';

const admin = new Redis(redisUrl());
/** Everything a test started, closed at the end even when an assertion failed midway. */
const opened: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const o of opened.reverse()) await o.close();
  admin.disconnect();
  await cleanUp();
});

function track<T extends { close(): Promise<void> }>(half: T): T {
  opened.push(half);
  return half;
}

interface ClientEntry {
  name: string;
  flags: string;
  sub: number;
  ssub: number;
  psub: number;
}

/** The connections whose name starts with `name` (client_name, then -cmd or -sub). */
async function connections(name: string): Promise<ClientEntry[]> {
  const list = (await admin.call('client', 'list')) as string;
  return list
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(
      (line) =>
        new Map(
          line
            .trim()
            .split(' ')
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        ),
    )
    .filter((c) => (c.get('name') ?? '').startsWith(`${name}-`))
    .map((c) => ({
      name: c.get('name')!,
      flags: c.get('flags') ?? '',
      sub: Number(c.get('sub') ?? 0),
      ssub: Number(c.get('ssub') ?? 0),
      psub: Number(c.get('psub') ?? 0),
    }));
}

function subscriberConnections(list: ClientEntry[]): ClientEntry[] {
  return list.filter((c) => c.flags.includes('P') || c.sub > 0 || c.ssub > 0 || c.psub > 0 || c.name.endsWith('-sub'));
}

/** Polls: connections opened or closed by ioredis show up on the server a moment later. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function unique(): { prefix: string; name: string } {
  const prefix = ownRedisPrefix(redisUrl(), 'halves');
  return { prefix, name: prefix };
}

describe('Redis presence manager and broker as halves', () => {
  it('a presence manager on its own opens one command connection and no PUB/SUB connection', async () => {
    const { prefix, name } = unique();
    const presence = track(redisPresenceManager(redisOptions({ address: [redisUrl()], prefix, client_name: name })));
    await presence.start();
    await presence.addPresence('room', 'c1', { user: 'u', client: 'c1' });
    assert.equal((await presence.presence('room')).size, 1);
    const conns = await connections(name);
    assert.deepEqual(
      conns.map((c) => c.name),
      [`${name}-cmd`],
    );
    assert.deepEqual(subscriberConnections(conns), [], 'no connection in subscriber mode');
    assert.deepEqual(await admin.call('pubsub', 'channels', `${prefix}.*`), [], 'nothing of this prefix is subscribed');
    assert.deepEqual(await admin.call('pubsub', 'numsub', `${prefix}.control`), [`${prefix}.control`, 0]);
    assert.equal(presence.health().healthy, true);
    await presence.close();
    await until('the command connection to close', async () => (await connections(name)).length === 0);
  });

  it('a broker and a presence manager on one RedisShards share the command connection; only the broker subscribes', async () => {
    const { prefix, name } = unique();
    const { broker, presenceManager } = redisPair(redisOptions({ address: [redisUrl()], prefix, client_name: name }));
    track(presenceManager);
    track(broker);
    const events = new RecordingHandler();
    await presenceManager.start();
    await until('the presence manager connection', async () => (await connections(name)).length === 1);
    assert.deepEqual(subscriberConnections(await connections(name)), []);

    await broker.start(events);
    await until('the broker PUB/SUB connection', async () => (await connections(name)).length === 2);
    const conns = await connections(name);
    assert.deepEqual(conns.map((c) => c.name).sort(), [`${name}-cmd`, `${name}-sub`], 'one command connection for both halves');
    assert.deepEqual(
      subscriberConnections(conns).map((c) => c.name),
      [`${name}-sub`],
    );
    assert.deepEqual(await admin.call('pubsub', 'numsub', `${prefix}.control`), [`${prefix}.control`, 1]);

    // The broker leaving takes its PUB/SUB link, not the presence manager's command link.
    await broker.close();
    await until('the PUB/SUB connection to close', async () => (await connections(name)).length === 1);
    assert.deepEqual(
      (await connections(name)).map((c) => c.name),
      [`${name}-cmd`],
    );
    await presenceManager.addPresence('room', 'c1', { user: 'u', client: 'c1' });
    assert.deepEqual(await presenceManager.presenceStats('room'), { numClients: 1, numUsers: 1 });
    assert.equal(presenceManager.health().healthy, true);

    await presenceManager.close();
    await until('every connection to close', async () => (await connections(name)).length === 0);
  });

  it('a broker and a presence manager on shards of their own each open their command connection', async () => {
    const { prefix, name } = unique();
    const options = redisOptions({ address: [redisUrl()], prefix, client_name: name });
    const broker = track(redisBroker(options));
    const presence = track(redisPresenceManager(options));
    await broker.start(new RecordingHandler());
    await presence.start();
    await until('three connections', async () => (await connections(name)).length === 3);
    assert.deepEqual((await connections(name)).map((c) => c.name).sort(), [`${name}-cmd`, `${name}-cmd`, `${name}-sub`]);
  });

  it('a presence manager refuses to start against an unreachable Redis, naming the address and the cause', async () => {
    const presence = track(redisPresenceManager(redisOptions({ address: ['redis://127.0.0.1:1'], prefix: unique().prefix })));
    await assert.rejects(presence.start(), /redis:\/\/127\.0\.0\.1:1: cannot connect \(.*ECONNREFUSED/);
  });

  it('a broker without its PUB/SUB link is unhealthy, even while a presence manager keeps the command link up', async () => {
    const { prefix, name } = unique();
    const { broker, presenceManager } = redisPair(redisOptions({ address: [redisUrl()], prefix, client_name: name }));
    track(presenceManager);
    track(broker);
    await presenceManager.start();
    assert.equal(presenceManager.health().healthy, true);
    assert.equal(broker.health().healthy, false, 'not started: nothing published would reach anyone');
    await broker.start(new RecordingHandler());
    assert.equal(broker.health().healthy, true);
    await broker.close();
    assert.equal(broker.health().healthy, false);
    assert.equal(presenceManager.health().healthy, true);
  });

  it('start and close called together leave nothing held, and a second start opens one PUB/SUB link', async () => {
    const { prefix, name } = unique();
    const { broker, presenceManager } = redisPair(redisOptions({ address: [redisUrl()], prefix, client_name: name }));
    track(presenceManager);
    track(broker);
    await Promise.all([broker.start(new RecordingHandler()), broker.close(), presenceManager.start(), presenceManager.close()]);
    await until('every connection to close', async () => (await connections(name)).length === 0);

    await Promise.all([broker.start(new RecordingHandler()), broker.start(new RecordingHandler())]);
    await until('the broker connections', async () => (await connections(name)).length === 2);
    assert.equal(subscriberConnections(await connections(name)).length, 1, 'one PUB/SUB link');
    await broker.close();
    await until('every connection to close', async () => (await connections(name)).length === 0);
  });

  it('shards closed by their last user open again for the next one', async () => {
    const { prefix, name } = unique();
    const { broker, presenceManager } = redisPair(redisOptions({ address: [redisUrl()], prefix, client_name: name }));
    track(presenceManager);
    track(broker);
    await presenceManager.start();
    await presenceManager.close();
    await presenceManager.start();
    assert.equal(presenceManager.health().healthy, true);
    await presenceManager.addPresence('room', 'c1', { user: 'u', client: 'c1' });
    assert.equal((await presenceManager.presence('room')).size, 1);
    await presenceManager.close();
    await broker.start(new RecordingHandler());
    assert.equal(broker.health().healthy, true);
  });

  it('closing a broker is not a lost PUB/SUB link: no warning, no error counted', async () => {
    const { prefix, name } = unique();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const metrics = new Metrics({ defaultMetrics: false });
    const shards = new RedisShards(
      redisOptions({ address: [redisUrl()], prefix, client_name: name }),
      pino({ level: 'warn' }, sink),
      new RedisMetrics(metrics),
    );
    const broker = track(new RedisBroker(shards));
    const presence = track(new RedisPresenceManager(shards));
    await presence.start();
    await broker.start(new RecordingHandler());
    await broker.close();
    await until('the PUB/SUB connection to close', async () => (await connections(name)).length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      lines.filter((l) => l.includes('PUB/SUB')),
      [],
    );
    const text = await metrics.registry.getSingleMetricAsString('centrifugo_broker_redis_pub_sub_errors');
    assert.doesNotMatch(text, /connection_lost/);
    assert.match(await metrics.registry.getSingleMetricAsString('tributary_redis_link_up'), /link="pubsub"} 0/);
  });
});
