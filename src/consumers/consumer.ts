// What the server knows about a consumer: it is started after the node, runs
// until shutdown, is stopped before the broker and presence manager close, and reports its health.

import type { Dispatcher } from '../api/dispatcher.js';
import type { ConsumerConfig } from '../config/consumers.js';
import type { Logger } from '../log.js';
import type { Counter } from 'prom-client';
import type { Metrics } from '../metrics.js';

export interface ConsumerHealth {
  healthy: boolean;
  detail?: string;
}

export interface Consumer {
  readonly name: string;
  readonly type: string;
  /** Connects and checks what the consumer needs; rejects with a ConsumerStartError naming the cause. */
  init(): Promise<void>;
  /** Starts consuming (after init). */
  run(): void;
  /** Finishes the work in hand and releases every connection. */
  stop(): Promise<void>;
  health(): ConsumerHealth;
  /** What the admin UI shows beyond health: backlog or lag per partition, counts; kind-specific. */
  adminStatus?(): Promise<ConsumerAdminStatus>;
  /** Where the consumer keeps what it gave up on, when the admin can list, retry and delete it (the outbox's table). */
  readonly deadLetters?: DeadLetters;
}

/** A consumer's figures for the admin UI: `processed_total` (this node) gives the rate; the rest is per kind. */
export interface ConsumerAdminStatus {
  processed_total: number;
  outbox?: unknown;
  kafka?: unknown;
}

export interface DeadLetterRow {
  id: number;
  outbox_id: number;
  consumer: string;
  method: string;
  payload: unknown;
  partition: number;
  created_at: Date | null;
  attempts: number;
  last_error: string;
  failed_at: Date;
}

export interface DeadLetterPage {
  items: DeadLetterRow[];
  more: boolean;
}

export interface DeadLetters {
  /** Newest first; `before`: only ids below it (the next page). */
  list(limit: number, before?: number): Promise<DeadLetterPage>;
  /** Moves these rows back to the outbox; returns how many moved. */
  retry(ids: number[]): Promise<number>;
  remove(ids: number[]): Promise<number>;
}

export interface ConsumerDeps {
  dispatcher: Dispatcher;
  log: Logger;
  metrics: Metrics;
  /** Whether the broker and presence manager are healthy (failures while it is not are not a message's fault). */
  engineHealthy(): boolean;
  /**
   * Whether the broker keeps idempotency results where every node sees them
   * (Redis). Only then does a key derived from the message's place (outbox
   * row id, Kafka offset) stop a copy that another node, taking over after a
   * crash, would publish again. Retries within this process are caught
   * without one, and cost nothing per message.
   */
  sharedIdempotency: boolean;
}

export class ConsumerStartError extends Error {
  constructor(
    readonly consumer: string,
    cause: string,
  ) {
    super(`consumer "${consumer}": ${cause}`);
    this.name = 'ConsumerStartError';
  }
}

/** A counter's total over the children labelled with this consumer (its partitions). */
export async function counterTotal(counter: Counter<string>, consumer: string): Promise<number> {
  const { values } = await counter.get();
  return values.reduce((sum, v) => (v.labels.consumer_name === consumer ? sum + v.value : sum), 0);
}

export type ConsumerFactory = (config: ConsumerConfig, deps: ConsumerDeps) => Consumer;
