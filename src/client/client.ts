// One client connection's session: the connect handshake, command dispatch in
// arrival order, ping/pong and expiry on the shared timer wheel, and cleanup
// that never leaves a subscription or presence entry behind.

import { randomUUID } from 'node:crypto';
import type { Command, ConnectRequest } from '../protocol/commands.js';
import { Disconnects, DisconnectError, Errors, ReplyError, Unsubscribes, type Disconnect, type ProtocolError, type Unsubscribe } from '../protocol/codes.js';
import type { Frame, ProtocolCodec, ReplyKind } from '../protocol/codec.js';
import { codecFor, unidirectionalCodecFor } from '../protocol/codecs.js';
import { isJsonSafePayload } from '../protocol/json/raw-json.js';
import { SubscribingChannels } from './subscribing-channels.js';
import type { ClientInfo } from '../protocol/types.js';
import type { ResolvedChannel } from '../channels/resolver.js';
import type { Verifiers } from '../auth/verifiers.js';
import type { Node } from '../node/node.js';
import type { NodeSession, ServerRefresh, ServerSubscription } from '../node/session.js';
import type { Transport } from './transport.js';
import { Writer, type WriterOwner } from './writer.js';
import type { WheelItem } from '../util/timer-wheel.js';
import { ClientSubscription, type SubscriptionOwner } from './subscription.js';
import { CommandHandlers } from './handlers.js';
import type { ConnectionContext, HandlerSession } from './handler-session.js';
import type { SessionContext } from './session-context.js';
import { subscribeChannel, type SubscribeGrant } from './subscribe.js';
import { metricClientName } from './metric-labels.js';
import { expiryFields } from './expiry.js';
import type { ConnectFailure } from './unidirectional.js';
import type { TrafficCounter } from '../metrics.js';
import type { Proxies } from '../proxy/proxies.js';
import type { ProxyEndpoint } from '../proxy/endpoint.js';
import { refreshOutcome, refreshThroughProxy } from './proxy-calls.js';
import { ownedBytes, ownedBytesOrUndefined } from '../util/owned-bytes.js';

export type ClientState = 'connecting' | 'connected' | 'closed';

const PAYLOAD_REPLIES = new Set(['connect', 'subscribe', 'history', 'presence']);

/** Inbound frames waiting for processing before the socket stops being read, and when it resumes. */
const MAX_PENDING_FRAMES = 32;
const RESUME_PENDING_FRAMES = 8;

function asBuffer(frame: Frame): Buffer {
  return typeof frame === 'string' ? Buffer.from(frame) : frame;
}

/** A subscribe push carries the position and data only, as Centrifugo's does. */
function subscribePushFields(result: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['recoverable', 'positioned', 'epoch', 'offset', 'data']) {
    if (result[key] !== undefined) out[key] = result[key];
  }
  return out;
}

export class ClientSession implements NodeSession, HandlerSession, WriterOwner, SubscriptionOwner, WheelItem {
  readonly id = randomUUID();
  readonly node: Node;
  /** Token checks for connect, refresh and subscribe: the session's, never the node's. */
  readonly verifiers: Verifiers;
  readonly proxies: Proxies;
  /** Set for emulation and unidirectional transports (the emulation endpoint addresses a session by it); '' on WebSocket. */
  readonly session: string;
  user = '';
  name = '';
  clientVersion = '';
  private ownConnInfo: Buffer | undefined;
  private ownMeta: Buffer | undefined;
  state: ClientState = 'connecting';
  /** Unix ms when the connection's credentials expire; 0 = never. */
  expireAt = 0;
  refreshByProxy = false;
  /** Set while the refresh proxy is asked, so the timer does not ask again meanwhile. */
  private refreshing = false;
  /** Made on the first proxy call only: most connections never need one, and it costs memory per connection. */
  private closed: AbortController | null = null;
  wheelSlot = -1;
  readonly subs = new Map<string, ClientSubscription>();
  /** Channels with a subscribe in flight: a second subscribe gets 105. */
  readonly subscribing = new SubscribingChannels();
  /** Channels granted by the connection token (`channels`/`subs`); a refresh must not change them. */
  tokenChannels: ReadonlySet<string> | null = null;
  /** After a connect error the connection accepts nothing more (the SDK closes it). */
  private unusable = false;
  /** Set while disconnect() runs, so a write error during its final flush cannot re-enter it. */
  private closing = false;
  private readonly writer: Writer;
  /** The publication counter, kept here: enqueue() runs once per delivered message. */
  private readonly publicationsSent: TrafficCounter;
  readonly codec: ProtocolCodec;
  private queue: Promise<void> = Promise.resolve();
  /** Frames received but not processed yet; reading pauses above a bound. */
  private inboundFrames = 0;
  private readingPaused = false;
  private readonly handlers: CommandHandlers;
  private staleDeadline: number;
  private nextPingAt = 0;
  private pongDeadline = 0;
  /** When presence entries are next re-added; 0 while no subscription has presence. */
  private nextPresenceAt = 0;

