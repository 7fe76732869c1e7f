// LISTEN for partition notifications (pg-listen): each one wakes the worker of
// that partition at once, so rows do not wait for the next poll. Correctness
// never depends on it: notifications sent while the connection is down are
// lost, so every (re)connect wakes all partitions, and polling remains.
//
// pg-listen reconnects by itself after a lost connection (every 500 ms, for a
// few seconds); when it gives up, a new subscriber replaces it with a backoff
// from 1 s up to 30 s. A subscriber that connects after being replaced or
// closed is closed again, so none outlives the consumer.

import type pg from 'pg';
import pgListenModule from 'pg-listen';
import type { Logger } from '../../log.js';
import { describeError } from './pg-config.js';

type Subscriber = ReturnType<typeof import('pg-listen').default>;
// A CommonJS module: its default export sits on `.default` under Node's ESM loader.
const createSubscriber = ((pgListenModule as unknown as { default?: unknown }).default ?? pgListenModule) as typeof import('pg-listen').default;

const REOPEN_MIN_MS = 1000;
const REOPEN_MAX_MS = 30_000;

export interface ListenerEvents {
  /** A notification for partition `p` (already range-checked). */
  wake(partition: number): void;
  /** After every (re)connect: notifications may have been missed. */
  wakeAll(): void;
  connected(up: boolean): void;
}

export class PartitionListener {
  private sub: Subscriber | null = null;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | null = null;
  private reopenDelay = REOPEN_MIN_MS;
  private up = false;

  constructor(
    private readonly clientConfig: pg.ClientConfig,
    private readonly channel: string,
    private readonly numPartitions: number,
    private readonly events: ListenerEvents,
    private readonly log: Logger,
  ) {}

  get connected(): boolean {
    return this.up;
  }

  /** Connects and LISTENs; rejects when the first attempt fails. */
  async start(): Promise<void> {
    await this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    const sub = this.sub;
    this.sub = null;
    this.setUp(false);
    if (sub) await sub.close().catch(() => undefined);
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.events.connected(up);
  }

  private async open(): Promise<void> {
    const sub = createSubscriber(this.clientConfig, {
      parse: (s: string) => s,
      paranoidChecking: 10_000,
      retryInterval: 500,
      retryTimeout: 5_000,
    });
    this.sub = sub;
    const current = () => this.sub === sub && !this.closed;
    sub.events.on('connected', () => {
      if (!current()) {
        sub.close().catch(() => undefined);
        return;
      }
      this.setUp(true);
      this.events.wakeAll();
    });
    sub.events.on('reconnect', (attempt: number) => {
      if (!current()) return;
      this.setUp(false);
      if (attempt === 1) this.log.warn({ channel: this.channel }, 'outbox notification connection lost, reconnecting');
    });
    sub.events.on('error', (err: Error) => {
      if (!current()) return;
      this.log.error({ err: describeError(err), channel: this.channel }, 'error listening outbox notifications');
      this.sub = null;
      this.setUp(false);
      sub.close().catch(() => undefined);
      this.scheduleReopen();
    });
    sub.notifications.on(this.channel, (payload: unknown) => this.onNotification(payload));
    try {
      await sub.connect();
      await sub.listenTo(this.channel);
    } catch (err) {
      if (this.sub === sub) this.sub = null;
      sub.close().catch(() => undefined);
      throw err;
    }
    if (!current()) {
      sub.close().catch(() => undefined);
      return;
    }
    this.reopenDelay = REOPEN_MIN_MS;
    this.setUp(true);
    this.events.wakeAll();
  }

  private scheduleReopen(): void {
    if (this.closed) return;
    const delay = this.reopenDelay;
    this.reopenDelay = Math.min(this.reopenDelay * 2, REOPEN_MAX_MS);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      if (this.closed) return;
      this.open().catch((err) => {
        this.log.error({ err: describeError(err), channel: this.channel }, 'error listening outbox notifications');
        this.scheduleReopen();
      });
    }, delay);
    this.reopenTimer.unref();
  }

  private onNotification(payload: unknown): void {
    const text = typeof payload === 'string' ? payload.trim() : '';
    if (!/^[+-]?\d+$/.test(text)) {
      this.log.error({ payload }, 'error converting postgresql notification');
      return;
    }
    const partition = Number(text);
    if (partition < 0 || partition >= this.numPartitions) {
      this.log.error({ partition }, 'outbox partition is out of range');
      return;
    }
    this.events.wake(partition);
  }
}
