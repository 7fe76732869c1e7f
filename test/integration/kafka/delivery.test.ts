// The Kafka consumer against a real broker and the official SDK: every
// message format reaches the client; 10,000 messages over 6 partitions keep
// their order per partition and none is lost; a partition stuck on a
// retryable failure does not hold back the others; a poison message goes to
// the dead-letter topic and its partition goes on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Admin, Producer } from 'kafkajs';
import { redisOptions as parseRedisOptions } from '../../helpers/config.js';
import { idsInOrder, LeanSubscriber } from '../../helpers/lean-subscriber.js';
import { api, waitFor } from '../../helpers/process.js';
import { redisPair } from '../../helpers/redis-engines.js';
import { redisUrl } from '../../helpers/redis.js';
import { dataOf, subscribedClient } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import {
  cleanUp,
  createTopic,
  kafka,
  kafkaBrokers,
  kafkaConsumerConfig,
  newProducer,
  ownKafkaGroups,
  ownRedisPrefix,
  startKafkaServer,
  uniqueName,
  type KafkaServer,
} from './helpers.js';

let admin: Admin;
let producer: Producer;
before(async () => {
  admin = kafka().admin();
  await admin.connect();
  producer = await newProducer();
});
after(async () => {
  await producer.disconnect();
  await admin.disconnect();
  // Topics, consumer groups and the Redis keys of the failure test.
  await cleanUp();
});

function subscribe(wsUrl: string, channel: string) {
  return subscribedClient(wsUrl, channel, 'kafka-user', token);
}

describe('Kafka: produce → the SDK client receives, in every message format', () => {
  let srv: KafkaServer;
  const commands = uniqueName('cmd');
  const pubdata = uniqueName('pdm');
  before(async () => {
    await createTopic(admin, commands, 3);
    await createTopic(admin, pubdata, 1);
    srv = await startKafkaServer([
      kafkaConsumerConfig('k_commands', { topics: [commands] }),
      kafkaConsumerConfig('k_pubdata', { topics: [pubdata], publication_data_mode: { enabled: true } }),
    ]);
  });
  after(() => srv.stop());

  it('a {method, payload} envelope', async () => {
    const { client, pubs } = await subscribe(srv.wsUrl, 'kenv');
    await producer.send({ topic: commands, messages: [{ value: JSON.stringify({ method: 'publish', payload: { channel: 'kenv', data: { n: 1 } } }) }] });
    await waitFor(() => pubs.length === 1, 15_000, 'the envelope publication');
    assert.deepEqual(dataOf(pubs[0].data), { n: 1 });
    client.disconnect();
  });

  it('the method in a header, the bare request as the value', async () => {
    const { client, pubs } = await subscribe(srv.wsUrl, 'khdr');
    await producer.send({ topic: commands, messages: [{ value: '{"channel":"khdr","data":{"n":2}}', headers: { 'centrifugo-method': 'publish' } }] });
    await waitFor(() => pubs.length === 1, 15_000, 'the header-mode publication');
    assert.deepEqual(dataOf(pubs[0].data), { n: 2 });
    client.disconnect();
  });

  it('publication data mode: data verbatim, channels and idempotency key from headers', async () => {
    const { client, pubs } = await subscribe(srv.wsUrl, 'kpdm1');
    const second = await subscribe(srv.wsUrl, 'kpdm2');
    const headers = { 'centrifugo-channels': 'kpdm1,kpdm2', 'centrifugo-idempotency-key': 'evt-1', 'centrifugo-tag-kind': 'test' };
    await producer.send({
      topic: pubdata,
      messages: [
        { value: '{"x": 1}', headers },
        { value: '{"x": 1}', headers },
      ],
    });
    // A bad header can never work: logged, counted, and the partition goes on.
    await producer.send({ topic: pubdata, messages: [{ value: '{"x": 9}', headers: { 'centrifugo-channels': 'kpdm1', 'centrifugo-delta': 'maybe' } }] });
    await producer.send({ topic: pubdata, messages: [{ value: '{"x": 2}', headers: { 'centrifugo-channels': 'kpdm1' } }] });
    await waitFor(() => pubs.length === 2 && second.pubs.length === 1, 15_000, 'the publications');
    assert.deepEqual(
      pubs.map((p) => dataOf(p.data)),
      [{ x: 1 }, { x: 2 }],
      'the duplicate key was published once',
    );
    assert.deepEqual(pubs[0].tags, { kind: 'test' });
    const h = await api(srv.httpUrl, 'history', { channel: 'kpdm1', limit: -1 });
    assert.equal(h.result.publications.length, 2);
    const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    assert.match(metrics, /tributary_kafka_messages_dead_lettered_total\{consumer_name="k_pubdata"[^}]*\} 1/);
    client.disconnect();
    second.client.disconnect();
  });
});

