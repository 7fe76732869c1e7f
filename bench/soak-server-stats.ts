// What the soak reads from the server itself: RSS and CPU from /proc every
// couple of seconds (RSS moves with every GC, so a window's figure is the mean
// of its samples), and /metrics at each window's end: V8 heap used and the
// event-loop delay histogram (tributary_event_loop_delay_seconds, cumulative,
// so a window's p99 comes from the difference of two scrapes), and the time
// spent in garbage collection.

import { cpuSeconds, machineCpuSeconds, rssBytes } from './procstat.js';
import { bucketQuantile } from './quantiles.js';

const RSS_SAMPLE_MS = 2000;
const LOOP_METRIC = 'tributary_event_loop_delay_seconds';
const HEAP_METRIC = 'tributary_nodejs_heap_size_used_bytes';
/** prom-client's GC histogram: its _sum per kind (major, minor, incremental, weakcb) is the time spent in each. */
const GC_SUM = /^tributary_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)/gm;

interface Scrape {
  heapUsed: number;
  /** What V8 holds from the system for its heap (used or not): RSS growth with a flat heap used is often this. */
  heapTotal: number;
  /** Memory outside the V8 heap that JS objects hold (Buffers, sockets' native parts). */
  external: number;
  /** Seconds spent in GC so far, every kind. */
  gcSeconds: number;
  /** Cumulative counts per upper bound (seconds), +Inf last. */
  loop: Array<{ le: number; n: number }>;
}

export interface ServerWindowStats {
  rssMeanMB: number;
  rssMaxMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  loopP99Ms: number;
  /** The upper bound of the highest bucket that got a sample in the window (ms; Infinity past the last bound). */
  loopMaxBucketMs: number;
  /** Time the server spent in garbage collection, % of the window (a major collection stops the loop). */
  gcPct: number;
  cpuPct: number;
  /** Every process of the machine (all cores; 100 = one core): near cores × 100, the server waits for a core and its timers fire late. */
  machineCpuPct: number;
}

export class ServerStats {
  private rssSamples: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private last: Scrape | undefined;
  private first: Scrape | undefined;
  private cpuAt: { cpu: number; machine: number; at: number };

  constructor(
    private readonly pid: number,
    private readonly metricsUrl: string,
  ) {
    this.cpuAt = { cpu: cpuSeconds(pid), machine: machineCpuSeconds(), at: performance.now() };
    this.timer = setInterval(() => this.rssSamples.push(rssBytes(pid)), RSS_SAMPLE_MS);
  }

  /** The first scrape: what the windows are measured from. */
  async start(): Promise<void> {
    this.first = this.last = await this.scrape();
    this.rssSamples = [rssBytes(this.pid)];
    this.cpuAt = { cpu: cpuSeconds(this.pid), machine: machineCpuSeconds(), at: performance.now() };
  }

  /** Closes a window: its RSS mean and max, heap used now, event-loop p99 over it, server CPU over it. */
  async window(): Promise<ServerWindowStats> {
    const now = await this.scrape();
    const rss = this.rssSamples.filter((x) => Number.isFinite(x));
    if (rss.length === 0) rss.push(rssBytes(this.pid));
    this.rssSamples = [];
    const cpu = { cpu: cpuSeconds(this.pid), machine: machineCpuSeconds(), at: performance.now() };
    const stats: ServerWindowStats = {
      rssMeanMB: rss.reduce((a, b) => a + b, 0) / rss.length / 1048576,
      rssMaxMB: Math.max(...rss) / 1048576,
      heapUsedMB: now.heapUsed / 1048576,
      heapTotalMB: now.heapTotal / 1048576,
      externalMB: now.external / 1048576,
      loopP99Ms: bucketQuantile(diff(now.loop, this.last!.loop), 0.99) * 1000,
      loopMaxBucketMs: maxBucket(diff(now.loop, this.last!.loop)) * 1000,
      gcPct: ((now.gcSeconds - this.last!.gcSeconds) / ((cpu.at - this.cpuAt.at) / 1000)) * 100,
      cpuPct: ((cpu.cpu - this.cpuAt.cpu) / ((cpu.at - this.cpuAt.at) / 1000)) * 100,
      machineCpuPct: ((cpu.machine - this.cpuAt.machine) / ((cpu.at - this.cpuAt.at) / 1000)) * 100,
    };
    this.last = now;
    this.cpuAt = cpu;
    return stats;
  }

  /** Event-loop delay p99 over every window so far (ms). */
  wholeRunLoopP99Ms(): number {
    return this.first && this.last ? bucketQuantile(diff(this.last.loop, this.first.loop), 0.99) * 1000 : Number.NaN;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async scrape(): Promise<Scrape> {
    const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const heap = new RegExp(`^${HEAP_METRIC} (\\S+)`, 'm').exec(text);
    const loop = [...text.matchAll(new RegExp(`^${LOOP_METRIC}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((m) => ({
      le: m[1] === '+Inf' ? Infinity : Number(m[1]),
      n: Number(m[2]),
    }));
    if (loop.length === 0) throw new Error(`${this.metricsUrl} has no ${LOOP_METRIC} (a Tributary before it was added?)`);
    const gcSeconds = [...text.matchAll(GC_SUM)].reduce((a, m) => a + Number(m[1]), 0);
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    return {
      heapUsed: heap ? Number(heap[1]) : Number.NaN,
      heapTotal: gauge('tributary_nodejs_heap_size_total_bytes'),
      external: gauge('tributary_nodejs_external_memory_bytes'),
      gcSeconds,
      loop,
    };
  }
}

function diff(a: Scrape['loop'], b: Scrape['loop']): Scrape['loop'] {
  return a.map((x, i) => ({ le: x.le, n: x.n - (b[i]?.n ?? 0) }));
}

function maxBucket(buckets: Scrape['loop']): number {
  let prevN = 0;
  let top = 0;
  for (const b of buckets) {
    if (b.n > prevN) top = b.le;
    prevN = b.n;
  }
  return top;
}
