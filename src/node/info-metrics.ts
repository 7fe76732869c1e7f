// The `metrics {interval, items}` of a node in the `info` reply, as
// Centrifugo's nodes report them: every `interval` seconds the node reads its
// own Prometheus registry and keeps a flat snapshot of the centrifugo_*
// metrics, which travels with its heartbeats. Counters (and the sum and count
// of histograms) are what they grew by in the last interval, gauges are their
// value. Keys are `namespace.subsystem.name[.sum|.count].label.value…` with
// labels sorted by name, e.g.
// `centrifugo.node.messages_sent_count.type.publication`. Histograms export
// sum and count only: Centrifugo's summaries add quantiles we do not keep.

import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { InfoMetrics } from './control/messages.js';

const PREFIX = 'centrifugo_';

function keyOf(metricName: string, suffix: string, labels: Record<string, string | number>): string {
  const [namespace, subsystem, rest] = splitName(metricName);
  const parts = [namespace, subsystem, rest, suffix].filter((p) => p !== '');
  for (const name of Object.keys(labels).sort()) parts.push(name, String(labels[name]));
  return parts.join('.');
}

/** Go's strings.SplitN(name, "_", 3). */
function splitName(name: string): [string, string, string] {
  const a = name.indexOf('_');
  const b = name.indexOf('_', a + 1);
  return b < 0 ? [name.slice(0, a), name.slice(a + 1), ''] : [name.slice(0, a), name.slice(a + 1, b), name.slice(b + 1)];
}

export class InfoMetricsAggregator {
  private previous = new Map<string, number>();
  private current: InfoMetrics | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly intervalMs: number,
    /** Brings gauges that are set on a timer up to date before a read. */
    private readonly beforeRead: () => void = () => undefined,
  ) {}

  /** The latest snapshot; undefined while off (interval 0) or before the first one. */
  get snapshot(): InfoMetrics | undefined {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.intervalMs <= 0) return;
    // The first snapshot holds the totals so far, as Centrifugo's does.
    await this.aggregate();
    this.timer = setInterval(() => void this.aggregate().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async aggregate(): Promise<void> {
    this.beforeRead();
    const families = (await this.registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
    const items: Record<string, number> = {};
    const seen = new Map<string, number>();
    const delta = (key: string, total: number): number => {
      seen.set(key, total);
      const before = this.previous.get(key);
      return before === undefined ? total : total - before;
    };
    for (const family of families) {
      if (!family.name.startsWith(PREFIX)) continue;
      const type = String(family.type);
      for (const v of family.values) {
        const labels = (v.labels ?? {}) as Record<string, string | number>;
        if (type === 'counter') items[keyOf(family.name, '', labels)] = delta(keyOf(family.name, '', labels), v.value);
        else if (type === 'gauge') items[keyOf(family.name, '', labels)] = v.value;
        else if (type === 'histogram') {
          const metricName = (v as { metricName?: string }).metricName ?? '';
          const suffix = metricName.endsWith('_sum') ? 'sum' : metricName.endsWith('_count') ? 'count' : '';
          if (suffix === '') continue; // buckets
          const key = keyOf(family.name, suffix, labels);
          items[key] = delta(key, v.value);
        }
      }
    }
    this.previous = seen;
    this.current = { interval: this.intervalMs / 1000, items };
  }
}
