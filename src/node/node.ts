// The node ties one process together: it owns the broker and the presence
// manager, the hub of local subscribers and the index of connected clients,
// and it is the single publish path every door (client publish, HTTP API,
// consumers) goes through.

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ChannelResolver, effectiveHistoryMetaTtl, type ResolvedChannel } from '../channels/resolver.js';
import type { ChannelOptions, Config } from '../config/schema.js';
import type { Broker, BrokerEventHandler, HistoryResult, PublishOptions, PublishResult } from '../engines/broker.js';
import { MemberMap } from '../util/member-map.js';
import type { PresenceManager, PresenceStats } from '../engines/presence-manager.js';
import { Hub, type ChannelSubscriber } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { DeliveryLatency } from './delivery-latency.js';
import { InfoMetricsAggregator } from './info-metrics.js';
import { Errors, ReplyError } from '../protocol/codes.js';
import type { ClientInfo, Publication, Raw, StreamPosition } from '../protocol/types.js';
import { TimerWheel } from '../util/timer-wheel.js';
import { VERSION } from '../version.js';
import { historyEnabled } from '../channels/permissions.js';
import { applyUserCommand } from './apply-user-command.js';
import { CHANNELS_OP, localChannels } from './control/channels-survey.js';
import { ControlPlane, type ControlOptions } from './control/control-plane.js';
import type { NodeInfo } from './control/messages.js';
import type { UserCommand } from './control/user-commands.js';
import type { ConnectionSelector, NodeSession } from './session.js';

/** Channels whose stream top is read at once after a delivery gap. */
const GAP_CHECK_BATCH = 64;

export interface PublishRequest {
  info?: ClientInfo;
  tags?: Record<string, string>;
  skipHistory?: boolean;
  idempotencyKey?: string;
  delta?: boolean;
  /** `delta` as given, without the namespace's delta_publish: a publish proxy's answer decides alone, as in Centrifugo. */
  exactDelta?: boolean;
  version?: number;
  versionEpoch?: string;
  /** `data` arrived as raw JSON in the request (Publication.jsonData). */
  dataIsJson?: boolean;
}

export interface HistoryQuery {
  limit: number;
  since?: StreamPosition;
  reverse?: boolean;
}

/** Where publications, history and control travel, and where presence lives. */
export interface NodeEngines {
  broker: Broker;
  presenceManager: PresenceManager;
  /** A `broker` or `presence_manager` block replaced one half of the engine. */
  split?: boolean;
}

export interface NodeOptions {
  /** Heartbeat, node TTL and survey timings; Centrifugo's defaults when left out. */
  control?: Partial<ControlOptions>;
}

/** The broker's event handler: the presence manager hands nothing back, so it gets none. */
export class Node implements BrokerEventHandler {
  readonly id = randomUUID();
  readonly name: string;
  readonly version = VERSION;
  /** The version clients and `info` see, as Centrifugo says its own: "6.9.1 OSS". */
  readonly displayVersion = `${VERSION} OSS`;
  readonly startedAt = Date.now();
  /** What `info` shows of this node's metrics, refreshed every node.info_metrics_aggregate_interval. */
  private readonly infoMetrics: InfoMetricsAggregator;
  readonly hub = new Hub();
  readonly wheel: TimerWheel;
  readonly resolver: ChannelResolver;
  /** Registry of the other nodes, surveys and by-user commands across nodes. */
  readonly control: ControlPlane;
  readonly broker: Broker;
  readonly presenceManager: PresenceManager;
  readonly split: boolean;
  /** Every open session, connected or still in its connect handshake. */
  private readonly sessions = new Set<NodeSession>();
  /** Connected sessions by id. */
  private readonly clients = new Map<string, NodeSession>();
  private readonly users = new MemberMap<string, NodeSession>();
  /** Connected emulation and unidirectional sessions by session id (emulation requests address them so). */
  private readonly bySession = new Map<string, NodeSession>();
  /** Node-level broker subscriptions still in flight, by channel. */
  private readonly brokerSubscribing = new Map<string, Promise<void>>();
  private gaugeTimer: NodeJS.Timeout | null = null;
  // Bound once: a labelled lookup per publication is measurable on the hot path.
  private readonly publicationsSent: { inc(): void };
  private readonly publicationsReceived: { inc(): void };
  readonly deliveryLatency: DeliveryLatency;
  shuttingDown = false;

