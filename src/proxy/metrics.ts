// What the proxies report, under Centrifugo's names and labels (protocol: http
// or grpc; type: connect, refresh, subscribe, publish, sub_refresh, rpc; name:
// "default" or the named proxy), so dashboards carry over. Durations are
// observed on success and on failure, not when the client left mid-call;
// errors count transport failures only (a backend's own error or disconnect
// answer is a success here).

import type { Counter, Gauge, Histogram, Summary } from 'prom-client';
import type { Metrics } from '../metrics.js';

type Labels = 'protocol' | 'type' | 'name';

export class ProxyMetrics {
  readonly duration: Histogram<Labels>;
  /** Centrifugo's older form of the same durations (deprecated there, kept for existing dashboards). */
  readonly durationSummary: Summary<Labels>;
  readonly errors: Counter<Labels>;
  readonly inflight: Gauge<Labels>;

  constructor(metrics: Metrics) {
    this.duration = metrics.histogram({
      name: 'centrifugo_proxy_duration_seconds_histogram',
      help: 'Duration of proxy calls.',
      labelNames: ['protocol', 'type', 'name'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.durationSummary = metrics.summary({
      name: 'centrifugo_proxy_duration_seconds',
      help: 'Duration of proxy calls (deprecated: use centrifugo_proxy_duration_seconds_histogram).',
      labelNames: ['protocol', 'type', 'name'],
      percentiles: [0.5, 0.99, 0.999],
      maxAgeSeconds: 60,
      ageBuckets: 5,
    });
    this.errors = metrics.counter({
      // Centrifugo's counter has no _total suffix; prom-client would add none either way for this name.
      name: 'centrifugo_proxy_errors',
      help: 'Proxy calls that failed: unreachable backend, timeout, non-200 status, unreadable answer.',
      labelNames: ['protocol', 'type', 'name'],
    });
    this.inflight = metrics.gauge({
      name: 'centrifugo_proxy_inflight_requests',
      help: 'Proxy calls under way.',
      labelNames: ['protocol', 'type', 'name'],
    });
  }
}
