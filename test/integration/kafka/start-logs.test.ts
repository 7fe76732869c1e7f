// What an operator reads while a consumer waits for its topic: one warning,
// not one per retry, no kafkajs error lines, and no partitioner warning from
// the dead-letter producer.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { Metrics } from '../../../src/metrics.js';
import { Server } from '../../../src/server.js';
import { CONSUMER_TEST_CHANNELS } from '../../helpers/consumer-server.js';
import { testConfig } from '../../helpers/server.js';
import { cleanUp, kafkaBrokers, kafkaConsumerConfig, ownKafkaTopics, uniqueName } from './helpers.js';

// The topics are never created on purpose; deleted should a metadata request have made them.
after(cleanUp);

describe('Kafka: start-up logs', () => {
  it('a topic that does not exist yet is said once, at warn, while retries go on', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const topic = uniqueName('missing');
    const deadLetterTopic = uniqueName('dl');
    ownKafkaTopics(kafkaBrokers(), topic, deadLetterTopic);
    const config = testConfig({
      channel: CONSUMER_TEST_CHANNELS as never,
      consumers: [kafkaConsumerConfig('k_missing', { topics: [topic], dead_letter_topic: deadLetterTopic })] as never,
    });
    const server = new Server(config, { logger, metrics: new Metrics({ defaultMetrics: false }) });
    await server.start();
    try {
      // Retries come every second at first: three seconds would have logged three or more lines before.
      await new Promise((r) => setTimeout(r, 3500));
    } finally {
      await server.stop();
    }
    const waiting = lines.filter((l) => /waiting for the Kafka topics to exist/.test(l.msg));
    assert.equal(waiting.length, 1, lines.map((l) => l.msg).join('\n'));
    assert.equal(waiting[0]!.level, 40, 'warn');
    assert.deepEqual(
      lines.filter((l) => l.level >= 50),
      [],
      'no error lines',
    );
    assert.deepEqual(
      lines.filter((l) => /partitioner/i.test(l.msg)),
      [],
      'no kafkajs partitioner warning',
    );
  });
});
