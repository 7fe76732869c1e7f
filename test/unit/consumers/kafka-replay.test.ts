// A Kafka partition replayed to the same process (a rebalance that hands the
// partition back, a commit that did not land): on a process-local broker the
// consumer keeps no derived idempotency key, and skips records at or below the
// highest offset it has published from that partition instead. The batch
// handler runs against a real node here; kafkajs only hands batches over.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EachBatchPayload } from 'kafkajs';
import { Dispatcher } from '../../../src/api/dispatcher.js';
import { KafkaConsumer } from '../../../src/consumers/kafka/consumer.js';
import { MemoryBroker } from '../../../src/engines/memory/memory-broker.js';
import { MemoryPresenceManager } from '../../../src/engines/memory/memory-presence-manager.js';
import { silentLogger } from '../../../src/log.js';
import { Metrics } from '../../../src/metrics.js';
import { Node } from '../../../src/node/node.js';
import { testConfig } from '../../helpers/server.js';

const config = testConfig({
  channel: { without_namespace: { history_size: 100, history_ttl: 60_000 } },
  consumers: [{ name: 'replay', enabled: true, type: 'kafka', kafka: { brokers: ['127.0.0.1:1'], topics: ['t'], consumer_group: 'g' } }],
} as never);
let node: Node;
let dispatcher: Dispatcher;
before(async () => {
  node = new Node(config, { broker: new MemoryBroker(), presenceManager: new MemoryPresenceManager() }, silentLogger(), new Metrics({ defaultMetrics: false }));
  await node.start();
  dispatcher = new Dispatcher(node);
});
after(() => node.shutdown());

/** What kafkajs hands eachBatch: records `from..to` of partition 0, each a publish of {i: offset}. */
function batch(from: number, to: number, resolved: string[]): EachBatchPayload {
  const messages = [];
  for (let o = from; o <= to; o++) {
    const value = Buffer.from(JSON.stringify({ method: 'publish', payload: { channel: 'replayed', data: { i: o } } }));
    messages.push({ offset: String(o), value, key: null, timestamp: String(Date.now()), attributes: 0, headers: {} });
  }
  return {
    batch: { topic: 't', partition: 0, highWatermark: String(to + 1), messages },
    resolveOffset: (offset: string) => resolved.push(offset),
    heartbeat: async () => undefined,
    commitOffsetsIfNecessary: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
    pause: () => () => undefined,
  } as unknown as EachBatchPayload;
}

describe('Kafka consumer: a replayed partition on a process-local broker', () => {
  it('publishes each record once and still resolves the replayed offsets', async () => {
    const consumer = new KafkaConsumer('replay', config.consumers[0]!.kafka, {
      dispatcher,
      log: silentLogger(),
      metrics: node.metrics,
      engineHealthy: () => true,
      sharedIdempotency: false,
    });
    const eachBatch = (consumer as unknown as { eachBatch(p: EachBatchPayload): Promise<void> }).eachBatch.bind(consumer);
    const resolved: string[] = [];
    await eachBatch(batch(0, 9, resolved));
    // The same partition again from offset 5, as after a commit that did not land.
    await eachBatch(batch(5, 14, resolved));
    const r = await dispatcher.dispatch('history', { channel: 'replayed', limit: -1 }, 'http');
    const seen = (r.result!.publications as { data: Buffer }[]).map((p) => JSON.parse(p.data.toString()).i as number);
    assert.deepEqual(
      seen,
      Array.from({ length: 15 }, (_, i) => i),
      'every record once, in order',
    );
    assert.equal(resolved.length, 20, 'replayed records are resolved too, so the group moves past them');
  });
});
