// Broker for many processes sharing a NATS server: Centrifugo's Nats broker
// (centrifugo internal/natsbroker), on the official Node client. PUB/SUB only:
// every publication, join and leave goes through NATS as a protobuf Push on
// <prefix>.client.<channel>, back to the publishing node as well, so all nodes
// deliver a channel's messages in one order; control messages travel on
// <prefix>.control and <prefix>.node.<id>. There is no history: history reads
// fail with 108 "not available" (Centrifugo's ErrorNotAvailable), so
// positioned and recovering subscriptions do too (the server API's history
// reports it as 100, as Centrifugo's does), and publications carry offset 0. Presence lives in the presence manager (memory or Redis).
//
// While the link to NATS is down, publishes fail at once with the retryable
// EngineUnavailableError (Centrifugo sets ReconnectBufSize(-1) for the same
// reason: nothing is queued to go out minutes later), health says so, and the
// client reconnects forever; once back, NATS has every subscription again (the
// client re-sends them) and the node is told its channels may have missed
// publications (onDeliveryGap).

import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { connect, type NatsConnection, type Msg, type Subscription } from '@nats-io/transport-node';
import type { NatsOptions } from '../../config/nats.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import { Errors, ReplyError } from '../../protocol/codes.js';
import type { ClientInfo, Publication, Raw, StreamPosition } from '../../protocol/types.js';
import { tlsConnectionOptions } from '../../util/tls.js';
import { EngineUnavailableError, type EngineHealth } from '../availability.js';
import type { Broker, BrokerEventHandler, HistoryResult, PublishOptions, PublishResult } from '../broker.js';
import { CorruptMessages, corruptMessagesCounter } from '../corrupt-messages.js';
import { decodePush, joinPush, leavePush, publicationPush } from './payloads.js';
import { NatsSubjects } from './subjects.js';

export interface NatsBrokerStats {
  malformedMessages: number;
  reconnects: number;
}

/** How the client reaches the server: addresses without credentials, and the credentials apart. */
export function natsServers(url: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  const out: { servers: string[]; user?: string; pass?: string; token?: string } = { servers: [] };
  for (const entry of url.split(',').map((u) => u.trim())) {
    if (entry === '') continue;
    const u = new URL(entry.includes('://') ? entry : `nats://${entry}`);
    // As nats.go reads user info: user:password, or a lone token.
    if (u.username !== '' && out.user === undefined && out.token === undefined) {
      if (u.password !== '') {
        out.user = decodeURIComponent(u.username);
        out.pass = decodeURIComponent(u.password);
      } else out.token = decodeURIComponent(u.username);
    }
    out.servers.push(`${u.protocol}//${u.host}`);
  }
  return out;
}

/**
 * nats.js gives Node no server name for a URL with an IP address (it names
 * only servers it resolved from a host name), so Node checks the certificate
 * against "localhost" and refuses a server certificate for 127.0.0.1 or
 * 10.0.0.5. Go's client (Centrifugo's) checks the IP address of the URL.
 * Without tls.server_name, a check for "localhost" is therefore a check
 * against the URLs' IP addresses: the certificate must be valid for one of
 * them (or for localhost itself).
 */
export function withIpIdentity(options: ConnectionOptions, servers: string[]): ConnectionOptions {
  if (options.servername) return options;
  const ips = servers.map((s) => new URL(s).hostname.replace(/^\[(.*)\]$/, '$1')).filter((h) => isIP(h) !== 0);
  if (ips.length === 0) return options;
  return {
    ...options,
    checkServerIdentity: (host, cert) => {
      const first = checkServerIdentity(host, cert);
      if (first === undefined || host !== 'localhost') return first;
      return ips.some((ip) => checkServerIdentity(ip, cert) === undefined) ? undefined : first;
    },
  };
}

/** The address for logs and health, without credentials. */
const shown = (url: string) => natsServers(url).servers.join(',');

/** Channels with NATS wildcards: never published to; subscribed to only with allow_wildcards (as in Centrifugo). */
const hasWildcard = (channel: string) => channel.includes('*') || channel.includes('>');

/** A Nats broker keeps no stream: every publication is at this position. Shared, never changed. */
const NO_POSITION: StreamPosition = Object.freeze({ offset: 0, epoch: '' });

export class NatsBroker implements Broker {
  readonly name = 'nats';
  readonly idempotencyScope = 'none';
  readonly subjects: NatsSubjects;
  readonly stats: NatsBrokerStats = { malformedMessages: 0, reconnects: 0 };
  private nc: NatsConnection | null = null;
  /** Null before start and after close: messages then reach nobody. */
  private handler: BrokerEventHandler | null = null;
  private connected = false;
  private problem = 'not started';
  /** The node-level subscription of each channel. */
  private readonly subs = new Map<string, Subscription>();
  private readonly address: string;
  private readonly corrupt: CorruptMessages;

