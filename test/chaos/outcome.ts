// What one scenario hands back to the CLI: the traffic it sent, the counts
// from history and from its subscribers, measured facts worth quoting, and
// the pass/fail verdict with the criterion it was judged by.

import type { Counts } from './tally.js';

export interface Outcome {
  /** Numbered messages sent (attempted). */
  sent: number;
  /** Of those, acknowledged by the system (API result, committed row, produced record). */
  acked: number;
  /** Counted over channel history. */
  history?: Counts;
  /** Counted over what the subscribers received. */
  subscribers?: Counts;
  /** Measured facts for the report (durations, error codes, what a node said). */
  notes: string[];
  /** The criterion, one clause per check. */
  criterion: string[];
  /** The clauses that did not hold. */
  failed: string[];
}

/** Collects a scenario's checks: each clause is part of the criterion, and a failed one fails the scenario. */
export class Verdict {
  readonly criterion: string[] = [];
  readonly failed: string[] = [];
  readonly notes: string[] = [];

  check(ok: boolean, clause: string, detail = ''): void {
    this.criterion.push(clause);
    if (!ok) this.failed.push(detail ? `${clause} (${detail})` : clause);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  outcome(fields: Pick<Outcome, 'sent' | 'acked' | 'history' | 'subscribers'>): Outcome {
    return { ...fields, notes: this.notes, criterion: this.criterion, failed: this.failed };
  }
}

/** The usual clauses over counts: nothing acknowledged missing, nothing twice, nothing out of order. */
export function checkCounts(v: Verdict, where: string, c: Counts | undefined): void {
  if (!c) return;
  v.check(c.lost === 0, `${where}: lost 0`, `lost ${c.lost}`);
  v.check(c.duplicated === 0, `${where}: duplicated 0`, `duplicated ${c.duplicated}`);
  v.check(c.outOfOrder === 0, `${where}: out of order 0`, `out of order ${c.outOfOrder}`);
}
