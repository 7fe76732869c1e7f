// The steady-rate latency measurement both consumer benches use: item i
// (0…rate×seconds-1) is sent at its due time, in 10 ms ticks, and its latency
// is the time until the subscriber sees the publication carrying `i`.

import type { LeanSubscriber } from '../test/helpers/lean-subscriber.js';
import { sleep, waitFor } from '../test/helpers/process.js';

const TICK_MS = 10;

/**
 * Sends `rate` items per second for `seconds` through `send(from, to)` (items
 * from..to-1 are due now; its promise is awaited only at the end) and returns
 * the sorted send → receive latencies in ms.
 */
export async function pacedLatencies(
  sub: LeanSubscriber,
  rate: number,
  seconds: number,
  send: (from: number, to: number) => Promise<unknown>,
  timeoutMs = 60_000,
): Promise<number[]> {
  const latencies: number[] = [];
  const sent: number[] = [];
  const seen = new Set<number>();
  sub.onPublication = (_channel, i) => {
    seen.add(i);
    const t = sent[i];
    if (t !== undefined) latencies.push(Date.now() - t);
  };
  const total = rate * seconds;
  const perTick = rate / (1000 / TICK_MS);
  const start = Date.now();
  const inflight: Promise<unknown>[] = [];
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / TICK_MS + 1) * perTick));
    if (due > i) {
      const now = Date.now();
      for (let k = i; k < due; k++) sent[k] = now;
      inflight.push(send(i, due));
      i = due;
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inflight);
  await waitFor(() => seen.size >= total, timeoutMs, `all ${total} publications`, 10);
  return latencies.sort((a, b) => a - b);
}
