// The admin UI's charts: every node samples itself every two seconds and
// keeps the last ten minutes (connections, publications and deliveries per
// second, delivery latency); the UI asks one node, which surveys all of them
// (op tributary_admin_stats), so with the Redis engine every node shows.

import type { Node } from '../node/node.js';
import { isRecord } from '../util/values.js';

export const ADMIN_STATS_OP = 'tributary_admin_stats';
export const SAMPLE_INTERVAL_MS = 2000;
const KEEP = (10 * 60 * 1000) / SAMPLE_INTERVAL_MS;

export interface StatsSample {
  /** Unix ms at the end of the interval. */
  t: number;
  clients: number;
  users: number;
  subscriptions: number;
  channels: number;
  publications_per_sec: number;
  deliveries_per_sec: number;
  /** Of the delivery latency samples in the interval; null when nothing was delivered. */
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
}

export interface NodeStats {
  uid: string;
  name: string;
  samples: StatsSample[];
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return Math.round(v * 1000) / 1000;
}

/** This node's samples, taken while the admin is enabled. */
export class StatsRecorder {
  private readonly samples: StatsSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private last: { t: number; publications: number; deliveries: number } | null = null;

  constructor(private readonly node: Node) {}

  start(): void {
    if (this.timer) return;
    this.node.control.registerSurveyHandler(ADMIN_STATS_OP, (data) => this.local(isRecord(data) && typeof data.since === 'number' ? data.since : 0));
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** This node's samples after `since` (Unix ms). */
  local(since: number): NodeStats {
    return { uid: this.node.id, name: this.node.name, samples: this.samples.filter((s) => s.t > since) };
  }

  /** Every node's samples after `since`; a node that does not answer is left out. */
  async all(since: number): Promise<NodeStats[]> {
    const outcome = await this.node.control.survey(ADMIN_STATS_OP, { since });
    const out: NodeStats[] = [];
    for (const reply of outcome.replies.values()) {
      if (reply.code === 0 && isRecord(reply.data) && Array.isArray(reply.data.samples)) out.push(reply.data as unknown as NodeStats);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async sample(): Promise<void> {
    const node = this.node;
    const t = Date.now();
    const received = await node.metrics.nodeMessagesReceived.get();
    const publications = received.values.find((v) => v.labels.type === 'publication')?.value ?? 0;
    const deliveries = node.metrics.traffic.total('publication');
    const latencies = node.deliveryLatency.drain().sort((a, b) => a - b);
    const prev = this.last;
    this.last = { t, publications, deliveries };
    if (!prev) return;
    const seconds = Math.max(0.001, (t - prev.t) / 1000);
    this.samples.push({
      t,
      clients: node.numClients(),
      users: node.numUsers(),
      subscriptions: node.hub.numSubscriptions(),
      channels: node.hub.numChannels(),
      publications_per_sec: Math.round(((publications - prev.publications) / seconds) * 10) / 10,
      deliveries_per_sec: Math.round(((deliveries - prev.deliveries) / seconds) * 10) / 10,
      latency_p50_ms: quantile(latencies, 0.5),
      latency_p99_ms: quantile(latencies, 0.99),
    });
    if (this.samples.length > KEEP) this.samples.splice(0, this.samples.length - KEEP);
  }
}
