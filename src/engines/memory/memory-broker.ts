// Broker for a single process: history and idempotency results live in this
// node's memory and every publish is handed straight back to the node.
// Semantics follow Centrifugo's memory broker (spec server-api.md §4.1).
// Everything here is synchronous, so calling publish() in some order delivers
// in that same order; no await may be added before delivery without breaking
// per-channel ordering.

import type { ClientInfo, Publication, Raw, StreamPosition } from '../../protocol/types.js';
import type { EngineHealth } from '../availability.js';
import type { Broker, BrokerEventHandler, HistoryFilter, HistoryOptions, HistoryResult, PublishOptions, PublishResult } from '../broker.js';
import { HistoryHub } from './history-hub.js';
import { IdempotencyCache } from './idempotency-cache.js';
import { ownedBytes } from '../../util/owned-bytes.js';

/** How often expired history, stream meta and idempotency results are reclaimed. */
const SWEEP_INTERVAL_MS = 1000;

/** Counters for leak tests and debugging. */
export interface MemoryBrokerStats {
  historyStreams: number;
  /** Streams waiting in the expiry queue (<= historyStreams). */
  scheduledStreams: number;
  idempotencyKeys: number;
  /** Whether the sweep timer runs, and whether it would keep the process alive. */
  sweepTimer: 'stopped' | 'unref' | 'ref';
}

export class MemoryBroker implements Broker {
  readonly name = 'memory';
  readonly idempotencyScope = 'process';

  /** Null before start and after close: publications then reach nobody. */
  private handler: BrokerEventHandler | null = null;
  private readonly historyHub = new HistoryHub();
  private readonly idempotency = new IdempotencyCache();
  private sweepTimer: NodeJS.Timeout | undefined;

  async start(handler: BrokerEventHandler): Promise<void> {
    this.handler = handler;
    if (this.sweepTimer === undefined) {
      this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
      // Expiry housekeeping alone must not keep the process alive.
      this.sweepTimer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
    this.historyHub.clear();
    this.idempotency.clear();
    this.handler = null;
  }

  health(): EngineHealth {
    return { healthy: true };
  }

  /**
   * The broker takes ownership of `data`, `opts.info` and `opts.tags`: they
   * are stored as given (no copy), so callers must not mutate them afterwards.
   */
  async publish(channel: string, data: Raw, opts: PublishOptions): Promise<PublishResult> {
    return this.apply(channel, data, opts);
  }

  /** Everything a publish does here is synchronous: publish() is the same in a promise. Same ownership rules. */
  publishNow(channel: string, data: Raw, opts: PublishOptions): PublishResult {
    return this.apply(channel, data, opts);
  }

  private apply(channel: string, data: Raw, opts: PublishOptions): PublishResult {
    const now = Date.now();

    let idempotencyKey: string | undefined;
    if (opts.idempotencyKey) {
      idempotencyKey = channel + '_' + opts.idempotencyKey;
      const cached = this.idempotency.get(idempotencyKey, now);
      if (cached !== undefined) return { position: cached, suppressed: true };
    }

    const pub: Publication = { data, offset: 0, time: now };
    if (opts.info !== undefined) pub.info = opts.info;
    if (opts.tags !== undefined) pub.tags = opts.tags;
    if (opts.dataIsJson === true) pub.jsonData = true;
    const delta = opts.delta === true;

    let position: StreamPosition;
    let prev: Publication | undefined;
    if (opts.historySize > 0 && opts.historyTtlMs > 0) {
      const stream = this.historyHub.getOrCreate(channel, now);
      const version = opts.version ?? 0;
      const versionEpoch = opts.versionEpoch ?? '';
      if (version > 0 && stream.isStaleVersion(version, versionEpoch)) {
        return { position: stream.position(), suppressed: true };
      }
      // Memory semantics (spec §10.5): overwritten on every add, even version-less ones.
      stream.version = version;
      stream.versionEpoch = versionEpoch;
      // Like Centrifugo, the delta base is only looked up when a delta is wanted.
      if (delta) prev = stream.last();
      // History keeps the bytes for minutes: they must not hold a shared slab that long.
      pub.data = ownedBytes(data);
      this.historyHub.append(stream, pub, opts.historySize, opts.historyTtlMs, opts.historyMetaTtlMs, now);
      position = { offset: pub.offset, epoch: stream.epoch };
    } else {
      position = { offset: 0, epoch: '' };
    }

    if (idempotencyKey !== undefined) {
      this.idempotency.set(idempotencyKey, position, opts.idempotentResultTtlMs, now);
    }
    // Synchronous hand-off: delivery order == publish call order per channel.
    // If the handler throws, the publication is already stored and the publish
    // fails, as Centrifugo's memory broker returns the handler's error.
    this.handler?.onPublication(channel, pub, position, delta, prev);
    return { position, suppressed: false };
  }

  async publishJoin(channel: string, info: ClientInfo): Promise<void> {
    this.handler?.onJoin(channel, info);
  }

  async publishLeave(channel: string, info: ClientInfo): Promise<void> {
    this.handler?.onLeave(channel, info);
  }

  /** Single node: there is nobody else to tell. */
  async publishControl(_data: Raw, _nodeId?: string): Promise<void> {}

  /** Single node: every publication is delivered locally whether or not anyone subscribed. */
  async subscribe(_channels: string[]): Promise<void> {}

  async unsubscribe(_channels: string[]): Promise<void> {}

  /**
   * Returned publications are the stored objects (not copies): treat them as read-only.
   * The `since` epoch and `reverse` with offset 0 are the caller's to check.
   */
  async history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult> {
    return this.historyHub.read(channel, filter, opts.historyMetaTtlMs, Date.now());
  }

  async removeHistory(channel: string): Promise<void> {
    this.historyHub.removeItems(channel, Date.now());
  }

  /**
   * Reclaims everything expired at `now`. The timer calls it every second;
   * tests may call it with a future `now` instead of waiting.
   */
  sweep(now: number = Date.now()): void {
    this.historyHub.sweep(now);
    this.idempotency.sweep(now);
  }

  stats(): MemoryBrokerStats {
    return {
      historyStreams: this.historyHub.streamCount,
      scheduledStreams: this.historyHub.scheduledCount,
      idempotencyKeys: this.idempotency.size,
      sweepTimer: this.sweepTimer === undefined ? 'stopped' : this.sweepTimer.hasRef() ? 'ref' : 'unref',
    };
  }
}
