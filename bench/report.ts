// Output: the human table, ratios to the reference run (the baseline, or the
// first target listed), target verdicts, CPU split and per-node figures.

import type { Result } from './run.js';

export interface Check {
  /** What the issue asks, in words. */
  label: string;
  metric:
    'p99' | 'deliveriesPerSec' | 'lost' | 'dup' | 'rssPerConnKB' | 'disconnects' | 'ackedPerSec' | 'publishErrors' | 'historyProblems' | 'cpuUsPerDelivery';
  op: '<=' | '>=';
  value: number;
  /**
   * The ratio to the reference run (the baseline, or the first target listed)
   * that replaces the absolute target when the reference itself misses it in
   * the same invocation (or, with `ratioOnly`, always).
   */
  ratio?: number;
  ratioOnly?: boolean;
}

export interface Verdict {
  label: string;
  pass: boolean | null;
  detail: string;
}

export interface Ratios {
  scenario: string;
  /** The run divided (label) and the run it is divided by. */
  subject: string;
  reference: string;
  deliveriesPerSec: number;
  p50: number;
  p99: number;
  max: number;
  rssPerConnKB: number;
  serverRssMB: number;
  serverCpuPct: number;
  cpuUsPerDelivery: number;
  /** connect-storm */
  connectsPerSec: number;
  connectP50: number;
  connectP99: number;
  cpuUsPerConnect: number;
}