  constructor(
    private readonly opts: NatsOptions,
    private readonly log: Logger,
    metrics?: Metrics,
  ) {
    this.subjects = new NatsSubjects(opts);
    this.address = shown(opts.url);
    this.corrupt = new CorruptMessages('nats', log, metrics && corruptMessagesCounter(metrics));
  }

  async start(handler: BrokerEventHandler): Promise<void> {
    if (this.nc) return;
    const { servers, ...auth } = natsServers(this.opts.url);
    const tls = this.opts.tls.enabled
      ? (withIpIdentity(tlsConnectionOptions(this.opts.tls), servers) as Record<string, unknown>)
      : servers.some((s) => s.startsWith('tls:'))
        ? (withIpIdentity({}, servers) as Record<string, unknown>)
        : undefined;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers,
        ...auth,
        ...(tls ? { tls } : {}),
        name: `tributary ${handler.id}`,
        timeout: this.opts.dial_timeout,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        // A link that died without a FIN (a partition) is noticed within ~30 s, not nats.js's 4 minutes.
        pingInterval: 10_000,
        maxPingOut: 2,
      });
    } catch (err) {
      throw new EngineUnavailableError(`nats ${this.address}: ${(err as Error).message}`, { cause: err });
    }
    this.nc = nc;
    this.handler = handler;
    this.connected = true;
    this.problem = '';
    const control = (_err: Error | null, m: Msg) => this.handler?.onControl(Buffer.from(m.data));
    nc.subscribe(this.subjects.control, { callback: control });
    nc.subscribe(this.subjects.node(handler.id), { callback: control });
    void this.watch(nc);
    try {
      await this.flush(nc);
    } catch (err) {
      await this.close();
      throw err;
    }
    this.log.info({ broker: 'nats', url: this.address, prefix: this.opts.prefix, raw_mode: this.subjects.raw }, 'broker running');
  }

  /** Follows the connection's state for health, publishes and the delivery gap after a reconnect. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.nc !== nc) return;
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.problem = `disconnected from ${s.server}`;
          this.log.warn({ broker: 'nats', server: s.server }, 'nats connection lost; publishes fail until it is back');
          break;
        case 'reconnect':
          this.stats.reconnects++;
          this.connected = true;
          this.problem = '';
          this.log.info({ broker: 'nats', server: s.server, channels: this.subs.size }, 'nats connection restored; subscriptions re-sent');
          this.afterReconnect(nc);
          break;
        case 'error':
          this.log.warn({ broker: 'nats', err: s.error.message }, 'nats error');
          break;
        case 'slowConsumer':
          this.log.warn({ broker: 'nats', subject: s.sub.getSubject(), pending: s.pending }, 'nats slow consumer');
          break;
        default:
      }
    }
  }

  /** Once NATS has the re-sent subscriptions, the node's channels may have missed publications meanwhile. */
  private afterReconnect(nc: NatsConnection): void {
    this.flush(nc).then(
      () => {
        const channels = [...this.subs.keys()];
        if (this.nc === nc && channels.length > 0) this.handler?.onDeliveryGap(channels);
      },
      () => undefined, // down again: the next reconnect tells it
    );
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    this.handler = null;
    this.connected = false;
    this.problem = 'closed';
    this.subs.clear();
    if (nc) await nc.close().catch(() => undefined);
  }

  health(): EngineHealth {
    return this.connected ? { healthy: true } : { healthy: false, detail: `nats ${this.address}: ${this.problem}` };
  }

  private live(): NatsConnection {
    if (!this.nc || !this.connected) throw new EngineUnavailableError(`nats ${this.address}: ${this.problem || 'not connected'}`);
    return this.nc;
  }

  /** One PING round trip, bounded by write_timeout: the server has everything sent before it. */
  private async flush(nc: NatsConnection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EngineUnavailableError(`nats ${this.address}: no answer within write_timeout`)), this.opts.write_timeout);
    });
    try {
      await Promise.race([nc.flush(), timeout]);
    } catch (err) {
      if (err instanceof EngineUnavailableError) throw err;
      throw new EngineUnavailableError(`nats ${this.address}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private send(subject: string, message: Uint8Array): void {
    const nc = this.live();
    try {
      nc.publish(subject, message);
    } catch (err) {
      throw new EngineUnavailableError(`nats ${this.address}: ${(err as Error).message}`, { cause: err });
    }
  }

  // ---- publish ---------------------------------------------------------------

  async publish(channel: string, data: Raw, opts: PublishOptions): Promise<PublishResult> {
    if (hasWildcard(channel)) throw new ReplyError(Errors.badRequest);
    if (this.subjects.raw) {
      this.send(this.subjects.channel(channel), data);
    } else {
      const pub: Publication = { data, offset: 0, time: Date.now() };
      if (opts.info !== undefined) pub.info = opts.info;
      if (opts.tags !== undefined) pub.tags = opts.tags;
      this.send(this.subjects.channel(channel), publicationPush(channel, pub, opts.delta === true));
    }
    // History, idempotency and versions need storage the broker does not have: ignored, as in Centrifugo.
    return { position: NO_POSITION, suppressed: false };
  }

  async publishJoin(channel: string, info: ClientInfo): Promise<void> {
    if (!this.subjects.raw) this.send(this.subjects.channel(channel), joinPush(channel, info));
  }

  async publishLeave(channel: string, info: ClientInfo): Promise<void> {
    if (!this.subjects.raw) this.send(this.subjects.channel(channel), leavePush(channel, info));
  }

  async publishControl(data: Raw, nodeId?: string): Promise<void> {
    this.send(nodeId === undefined ? this.subjects.control : this.subjects.node(nodeId), data);
  }

  // ---- node-level subscriptions ----------------------------------------------

  async subscribe(channels: string[]): Promise<void> {
    if (!this.opts.allow_wildcards && channels.some(hasWildcard)) throw new ReplyError(Errors.badRequest);
    const nc = this.live();
    const added: Array<[string, Subscription]> = [];
    try {
      for (const channel of channels) {
        if (this.subs.has(channel)) continue;
        const sub = nc.subscribe(this.subjects.channel(channel), { callback: (_err, m) => this.onMessage(channel, m) });
        this.subs.set(channel, sub);
        added.push([channel, sub]);
      }
      if (added.length > 0) await this.flush(nc);
    } catch (err) {
      // Not confirmed: the node will try again, so none of these may linger.
      for (const [channel, sub] of added) {
        if (this.subs.get(channel) !== sub) continue;
        this.subs.delete(channel);
        ignoreClosed(() => sub.unsubscribe());
      }
      if (err instanceof EngineUnavailableError) throw err;
      throw new EngineUnavailableError(`nats ${this.address}: ${(err as Error).message}`, { cause: err });
    }
  }

  async unsubscribe(channels: string[]): Promise<void> {
    for (const channel of channels) {
      const sub = this.subs.get(channel);
      if (!sub) continue;
      this.subs.delete(channel);
      ignoreClosed(() => sub.unsubscribe());
    }
  }

  private onMessage(channel: string, m: Msg): void {
    const handler = this.handler;
    if (!handler || this.subs.get(channel) === undefined) return;
    if (this.subjects.raw) {
      // As Centrifugo: the concrete channel is the subject without the raw prefix (after replacements).
      const pub: Publication = { data: Buffer.from(m.data), offset: 0 };
      const concrete = m.subject.startsWith(this.subjects.rawPrefix) ? m.subject.slice(this.subjects.rawPrefix.length) : m.subject;
      if (concrete !== channel) pub.channel = concrete;
      handler.onPublication(channel, pub, NO_POSITION, false);
      return;
    }
    let decoded;
    try {
      decoded = decodePush(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    } catch (err) {
      this.stats.malformedMessages++;
      this.corrupt.drop('unknown', channel, (err as Error).message);
      return;
    }
    if (decoded.kind !== 'unknown' && decoded.channel !== channel && this.opts.allow_wildcards) {
      // Through a wildcard subscription (news.* for news.sport): a publication goes to the wildcard
      // channel's subscribers carrying its concrete channel, as in Centrifugo; a join or leave is
      // for the concrete channel's subscribers only, who get it through their own subscription.
      if (decoded.kind === 'publication') handler.onPublication(channel, { ...decoded.pub, channel: decoded.channel }, NO_POSITION, decoded.delta);
      return;
    }
    if (decoded.kind === 'publication') handler.onPublication(channel, decoded.pub, NO_POSITION, decoded.delta);
    else if (decoded.kind === 'join') handler.onJoin(channel, decoded.info);
    else if (decoded.kind === 'leave') handler.onLeave(channel, decoded.info);
    else {
      this.stats.malformedMessages++;
      this.corrupt.drop('unknown', channel, 'a Push with neither publication, join nor leave');
    }
  }

  // ---- history: none ---------------------------------------------------------

  async history(): Promise<HistoryResult> {
    throw new ReplyError(Errors.notAvailable);
  }

  async removeHistory(): Promise<void> {
    throw new ReplyError(Errors.notAvailable);
  }
}

/** Unsubscribing on a closed connection throws; there is nothing left to undo then. */
function ignoreClosed(fn: () => void): void {
  try {
    fn();
  } catch {
    // closed
  }
}
