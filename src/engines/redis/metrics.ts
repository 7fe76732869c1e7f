// What the Redis engine reports to Prometheus: Centrifugo's PUB/SUB error
// counter (same name and labels, so dashboards carry over) and our own link
// state, so an alert can fire on a dead PUB/SUB link before users notice.

import { Counter, Gauge, type Registry } from 'prom-client';

export class RedisMetrics {
  readonly pubSubErrors: Counter<'broker_name' | 'error'>;
  readonly linkUp: Gauge<'shard' | 'link'>;
  readonly resubscribes: Counter<'shard'>;

  constructor(registry: Registry) {
    this.pubSubErrors = new Counter({
      name: 'centrifugo_broker_redis_pub_sub_errors',
      help: 'Redis PUB/SUB problems: undecodable messages and lost links.',
      labelNames: ['broker_name', 'error'],
      registers: [registry],
    });
    this.linkUp = new Gauge({
      name: 'tributary_redis_link_up',
      help: 'Whether a Redis connection of a shard is usable (1) or not (0); link is commands or pubsub.',
      labelNames: ['shard', 'link'],
      registers: [registry],
    });
    this.resubscribes = new Counter({
      name: 'tributary_redis_pub_sub_resubscribes_total',
      help: 'PUB/SUB links restored after a loss (each one tells positioned subscribers to recover).',
      labelNames: ['shard'],
      registers: [registry],
    });
  }
}