  constructor(
    shared: SessionContext,
    readonly transport: Transport,
    readonly context: ConnectionContext = {},
  ) {
    const node = shared.node;
    this.node = node;
    this.verifiers = shared.verifiers;
    this.proxies = shared.proxies;
    this.session = transport.mode === 'bidirectional' ? '' : randomUUID();
    this.codec = transport.mode === 'unidirectional' ? unidirectionalCodecFor(transport.protocol) : codecFor(transport.protocol);
    this.writer = new Writer(
      transport,
      this,
      this.codec.join,
      node.config.client.queue_max_size,
      transport.writeTimeoutMs ?? node.config.websocket.write_timeout,
    );
    this.publicationsSent = node.metrics.traffic.counter(transport.name, 'publication');
    this.handlers = new CommandHandlers(this);
    this.staleDeadline = Date.now() + node.config.client.stale_close_delay;
    node.wheel.schedule(this, this.staleDeadline);
  }

  get closedSignal(): AbortSignal {
    this.closed ??= new AbortController();
    if (this.state === 'closed') this.closed.abort();
    return this.closed.signal;
  }

  /** A method, not a field read, so TypeScript does not narrow it across awaits. */
  isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Kept for the connection's life, so never a view into a shared slab (see ownedBytes). */
  get connInfo(): Buffer | undefined {
    return this.ownConnInfo;
  }
  set connInfo(info: Buffer | undefined) {
    this.ownConnInfo = ownedBytesOrUndefined(info);
  }
  get meta(): Buffer | undefined {
    return this.ownMeta;
  }
  set meta(meta: Buffer | undefined) {
    this.ownMeta = ownedBytesOrUndefined(meta);
  }

  clientInfo(chanInfo?: Buffer): ClientInfo {
    const info: ClientInfo = { user: this.user, client: this.id };
    if (this.ownConnInfo) info.connInfo = this.ownConnInfo;
    if (chanInfo) info.chanInfo = ownedBytes(chanInfo);
    return info;
  }

  // ---- inbound -------------------------------------------------------------

  /** One transport message from the client: decoded now, processed in order. */
  handleMessage(message: Buffer | string): void {
    if (this.state === 'closed') return;
    let commands: Command[];
    try {
      commands = this.codec.decodeCommands(message);
    } catch (err) {
      this.node.log.info({ client: this.id, user: this.user, err: (err as Error).message }, 'bad client message');
      this.disconnect(Disconnects.badRequest);
      return;
    }
    this.inboundFrames++;
    // Idle: start at once. Busy: chain behind what is in flight, keeping arrival order.
    this.queue = this.inboundFrames === 1 ? this.runFrame(commands) : this.queue.then(() => this.runFrame(commands));
    if (this.inboundFrames > MAX_PENDING_FRAMES && !this.readingPaused) {
      // Backpressure: a client sending faster than its commands complete stops being read.
      this.readingPaused = true;
      this.transport.pauseReading();
    }
  }

