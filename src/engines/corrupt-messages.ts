// Messages on a broker's PUB/SUB channels come from other nodes (or another
// Centrifugo): one that does not decode is the sender's fault, never a reason
// to crash or to flood the log. It is dropped, counted in
// tributary_broker_corrupt_messages_total{broker,kind}, and warned about at
// most once per interval, with how many were dropped since the last warning.
// (Control messages are the control plane's to count:
// tributary_node_control_messages_invalid_total.)

import type { Counter } from 'prom-client';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/** What the message claimed to be, when that can be told: its prefix (Redis) or its set field (NATS). */
export type CorruptKind = 'publication' | 'join' | 'leave' | 'unknown';

const WARN_INTERVAL_MS = 10_000;

/** The counter every broker shares (registered once per Metrics). */
export function corruptMessagesCounter(metrics: Metrics): Counter<'broker' | 'kind'> {
  return metrics.counter({
    name: 'tributary_broker_corrupt_messages_total',
    help: 'Messages from other nodes on PUB/SUB channels that did not decode and were dropped, by broker and claimed kind.',
    labelNames: ['broker', 'kind'],
  });
}

export class CorruptMessages {
  private lastWarn = -Infinity;
  private sinceWarn = 0;

  constructor(
    private readonly broker: string,
    private readonly log: Logger,
    private readonly counter?: Counter<'broker' | 'kind'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one dropped message; logs a warning unless one was logged within the interval. */
  drop(kind: CorruptKind, channel: string, reason: string): void {
    this.counter?.inc({ broker: this.broker, kind });
    this.sinceWarn++;
    const now = this.now();
    if (now - this.lastWarn < WARN_INTERVAL_MS) return;
    this.log.warn({ broker: this.broker, kind, channel, err: reason, dropped: this.sinceWarn }, 'corrupt message from another node dropped');
    this.lastWarn = now;
    this.sinceWarn = 0;
  }
}
