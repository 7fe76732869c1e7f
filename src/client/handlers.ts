// What each client command does. The session (client.ts) guarantees order and
// state; these handlers validate, check permissions and talk to the node.
// A ReplyError becomes an error reply, a DisconnectError closes the connection.

import { TokenError } from '../auth/errors.js';
import { connectionExpiry } from '../auth/token-verifier.js';
import { channelTooLong, personalChannel, validClientChannelName, type ResolvedChannel } from '../channels/resolver.js';
import type { Command, ConnectRequest, HistoryRequest, SubscribeRequest } from '../protocol/commands.js';
import { Disconnects, DisconnectError, Errors, ReplyError, Unsubscribes } from '../protocol/codes.js';
import { clientInfoValue, publicationValue } from '../protocol/values.js';
import type { HandlerSession } from './handler-session.js';
import type { ClientSubscription } from './subscription.js';
import type { ProxyEndpoint } from '../proxy/endpoint.js';
import { canPublish, canReadHistory, canReadPresence, canSubscribeWithoutToken, historyEnabled } from '../channels/permissions.js';
import { subscribeChannel, type SubscribeGrant } from './subscribe.js';
import { validPublicationData } from '../channels/data-format.js';
import { expiryFields } from './expiry.js';
import { askProxy, refreshOutcome, refreshThroughProxy } from './proxy-calls.js';

/** A token that grants no channels: most connections share this one instead of an empty Set each (a refresh still may not add any). */
const NO_TOKEN_CHANNELS: ReadonlySet<string> = new Set();

/** A subscription the connect command sets up on the server's initiative. */
interface ServerSideWish {
  resolved: ResolvedChannel;
  grant: SubscribeGrant;
  recover?: SubscribeRequest;
}

export class CommandHandlers {
  constructor(private readonly c: HandlerSession) {}

  async handle(cmd: Command): Promise<void> {
    switch (cmd.kind) {
      case 'connect':
        return this.connect(cmd.id, cmd.req);
      case 'subscribe':
        return this.subscribe(cmd.id, cmd.req);
      case 'unsubscribe':
        return this.unsubscribe(cmd.id, cmd.req.channel);
      case 'publish':
        return this.publish(cmd.id, cmd.req.channel, cmd.req.data);
      case 'presence':
        return this.presence(cmd.id, cmd.req.channel);
      case 'presence_stats':
        return this.presenceStats(cmd.id, cmd.req.channel);
      case 'history':
        return this.history(cmd.id, cmd.req);
      case 'rpc':
        return this.rpc(cmd.id, cmd.req.method ?? '', cmd.req.data);
      case 'send':
        // Like Centrifugo without a message handler: the connection is closed.
        throw new DisconnectError(Disconnects.notAvailable);
      case 'refresh':
        return this.refresh(cmd.id, cmd.req.token);
      case 'sub_refresh':
        return this.subRefresh(cmd.id, cmd.req.channel, cmd.req.token);
      case 'ping':
        throw new ReplyError(Errors.notAvailable);
      case 'pong':
        return;
    }
  }

  // ---- connect -------------------------------------------------------------

  /**
   * subscribe_to_user_personal_channel.single_connection, as Centrifugo does it:
   * the user's presence in the personal channel says whether another connection
   * exists (on any node); if one does, every connection of the user but this one
   * is disconnected with 3504 "connection limit", before this one is connected.
   */
  private async keepOnlyThisConnection(user: string): Promise<void> {
    const c = this.c;
    const node = c.node;
    const channel = personalChannel(user, node.config);
    try {
      const stats = await node.presenceStats(channel);
      if (stats.numClients < 1) return;
      await node.control.apply({ kind: 'disconnect', cmd: { user, ...Disconnects.connectionLimit, whitelist: [c.id] } });
    } catch (err) {
      node.log.error({ err, user, client: c.id, channel }, 'single connection: could not disconnect the user’s other connections');
      throw new DisconnectError(Disconnects.internal);
    }
  }

