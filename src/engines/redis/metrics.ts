// What the Redis broker and presence manager report to Prometheus: Centrifugo's PUB/SUB error
// counter (same name and labels, so dashboards carry over) and our own link
// state, so an alert can fire on a dead PUB/SUB link before users notice.

import type { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../../metrics.js';
import { corruptMessagesCounter } from '../corrupt-messages.js';

export class RedisMetrics {
  readonly pubSubErrors: Counter<'broker_name' | 'error'>;
  readonly linkUp: Gauge<'shard' | 'link'>;
  readonly resubscribes: Counter<'shard'>;
  readonly scriptReloads: Counter<'shard'>;
  readonly corruptMessages: Counter<'broker' | 'kind'>;

  constructor(metrics: Metrics) {
    this.pubSubErrors = metrics.counter({
      name: 'centrifugo_broker_redis_pub_sub_errors',
      help: 'Redis PUB/SUB problems: undecodable messages and lost links.',
      labelNames: ['broker_name', 'error'],
    });
    this.linkUp = metrics.gauge({
      name: 'tributary_redis_link_up',
      help: 'Whether a Redis connection of a shard is usable (1) or not (0); link is commands or pubsub.',
      labelNames: ['shard', 'link'],
    });
    this.resubscribes = metrics.counter({
      name: 'tributary_redis_pub_sub_resubscribes_total',
      help: 'PUB/SUB links restored after a loss (each one tells positioned subscribers to recover).',
      labelNames: ['shard'],
    });
    this.scriptReloads = metrics.counter({
      name: 'tributary_redis_script_reloads_total',
      help: 'Lua scripts sent again in full after Redis answered NOSCRIPT (a cluster forming, failing over or resharding).',
      labelNames: ['shard'],
    });
    this.corruptMessages = corruptMessagesCounter(metrics);
  }
}
