import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../../src/metrics.js';
import { InfoMetricsAggregator } from '../../../src/node/info-metrics.js';

const SENT = 'centrifugo_node_messages_sent_count';

async function sentValue(m: Metrics, type: string): Promise<number | undefined> {
  const metric = await m.nodeMessagesSent.get();
  return metric.values.find((v) => v.labels.type === type)?.value;
}

describe('pending counts (per-message counters folded when read)', () => {
  it('shows what a hot child counted at the next read, once, beside direct inc() calls', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const child = m.nodeMessagesSentChild('publication');
    for (let i = 0; i < 3; i++) child.inc();
    m.nodeMessagesSent.inc({ type: 'publication' }, 2);
    m.nodeMessagesSent.inc({ type: 'join' });
    assert.equal(await sentValue(m, 'publication'), 5);
    // A second read adds nothing: the pending count was moved, not copied.
    assert.equal(await sentValue(m, 'publication'), 5);
    child.inc();
    const text = await m.registry.getSingleMetricAsString(SENT);
    assert.match(text, /centrifugo_node_messages_sent_count\{type="publication"\} 6/);
    assert.match(text, /centrifugo_node_messages_sent_count\{type="join"\} 1/);
  });

  it('reaches the node info aggregation and the received counter alike', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const received = m.nodeMessagesReceivedChild('publication');
    received.inc();
    received.inc();
    m.nodeMessagesSentChild('publication').inc();
    const agg = new InfoMetricsAggregator(m.registry, 60_000);
    await agg.aggregate();
    const items = agg.snapshot!.items;
    assert.equal(items['centrifugo.node.messages_received_count.type.publication'], 2);
    assert.equal(items['centrifugo.node.messages_sent_count.type.publication'], 1);
  });
});