  private async connect(id: number, req: ConnectRequest): Promise<void> {
    const c = this.c;
    const node = c.node;
    const cfg = node.config.client;
    let user = '';
    let expireAtSec = 0;
    let fromHeader = false;
    const wishes = new Map<string, ServerSideWish>();
    const tokenChannels: Array<{ channel: string; grant: SubscribeGrant }> = [];

    let connectData: Buffer | undefined;
    let proxied = false;
    // Kept for the proxies that forward them, whichever way the client authenticates.
    if (c.proxies.usesEmulatedHeaders && req.headers) c.context.emulatedHeaders = req.headers;

    if (req.token) {
      let claims;
      try {
        claims = await c.verifiers.connection.verifyConnectToken(req.token);
      } catch (err) {
        if (err instanceof TokenError && err.kind === 'expired') throw new ReplyError(Errors.tokenExpired);
        node.log.info({ err: (err as Error).message, client: c.id }, 'invalid connection token');
        throw new DisconnectError(Disconnects.invalidToken);
      }
      if (c.isClosed()) return;
      user = claims.user;
      expireAtSec = cfg.insecure ? 0 : Math.max(0, connectionExpiry(claims));
      c.connInfo = claims.info;
      if (user === '' && cfg.disallow_anonymous_connection_tokens) throw new DisconnectError(Disconnects.permissionDenied);
      const subs = Object.keys(claims.subs).length > 0 ? claims.subs : null;
      if (subs) {
        for (const [channel, s] of Object.entries(subs)) {
          tokenChannels.push({ channel, grant: { chanInfo: s.info, data: s.data, override: s.override } });
        }
      } else {
        for (const channel of claims.channels) tokenChannels.push({ channel, grant: {} });
      }
      c.tokenChannels = tokenChannels.length === 0 ? NO_TOKEN_CHANNELS : new Set(tokenChannels.map((t) => t.channel));
      // The meta claim is any JSON; proxies get it as the connection meta.
      c.meta = claims.meta === undefined ? undefined : Buffer.from(JSON.stringify(claims.meta));
    } else if (c.proxies.connect) {
      const result = await askProxy(c, c.proxies.connect, {
        data: req.data?.length ? req.data : undefined,
        name: req.name || undefined,
        version: req.version || undefined,
        channels: req.subs && Object.keys(req.subs).length > 0 ? Object.keys(req.subs) : undefined,
      });
      if (result === null) return; // the client left meanwhile
      if (result) {
        proxied = true;
        user = result.user;
        expireAtSec = Math.max(0, result.expireAt);
        c.connInfo = result.info;
        c.meta = result.meta;
        connectData = result.data;
        for (const channel of result.channels) tokenChannels.push({ channel, grant: {} });
        for (const [channel, o] of result.subs) {
          tokenChannels.push({ channel, grant: { chanInfo: o.info, data: o.data, override: o.override, cacheRecover: o.cacheRecover } });
        }
      }
    }
    // No token, and no answer from a connect proxy (or none asked): anonymous, the trusted header, or refused.
    if (!req.token && !proxied) {
      if (cfg.allow_anonymous_connect_without_token || cfg.insecure) {
        user = '';
      } else if (c.context.userFromHeader) {
        user = c.context.userFromHeader;
        fromHeader = true;
      } else {
        throw new DisconnectError(Disconnects.badRequest);
      }
    }

    if (expireAtSec > 0 && expireAtSec * 1000 <= Date.now()) throw new ReplyError(Errors.expired);
    const personal = node.config.client.subscribe_to_user_personal_channel;
    if (personal.enabled && personal.single_connection && user !== '') {
      await this.keepOnlyThisConnection(user);
      if (c.isClosed()) return;
    }
    if (cfg.user_connection_limit > 0 && user !== '' && node.userConnectionCount(user) >= cfg.user_connection_limit) {
      throw new DisconnectError(Disconnects.connectionLimit);
    }

    c.user = user;
    c.name = req.name ?? '';
    c.clientVersion = req.version ?? '';
    c.expireAt = expireAtSec * 1000;
    // A connection the connect proxy accepted is extended by the refresh proxy, server-side.
    c.refreshByProxy = proxied && c.proxies.refresh !== null;

    // Token (and connect proxy) channels are trusted, but their namespace must exist.
    for (const { channel, grant } of tokenChannels) {
      const resolved = node.resolver.resolve(channel);
      if (!resolved) throw new ReplyError(Errors.unknownChannel);
      wishes.set(channel, { resolved, grant, recover: req.subs?.[channel] });
    }
    if (personal.enabled && user !== '') {
      const channel = personalChannel(user, node.config);
      const resolved = node.resolver.resolve(channel);
      if (resolved && !wishes.has(channel)) wishes.set(channel, { resolved, grant: {}, recover: req.subs?.[channel] });
    }
    // Channels the client names in `subs` pass the subscribe rules; failures are
    // silently skipped. (Centrifugo does this for token and anonymous users only.)
    for (const [channel, sreq] of Object.entries(fromHeader ? {} : (req.subs ?? {}))) {
      if (wishes.has(channel) || channelTooLong(channel, node.config)) continue;
      const resolved = node.resolver.resolve(channel);
      if (!resolved || resolved.isPrivate || !validClientChannelName(resolved, node.config)) continue;
      if (!canSubscribeWithoutToken(resolved.options, { user, insecure: cfg.insecure }, resolved.userLimitedUsers)) continue;
      wishes.set(channel, { resolved, grant: {}, recover: sreq });
    }
    if (wishes.size > cfg.channel_limit) throw new DisconnectError(Disconnects.channelLimit);

    // Reserve the channels before registering, so an API subscribe racing this
    // connect cannot take one of them in between.
    for (const channel of wishes.keys()) c.subscribing.add(channel);
    if (!c.markConnected()) return;
    const results: Record<string, Record<string, unknown>> = {};
    const ready: Array<() => void> = [];
    for (const [channel, wish] of wishes) {
      const outcome = await subscribeChannel(c, wish.resolved, {
        grant: wish.grant,
        request: wish.recover ?? { channel },
        serverSide: true,
      });
      if (c.isClosed()) return;
      results[channel] = outcome.result;
      ready.push(outcome.activate);
    }

    // A client is told of an expiry only when it is the one that refreshes.
    const result: Record<string, unknown> = { client: c.id, version: node.displayVersion, ...expiryFields(c.refreshByProxy ? 0 : c.expireAt) };
    if (connectData) result.data = connectData;
    if (Object.keys(results).length > 0) result.subs = results;
    const mode = c.transport.mode;
    if (cfg.ping_interval > 0) {
      result.ping = Math.round(cfg.ping_interval / 1000);
      // A unidirectional client has no way to answer pings.
      if (mode !== 'unidirectional') result.pong = true;
    }
    // The emulation endpoint finds the session by these two.
    if (c.session !== '') result.session = c.session;
    if (mode === 'emulation') result.node = node.id;
    if (cfg.connect_include_server_time) result.time = Date.now();
    c.reply(id, 'connect', result);
    for (const activate of ready) activate();
  }