  /**
   * One emulation request's commands (HTTP-streaming, SSE): handled like a
   * transport message, resolving once they are processed, so the emulation
   * endpoint answers after its commands have run, as Centrifugo's does.
   */
  process(message: Buffer): Promise<void> {
    // WebSocket frames are counted where they are read (transports/websocket.ts); emulation requests here.
    const frameType = this.transport.protocol === 'protobuf' ? 'binary' : 'text';
    this.node.metrics.messagesReceived.inc({ transport: this.transport.name, frame_type: frameType });
    this.node.metrics.messagesReceivedSize.inc({ transport: this.transport.name, frame_type: frameType }, message.length);
    this.handleMessage(message);
    return this.queue.catch(() => undefined);
  }

  /**
   * A unidirectional transport's connect request, processed as a connect
   * command. Resolves with the failure, or null once connected; the
   * transport decides how the client learns of a failure (a disconnect, or an
   * HTTP response with connect_code_to_http_response).
   */
  connectUnidirectional(req: ConnectRequest): Promise<ConnectFailure | null> {
    const started = this.dispatch({ id: 1, kind: 'connect', req }).then(
      () => null,
      (err: unknown): ConnectFailure => {
        if (err instanceof DisconnectError) return { disconnect: err.disconnect };
        if (err instanceof ReplyError) return { error: err.error };
        this.node.log.error({ err, client: this.id }, 'unidirectional connect failed');
        return { error: Errors.internal };
      },
    );
    this.queue = started.then(() => undefined);
    return started;
  }

  private async runFrame(commands: Command[]): Promise<void> {
    try {
      await this.processCommands(commands);
    } finally {
      this.inboundFrames--;
      if (this.readingPaused && this.inboundFrames <= RESUME_PENDING_FRAMES) {
        this.readingPaused = false;
        this.transport.resumeReading();
      }
    }
  }

  private async processCommands(commands: Command[]): Promise<void> {
    for (const cmd of commands) {
      if (this.state === 'closed' || this.unusable) return;
      try {
        await this.dispatch(cmd);
      } catch (err) {
        this.handleCommandError(cmd, err);
      }
    }
  }

  private async dispatch(cmd: Command): Promise<void> {
    if (cmd.kind === 'pong' || (cmd.id === 0 && cmd.kind !== 'send')) {
      if (cmd.id !== 0 || this.state !== 'connected') throw new DisconnectError(Disconnects.badRequest);
      this.pongDeadline = 0; // lenient: an unsolicited pong is harmless
      return;
    }
    if (this.state === 'connecting') {
      if (cmd.kind !== 'connect') throw new DisconnectError(Disconnects.badRequest);
    } else if (cmd.kind === 'connect') {
      throw new DisconnectError(Disconnects.badRequest);
    }
    const started = process.hrtime.bigint();
    await this.handlers.handle(cmd);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.node.metrics.commandDurationFor(cmd.kind).observe(seconds);
  }

  private handleCommandError(cmd: Command, err: unknown): void {
    if (err instanceof DisconnectError) {
      this.disconnect(err.disconnect);
      return;
    }
    let error: ProtocolError;
    if (err instanceof ReplyError) {
      error = err.error;
    } else {
      this.node.log.error({ err, client: this.id, method: cmd.kind }, 'command failed');
      error = Errors.internal;
    }
    this.node.metrics.replyErrors.inc({ method: cmd.kind, code: String(error.code), channel_namespace: '' });
    if (cmd.kind === 'send') return; // send has no reply
    this.enqueue(this.codec.encodeError(cmd.id, error), this.traffic('error'));
    if (cmd.kind === 'connect') {
      // Like Go: a failed connect leaves nothing behind and the connection reads
      // nothing more; the SDK closes it, the stale timer does if it does not.
      this.unusable = true;
      this.rollbackConnect();
    }
  }

