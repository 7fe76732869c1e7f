// The seam between a node and where publications, history and control
// messages travel: Centrifugo's Broker (centrifuge broker.go). The memory
// broker serves one process, the Redis broker many; both pass
// test/broker-suite.ts. Presence is not here: see presence-manager.ts.

import type { ClientInfo, Publication, Raw, StreamPosition } from '../protocol/types.js';
import type { EngineHealth } from './availability.js';

export interface PublishOptions {
  /** Keep at most this many publications; 0 disables history. */
  historySize: number;
  /** History entries live this long after the last publish; 0 disables history. */
  historyTtlMs: number;
  /** The stream's epoch and top offset live this long after the last publish or read. */
  historyMetaTtlMs: number;
  info?: ClientInfo;
  tags?: Record<string, string>;
  /** Deduplicate a repeated publish with the same key within idempotentResultTtlMs. */
  idempotencyKey?: string;
  idempotentResultTtlMs?: number;
  /** Suppress the publish when version <= the stored version (same version epoch). */
  version?: number;
  versionEpoch?: string;
  delta?: boolean;
  /** `data` is known to be JSON (Publication.jsonData). */
  dataIsJson?: boolean;
}

export interface PublishResult {
  /** offset 0 and epoch '' when the channel keeps no history. */
  position: StreamPosition;
  /** True when idempotency or versioning dropped the publish: nothing was delivered. */
  suppressed: boolean;
}

export interface HistoryFilter {
  /** Publications after (or before, when reverse) this offset; epoch checked by the caller. */
  since?: StreamPosition;
  /** 0: none, only the position; -1: all; N: at most N. */
  limit: number;
  reverse?: boolean;
}

export interface HistoryOptions {
  historyMetaTtlMs: number;
}

export interface HistoryResult {
  publications: Publication[];
  position: StreamPosition;
}

/** What a broker hands back to its node: everything that must reach local subscribers. */
export interface BrokerEventHandler {
  /** The node's uid: brokers that span nodes address control messages by it. */
  readonly id: string;
  onPublication(channel: string, pub: Publication, position: StreamPosition, delta: boolean, prev?: Publication): void;
  onJoin(channel: string, info: ClientInfo): void;
  onLeave(channel: string, info: ClientInfo): void;
  /** Cross-node control messages (disconnect by user, surveys...). The memory broker never calls it. */
  onControl(data: Raw): void;
  /**
   * Publications for these channels may have been missed (the broker's PUB/SUB
   * link was down and is back). Subscribers that track stream positions must
   * re-check them; the others lose what was missed, as in Centrifugo.
   */
  onDeliveryGap(channels: string[]): void;
}

/**
 * Where a broker keeps idempotency results: nowhere (a PUB/SUB-only broker
 * ignores keys), in this process only (they die with it), or shared by every
 * node (a publish retried on another node after a crash is still suppressed).
 */
export type IdempotencyScope = 'none' | 'process' | 'shared';

export interface Broker {
  readonly name: string;
  readonly idempotencyScope: IdempotencyScope;
  /** Connects and starts handing events to `handler` (centrifuge's Run). */
  start(handler: BrokerEventHandler): Promise<void>;
  close(): Promise<void>;
  health(): EngineHealth;

  publish(channel: string, data: Raw, opts: PublishOptions): Promise<PublishResult>;
  /**
   * publish() done at once, for a broker that needs no I/O to publish (the
   * memory broker); absent on the others. It throws where publish() rejects.
   * Consumers drain backlogs through it: a promise per layer per row cost
   * them about a fifth of their CPU. A broker that changes what publish()
   * does (a subclass of the memory broker) must change this too, or drop it.
   */
  publishNow?(channel: string, data: Raw, opts: PublishOptions): PublishResult;
  publishJoin(channel: string, info: ClientInfo): Promise<void>;
  publishLeave(channel: string, info: ClientInfo): Promise<void>;
  /** Send a control message to every node (nodeId undefined) or to one. */
  publishControl(data: Raw, nodeId?: string): Promise<void>;

  /** Node-level interest in a channel: called on the first local subscriber and after the last leaves. */
  subscribe(channels: string[]): Promise<void>;
  unsubscribe(channels: string[]): Promise<void>;

  history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult>;
  removeHistory(channel: string): Promise<void>;
}
