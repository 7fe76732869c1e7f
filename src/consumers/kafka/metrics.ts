// The Kafka consumer's own metrics, beside Centrifugo's per-consumer counters.
// One set per registry, shared by every Kafka consumer of a server.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Labels = 'consumer_name' | 'topic' | 'partition';

export class KafkaMetrics {
  readonly processed: Counter<Labels>;
  readonly failed: Counter<Labels>;
  readonly retries: Counter<Labels>;
  readonly deadLettered: Counter<Labels>;
  readonly skipped: Counter<Labels | 'reason'>;
  readonly lag: Gauge<Labels>;
  readonly latency: Histogram<'consumer_name'>;

  private constructor(registry: Registry) {
    const labelNames: Labels[] = ['consumer_name', 'topic', 'partition'];
    this.processed = new Counter({
      name: 'tributary_kafka_messages_processed_total',
      help: 'Kafka records done (dispatched, skipped or dead-lettered), by partition.',
      labelNames,
      registers: [registry],
    });
    this.failed = new Counter({
      name: 'tributary_kafka_messages_failed_total',
      help: 'Failed dispatch attempts of Kafka records (retryable or not), by partition.',
      labelNames,
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'tributary_kafka_retries_total',
      help: 'Times a partition paused to retry a record after a retryable failure.',
      labelNames,
      registers: [registry],
    });
    this.deadLettered = new Counter({
      name: 'tributary_kafka_messages_dead_lettered_total',
      help: 'Kafka records that could never succeed, sent to the dead-letter topic (or only logged without one).',
      labelNames,
      registers: [registry],
    });
    this.skipped = new Counter({
      name: 'tributary_kafka_messages_skipped_total',
      help: 'Kafka records skipped by design (tombstones, Debezium deletes and snapshot reads, no channels).',
      labelNames: [...labelNames, 'reason'],
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'tributary_kafka_consumer_lag',
      help: 'Records between the last one processed and the partition high watermark.',
      labelNames,
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'tributary_kafka_publish_latency_seconds',
      help: "From a record's Kafka timestamp to its dispatch completing.",
      labelNames: ['consumer_name'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, KafkaMetrics>();

  static for(registry: Registry): KafkaMetrics {
    let m = KafkaMetrics.byRegistry.get(registry);
    if (!m) {
      m = new KafkaMetrics(registry);
      KafkaMetrics.byRegistry.set(registry, m);
    }
    return m;
  }
}