  constructor(
    readonly config: Config,
    engines: NodeEngines,
    readonly log: Logger,
    readonly metrics: Metrics,
    options: NodeOptions = {},
  ) {
    this.broker = engines.broker;
    this.presenceManager = engines.presenceManager;
    this.split = engines.split ?? false;
    this.name = config.node.name || `${os.hostname()}_${config.http_server.port}`;
    this.wheel = new TimerWheel(200, (err) => log.error({ err }, 'connection timer failed'));
    this.resolver = new ChannelResolver(config);
    metrics.build.set({ version: VERSION }, 1);
    this.publicationsSent = metrics.nodeMessagesSentChild('publication');
    this.publicationsReceived = metrics.nodeMessagesReceivedChild('publication');
    this.deliveryLatency = new DeliveryLatency(metrics.deliveryLatency);
    this.infoMetrics = new InfoMetricsAggregator(metrics.registry, config.node.info_metrics_aggregate_interval, () => this.refreshGauges());
    this.control = new ControlPlane(this, log, metrics, options.control);
    this.control.registerSurveyHandler(CHANNELS_OP, (data) => localChannels(this.hub, data));
  }

  async start(): Promise<void> {
    await this.infoMetrics.start();
    await this.broker.start(this);
    await this.presenceManager.start();
    await this.control.start();
    this.gaugeTimer = setInterval(() => this.refreshGauges(), 10_000);
    this.gaugeTimer.unref();
  }

  refreshGauges(): void {
    this.metrics.numClients.set(this.clients.size);
    this.metrics.numUsers.set(this.users.size);
    this.metrics.numChannels.set(this.hub.numChannels());
    this.metrics.numSubscriptions.set(this.hub.numSubscriptions());
  }

  /** This node as `info` and heartbeats describe it, computed now. */
  nodeInfo(): NodeInfo {
    return {
      uid: this.id,
      name: this.name,
      version: this.displayVersion,
      num_clients: this.numClients(),
      num_users: this.numUsers(),
      num_channels: this.hub.numChannels(),
      num_subs: this.hub.numSubscriptions(),
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
      metrics: this.infoMetrics.snapshot,
    };
  }

  /** Applies a by-user command (subscribe, unsubscribe, disconnect, refresh) to this node's connections only. */
  applyUserCommand(command: UserCommand): Promise<void> {
    return applyUserCommand(this, command);
  }

  // ---- clients -------------------------------------------------------------

  trackConnection(client: NodeSession): void {
    this.sessions.add(client);
  }

  untrackConnection(client: NodeSession): void {
    this.sessions.delete(client);
  }

  numConnectionsTotal(): number {
    return this.sessions.size;
  }

  addClient(client: NodeSession): void {
    this.clients.set(client.id, client);
    if (client.session !== '') this.bySession.set(client.session, client);
    this.users.add(client.user, client);
  }

  removeClient(client: NodeSession): void {
    if (this.clients.get(client.id) !== client) return;
    this.clients.delete(client.id);
    if (client.session !== '') this.bySession.delete(client.session);
    this.users.delete(client.user, client);
  }

  /** The connected session an emulation request names, if it lives on this node. */
  clientBySession(session: string): NodeSession | undefined {
    return this.bySession.get(session);
  }

  numClients(): number {
    return this.clients.size;
  }

  numUsers(): number {
    return this.users.size;
  }

  userConnectionCount(user: string): number {
    return this.users.count(user);
  }

