// How long a publication waits on this node: from the moment the engine hands
// it to the node until the writers flushed it to the subscribers' sockets
// (the flush runs in a setImmediate batch, see client/writer.ts). One sample
// per turn of the event loop, taken from the turn's first publication (the
// one that waited longest): a per-publication clock would cost more than the
// delivery. Saturation shows up here first: turns get long, samples grow.

import type { Histogram } from 'prom-client';

export class DeliveryLatency {
  /** performance.now() of the first publication of the turn not sampled yet; -1 when none. */
  private turnStart = -1;
  /** Samples (ms) since the last drain, for the admin's charts. */
  private recent: number[] = [];
  private static readonly RECENT_LIMIT = 10_000;

  constructor(private readonly histogram: Histogram<string>) {}

  /** Called after each publication went to the hub: the turn's first one arms the sample. */
  delivered(startedAt: number): void {
    if (this.turnStart >= 0) return;
    this.turnStart = startedAt;
    // Queued after the writers' flush of this turn (already scheduled by the broadcast), so it runs after it.
    setImmediate(this.sample);
  }

  private readonly sample = (): void => {
    const ms = performance.now() - this.turnStart;
    this.turnStart = -1;
    this.histogram.observe(ms / 1000);
    if (this.recent.length < DeliveryLatency.RECENT_LIMIT) this.recent.push(ms);
  };

  /** The samples since the last call, in ms (unsorted); starts a new window. */
  drain(): number[] {
    const out = this.recent;
    this.recent = [];
    return out;
  }
}
