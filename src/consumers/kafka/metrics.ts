// The Kafka consumer's own metrics, beside Centrifugo's per-consumer counters.
// Shared by every Kafka consumer of a server (Metrics hands out one metric per name).

import type { Counter, Gauge } from 'prom-client';
import type { HotHistogram } from '../../hot-histogram.js';
import type { Metrics } from '../../metrics.js';

type Labels = 'consumer_name' | 'topic' | 'partition';

export class KafkaMetrics {
  readonly processed: Counter<Labels>;
  readonly failed: Counter<Labels>;
  readonly retries: Counter<Labels>;
  readonly deadLettered: Counter<Labels>;
  readonly skipped: Counter<Labels | 'reason'>;
  readonly lag: Gauge<Labels>;
  readonly latency: HotHistogram;

  constructor(metrics: Metrics) {
    const labelNames: Labels[] = ['consumer_name', 'topic', 'partition'];
    this.processed = metrics.counter({
      name: 'tributary_kafka_messages_processed_total',
      help: 'Kafka records done (dispatched, skipped or dead-lettered), by partition.',
      labelNames,
    });
    this.failed = metrics.counter({
      name: 'tributary_kafka_messages_failed_total',
      help: 'Failed dispatch attempts of Kafka records (retryable or not), by partition.',
      labelNames,
    });
    this.retries = metrics.counter({
      name: 'tributary_kafka_retries_total',
      help: 'Times a partition paused to retry a record after a retryable failure.',
      labelNames,
    });
    this.deadLettered = metrics.counter({
      name: 'tributary_kafka_messages_dead_lettered_total',
      help: 'Kafka records that could never succeed, sent to the dead-letter topic (or only logged without one).',
      labelNames,
    });
    this.skipped = metrics.counter({
      name: 'tributary_kafka_messages_skipped_total',
      help: 'Kafka records skipped by design (tombstones, Debezium deletes and snapshot reads, no channels).',
      labelNames: [...labelNames, 'reason'],
    });
    this.lag = metrics.gauge({
      name: 'tributary_kafka_consumer_lag',
      help: 'Records between the last one processed and the partition high watermark.',
      labelNames,
    });
    this.latency = metrics.hotHistogram({
      name: 'tributary_kafka_publish_latency_seconds',
      help: "From a record's Kafka timestamp to its dispatch completing.",
      labelNames: ['consumer_name'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
  }
}
