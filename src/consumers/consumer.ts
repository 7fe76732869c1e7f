// What the server knows about a consumer: it is started after the node, runs
// until shutdown, is stopped before the broker and presence manager close, and reports its health.

import type { Dispatcher } from '../api/dispatcher.js';
import type { ConsumerConfig } from '../config/consumers.js';
import type { Logger } from '../log.js';
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
}

export interface ConsumerDeps {
  dispatcher: Dispatcher;
  log: Logger;
  metrics: Metrics;
  /** Whether the broker and presence manager are healthy (failures while it is not are not a message's fault). */
  engineHealthy(): boolean;
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

export type ConsumerFactory = (config: ConsumerConfig, deps: ConsumerDeps) => Consumer;
