// Counts of messages sent to clients, kept as plain numbers on the hot path and
// folded into Prometheus counters only when /metrics is scraped: a labelled
// prom-client inc() per delivered message would cost more than the delivery.

export interface TrafficCounter {
  messages: number;
  bytes: number;
}

const counters = new Map<string, TrafficCounter>();

/** The counter for one message type; look it up once and keep it. */
export function trafficCounter(type: string): TrafficCounter {
  let c = counters.get(type);
  if (!c) {
    c = { messages: 0, bytes: 0 };
    counters.set(type, c);
  }
  return c;
}

export const PUBLICATIONS = trafficCounter('publication');

/** Returns what was counted since the last drain and resets the counts. */
export function drainSent(): Array<[string, TrafficCounter]> {
  const out = [...counters.entries()].map(([k, v]) => [k, { ...v }] as [string, TrafficCounter]);
  for (const v of counters.values()) {
    v.messages = 0;
    v.bytes = 0;
  }
  return out;
}
