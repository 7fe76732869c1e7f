// A Prometheus histogram for paths that observe once per message (API calls,
// client commands, consumed rows). prom-client's Histogram hashes the label
// set on every observe, even through a labels() child; profiles of an outbox
// drain showed its observe and that hashing at several per cent of all CPU.
// Here a child is a few numbers in an array, looked up once by its caller;
// the exposition is built only when /metrics is read, through the
// MetricObject interface prom-client's Registry reads every metric by.

export interface HistogramChild {
  observe(value: number): void;
}

class Series implements HistogramChild {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // Buckets are few (about a dozen): a linear scan beats a binary search here.
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
  }

  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
  }
}

/** One exposition line, as prom-client's metrics hand them to its Registry. */
export interface ExpositionValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export interface HotHistogramConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
}

export class HotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly string[];
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(config: HotHistogramConfig) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /** The child for one label set: keep it where it is hot, a lookup costs a key join. */
  labels(labels: Readonly<Record<string, string>>): HistogramChild {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      const own: Record<string, string> = {};
      for (const n of this.labelNames) own[n] = labels[n] ?? '';
      this.series.set(key, (s = new Series(own, this.bounds)));
    }
    return s;
  }

  observe(labels: Readonly<Record<string, string>>, value: number): void {
    this.labels(labels).observe(value);
  }

  /** Zeroes every series in place: children held by callers keep counting into the exposition. */
  reset(): void {
    for (const s of this.series.values()) s.zero();
  }

  /** The exposition values, in prom-client's Histogram layout (cumulative buckets, +Inf, _sum, _count). */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: ExpositionValue[]; aggregator: 'sum' }> {
    const values: ExpositionValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ metricName: bucket, labels: { le: this.bounds[i]!, ...s.labels }, value: cumulative });
      }
      cumulative += s.counts[this.bounds.length]!;
      values.push({ metricName: bucket, labels: { le: '+Inf', ...s.labels }, value: cumulative });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: cumulative });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
