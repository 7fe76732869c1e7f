// Output: the human table, Tributary/baseline ratios, target verdicts.

import type { Result } from './run.js';

export interface Check {
  /** What the issue asks, in words. */
  label: string;
  metric: 'p99' | 'deliveriesPerSec' | 'lost' | 'dup' | 'rssPerConnKB' | 'disconnects';
  op: '<=' | '>=';
  value: number;
  /**
   * The ratio to the baseline that replaces the absolute target when the
   * baseline itself misses it in the same run (or, with `ratioOnly`, always).
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
  deliveriesPerSec: number;
  p50: number;
  p99: number;
  max: number;
  rssPerConnKB: number;
  serverRssMB: number;
  serverCpuPct: number;
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
    'bench CPU%',
    'sub CPU%',
  ];
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
      fmt(r.benchCpuPct, 0),
      fmt(r.subscriberCpuPctMax, 0),
    ]);
  }
  for (const q of ratios(results)) {
    rows.push([
      q.scenario,
      'ratio T/B',
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
      '',
      '',
    ]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  return out.join('\n');
}

export function stepsTable(r: Result): string {
  if (!r.steps || r.steps.length === 0) return '';
  const lines = [`saturation steps, ${r.target}:`, '   rate pub/s   published/s    deliveries/s  delivered   p50 ms   p99 ms   max ms  verdict'];
  for (const s of r.steps) {
    lines.push(
      `  ${fmtInt(s.rate).padStart(11)}  ${fmtInt(s.publishedPerSec).padStart(12)}  ${fmtInt(s.deliveriesPerSec).padStart(14)}  ` +
        `${(fmt(s.deliveryRatio * 100, 1) + '%').padStart(9)}  ${fmt(s.p50, 2).padStart(7)}  ${fmt(s.p99, 2).padStart(7)}  ${fmt(s.max, 2).padStart(7)}  ${s.ok ? 'ok' : s.why}`,
    );
  }
  return lines.join('\n');
}

export function ratios(results: Result[]): Ratios[] {
  const out: Ratios[] = [];
  for (const t of results) {
    if (t.target !== 'tributary') continue;
    const b = results.find((x) => x.target === 'baseline' && x.scenario === t.scenario);
    if (!b) continue;
    const div = (x: number, y: number) => (Number.isFinite(x) && Number.isFinite(y) && y !== 0 ? x / y : Number.NaN);
    out.push({
      scenario: t.scenario,
      deliveriesPerSec: div(t.deliveriesPerSec, b.deliveriesPerSec),
      p50: div(t.p50, b.p50),
      p99: div(t.p99, b.p99),
      max: div(t.max, b.max),
      rssPerConnKB: div(t.rssPerConnKB, b.rssPerConnKB),
      serverRssMB: div(t.serverRssMB, b.serverRssMB),
      serverCpuPct: div(t.serverCpuPct, b.serverCpuPct),
    });
  }
  return out;
}

function holds(op: '<=' | '>=', x: number, y: number): boolean {
  return op === '<=' ? x <= y : x >= y;
}

export function verdicts(checks: Check[], results: Result[]): Verdict[] {
  const t = results.find((r) => r.target === 'tributary' || r.target === 'external');
  const b = results.find((r) => r.target === 'baseline');
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
        out.push({ label: c.label, pass: null, detail: 'needs the baseline in the same run (--target both)' });
        continue;
      }
      const limit = b[c.metric] * c.ratio!;
      out.push({
        label: c.label,
        pass: holds(c.op, x, limit),
        detail: `${c.metric} ${fmt(x, 2)} vs ${c.ratio}× baseline ${fmt(b[c.metric], 2)} = ${fmt(limit, 2)} (ratio ${fmt(x / b[c.metric], 2)})`,
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
      detail: `baseline misses the absolute target too (${fmt(b[c.metric], 2)}), so: ${c.metric} ${fmt(x, 2)} ${c.op} ${c.ratio}× baseline = ${fmt(limit, 2)}`,
    });
  }
  return out;
}

export function verdictText(list: Verdict[]): string {
  return list.map((v) => `${v.pass === null ? 'n/a ' : v.pass ? 'PASS' : 'FAIL'}  ${v.label}: ${v.detail}`).join('\n');
}