  // ---- subscribe / unsubscribe ---------------------------------------------------

  private async subscribe(id: number, req: SubscribeRequest): Promise<void> {
    const c = this.c;
    const node = c.node;
    const cfg = node.config;
    const channel = req.channel ?? '';
    if (channel === '') throw new DisconnectError(Disconnects.badRequest);
    if (req.delta !== undefined && req.delta !== '' && req.delta !== 'fossil') throw new DisconnectError(Disconnects.badRequest);
    if (req.type !== undefined && req.type !== 0) throw new ReplyError(Errors.notAvailable);
    if (channelTooLong(channel, cfg)) throw new ReplyError(Errors.badRequest);
    const resolved = node.resolve(channel);
    if (!validClientChannelName(resolved, cfg)) throw new ReplyError(Errors.badRequest);
    if (c.subs.has(channel) || c.subscribing.has(channel)) throw new ReplyError(Errors.alreadySubscribed);
    if (c.subs.size + c.subscribing.size >= cfg.client.channel_limit) throw new ReplyError(Errors.limitExceeded);

    // Reserved from here on, across the token check's await, so nothing else can subscribe it meanwhile.
    c.subscribing.add(channel);
    try {
      const grant = await this.subscribeGrant(channel, resolved, req);
      if (grant === null) return; // the client left while the subscribe proxy was asked
      const outcome = await subscribeChannel(c, resolved, { grant, request: req, serverSide: false });
      if (c.isClosed()) return;
      c.reply(id, 'subscribe', outcome.result);
      outcome.activate();
    } finally {
      c.subscribing.delete(channel);
    }
  }

