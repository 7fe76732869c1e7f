// The hot-path histogram must read exactly like prom-client's own Histogram
// on /metrics, so dashboards cannot tell which one a metric is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry, type Metric } from 'prom-client';
import { HotHistogram } from '../../../src/hot-histogram.js';

const config = { name: 'x_duration_seconds', help: 'A duration.', labelNames: ['protocol', 'method'], buckets: [0.001, 0.01, 0.1, 1] };
const observations: [Record<string, string>, number][] = [
  [{ protocol: 'http', method: 'publish' }, 0.0005],
  [{ protocol: 'http', method: 'publish' }, 0.001],
  [{ protocol: 'http', method: 'publish' }, 0.05],
  [{ protocol: 'grpc', method: 'history' }, 3],
  [{ protocol: 'http', method: 'publish' }, 0.01],
];

describe('HotHistogram', () => {
  it('exposes what prom-client’s Histogram exposes for the same observations', async () => {
    const theirs = new Registry();
    const reference = new Histogram({ ...config, registers: [theirs] });
    const ours = new Registry();
    const hot = new HotHistogram(config);
    ours.registerMetric(hot as unknown as Metric);
    for (const [labels, v] of observations) {
      reference.observe(labels, v);
      hot.labels(labels).observe(v);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    // The node info snapshot reads _sum and _count through getMetricsAsJSON.
    const sumsAndCounts = async (r: Registry) =>
      (await r.getMetricsAsJSON())[0]!.values
        .filter((v) => !('le' in v.labels))
        .map((v) => ({ metricName: (v as { metricName?: string }).metricName, labels: v.labels, value: v.value }));
    assert.deepEqual(await sumsAndCounts(ours), await sumsAndCounts(theirs));
  });

  it('reset zeroes in place: a child taken before keeps counting', async () => {
    const registry = new Registry();
    const hot = new HotHistogram(config);
    registry.registerMetric(hot as unknown as Metric);
    const child = hot.labels({ protocol: 'http', method: 'publish' });
    child.observe(0.5);
    registry.resetMetrics();
    child.observe(0.002);
    const text = await registry.metrics();
    assert.match(text, /x_duration_seconds_count\{protocol="http",method="publish"\} 1\n/);
    assert.match(text, /x_duration_seconds_bucket\{le="0.01",protocol="http",method="publish"\} 1\n/);
  });
});