  /** Undoes a connect that failed after the session was registered. */
  private rollbackConnect(): void {
    if (this.state !== 'connected') return;
    this.state = 'connecting';
    this.node.removeClient(this);
    this.node.metrics.connectionsInflight.dec({ transport: this.transport.name, accept_protocol: this.transport.protocol });
    for (const ch of [...this.subs.keys()]) {
      this.removeSubscription(ch).catch((err) => this.node.log.error({ err, channel: ch }, 'connect rollback failed'));
    }
    this.subscribing.clear();
    this.nextPingAt = 0;
    this.pongDeadline = 0;
    this.nextPresenceAt = 0;
    this.rearm();
  }

  // ---- outbound ------------------------------------------------------------

  /** The sent-message counter of one message type (see Metrics.traffic). */
  private traffic(type: string): TrafficCounter {
    return this.node.metrics.traffic.counter(this.transport.name, type);
  }

  enqueue(message: Frame, counter: TrafficCounter = this.publicationsSent): void {
    counter.messages++;
    counter.bytes += message.length;
    this.writer.enqueue(message);
  }

  reply(id: number, kind: ReplyKind, result: Record<string, unknown>): void {
    // A unidirectional connection gets its connect result as a connect push, and no other reply.
    const message = this.transport.mode === 'unidirectional' ? this.codec.encodePush('', 'connect', result) : this.codec.encodeReply(id, kind, result);
    // Replies that carry stored payloads (history, recovered publications, presence
    // info) must still be valid JSON for a JSON connection; if not, 3506 as Centrifugo.
    if (this.codec.name === 'json' && PAYLOAD_REPLIES.has(kind) && !isJsonSafePayload(asBuffer(message))) {
      this.onInappropriateProtocol();
      return;
    }
    this.enqueue(message, this.traffic(kind));
  }

  onInappropriateProtocol(): void {
    this.disconnect(Disconnects.inappropriateProtocol);
  }

  onQueueOverflow(): void {
    this.disconnect(Disconnects.slow, false);
  }

  onWriteError(err: unknown): void {
    this.node.log.debug({ err, client: this.id }, 'write failed');
    this.disconnect(Disconnects.writeError, false);
  }

  // ---- connected state ---------------------------------------------------------

  /**
   * Called by the connect handler once credentials are settled. Returns false
   * when the connection went away meanwhile (nothing is registered then).
   */
  markConnected(): boolean {
    if (this.state !== 'connecting') return false;
    this.state = 'connected';
    const cfg = this.node.config.client;
    const now = Date.now();
    if (cfg.ping_interval > 0) {
      // The first ping is spread over [interval/2, interval) so a mass reconnect does not ping in lockstep.
      this.nextPingAt = now + cfg.ping_interval / 2 + Math.random() * (cfg.ping_interval / 2);
    }
    this.node.addClient(this);
    this.node.metrics.connectionsAccepted.inc({
      transport: this.transport.name,
      accept_protocol: this.transport.protocol,
      // Client-chosen strings must not become label values: only known SDK names are kept.
      client_name: metricClientName(this.name),
      client_version: '',
    });
    this.node.metrics.connectionsInflight.inc({ transport: this.transport.name, accept_protocol: this.transport.protocol });
    this.rearm(now);
    return true;
  }