  /** What the client may have on this channel: from its subscription token, the subscribe proxy or the namespace rules. */
  private async subscribeGrant(channel: string, resolved: ResolvedChannel, req: SubscribeRequest): Promise<SubscribeGrant | null> {
    const c = this.c;
    const node = c.node;
    const cfg = node.config;
    const grant: SubscribeGrant = {};
    if (req.token) {
      let claims;
      try {
        claims = await c.verifiers.subscription.verifySubscribeToken(req.token);
      } catch (err) {
        if (err instanceof TokenError && err.kind === 'expired') throw new ReplyError(Errors.tokenExpired);
        node.log.info({ err: (err as Error).message, client: c.id, channel }, 'invalid subscription token');
        throw new ReplyError(Errors.permissionDenied);
      }
      if (claims.channel !== channel || claims.user !== c.user || (claims.client && claims.client !== c.id)) {
        throw new DisconnectError(Disconnects.invalidToken);
      }
      const expireAtSec = claims.expireAt !== undefined ? claims.expireAt : (claims.exp ?? 0);
      if (expireAtSec > 0) grant.expireAtSec = expireAtSec;
      grant.chanInfo = claims.info;
      grant.data = claims.data;
      grant.override = claims.override;
      grant.clientSideRefresh = true;
    } else if (resolved.isPrivate) {
      throw new ReplyError(Errors.permissionDenied);
    } else if (resolved.options.subscribe_proxy_enabled && resolved.userLimitedUsers === null) {
      // The backend decides instead of the allow_* rules; a user-limited channel never asks it.
      const result = await askProxy(c, c.proxies.channel('subscribe', resolved.options)!, {
        user: c.user,
        channel,
        meta: c.meta, // before data: the field order Centrifugo's requests have
        data: req.data?.length ? req.data : undefined,
      });
      if (result === null) return null;
      grant.chanInfo = result?.info;
      grant.data = result?.data;
      grant.override = result?.override;
      grant.proxied = true;
      if (result && result.expireAt > 0) {
        grant.expireAtSec = result.expireAt;
        // Refreshed server-side when the namespace has a sub_refresh proxy, else by the client with a token.
        grant.clientSideRefresh = !resolved.options.sub_refresh_proxy_enabled;
      }
    } else {
      const actor = { user: c.user, insecure: cfg.client.insecure };
      if (!canSubscribeWithoutToken(resolved.options, actor, resolved.userLimitedUsers)) {
        throw new ReplyError(Errors.permissionDenied);
      }
    }
    if (grant.expireAtSec && grant.expireAtSec * 1000 <= Date.now()) throw new ReplyError(Errors.expired);
    return grant;
  }

  private async unsubscribe(id: number, channel: string | undefined): Promise<void> {
    if (!channel) throw new DisconnectError(Disconnects.badRequest);
    await this.c.removeSubscription(channel);
    this.c.reply(id, 'unsubscribe', {});
  }

  // ---- publish / presence / history ---------------------------------------------

  private async publish(id: number, channel: string | undefined, data: Buffer | undefined): Promise<void> {
    const c = this.c;
    if (!channel || !data || data.length === 0) throw new DisconnectError(Disconnects.badRequest);
    const resolved = this.resolveForClient(channel);
    const sub = c.subs.get(channel);
    const proxy = c.proxies.channel('publish', resolved.options);
    if (!proxy && !canPublish(resolved.options, { user: c.user, insecure: c.node.config.client.insecure }, sub !== undefined)) {
      throw new ReplyError(Errors.permissionDenied);
    }
    if (!validPublicationData(data, resolved.options.publication_data_format || c.node.config.channel.publication_data_format)) {
      throw new ReplyError(Errors.badRequest);
    }
    if (!proxy) {
      await c.node.publish(resolved, data, { info: c.clientInfo(sub?.info.chanInfo) });
      c.reply(id, 'publish', {});
      return;
    }
    // The backend decides instead of the allow_* rules, and may change what is published and how.
    const result = await askProxy(c, proxy, { user: c.user, channel, data });
    if (result === null) return;
    await c.node.publish(resolved, result?.data ?? data, {
      info: c.clientInfo(sub?.info.chanInfo),
      skipHistory: result?.skipHistory,
      tags: result?.tags,
      idempotencyKey: result?.idempotencyKey,
      delta: result?.delta,
      exactDelta: true,
      version: result?.version || undefined,
      versionEpoch: result?.versionEpoch || undefined,
    });
    c.reply(id, 'publish', {});
  }