describe('Kafka: 10,000 messages over 6 partitions', () => {
  it('reach the client in order per partition, none lost', async (t) => {
    const topic = uniqueName('bulk');
    await createTopic(admin, topic, 6);
    const srv = await startKafkaServer([kafkaConsumerConfig('k_bulk', { topics: [topic] })]);
    const channels = Array.from({ length: 6 }, (_, p) => `kbulk${p}`);
    const sub = await LeanSubscriber.open(srv.wsUrl, channels);
    const total = 10_000;
    const started = Date.now();
    for (let from = 0; from < total; from += 1000) {
      const messages = Array.from({ length: 1000 }, (_, k) => {
        const i = from + k;
        const p = i % 6;
        return { partition: p, value: JSON.stringify({ method: 'publish', payload: { channel: `kbulk${p}`, data: { i } } }) };
      });
      await producer.send({ topic, messages });
    }
    await waitFor(() => sub.total >= total, 60_000, `${total} publications`);
    const ms = Date.now() - started;
    channels.forEach((ch, p) => {
      const got = sub.received.get(ch)!;
      assert.ok(idsInOrder(got).ordered, `${ch}: out of order`);
      assert.equal(got.length, Math.floor((total - 1 - p) / 6) + 1, `${ch}: count`);
    });
    assert.equal(sub.total, total);
    t.diagnostic(`${total} messages produced and delivered in ${ms} ms`);
    sub.close();
    await srv.stop();
  });
});