  /** Re-computes the next timer deadline, e.g. after a refresh changed expiry. */
  rearm(now = Date.now()): void {
    if (this.state === 'closed') return;
    let next = Infinity;
    if (this.state === 'connecting') next = this.staleDeadline;
    else {
      const cfg = this.node.config.client;
      if (this.nextPingAt) next = Math.min(next, this.nextPingAt);
      if (this.pongDeadline) next = Math.min(next, this.pongDeadline);
      if (this.expireAt && !this.refreshing) next = Math.min(next, this.expireAt + (this.refreshByProxy ? 0 : cfg.expired_close_delay));
      let presence = false;
      for (const sub of this.subs.values()) {
        if (sub.expireAt && !sub.refreshing) next = Math.min(next, sub.expireAt + cfg.expired_sub_close_delay);
        if (sub.flags.presence) presence = true;
      }
      if (presence && cfg.presence_update_interval > 0) {
        // Spread over [interval/2, interval], like the first ping, so a mass (re)subscribe does not refresh in lockstep.
        if (this.nextPresenceAt === 0) this.nextPresenceAt = now + cfg.presence_update_interval * (0.5 + Math.random() / 2);
        next = Math.min(next, this.nextPresenceAt);
      } else {
        this.nextPresenceAt = 0;
      }
    }
    if (next === Infinity) this.node.wheel.cancel(this);
    else this.node.wheel.scheduleBy(this, Math.max(next, now));
  }

  onWheelTick(now: number): void {
    if (this.state === 'closed') return;
    if (this.state === 'connecting') {
      if (now >= this.staleDeadline) return this.disconnect(Disconnects.stale);
      return this.rearm(now);
    }
    const cfg = this.node.config.client;
    if (this.pongDeadline && now >= this.pongDeadline) return this.disconnect(Disconnects.noPong);
    if (this.expireAt && this.refreshByProxy) {
      if (now >= this.expireAt && !this.refreshing) this.refreshThroughProxy();
    } else if (this.expireAt && now >= this.expireAt + cfg.expired_close_delay) {
      return this.disconnect(Disconnects.expired);
    }
    if (this.nextPingAt && now >= this.nextPingAt) {
      this.enqueue(this.codec.ping(), this.traffic('ping'));
      // A unidirectional client cannot answer: its pings only keep the stream alive.
      if (cfg.pong_timeout > 0 && !this.pongDeadline && this.transport.mode !== 'unidirectional') this.pongDeadline = now + cfg.pong_timeout;
      this.nextPingAt = now + cfg.ping_interval;
    }
    if (this.nextPresenceAt && now >= this.nextPresenceAt) {
      this.nextPresenceAt = now + cfg.presence_update_interval;
      this.updatePresence();
    }
    for (const sub of [...this.subs.values()]) {
      if (!sub.expireAt || sub.refreshing || now < sub.expireAt + cfg.expired_sub_close_delay) continue;
      const proxy = sub.refreshByProxy ? this.proxies.channel('sub_refresh', sub.options) : null;
      if (proxy) {
        this.refreshSubscriptionThroughProxy(sub, proxy);
        continue;
      }
      if (sub.serverSide) return this.disconnect(Disconnects.subscriptionExpired);
      this.serverUnsubscribe(sub.channel, Unsubscribes.expired);
    }
    this.rearm(now);
  }

  /**
   * Server-side refresh of a connection the connect proxy accepted (proxies.md
   * §4.2): the backend extends it, or it is over (3005). A backend that cannot
   * be asked gives it another minute.
   */
  private refreshThroughProxy(): void {
    const proxy = this.proxies.refresh;
    if (!proxy) return;
    this.refreshing = true;
    refreshThroughProxy(this, proxy, { user: this.user })
      .then((result) => {
        this.refreshing = false;
        if (result === null || this.isClosed()) return;
        const outcome = refreshOutcome(result);
        if (outcome.kind === 'expired') return this.disconnect(Disconnects.expired);
        if (outcome.kind === 'broken') return this.disconnect(Disconnects.internal);
        this.expireAt = outcome.expireAtMs;
        if (outcome.kind === 'extend') {
          if (outcome.info) this.connInfo = outcome.info;
          if (outcome.meta) this.meta = outcome.meta;
        }
        this.rearm();
      })
      .catch((err) => {
        this.refreshing = false;
        this.node.log.error({ err, client: this.id }, 'refresh through the proxy failed');
        this.disconnect(Disconnects.internal);
      });
  }