  /** Namespace lookup plus the name rules clients are held to (107 when broken). */
  private resolveForClient(channel: string): ResolvedChannel {
    const cfg = this.c.node.config;
    if (channelTooLong(channel, cfg)) throw new ReplyError(Errors.badRequest);
    const resolved = this.c.node.resolve(channel);
    if (!validClientChannelName(resolved, cfg)) throw new ReplyError(Errors.badRequest);
    return resolved;
  }

  private checkPresenceAccess(channel: string | undefined): string {
    const c = this.c;
    if (!channel) throw new DisconnectError(Disconnects.badRequest);
    const resolved = this.resolveForClient(channel);
    if (!resolved.options.presence) throw new ReplyError(Errors.notAvailable);
    if (!canReadPresence(resolved.options, { user: c.user, insecure: c.node.config.client.insecure }, c.subs.has(channel))) {
      throw new ReplyError(Errors.permissionDenied);
    }
    return resolved.name;
  }

  private async presence(id: number, channel: string | undefined): Promise<void> {
    const name = this.checkPresenceAccess(channel);
    const presence = await this.c.node.presence(name);
    const out: Record<string, unknown> = {};
    for (const [clientId, info] of presence) out[clientId] = clientInfoValue(info);
    this.c.reply(id, 'presence', { presence: out });
  }

  private async presenceStats(id: number, channel: string | undefined): Promise<void> {
    const name = this.checkPresenceAccess(channel);
    const stats = await this.c.node.presenceStats(name);
    this.c.reply(id, 'presence_stats', { num_clients: stats.numClients, num_users: stats.numUsers });
  }

  private async history(id: number, req: HistoryRequest): Promise<void> {
    const c = this.c;
    if (!req.channel) throw new DisconnectError(Disconnects.badRequest);
    const resolved = this.resolveForClient(req.channel);
    if (!historyEnabled(resolved.options)) throw new ReplyError(Errors.notAvailable);
    if (!canReadHistory(resolved.options, { user: c.user, insecure: c.node.config.client.insecure }, c.subs.has(req.channel))) {
      throw new ReplyError(Errors.permissionDenied);
    }
    if (req.reverse && req.since && !req.since.offset) throw new ReplyError(Errors.badRequest);
    const cap = c.node.config.client.history_max_publication_limit;
    let limit = req.limit ?? 0;
    if (cap > 0 && (limit < 0 || limit > cap)) limit = cap;
    const since = req.since ? { offset: req.since.offset ?? 0, epoch: req.since.epoch ?? '' } : undefined;
    const result = await c.node.history(resolved, { limit, since, reverse: req.reverse });
    c.reply(id, 'history', {
      publications: result.publications.map((p) => publicationValue(p)),
      epoch: result.position.epoch,
      offset: result.position.offset,
    });
  }

  // ---- rpc -------------------------------------------------------------------

  /** Client RPC: the built-in ping, or the RPC proxy of the method's namespace (proxies.md §7). */
  private async rpc(id: number, method: string, data: Buffer | undefined): Promise<void> {
    const c = this.c;
    const route = c.proxies.rpc(method);
    switch (route.kind) {
      case 'ping':
        c.reply(id, 'rpc', {});
        return;
      case 'method not found':
        throw new ReplyError(Errors.methodNotFound);
      case 'not available':
        throw new ReplyError(Errors.notAvailable);
    }
    const result = await askProxy(c, route.endpoint, { user: c.user, method: method || undefined, data: data?.length ? data : undefined });
    if (result === null) return;
    c.reply(id, 'rpc', result?.data ? { data: result.data } : {});
  }

  // ---- refresh -------------------------------------------------------------