  /** Local connections matching a by-user API call. */
  select(sel: ConnectionSelector): NodeSession[] {
    const out: NodeSession[] = [];
    for (const c of this.users.list(sel.user)) {
      if (sel.client && c.id !== sel.client) continue;
      if (sel.session && c.session !== sel.session) continue;
      out.push(c);
    }
    return out;
  }

  allClients(): IterableIterator<NodeSession> {
    return this.clients.values();
  }

  // ---- subscriptions -------------------------------------------------------

  async addSubscription(sub: ChannelSubscriber): Promise<void> {
    if (this.hub.add(sub)) {
      const pending = this.broker.subscribe([sub.channel]);
      this.brokerSubscribing.set(sub.channel, pending);
      try {
        await pending;
      } finally {
        if (this.brokerSubscribing.get(sub.channel) === pending) this.brokerSubscribing.delete(sub.channel);
      }
      return;
    }
    // Not the first local subscriber, but the broker may not have confirmed the
    // channel yet: reading history before that could miss what is published meanwhile.
    await this.brokerSubscribing.get(sub.channel);
  }

  async removeSubscription(sub: ChannelSubscriber): Promise<void> {
    if (this.hub.remove(sub)) await this.broker.unsubscribe([sub.channel]);
  }

  // ---- publish path ----------------------------------------------------------

  resolve(channel: string): ResolvedChannel {
    const resolved = this.resolver.resolve(channel);
    if (!resolved) throw new ReplyError(Errors.unknownChannel);
    return resolved;
  }

  async publish(resolved: ResolvedChannel, data: Raw, req: PublishRequest = {}): Promise<PublishResult> {
    const opts = this.publishOptions(resolved, data, req);
    return this.counted(await this.broker.publish(resolved.name, data, opts));
  }

  /** Whether publishNow() may be called: the broker publishes without I/O (the memory broker). */
  get publishesNow(): boolean {
    return this.broker.publishNow !== undefined;
  }

  /** publish() done at once, without a promise; only where publishesNow. Throws where publish() rejects. */
  publishNow(resolved: ResolvedChannel, data: Raw, req: PublishRequest = {}): PublishResult {
    const opts = this.publishOptions(resolved, data, req);
    return this.counted(this.broker.publishNow!(resolved.name, data, opts));
  }

  /** The broker's options for one publish, after the node's own checks (which throw ReplyError). */
  private publishOptions(resolved: ResolvedChannel, data: Raw, req: PublishRequest): PublishOptions {
    const limit = this.config.channel.max_publication_size;
    if (limit > 0 && data.length > limit) {
      // Refused before the broker sees it: one oversized publish must not pin history_size copies of itself.
      this.metrics.publicationsTooLarge.inc();
      throw new ReplyError(Errors.limitExceeded);
    }
    const opts = resolved.options;
    const keepHistory = !req.skipHistory;
    return {
      historySize: keepHistory ? opts.history_size : 0,
      historyTtlMs: keepHistory ? opts.history_ttl : 0,
      historyMetaTtlMs: effectiveHistoryMetaTtl(opts, this.config),
      info: req.info,
      tags: req.tags,
      idempotencyKey: req.idempotencyKey || undefined,
      idempotentResultTtlMs: this.config.channel.idempotent_result_ttl,
      version: req.version,
      versionEpoch: req.versionEpoch,
      delta: req.exactDelta ? req.delta === true : req.delta || opts.delta_publish,
      dataIsJson: req.dataIsJson,
    };
  }

  private counted(result: PublishResult): PublishResult {
    if (result.suppressed) this.metrics.publishSuppressed.inc();
    else this.publicationsSent.inc();
    return result;
  }

  async history(resolved: ResolvedChannel, query: HistoryQuery): Promise<HistoryResult> {
    const since = query.since;
    const result = await this.broker.history(
      resolved.name,
      { limit: query.limit, since: since && { offset: since.offset, epoch: since.epoch }, reverse: query.reverse },
      { historyMetaTtlMs: effectiveHistoryMetaTtl(resolved.options, this.config) },
    );
    if (since && since.epoch !== '' && since.epoch !== result.position.epoch) {
      throw new ReplyError(Errors.unrecoverablePosition);
    }
    return result;
  }