  /** Server-side refresh of a subscription the subscribe proxy granted (proxies.md §5.3). */
  private refreshSubscriptionThroughProxy(sub: ClientSubscription, proxy: ProxyEndpoint<'sub_refresh'>): void {
    sub.refreshing = true;
    refreshThroughProxy(this, proxy, { user: this.user, channel: sub.channel })
      .then((result) => {
        sub.refreshing = false;
        if (result === null || this.subs.get(sub.channel) !== sub) return;
        const outcome = refreshOutcome(result);
        if (outcome.kind === 'expired' || outcome.kind === 'broken') {
          if (sub.serverSide) this.disconnect(Disconnects.subscriptionExpired);
          else this.serverUnsubscribe(sub.channel, Unsubscribes.expired);
          return;
        }
        // The close delay applies again from the new expiry, as with a client's refresh.
        sub.extend(outcome.expireAtMs, outcome.kind === 'extend' ? outcome.info : undefined);
        this.rearm();
      })
      .catch((err) => {
        sub.refreshing = false;
        this.node.log.error({ err, client: this.id, channel: sub.channel }, 'subscription refresh through the proxy failed');
        this.serverUnsubscribe(sub.channel, Unsubscribes.expired);
      });
  }

  // ---- subscriptions -------------------------------------------------------

  /**
   * Re-adds this connection's presence in every channel that has it.
   * Presence managers with expiring presence (Redis: TTL 60 s) drop entries
   * that are not refreshed, which is what clears a crashed node's clients.
   * Failures are logged: the next round retries.
   */
  private updatePresence(): void {
    for (const sub of this.subs.values()) {
      if (!sub.active || !sub.flags.presence) continue;
      const channel = sub.channel;
      // The current connection info: a server-side refresh may have replaced it.
      this.node.presenceManager
        .addPresence(channel, this.id, this.clientInfo(sub.info.chanInfo))
        .then(() => {
          // Unsubscribed while the add was in flight: its removal may have landed first.
          if (this.isClosed() || !this.subs.get(channel)?.flags.presence) {
            return this.node.presenceManager.removePresence(channel, this.id, this.user);
          }
        })
        .catch((err) => this.node.log.error({ err, channel, client: this.id }, 'presence update failed'));
    }
  }

  onInsufficientState(sub: ClientSubscription): void {
    if (sub.serverSide) this.disconnect(Disconnects.insufficientState);
    else this.serverUnsubscribe(sub.channel, Unsubscribes.insufficientState);
  }

  /** Removes a subscription and tells the client with an unsubscribe push. */
  serverUnsubscribe(channel: string, why: Unsubscribe): void {
    if (!this.subs.has(channel)) return;
    this.node.metrics.serverUnsubscribes.inc({ code: String(why.code), channel_namespace: '' });
    this.enqueue(this.codec.encodePush(channel, 'unsubscribe', { code: why.code, reason: why.reason }), this.traffic('unsubscribe'));
    this.removeSubscription(channel).catch((err) => this.node.log.error({ err, channel }, 'unsubscribe cleanup failed'));
  }

  /** Server API `unsubscribe` with no channel: every subscription goes, each with its push. */
  serverUnsubscribeAll(why: Unsubscribe): void {
    for (const ch of [...this.subs.keys()]) this.serverUnsubscribe(ch, why);
  }