const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function table(results: Result[]): string {
  const head = [
    'scenario',
    'target',
    'conns',
    'chans',
    'pub/s',
    'deliv/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'lost',
    'dup',
    'disc',
    'RSS MB',
    'KB/conn',
    'srv CPU%',
    'µs/deliv',
    'bench CPU%',
    'sub CPU%',
  ];
  const withRedis = results.some((r) => Number.isFinite(r.redisCpuPct));
  if (withRedis) head.push('redis CPU%');
  const rows: string[][] = [head];
  for (const r of results) {
    const pub = r.scenario !== 'idle';
    rows.push([
      r.scenario,
      r.target,
      fmtInt(r.subscribed),
      fmtInt(r.channels),
      pub ? fmtInt(r.publishedPerSec) : '-',
      pub ? fmtInt(r.deliveriesPerSec) : '-',
      pub ? fmt(r.p50, 2) : '-',
      pub ? fmt(r.p99, 2) : '-',
      pub ? fmt(r.max, 2) : '-',
      pub ? fmtInt(r.lost) : '-',
      pub ? fmtInt(r.dup) : '-',
      fmtInt(r.disconnects),
      fmt(r.serverRssMB),
      fmt(r.rssPerConnKB, 2),
      fmt(r.serverCpuPct, 0),
      pub ? fmt(r.cpuUsPerDelivery, 2) : '-',
      fmt(r.benchCpuPct, 0),
      fmt(r.subscriberCpuPctMax, 0),
      ...(withRedis ? [fmt(r.redisCpuPct, 0)] : []),
    ]);
  }
  for (const q of ratios(results)) {
    rows.push([
      q.scenario,
      q.subject === 'tributary' && q.reference === 'baseline' ? 'ratio T/B' : `ratio / ${q.reference}`,
      '',
      '',
      '',
      fmt(q.deliveriesPerSec, 2),
      fmt(q.p50, 2),
      fmt(q.p99, 2),
      fmt(q.max, 2),
      '',
      '',
      '',
      fmt(q.serverRssMB, 2),
      fmt(q.rssPerConnKB, 2),
      fmt(q.serverCpuPct, 2),
      fmt(q.cpuUsPerDelivery, 2),
      '',
      '',
      ...(withRedis ? [''] : []),
    ]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  return out.join('\n');
}

/** The connect-storm table: one row per run, then the ratio rows. */
export function stormTable(results: Result[]): string {
  const head = [
    'scenario',
    'target',
    'conns',
    'failed',
    'storm s',
    'conn/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'srv CPU s',
    'srv CPU%',
    'µs/conn',
    'RSS MB',
    'KB/conn',
    'bench CPU%',
    'sub CPU%',
  ];
  const rows: string[][] = [head];
  for (const r of results) {
    rows.push([
      r.scenario,
      r.target,
      fmtInt(r.subscribed),
      fmtInt(r.connectFailures),
      fmt(r.stormSeconds, 2),
      fmtInt(r.connectsPerSec),
      fmt(r.connectP50, 2),
      fmt(r.connectP99, 2),
      fmt(r.connectMax, 2),
      fmt(r.serverCpuSeconds, 2),
      fmt(r.serverCpuPct, 0),
      fmt(r.cpuUsPerConnect, 0),
      fmt(r.serverRssMB),
      fmt(r.rssPerConnKB, 2),
      fmt(r.benchCpuPct, 0),
      fmt(r.subscriberCpuPctMax, 0),
    ]);
  }
  for (const q of ratios(results)) {
    rows.push([
      q.scenario,
      q.subject === 'tributary' && q.reference === 'baseline' ? 'ratio T/B' : `ratio / ${q.reference}`,
      '',
      '',
      '',
      fmt(q.connectsPerSec, 2),
      fmt(q.connectP50, 2),
      fmt(q.connectP99, 2),
      '',
      '',
      fmt(q.serverCpuPct, 2),
      fmt(q.cpuUsPerConnect, 2),
      fmt(q.serverRssMB, 2),
      fmt(q.rssPerConnKB, 2),
      '',
      '',
    ]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function stepsTable(r: Result): string {
  if (!r.steps || r.steps.length === 0) return '';
  const redis = r.steps.some((s) => Number.isFinite(s.redisCpuPct));
  const lines = [
    `saturation steps, ${r.target}:`,
    '   rate pub/s   published/s    deliveries/s  delivered   p50 ms   p99 ms   max ms  API p99 ms  srv CPU%' +
      (redis ? '  redis CPU%' : '') +
      '  other CPU%  verdict',
  ];
  for (const s of r.steps) {
    lines.push(
      `  ${fmtInt(s.rate).padStart(11)}  ${fmtInt(s.publishedPerSec).padStart(12)}  ${fmtInt(s.deliveriesPerSec).padStart(14)}  ` +
        `${(fmt(s.deliveryRatio * 100, 1) + '%').padStart(9)}  ${fmt(s.p50, 2).padStart(7)}  ${fmt(s.p99, 2).padStart(7)}  ${fmt(s.max, 2).padStart(7)}  ` +
        `${fmt(s.ackP99, 2).padStart(10)}  ${fmt(s.serverCpuPct, 0).padStart(8)}  ${redis ? fmt(s.redisCpuPct, 0).padStart(10) + '  ' : ''}` +
        `${fmt(s.otherCpuPct, 0).padStart(10)}  ${s.ok ? 'ok' : s.why}`,
    );
  }
  return lines.join('\n');
}

/**
 * The run the others are compared with: the baseline when it ran, else the
 * first run when there are several (e.g. memory engine, then two Redis nodes).
 */
export function referenceOf(results: Result[]): Result | undefined {
  return results.find((r) => r.target === 'baseline') ?? (results.length > 1 ? results[0] : undefined);
}

/** The run the checks judge: the first one that is not the reference (and not the baseline). */
export function subjectOf(results: Result[]): Result | undefined {
  const ref = referenceOf(results);
  return results.find((r) => r !== ref && r.target !== 'baseline');
}

export function ratios(results: Result[]): Ratios[] {
  const out: Ratios[] = [];
  const ref = referenceOf(results);
  if (!ref) return out;
  for (const t of results) {
    if (t === ref || t.target === 'baseline' || t.scenario !== ref.scenario) continue;
    const b = ref;
    const div = (x: number, y: number) => (Number.isFinite(x) && Number.isFinite(y) && y !== 0 ? x / y : Number.NaN);
    out.push({
      scenario: t.scenario,
      subject: t.target,
      reference: b.target,
      deliveriesPerSec: div(t.deliveriesPerSec, b.deliveriesPerSec),
      p50: div(t.p50, b.p50),
      p99: div(t.p99, b.p99),
      max: div(t.max, b.max),
      rssPerConnKB: div(t.rssPerConnKB, b.rssPerConnKB),
      serverRssMB: div(t.serverRssMB, b.serverRssMB),
      serverCpuPct: div(t.serverCpuPct, b.serverCpuPct),
      cpuUsPerDelivery: div(t.cpuUsPerDelivery, b.cpuUsPerDelivery),
      connectsPerSec: div(t.connectsPerSec, b.connectsPerSec),
      connectP50: div(t.connectP50, b.connectP50),
      connectP99: div(t.connectP99, b.connectP99),
      cpuUsPerConnect: div(t.cpuUsPerConnect, b.cpuUsPerConnect),
    });
  }
  return out;
}

function holds(op: '<=' | '>=', x: number, y: number): boolean {
  return op === '<=' ? x <= y : x >= y;
}

export function verdicts(checks: Check[], results: Result[]): Verdict[] {
  const t = subjectOf(results);
  const b = referenceOf(results);
  const refName = b?.target ?? 'baseline';
  const out: Verdict[] = [];
  for (const c of checks) {
    if (!t) {
      out.push({ label: c.label, pass: null, detail: 'Tributary was not run' });
      continue;
    }
    const x = t[c.metric];
    const absolute = holds(c.op, x, c.value);
    if (c.ratioOnly) {
      if (!b) {
        out.push({ label: c.label, pass: null, detail: 'needs the reference run in the same invocation (the baseline: --target both; or a list of targets)' });
        continue;
      }
      const limit = b[c.metric] * c.ratio!;
      out.push({
        label: c.label,
        pass: holds(c.op, x, limit),
        detail: `${t.target} ${c.metric} ${fmt(x, 2)} vs ${c.ratio}× ${refName} ${fmt(b[c.metric], 2)} = ${fmt(limit, 2)} (ratio ${fmt(x / b[c.metric], 2)})`,
      });
      continue;
    }
    if (absolute || c.ratio === undefined || !b || holds(c.op, b[c.metric], c.value)) {
      const why = !absolute && c.ratio !== undefined && !b ? ' (run --target both to allow the ratio fallback)' : '';
      out.push({ label: c.label, pass: absolute, detail: `${c.metric} ${fmt(x, 2)} ${c.op} ${c.value}${why}` });
      continue;
    }
    // The floor misses the absolute target too: judge by the ratio to it.
    const limit = b[c.metric] * c.ratio;
    out.push({
      label: c.label,
      pass: holds(c.op, x, limit),
      detail: `${refName} misses the absolute target too (${fmt(b[c.metric], 2)}), so: ${c.metric} ${fmt(x, 2)} ${c.op} ${c.ratio}× ${refName} = ${fmt(limit, 2)}`,
    });
  }
  return out;
}

/**
 * Runs of one target over several transports: each run after the first (the
 * WebSocket reference) is judged on its own, by `checks` (the preset's) and by
 * the transport's own ratio targets to the reference.
 */
export function transportVerdicts(checks: Check[], results: Result[]): Verdict[] {
  const ref = results[0];
  if (!ref) return [];
  const out: Verdict[] = [];
  for (const r of results.slice(1)) {
    const own = [...checks, ...(TRANSPORT_CHECKS[r.scenario]?.[r.transport] ?? [])];
    for (const v of verdicts(own, [ref, r])) out.push({ ...v, label: `${r.target}: ${v.label}` });
  }
  return out;
}

/** What the transports issue asks of each transport, as a ratio to WebSocket on the same shape. */
const TRANSPORT_CHECKS: Record<string, Partial<Record<string, Check[]>>> = {
  fanout: {
    sse: [{ label: 'server CPU per delivery <= 1.3x WebSocket', metric: 'cpuUsPerDelivery', op: '<=', value: 0, ratio: 1.3, ratioOnly: true }],
    http_stream: [{ label: 'server CPU per delivery <= 1.3x WebSocket', metric: 'cpuUsPerDelivery', op: '<=', value: 0, ratio: 1.3, ratioOnly: true }],
  },
  idle: {
    sse: [{ label: 'idle memory per subscribed connection <= 1.2x WebSocket', metric: 'rssPerConnKB', op: '<=', value: 0, ratio: 1.2, ratioOnly: true }],
  },
};

export function verdictText(list: Verdict[]): string {
  return list.map((v) => `${v.pass === null ? 'n/a ' : v.pass ? 'PASS' : 'FAIL'}  ${v.label}: ${v.detail}`).join('\n');
}

/**
 * Where the machine's CPU went in each run's measured window (the best step
 * for saturate), in % of one core: the server processes (each node), Redis,
 * the bench's own processes, and what is left of all cores.
 */
export function cpuSplit(results: Result[], cores: number): string {
  const lines = [`CPU split over the measured window (% of one core; ${cores} cores = ${cores * 100}):`];
  for (const r of results) {
    const nodes = r.serverNodes.length > 1 ? ` (${r.serverNodes.map((n, i) => `node ${i + 1} ${fmt(n.cpuPct, 0)}`).join(', ')})` : '';
    const redis = Number.isFinite(r.redisCpuPct) ? `, redis ${fmt(r.redisCpuPct, 0)}` : '';
    const subs = r.benchCpuPct - r.publisherCpuPct;
    lines.push(
      `  ${r.scenario}/${r.target}: servers ${fmt(r.serverCpuPct, 0)}${nodes}${redis}, bench ${fmt(r.benchCpuPct, 0)} ` +
        `(publisher ${fmt(r.publisherCpuPct, 0)}, subscribers ${fmt(subs, 0)}), other processes ${fmt(r.otherCpuPct, 0)}; ` +
        `machine ${fmt(r.machineCpuPct, 0)}, idle ${fmt(cores * 100 - r.machineCpuPct, 0)}`,
    );
  }
  return lines.join('\n');
}

/** RSS and CPU of each node, for runs with several. */
export function nodesTable(results: Result[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.serverNodes.length < 2) continue;
    lines.push(`nodes of ${r.scenario}/${r.target}:`);
    r.serverNodes.forEach((n, i) => lines.push(`  node ${i + 1} (pid ${n.pid}): RSS ${fmt(n.rssMB)} MB, CPU ${fmt(n.cpuPct, 0)}%`));
  }
  return lines.join('\n');
}

/** The publish scenario's own figures: acknowledged rate, requests, round trips, and what history holds. */
export function publishSummary(r: Result): string {
  const lines = [
    `publish/${r.target}: ${fmtInt(r.ackedPerSec)} publications/s acknowledged, ${fmtInt(r.publishErrors)} errors; ` +
      `${fmtInt(r.publishRequestsPerSec)} requests/s of ${fmt(r.publicationsPerRequest, 1)} publications; ` +
      `request round trip p50 ${fmt(r.ackP50, 2)} ms, p99 ${fmt(r.ackP99, 2)} ms, max ${fmt(r.ackMax, 2)} ms`,
  ];
  const h = r.history;
  if (!h) lines.push('  history: not checked');
  else {
    const where = h.source === 'redis' ? 'read from Redis (HGET meta s, XLEN, XREVRANGE, PTTL)' : 'read through the API history method';
    const ttl = h.streamTtlSeconds !== undefined ? `, stream TTL ${fmt(h.streamTtlSeconds, 0)} s` : '';
    lines.push(
      `  history ${where}: ${h.ok ? 'OK' : 'MISMATCH'} — ${h.channels} channels, top offsets add up to ${fmtInt(h.topOffsetSum)} ` +
        `(${fmtInt(h.acknowledged)} acknowledged), ${fmtInt(h.entries)} entries kept${ttl}, last entry of the first channel ${h.lastEntryMatches ? 'is' : 'is NOT'} its last publication`,
    );
    for (const x of h.samples) lines.push(`    ${x}`);
  }
  return lines.join('\n');
}
