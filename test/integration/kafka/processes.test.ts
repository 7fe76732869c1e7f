// A Tributary process killed with SIGKILL in the middle of a Kafka stream and
// started again: every message is delivered, and the derived idempotency key
// (topic:partition:offset) keeps the records replayed from the last committed
// offset out of history. The Redis engine keeps history and idempotency
// results across the restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Admin, Producer } from 'kafkajs';
import { idsInOrder } from '../../helpers/lean-subscriber.js';
import { api, spawnTributary, waitFor, writeConfig, type Proc } from '../../helpers/process.js';
import { redisUrl } from '../../helpers/redis.js';
import { API_KEY, SECRET } from '../../helpers/server.js';
import { cleanUp, createTopic, kafka, kafkaBrokers, newProducer, ownKafkaGroups, ownRedisPrefix, uniqueName } from './helpers.js';

let admin: Admin;
let producer: Producer;
const procs: Proc[] = [];
before(async () => {
  admin = kafka().admin();
  await admin.connect();
  producer = await newProducer();
});
after(async () => {
  for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await producer.disconnect();
  await admin.disconnect();
  // The topic, the consumer group and the Redis keys of the engine prefix.
  await cleanUp();
});

const PARTITIONS = 6;

async function top(httpUrl: string, channel: string): Promise<number> {
  const r = await api(httpUrl, 'history', { channel, limit: 0 });
  return r.result?.offset ?? 0;
}

describe('Kafka: kill -9 mid-stream', () => {
  it('after a restart every message is in history exactly once, in order per partition', async (t) => {
    const topic = uniqueName('kill');
    await createTopic(admin, topic, PARTITIONS);
    const channels = Array.from({ length: PARTITIONS }, (_, p) => `kkill${p}`);
    const group = uniqueName('g');
    ownKafkaGroups(kafkaBrokers(), group);
    const file = writeConfig({
      http_server: { port: 0, address: '127.0.0.1' },
      log: { level: 'info' },
      engine: { type: 'redis', redis: { address: [redisUrl()], prefix: ownRedisPrefix(redisUrl(), 'kkill') } },
      client: { token: { hmac_secret_key: SECRET } },
      http_api: { key: API_KEY },
      channel: { without_namespace: { allow_subscribe_for_client: true, history_size: 100_000, history_ttl: '600s' } },
      consumers: [
        {
          name: 'k_killed',
          enabled: true,
          type: 'kafka',
          kafka: { brokers: kafkaBrokers(), topics: [topic], consumer_group: group, session_timeout: '6s' },
        },
      ],
    });
    const total = 30_000;
    for (let from = 0; from < total; from += 2000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 2000 }, (_, k) => {
          const i = from + k;
          return { partition: i % PARTITIONS, value: JSON.stringify({ method: 'publish', payload: { channel: `kkill${i % PARTITIONS}`, data: { i } } }) };
        }),
      });
    }

    const first = await spawnTributary(file);
    procs.push(first);
    await waitFor(
      async () => (await Promise.all(channels.map((c) => top(first.httpUrl, c)))).reduce((a, b) => a + b, 0) >= total * 0.4,
      60_000,
      '40% of the stream published',
      10,
    );
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = await spawnTributary(file);
    procs.push(second);
    const tops = async () => (await Promise.all(channels.map((c) => top(second.httpUrl, c)))).reduce((a, b) => a + b, 0);
    const atRestart = await tops();
    assert.ok(atRestart < total, `the kill came mid-stream (${atRestart} published)`);
    await waitFor(async () => (await tops()) >= total, 90_000, 'every message published', 100);

    const seen = new Set<number>();
    for (const [p, channel] of channels.entries()) {
      const r = await api(second.httpUrl, 'history', { channel, limit: -1 });
      const pubs = r.result.publications as { data: { i: number }; offset: number }[];
      const { ids, ordered } = idsInOrder(pubs);
      assert.ok(ordered, `partition ${p}: out of order`);
      assert.deepEqual(
        pubs.map((x) => x.offset),
        pubs.map((_, j) => j + 1),
        `partition ${p}: offsets 1..n`,
      );
      for (const i of ids) {
        assert.ok(!seen.has(i), `message ${i} twice in history`);
        seen.add(i);
      }
    }
    assert.equal(seen.size, total, 'every message once');
    // Records past the last committed offset came again and were dropped by their derived key.
    const metrics = await (await fetch(`${second.httpUrl}/metrics`)).text();
    const replayed = Number(/centrifugo_broker_publish_suppressed_count (\d+)/.exec(metrics)?.[1] ?? 0);
    t.diagnostic(`killed after ${atRestart} of ${total} published; ${replayed} replayed records deduplicated; history holds each exactly once`);
    assert.equal(await second.stop(), 0);
  });
});
