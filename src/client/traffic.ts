// Counts of messages sent to clients, kept as plain numbers on the hot path and
// folded into Prometheus counters only when /metrics is scraped: a labelled
// prom-client inc() per delivered message would cost more than the delivery.

const counts = new Map<string, { messages: number; bytes: number }>();

export function countSent(type: string, bytes: number): void {
  let c = counts.get(type);
  if (!c) {
    c = { messages: 0, bytes: 0 };
    counts.set(type, c);
  }
  c.messages++;
  c.bytes += bytes;
}

/** Returns what was counted since the last drain and resets the counts. */
export function drainSent(): Array<[string, { messages: number; bytes: number }]> {
  const out = [...counts.entries()].map(([k, v]) => [k, { ...v }] as [string, { messages: number; bytes: number }]);
  for (const v of counts.values()) {
    v.messages = 0;
    v.bytes = 0;
  }
  return out;
}
