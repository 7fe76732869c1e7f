// A log-linear latency histogram over integer microseconds, in the spirit of
// HdrHistogram: exact below 128 µs, then 64 sub-buckets per power of two
// (about 1.6 % relative error). Counts live in a Float64Array so histograms
// travel between processes and merge by adding element-wise.

const LINEAR = 128; // values below this have their own bucket
const SUB_BITS = 6; // 64 sub-buckets per power of two
const SUB = 1 << SUB_BITS;
const FIRST_EXP = 7; // 2^7 = LINEAR
const LAST_EXP = 31; // values clamp at 2^32 - 1 µs (about 71 minutes)
export const HISTOGRAM_BUCKETS = LINEAR + (LAST_EXP - FIRST_EXP + 1) * SUB;

export interface HistogramData {
  counts: Float64Array;
  total: number;
  min: number;
  max: number;
  sum: number;
}

export class Histogram implements HistogramData {
  counts = new Float64Array(HISTOGRAM_BUCKETS);
  total = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  sum = 0;

  record(valueUs: number): void {
    let v = valueUs < 0 ? 0 : Math.floor(valueUs);
    if (v > 0xffffffff) v = 0xffffffff;
    this.counts[bucketOf(v)]! += 1;
    this.total++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: HistogramData): void {
    const c = other.counts;
    for (let i = 0; i < c.length; i++) {
      const n = c[i]!;
      if (n !== 0) this.counts[i]! += n;
    }
    this.total += other.total;
    this.sum += other.sum;
    if (other.total > 0) {
      if (other.min < this.min) this.min = other.min;
      if (other.max > this.max) this.max = other.max;
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
    this.sum = 0;
  }

  /** A copy that can cross a process boundary. */
  snapshot(): HistogramData {
    return { counts: this.counts.slice(), total: this.total, min: this.min, max: this.max, sum: this.sum };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }

  /** The value (µs) at percentile p (0–100): the middle of the bucket holding it, capped by max. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= want) {
        const [lo, hi] = bucketRange(i);
        return Math.min(this.max, Math.max(this.min, (lo + hi) / 2));
      }
    }
    return this.max;
  }

  mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }
}

export function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  const exp = 31 - Math.clz32(v); // v < 2^32, so this is floor(log2 v)
  const sub = Math.floor(v / 2 ** (exp - SUB_BITS)) - SUB;
  return LINEAR + (exp - FIRST_EXP) * SUB + sub;
}

/** Inclusive lower and upper values of bucket `i`. */
export function bucketRange(i: number): [number, number] {
  if (i < LINEAR) return [i, i];
  const k = i - LINEAR;
  const exp = FIRST_EXP + Math.floor(k / SUB);
  const width = 2 ** (exp - SUB_BITS);
  const lo = (SUB + (k % SUB)) * width;
  return [lo, lo + width - 1];
}
