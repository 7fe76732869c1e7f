// What a chaos scenario counts at the end: given the numbered messages the
// system acknowledged and the sequences a reader found (a channel's history,
// or what one subscriber received on a channel), how many acknowledged ones
// are missing, how many appear more than once, how many arrive after a
// higher number, and how many unacknowledged ones made it in anyway (a
// publish answered with an error whose outcome was in fact "applied").

export interface Counts {
  /** Messages the reader found, repeats included. */
  found: number;
  /** Acknowledged but absent. */
  lost: number;
  /** Extra copies (a message found three times counts two). */
  duplicated: number;
  /** Messages found right after a higher-numbered one of the same sequence. */
  outOfOrder: number;
  /** Found although never acknowledged (the sender saw an error or no answer). */
  unackedApplied: number;
}

/** Counts over `sequences` (each in the order the reader saw it; order is checked within a sequence only). */
export function tally(acked: Iterable<number>, sequences: Iterable<readonly number[]>): Counts {
  const ackedSet = new Set(acked);
  const seen = new Map<number, number>();
  let found = 0;
  let outOfOrder = 0;
  for (const seq of sequences) {
    for (let k = 0; k < seq.length; k++) {
      const i = seq[k]!;
      found++;
      seen.set(i, (seen.get(i) ?? 0) + 1);
      if (k > 0 && i < seq[k - 1]!) outOfOrder++;
    }
  }
  let lost = 0;
  for (const i of ackedSet) if (!seen.has(i)) lost++;
  let duplicated = 0;
  let unackedApplied = 0;
  for (const [i, n] of seen) {
    duplicated += n - 1;
    if (!ackedSet.has(i)) unackedApplied++;
  }
  return { found, lost, duplicated, outOfOrder, unackedApplied };
}

export function countsText(c: Counts): string {
  return `found ${c.found}, lost ${c.lost}, duplicated ${c.duplicated}, out of order ${c.outOfOrder}, applied without ack ${c.unackedApplied}`;
}
