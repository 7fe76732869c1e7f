// Status: every node of the cluster (the info method, every 5 s as in
// Centrifugo's UI) and live charts of the last 10 minutes from admin/stats
// (polled every interval_ms with `since`, kept client-side).

import { html } from 'htm/preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { ApiError, call, getJSON } from './api.js';
import { Chart, type ChartSeries } from './chart.js';
import { count, rate, uptime } from './format.js';
import { usePoll } from './poll.js';

interface NodeInfo {
  uid: string;
  name: string;
  version: string;
  num_clients: number;
  num_users: number;
  num_subs: number;
  num_channels: number;
  uptime: number;
}

interface Sample {
  t: number;
  clients: number;
  subscriptions: number;
  channels: number;
  publications_per_sec: number;
  deliveries_per_sec: number;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
}

interface StatsReply {
  interval_ms: number;
  nodes: { name: string; uid: string; samples: Sample[] }[];
}

interface NodeSamples {
  name: string;
  samples: Sample[];
}

const WINDOW_MS = 10 * 60 * 1000;
const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#db2777', '#ca8a04', '#475569'];

/** The samples of every node, merged from successive polls and cut to the last 10 minutes. */
class StatsStore {
  readonly nodes = new Map<string, NodeSamples>();
  interval = 2000;
  /** uids in the last reply: `since` follows only nodes that still report. */
  private live: string[] = [];

  since(): number | undefined {
    let since: number | undefined;
    for (const uid of this.live) {
      const last = this.nodes.get(uid)?.samples.at(-1)?.t;
      if (last === undefined) return undefined;
      since = since === undefined ? last : Math.min(since, last);
    }
    return since;
  }

  merge(reply: StatsReply): void {
    if (reply.interval_ms > 0) this.interval = reply.interval_ms;
    this.live = reply.nodes.map((n) => n.uid);
    let newest = 0;
    for (const node of reply.nodes) {
      let entry = this.nodes.get(node.uid);
      if (!entry) this.nodes.set(node.uid, (entry = { name: node.name, samples: [] }));
      entry.name = node.name;
      const last = entry.samples.at(-1)?.t ?? -Infinity;
      for (const s of node.samples) if (s.t > last) entry.samples.push(s);
      newest = Math.max(newest, entry.samples.at(-1)?.t ?? 0);
    }
    // Against the newest sample rather than this browser's clock, which may be off.
    const cutoff = newest - WINDOW_MS;
    for (const [uid, entry] of this.nodes) {
      const keep = entry.samples.findIndex((s) => s.t > cutoff);
      if (keep < 0) this.nodes.delete(uid);
      else if (keep > 0) entry.samples.splice(0, keep);
    }
  }
}

interface ChartData {
  nodes: { name: string; color: string }[];
  connections: uPlot.AlignedData;
  publications: uPlot.AlignedData;
  deliveries: uPlot.AlignedData;
  latency: uPlot.AlignedData;
}

