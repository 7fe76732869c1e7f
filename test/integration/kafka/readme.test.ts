// The README's Kafka example against the real broker: its consumer block names
// the broker our script runs, and the records its kcat lines produce (value and
// headers taken from the README) reach a chat:lobby subscriber.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Admin, Producer } from 'kafkajs';
import { generateConfig } from '../../../src/config/documents.js';
import { loadConfig } from '../../../src/config/load.js';
import { REPO_ROOT, readmeBlock, readmeJsonAfter } from '../../helpers/readme.js';
import { dataOf, subscribedClient, waitFor } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { cleanUp, createTopic, kafka, kafkaBrokers, newProducer, ownKafkaGroups, startKafkaServer, uniqueName, type KafkaServer } from './helpers.js';

/** `echo '<value>' | kcat -P -b B -t T [-H k=v]…` lines of the README block, joined across `\` line ends. */
function kcatRecords(block: string): { value: string; headers: Record<string, string>; broker: string }[] {
  const lines = block.replace(/\\\n\s*/g, ' ').split('\n');
  return lines
    .filter((l) => l.startsWith('echo '))
    .map((l) => {
      const value = /^echo '([^']*)'/.exec(l)![1]!;
      const headers = Object.fromEntries([...l.matchAll(/-H ([^=\s]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
      return { value, headers, broker: /-b (\S+)/.exec(l)![1]! };
    });
}

describe('README: publish from Kafka', () => {
  let admin: Admin;
  let producer: Producer;
  let srv: KafkaServer;
  const topic = uniqueName('readme-commands');
  let consumer: Record<string, any>;

  before(async () => {
    admin = kafka().admin();
    await admin.connect();
    producer = await newProducer();
    await createTopic(admin, topic, 1);
    consumer = (readmeJsonAfter('### Publish from Kafka') as { consumers: Record<string, any>[] }).consumers[0]!;
  });

  after(async () => {
    await srv?.stop();
    await producer.disconnect();
    await admin.disconnect();
    await cleanUp();
  });

  it('names the broker scripts/services/kafka.sh runs, in the consumer block and in every kcat line', () => {
    const script = readFileSync(join(REPO_ROOT, 'scripts/services/kafka.sh'), 'utf8');
    const port = /PORT="\$\{TRIBUTARY_KAFKA_PORT:-(\d+)\}"/.exec(script)![1];
    assert.deepEqual(consumer.kafka.brokers, [`127.0.0.1:${port}`]);
    const records = kcatRecords(readmeBlock('kafka'));
    assert.equal(records.length, 2);
    for (const r of records) assert.equal(r.broker, `127.0.0.1:${port}`);
  });

  it('the records of the kcat lines reach a chat:lobby subscriber', async () => {
    const group = uniqueName('readme');
    ownKafkaGroups(kafkaBrokers(), group);
    const block = { ...consumer, kafka: { ...consumer.kafka, brokers: kafkaBrokers(), topics: [topic], consumer_group: group } };
    delete block.kafka.dead_letter_topic; // the README's is a shared name; this test makes no poison records
    assert.deepEqual(loadConfig({ raw: { consumers: [block] }, env: {} }).warnings, []);
    srv = await startKafkaServer([block], { config: { channel: generateConfig().channel } as never });
    const { client, pubs } = await subscribedClient(srv.wsUrl, 'chat:lobby', 'alice', (u) => token(u));
    for (const r of kcatRecords(readmeBlock('kafka'))) await producer.send({ topic, messages: [{ value: r.value, headers: r.headers }] });
    await waitFor(() => pubs.length === 2, 30_000, 'both README records');
    assert.deepEqual(
      pubs.map((p) => dataOf(p.data)),
      [{ text: 'from Kafka' }, { text: 'hi' }],
    );
    client.disconnect();
  });
});