  private async refresh(id: number, token: string | undefined): Promise<void> {
    const c = this.c;
    if (!token) throw new DisconnectError(Disconnects.badRequest);
    let claims;
    try {
      claims = await c.verifiers.connection.verifyConnectToken(token);
    } catch (err) {
      if (err instanceof TokenError && err.kind === 'expired') throw new DisconnectError(Disconnects.expired);
      c.node.log.info({ err: (err as Error).message, client: c.id }, 'invalid refresh token');
      throw new DisconnectError(Disconnects.invalidToken);
    }
    if (c.isClosed()) return;
    if (claims.user !== c.user) throw new DisconnectError(Disconnects.invalidToken);
    // Server-side subscriptions follow the token: a refresh that changes them asks
    // the client to reconnect and pick up the new set (as Centrifugo does).
    if (c.tokenChannels) {
      const next = Object.keys(claims.subs).length > 0 ? Object.keys(claims.subs) : claims.channels;
      if (next.length !== c.tokenChannels.size || next.some((ch) => !c.tokenChannels!.has(ch))) {
        throw new DisconnectError(Disconnects.insufficientState);
      }
    }
    const expireAtSec = c.node.config.client.insecure ? 0 : Math.max(0, connectionExpiry(claims));
    if (expireAtSec > 0 && expireAtSec * 1000 <= Date.now()) throw new ReplyError(Errors.expired);
    c.expireAt = expireAtSec * 1000;
    if (claims.info) c.connInfo = claims.info;
    if (claims.meta !== undefined) c.meta = Buffer.from(JSON.stringify(claims.meta));
    c.rearm();
    c.reply(id, 'refresh', expiryFields(c.expireAt));
  }

  private async subRefresh(id: number, channel: string | undefined, token: string | undefined): Promise<void> {
    const c = this.c;
    if (!channel) throw new DisconnectError(Disconnects.badRequest);
    const sub = c.subs.get(channel);
    if (!sub) throw new ReplyError(Errors.permissionDenied);
    // Server-side subscriptions are refreshed by the server, never by the client.
    if (sub.serverSide) throw new DisconnectError(Disconnects.badRequest);
    const proxy = token ? null : c.proxies.channel('sub_refresh', sub.options);
    if (proxy) return this.subRefreshThroughProxy(id, sub, proxy);
    if (!token) throw new ReplyError(Errors.badRequest);
    let claims;
    try {
      claims = await c.verifiers.subscription.verifySubscribeToken(token);
    } catch (err) {
      if (err instanceof TokenError && err.kind === 'expired') {
        // The SDK then resubscribes, gets 109 with its stale token and fetches a new one.
        // The empty reply only completes the call; the SDK ignores it once unsubscribed.
        c.serverUnsubscribe(channel, Unsubscribes.expired);
        c.reply(id, 'sub_refresh', {});
        return;
      }
      throw new DisconnectError(Disconnects.invalidToken);
    }
    if (c.isClosed() || c.subs.get(channel) !== sub) return;
    if (claims.channel !== channel || claims.user !== c.user || (claims.client && claims.client !== c.id)) {
      throw new DisconnectError(Disconnects.invalidToken);
    }
    const expireAtSec = Math.max(0, claims.expireAt !== undefined ? claims.expireAt : (claims.exp ?? 0));
    if (expireAtSec > 0 && expireAtSec * 1000 <= Date.now()) throw new ReplyError(Errors.expired);
    sub.expireAt = expireAtSec * 1000;
    c.rearm();
    c.reply(id, 'sub_refresh', expiryFields(sub.expireAt));
  }

  /** A client's sub_refresh without a token, answered by the namespace's sub_refresh proxy. */
  private async subRefreshThroughProxy(id: number, sub: ClientSubscription, proxy: ProxyEndpoint<'sub_refresh'>): Promise<void> {
    const c = this.c;
    const result = await refreshThroughProxy(c, proxy, { user: c.user, channel: sub.channel });
    if (result === null || c.subs.get(sub.channel) !== sub) return;
    if (result === 'failed' || result === 'unreadable') throw new ReplyError(Errors.internal);
    const outcome = refreshOutcome(result);
    if (outcome.kind !== 'extend') {
      c.serverUnsubscribe(sub.channel, Unsubscribes.expired);
      c.reply(id, 'sub_refresh', {});
      return;
    }
    sub.extend(outcome.expireAtMs, outcome.info);
    c.rearm();
    c.reply(id, 'sub_refresh', expiryFields(sub.expireAt));
  }
}