/** uPlot wants one x array shared by all series: samples go to interval-wide buckets. */
function chartData(store: StatsStore): ChartData {
  const entries = [...store.nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
  const bucket = (t: number) => (Math.round(t / store.interval) * store.interval) / 1000;
  const xs = [...new Set(entries.flatMap((e) => e.samples.map((s) => bucket(s.t))))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const column = (e: NodeSamples, pick: (s: Sample) => number | null) => {
    const ys: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const s of e.samples) ys[at.get(bucket(s.t))!] = pick(s);
    return ys;
  };
  return {
    nodes: entries.map((e, i) => ({ name: e.name, color: PALETTE[i % PALETTE.length]! })),
    connections: [xs, ...entries.map((e) => column(e, (s) => s.clients))],
    publications: [xs, ...entries.map((e) => column(e, (s) => s.publications_per_sec))],
    deliveries: [xs, ...entries.map((e) => column(e, (s) => s.deliveries_per_sec))],
    latency: [xs, ...entries.flatMap((e) => [column(e, (s) => s.latency_p50_ms), column(e, (s) => s.latency_p99_ms)])],
  };
}

const ms = (v: number) => (v >= 1000 ? `${rate(v / 1000)} s` : `${rate(v)} ms`);
const fine = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const tick = (v: number) => fine.format(v);
const msTick = (v: number) => (v >= 1000 ? `${fine.format(v / 1000)} s` : `${fine.format(v)} ms`);

export function StatusPage() {
  const [nodes, setNodes] = useState<NodeInfo[] | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const store = useRef(new StatsStore());

  usePoll(async () => {
    try {
      const info = await call<{ nodes: NodeInfo[] }>('info');
      setNodes([...info.nodes].sort((a, b) => a.name.localeCompare(b.name)));
      setInfoError(null);
    } catch (err) {
      setInfoError(err instanceof Error ? err.message : String(err));
    }
  }, 5000);

  usePoll(async (signal) => {
    const since = store.current.since();
    try {
      const reply = await getJSON<StatsReply>(since === undefined ? 'admin/stats' : `admin/stats?since=${since}`, signal);
      store.current.merge(reply);
      setStatsError(null);
      setVersion((v) => v + 1);
    } catch (err) {
      if (signal.aborted) return;
      setStatsError(err instanceof ApiError && err.status === 404 ? 'This server does not offer admin/stats: no charts.' : `Charts: ${(err as Error).message}`);
    }
  }, 2000);

  const data = useMemo(() => chartData(store.current), [version]);
  const series: ChartSeries[] = data.nodes.map((n) => ({ label: n.name, color: n.color }));
  const latencySeries: ChartSeries[] = data.nodes.flatMap((n) => [
    { label: `${n.name} p50`, color: n.color },
    { label: `${n.name} p99`, color: n.color, dash: [6, 4] },
  ]);

  // The newest sample of each node, for the rates in the table and the tiles.
  const latest = new Map([...store.current.nodes].map(([uid, e]) => [uid, e.samples.at(-1)]));
  const sum = (pick: (s: Sample) => number) => [...latest.values()].reduce((acc, s) => acc + (s ? pick(s) : 0), 0);
  const total = (pick: (n: NodeInfo) => number) => (nodes ?? []).reduce((acc, n) => acc + pick(n), 0);

  return html`<section class="page">
    <header class="page-head">
      <h1>Status</h1>
      <p class="muted">Nodes refresh every 5 s, charts every ${store.current.interval / 1000} s while this tab is visible; charts keep the last 10 minutes.</p>
    </header>
    ${infoError ? html`<div class="alert alert-error" role="alert">${infoError}</div>` : null}
    <div class="tiles">
      <div class="tile"><span class="tile-value">${nodes ? nodes.length : '–'}</span><span class="tile-label">Nodes</span></div>
      <div class="tile"><span class="tile-value">${nodes ? count(total((n) => n.num_clients)) : '–'}</span><span class="tile-label">Clients</span></div>
      <div class="tile"><span class="tile-value">${nodes ? count(total((n) => n.num_subs)) : '–'}</span><span class="tile-label">Subscriptions</span></div>
      <div class="tile">
        <span class="tile-value">${latest.size ? rate(sum((s) => s.publications_per_sec)) : '–'}</span><span class="tile-label">Publications/s</span>
      </div>
      <div class="tile">
        <span class="tile-value">${latest.size ? rate(sum((s) => s.deliveries_per_sec)) : '–'}</span><span class="tile-label">Deliveries/s</span>
      </div>
    </div>
    <div class="card">
      <table class="table" data-testid="nodes-table">
        <thead>
          <tr>
            <th>Node</th>
            <th>Version</th>
            <th>Uptime</th>
            <th class="num">Clients</th>
            <th class="num">Users</th>
            <th class="num">Subscriptions</th>
            <th class="num">Channels</th>
            <th class="num">Publications/s</th>
            <th class="num">Deliveries/s</th>
          </tr>
        </thead>
        <tbody>
          ${
            nodes === null
              ? html`<tr class="empty">
                  <td colspan="9">Loading…</td>
                </tr>`
              : nodes.map((n) => {
                  const s = latest.get(n.uid);
                  return html`<tr key=${n.uid} data-node=${n.name} data-uid=${n.uid}>
                    <td><span class="node-dot" data-color=${data.nodes.findIndex((d) => d.name === n.name) % PALETTE.length}></span>${n.name}</td>
                    <td><code>${n.version}</code></td>
                    <td>${uptime(n.uptime)}</td>
                    <td class="num">${count(n.num_clients)}</td>
                    <td class="num">${count(n.num_users)}</td>
                    <td class="num">${count(n.num_subs)}</td>
                    <td class="num">${count(n.num_channels)}</td>
                    <td class="num">${s ? rate(s.publications_per_sec) : '–'}</td>
                    <td class="num">${s ? rate(s.deliveries_per_sec) : '–'}</td>
                  </tr>`;
                })
          }
        </tbody>
      </table>
    </div>
    ${statsError ? html`<div class="alert alert-warn" role="status">${statsError}</div>` : null}
    <div class="charts">
      <${Chart} testid="chart-connections" title="Connections" series=${series} data=${data.connections} format=${count} integer=${true} />
      <${Chart} testid="chart-publications" title="Publications per second" series=${series} data=${data.publications} format=${rate} tick=${tick} />
      <${Chart} testid="chart-deliveries" title="Deliveries per second" series=${series} data=${data.deliveries} format=${rate} tick=${tick} />
      <${Chart} testid="chart-latency" title="Delivery latency p50 / p99 (dashed)" series=${latencySeries} data=${data.latency} format=${ms} tick=${msTick} />
    </div>
  </section>`;
}
