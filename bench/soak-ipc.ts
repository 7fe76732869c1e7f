// Messages between the soak's main process (soak.ts) and its subscriber
// processes (soak-worker.ts). Every request carries an id; the answer names it.

import type { HistogramData } from './histogram.js';
import type { HistoryWindow, SubscriberCheck, TrackerTotals } from './soak-tracker.js';
import type { TransportName } from './transports.js';

export interface SoakInit {
  type: 'init';
  worker: number;
  /** Connections [from, to): connection i subscribes to channel i % channels.length over transports[i % transports.length]. */
  from: number;
  to: number;
  channels: string[];
  transports: TransportName[];
  wsUrl: string;
  tokenSecret: string;
  rampBatch: number;
  connectTimeoutMs: number;
}

export type SoakRequest =
  | { type: 'ramp'; id: number }
  /** Counters since the start and the latency histogram since the last window (then reset). */
  | { type: 'window'; id: number }
  /** Close and reopen this fraction of the live connections every second (0 stops). */
  | { type: 'churn'; id: number; perSecond: number }
  /** How many connections are not live, or live but behind `tops` (per channel index). */
  | { type: 'lag'; id: number; tops: number[] }
  | { type: 'check'; id: number; windows: HistoryWindow[] }
  | { type: 'close'; id: number };

export interface SoakCounters {
  live: number;
  /** Publications received live (pushes) and through recovery. */
  received: number;
  recovered: number;
  /** Reconnects the bench made for churn, and after the server closed a connection. */
  churned: number;
  disconnects: number;
  /** Connect or subscribe attempts that failed (each is retried). */
  failures: number;
  pings: number;
  pongFailures: number;
}

export type SoakReply =
  | { type: 'hello' }
  | ({ type: 'ramped'; id: number; failed: number; errors: Record<string, number> } & SoakCounters)
  /** cpuUs: the process's own CPU time so far (µs), to tell a busy generator from a slow server. */
  | ({ type: 'window'; id: number; latency: HistogramData; cpuUs: number } & SoakCounters)
  | { type: 'ok'; id: number }
  | { type: 'lag'; id: number; notLive: number; behind: number }
  | {
      type: 'checked';
      id: number;
      check: SubscriberCheck;
      totals: TrackerTotals;
      /** Live-push latency over the whole run, per source letter (h, o, k). */
      bySource: Record<string, HistogramData>;
      closeCodes: Record<string, number>;
      errors: Record<string, number>;
      samples: string[];
    }
  | { type: 'error'; id?: number; message: string };
