// Latency percentiles for the end-to-end benches: from raw samples, and from
// a Prometheus histogram scraped off the server.

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Approximate quantile from a Prometheus histogram (linear within the bucket). */
export function histogramQuantile(text: string, name: string, q: number): number {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"[^}]*\\} (\\d+)`, 'gm'))].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    n: Number(m[2]),
  }));
  return bucketQuantile(buckets, q);
}

/** Cumulative counts per upper bound, +Inf last, as a Prometheus histogram exposes them. */
export type CumulativeBuckets = ReadonlyArray<{ le: number; n: number }>;

/** Quantile q of cumulative buckets, linear within the bucket it falls in (NaN without samples). */
export function bucketQuantile(buckets: CumulativeBuckets, q: number): number {
  const total = buckets.at(-1)?.n ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (const b of buckets) {
    if (b.n >= rank) return b.le === Infinity ? prevLe : prevLe + ((b.le - prevLe) * (rank - prevN)) / Math.max(1, b.n - prevN);
    prevLe = b.le;
    prevN = b.n;
  }
  return prevLe;
}

/** p50/p90/p99/max of sorted latencies. */
export function latencySummary(sorted: number[]): { p50: number; p90: number; p99: number; max: number | undefined } {
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) };
}

/** p50/p99 in ms of a seconds histogram on the server's /metrics page. */
export function histogramSummaryMs(metrics: string, name: string): { p50: number; p99: number } {
  const ms = (q: number) => Number((histogramQuantile(metrics, name, q) * 1000).toFixed(2));
  return { p50: ms(0.5), p99: ms(0.99) };
}
