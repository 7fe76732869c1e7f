// The chaos run's printed report: one block per scenario as it finishes, and
// the summary table at the end.

import type { Outcome } from './outcome.js';
import type { Counts } from './tally.js';
import { countsText } from './tally.js';

export interface Row {
  scenario: string;
  seconds: number;
  outcome: Outcome;
}

export function passed(o: Outcome): boolean {
  return o.failed.length === 0;
}

export function scenarioBlock(r: Row): string {
  const o = r.outcome;
  const lines = [`sent ${o.sent}, acknowledged ${o.acked}`];
  if (o.history) lines.push(`history:     ${countsText(o.history)}`);
  if (o.subscribers) lines.push(`subscribers: ${countsText(o.subscribers)}`);
  for (const n of o.notes) lines.push(n);
  lines.push(`${passed(o) ? 'PASS' : 'FAIL'} (${r.seconds.toFixed(0)} s): ${o.criterion.join('; ')}`);
  for (const f of o.failed) lines.push(`  failed: ${f}`);
  return lines.map((l) => `  ${l}`).join('\n');
}

const lostDupOrder = (c: Counts | undefined) => (c ? `${c.lost}/${c.duplicated}/${c.outOfOrder}` : '-');

export function summaryTable(rows: Row[]): string {
  const header = ['scenario', 'sent', 'acked', 'history lost/dup/ooo', 'subscribers lost/dup/ooo', 'applied w/o ack', 'result'];
  const body = rows.map(({ scenario, outcome: o }) => [
    scenario,
    String(o.sent),
    String(o.acked),
    lostDupOrder(o.history),
    lostDupOrder(o.subscribers),
    String(o.history?.unackedApplied ?? o.subscribers?.unackedApplied ?? '-'),
    passed(o) ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...body.map((row) => row[k]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
