import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../../src/metrics.js';
import { InfoMetricsAggregator } from '../../../src/node/info-metrics.js';

describe('info metrics', () => {
  it('flattens centrifugo_* metrics the way Centrifugo names them, labels sorted by name', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.nodeMessagesSent.inc({ type: 'publication' }, 3);
    m.numClients.set(7);
    m.apiCommandDuration.observe({ protocol: 'http', method: 'publish' }, 0.5);
    const agg = new InfoMetricsAggregator(m.registry, 60_000);
    await agg.aggregate();
    const { interval, items } = agg.snapshot!;
    assert.equal(interval, 60);
    assert.equal(items['centrifugo.node.messages_sent_count.type.publication'], 3);
    assert.equal(items['centrifugo.node.num_clients'], 7);
    assert.equal(items['centrifugo.api.command_duration_seconds.count.method.publish.protocol.http'], 1);
    assert.equal(items['centrifugo.api.command_duration_seconds.sum.method.publish.protocol.http'], 0.5);
    assert.ok(
      Object.keys(items).every((k) => k.startsWith('centrifugo.')),
      'only the centrifugo namespace',
    );
    assert.ok(!Object.keys(items).some((k) => k.includes('bucket') || k.includes('.le.')), 'no histogram buckets');
  });

  it('counters are what they grew by in the last interval; gauges are their value', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const agg = new InfoMetricsAggregator(m.registry, 60_000);
    m.nodeMessagesSent.inc({ type: 'publication' }, 5);
    await agg.aggregate();
    m.nodeMessagesSent.inc({ type: 'publication' }, 2);
    m.numClients.set(1);
    await agg.aggregate();
    assert.equal(agg.snapshot!.items['centrifugo.node.messages_sent_count.type.publication'], 2);
    assert.equal(agg.snapshot!.items['centrifugo.node.num_clients'], 1);
    await agg.aggregate();
    assert.equal(agg.snapshot!.items['centrifugo.node.messages_sent_count.type.publication'], 0);
  });

  it('interval 0 keeps no snapshot', async () => {
    const agg = new InfoMetricsAggregator(new Metrics({ defaultMetrics: false }).registry, 0);
    await agg.start();
    assert.equal(agg.snapshot, undefined);
    agg.stop();
  });
});