  /** Reads only the stream top, creating the stream's epoch if it has none yet. */
  async streamTop(channel: string, opts: ChannelOptions): Promise<StreamPosition> {
    const r = await this.broker.history(channel, { limit: 0 }, { historyMetaTtlMs: effectiveHistoryMetaTtl(opts, this.config) });
    return r.position;
  }

  presence(channel: string): Promise<Map<string, ClientInfo>> {
    return this.presenceManager.presence(channel);
  }

  presenceStats(channel: string): Promise<PresenceStats> {
    return this.presenceManager.presenceStats(channel);
  }

  async publishJoin(channel: string, info: ClientInfo): Promise<void> {
    this.metrics.nodeMessagesSent.inc({ type: 'join' });
    await this.broker.publishJoin(channel, info);
  }

  async publishLeave(channel: string, info: ClientInfo): Promise<void> {
    this.metrics.nodeMessagesSent.inc({ type: 'leave' });
    await this.broker.publishLeave(channel, info);
  }

  // ---- broker events ---------------------------------------------------------

  onPublication(channel: string, pub: Publication, position: StreamPosition, delta: boolean, prev?: Publication): void {
    const at = performance.now();
    this.publicationsReceived.inc();
    this.hub.broadcastPublication(channel, pub, position, delta ? prev : undefined);
    this.deliveryLatency.delivered(at);
  }

  onJoin(channel: string, info: ClientInfo): void {
    this.metrics.nodeMessagesReceived.inc({ type: 'join' });
    this.hub.broadcastJoin(channel, info);
  }

  onLeave(channel: string, info: ClientInfo): void {
    this.metrics.nodeMessagesReceived.inc({ type: 'leave' });
    this.hub.broadcastLeave(channel, info);
  }

  onControl(data: Raw): void {
    this.control.handle(data);
  }

  onDeliveryGap(channels: string[]): void {
    void this.checkPositions(channels);
  }

  /**
   * After a gap, each channel's stream top is read once; only positioned
   * subscribers behind it (or on another epoch) are told their state is
   * insufficient, so they resubscribe and recover from history. A blip that
   * lost nothing moves nobody. When the top cannot be read, all of them are told.
   */
  private async checkPositions(channels: string[]): Promise<void> {
    const check = async (channel: string): Promise<void> => {
      const subs = this.hub.subscribers(channel);
      if (subs.length === 0) return;
      let top: StreamPosition | undefined;
      const resolved = this.resolver.resolve(channel);
      if (resolved && historyEnabled(resolved.options)) {
        try {
          top = await this.streamTop(channel, resolved.options);
        } catch (err) {
          this.log.warn({ channel, err: (err as Error).message }, 'cannot read the stream top after a gap; positioned subscribers will resubscribe');
        }
      }
      for (const sub of subs) sub.onDeliveryGap(top);
    };
    // Bounded parallelism: a reconnect may report every channel of the node at once.
    for (let i = 0; i < channels.length; i += GAP_CHECK_BATCH) await Promise.all(channels.slice(i, i + GAP_CHECK_BATCH).map(check));
  }

  // ---- lifecycle -------------------------------------------------------------

  /** Disconnects every client with 3001 and closes the broker and the presence manager. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    // First, as Centrifugo does: peers stop counting on this node (surveys, info) at once.
    await this.control.shutdown();
    const clients = [...this.sessions];
    // Bounded batches keep a mass disconnect from monopolising the event loop.
    for (let i = 0; i < clients.length; i += 128) {
      await Promise.all(clients.slice(i, i + 128).map((c) => c.shutdown()));
    }
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    this.infoMetrics.stop();
    this.wheel.stop();
    await Promise.all([this.broker.close(), this.presenceManager.close()]);
  }
}