describe('Kafka: failures', () => {
  it('a partition stuck on a retryable failure does not hold back the others; a poison message is dead-lettered', async (t) => {
    const topic = uniqueName('fail');
    const dlq = `${topic}-dlq`;
    await createTopic(admin, topic, 3);
    await createTopic(admin, dlq, 1);
    // A real internal error on one channel: its Redis stream meta key holds the wrong type.
    const prefix = ownRedisPrefix(redisUrl(), 'kfail');
    const redis = new Redis(redisUrl());
    await redis.set(`${prefix}.stream.meta.kstuck`, 'not a hash');
    const parsed = parseRedisOptions({ address: [redisUrl()], prefix });
    const srv = await startKafkaServer([kafkaConsumerConfig('k_fail', { topics: [topic], dead_letter_topic: dlq })], redisPair(parsed.options!));
    const sub = await LeanSubscriber.open(srv.wsUrl, ['kstuck', 'kp0', 'kp1', 'kp2']);
    const pub = (channel: string, i: number) => JSON.stringify({ method: 'publish', payload: { channel, data: { i } } });

    await producer.send({
      topic,
      messages: [
        { partition: 0, value: pub('kstuck', 0) },
        { partition: 0, value: pub('kp0', 1) },
        { partition: 2, value: '{not json', headers: { trace: 'poison-1' } },
        { partition: 2, value: '{"method":"no_such_method","payload":{}}' },
        { partition: 2, value: pub('kp2', 2) },
        ...Array.from({ length: 20 }, (_, k) => ({ partition: 1, value: pub('kp1', 10 + k) })),
      ],
    });
    await waitFor(() => sub.received.get('kp1')!.length === 20 && sub.received.get('kp2')!.length === 1, 20_000, 'partitions 1 and 2 flowing');
    assert.equal(sub.received.get('kp0')!.length, 0, 'partition 0 waits behind its failing record');
    assert.equal(sub.received.get('kstuck')!.length, 0);

    // The poison message is in the dead-letter topic with the reason.
    const readerGroup = uniqueName('dlq-reader');
    ownKafkaGroups(kafkaBrokers(), readerGroup);
    const reader = kafka().consumer({ groupId: readerGroup });
    await reader.connect();
    await reader.subscribe({ topics: [dlq], fromBeginning: true });
    const dead: { value: string; headers: Record<string, string> }[] = [];
    void reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        dead.push({ value: String(message.value), headers });
      },
    });
    await waitFor(() => dead.length === 2, 20_000, 'the dead letters');
    await reader.disconnect();
    assert.equal(dead[0]!.value, '{not json');
    assert.match(dead[1]!.headers['tributary-error']!, /unsupported method "no_such_method"/);
    assert.equal(dead[0]!.headers['trace'], 'poison-1', 'original headers kept');
    assert.equal(dead[0]!.headers['tributary-source-topic'], topic);
    assert.equal(dead[0]!.headers['tributary-source-partition'], '2');
    assert.match(dead[0]!.headers['tributary-error']!, /not valid JSON/);

    // Fix the cause: partition 0 resumes at the failed record, in order.
    await redis.del(`${prefix}.stream.meta.kstuck`);
    await waitFor(() => sub.received.get('kp0')!.length === 1 && sub.received.get('kstuck')!.length === 1, 20_000, 'partition 0 after the fix');
    const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    const retries = Number(/tributary_kafka_retries_total\{[^}]*partition="0"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
    assert.ok(retries >= 1, 'the retries are counted');
    assert.match(metrics, /tributary_kafka_messages_dead_lettered_total\{[^}]*partition="2"[^}]*\} 2/);
    t.diagnostic(`partition 0 retried ${retries} times`);
    // What the admin UI shows of it.
    const status = await srv.consumer.adminStatus!();
    const k = status.kafka as {
      topics: string[];
      dead_letter_topic: string;
      dead_lettered: number;
      total_lag: number;
      partitions: { topic: string; lag: number }[];
    };
    assert.deepEqual(k.topics, [topic]);
    assert.equal(k.dead_letter_topic, dlq);
    assert.equal(k.dead_lettered, 2);
    assert.ok(status.processed_total >= 25, `processed ${status.processed_total}`);
    assert.ok(k.partitions.length >= 1 && k.partitions.every((p) => p.topic === topic && p.lag >= 0));
    assert.equal(
      k.total_lag,
      k.partitions.reduce((sum, p) => sum + p.lag, 0),
    );
    sub.close();
    await srv.stop();
    redis.disconnect();
  });

  it('an unreachable broker stops the start, naming the consumer and the brokers', async () => {
    await assert.rejects(
      startKafkaServer([
        { name: 'k_nowhere', enabled: true, type: 'kafka', kafka: { brokers: ['127.0.0.1:1'], topics: ['t'], consumer_group: 'g', dial_timeout: '300ms' } },
      ]),
      /consumer "k_nowhere": cannot connect to Kafka at 127\.0\.0\.1:1/,
    );
  });
});

describe('Kafka: a topic that appears later', () => {
  it('the consumer waits for it (staying healthy) and consumes it once it exists', async () => {
    const topic = uniqueName('late');
    const srv = await startKafkaServer([kafkaConsumerConfig('k_late', { topics: [topic] })]);
    const { client, pubs } = await subscribe(srv.wsUrl, 'klate');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await fetch(`${srv.httpUrl}/health`)).status, 200, 'a missing topic is not an outage');
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: [{ value: JSON.stringify({ method: 'publish', payload: { channel: 'klate', data: { late: true } } }) }] });
    await waitFor(() => pubs.length === 1, 30_000, 'the publication from the late topic');
    client.disconnect();
    await srv.stop();
  });
});