  /** Forgets a subscription: hub, presence, leave. Safe to call twice. */
  async removeSubscription(channel: string): Promise<void> {
    const sub = this.subs.get(channel);
    if (!sub) return;
    this.subs.delete(channel);
    const wasActive = sub.active;
    sub.deactivate();
    this.node.metrics.subscriptionsInflight.dec({ client_name: metricClientName(this.name), channel_namespace: sub.namespace });
    // Each step runs even when an earlier one failed (a broker or presence link down):
    // presence must not outlive the subscription, and peers should hear the leave.
    const steps: Array<() => Promise<void>> = [() => this.node.removeSubscription(sub)];
    if (sub.flags.presence) steps.push(() => this.node.presenceManager.removePresence(channel, this.id, this.user));
    if (wasActive && sub.flags.joinLeave) steps.push(() => this.node.publishLeave(channel, sub.info));
    let failure: unknown;
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Server API `subscribe`: a server-side subscription added after connect. */
  async serverSubscribe(resolved: ResolvedChannel, sub: ServerSubscription): Promise<void> {
    // The client never refreshes a server-side subscription, so it is not told the expiry.
    const grant: SubscribeGrant = {
      chanInfo: sub.chanInfo,
      data: sub.data,
      override: sub.override,
      expireAtSec: sub.expireAtSec,
      clientSideRefresh: false,
    };
    const since = sub.recoverSince;
    if (this.state !== 'connected' || this.subs.has(resolved.name) || this.subscribing.has(resolved.name)) return;
    if (grant.expireAtSec && grant.expireAtSec * 1000 <= Date.now()) return; // already expired: nothing to grant
    if (this.subs.size + this.subscribing.size >= this.node.config.client.channel_limit) {
      this.disconnect(Disconnects.channelLimit);
      return;
    }
    const request = since ? { channel: resolved.name, recover: true, offset: since.offset, epoch: since.epoch } : { channel: resolved.name };
    this.subscribing.add(resolved.name);
    try {
      const outcome = await subscribeChannel(this, resolved, { grant, request, serverSide: true });
      if (this.isClosed()) return;
      this.enqueue(this.codec.encodePush(resolved.name, 'subscribe', subscribePushFields(outcome.result)), this.traffic('subscribe'));
      outcome.activate();
    } finally {
      this.subscribing.delete(resolved.name);
    }
  }

  /** Server API `refresh`: server-side change of expiry and info. */
  serverRefresh(opts: ServerRefresh): void {
    if (this.state !== 'connected') return;
    if (opts.expired) {
      this.disconnect(Disconnects.expired);
      return;
    }
    this.expireAt = opts.expireAtSec > 0 ? opts.expireAtSec * 1000 : 0;
    if (opts.info) this.connInfo = opts.info;
    this.enqueue(this.codec.encodePush('', 'refresh', expiryFields(this.expireAt)), this.traffic('refresh'));
    this.rearm();
  }

  // ---- closing ---------------------------------------------------------------

  /** Server-initiated close: flush what is queued (unless the client is slow), then close. */
  disconnect(d: Disconnect, flush = true): void {
    if (this.state === 'closed' || this.closing) return;
    this.closing = true;
    try {
      if (flush) {
        // Transports whose close cannot carry a code say why in the stream itself.
        if (this.transport.disconnectPush && d.code !== Disconnects.connectionClosed.code) {
          this.enqueue(this.codec.encodePush('', 'disconnect', { code: d.code, reason: d.reason }), this.traffic('disconnect'));
        }
        this.writer.flush();
      }
      this.writer.close();
      this.node.metrics.serverDisconnects.inc({ code: String(d.code) });
      this.node.log.debug({ client: this.id, user: this.user, code: d.code, reason: d.reason }, 'disconnect');
      this.transport.close(d.code, d.reason);
    } finally {
      this.cleanup();
    }
  }

  /** The transport went away on its own (peer closed, network error). */
  onTransportClosed(): void {
    if (this.state === 'closed') return;
    this.writer.close();
    this.cleanup();
  }

  async shutdown(): Promise<void> {
    this.disconnect(Disconnects.shutdown);
    await this.queue.catch(() => undefined);
  }

  private cleanup(): void {
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.closed?.abort();
    this.node.wheel.cancel(this);
    this.node.removeClient(this);
    if (wasConnected) {
      this.node.metrics.connectionsInflight.dec({ transport: this.transport.name, accept_protocol: this.transport.protocol });
    }
    const channels = [...this.subs.keys()];
    for (const ch of channels) {
      this.removeSubscription(ch).catch((err) => this.node.log.error({ err, channel: ch }, 'cleanup failed'));
    }
  }
}
