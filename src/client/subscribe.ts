// Setting up one subscription (client-side or server-side): decide the flags,
// join the hub in buffering mode, read the stream position or recover, add
// presence, and hand back the subscribe result plus an `activate` step the
// caller runs right after writing the reply, so no live publication can
// overtake the reply.

import type { SubscriptionOverride } from '../protocol/types.js';
import type { ResolvedChannel } from '../channels/resolver.js';
import { effectiveHistoryMetaTtl } from '../channels/resolver.js';
import type { SubscribeRequest } from '../protocol/commands.js';
import { Errors, ReplyError } from '../protocol/codes.js';
import { JsonStringData } from '../protocol/codec.js';
import { publicationValue } from '../protocol/values.js';
import type { HandlerSession } from './handler-session.js';
import { canReadHistory, canReadPresence, historyEnabled } from '../channels/permissions.js';
import { recoverCache, recoverStream } from './recovery.js';
import { ClientSubscription, type SubscriptionFlags } from './subscription.js';
import { metricClientName } from './metric-labels.js';
import { expiryFields } from './expiry.js';

/** What a token, an API subscribe call or the connect claims grant beyond the namespace options. */
export interface SubscribeGrant {
  chanInfo?: Buffer;
  data?: Buffer;
  override?: SubscriptionOverride;
  /** Unix seconds; 0/undefined = never. */
  expireAtSec?: number;
  /** True when the client refreshes the subscription itself (subscription tokens). */
  clientSideRefresh?: boolean;
  /** Granted by the subscribe proxy: the request's own flags (positioned, recoverable, join_leave) do not count. */
  proxied?: boolean;
  /** A connect proxy's `cache_recover` for this channel: in cache mode, recover the latest publication as auto_cache_recover does. */
  cacheRecover?: boolean;
}

export interface SubscribeOutcome {
  result: Record<string, unknown>;
  activate: () => void;
}

const SUBSCRIPTION_FLAG_REJECT_UNRECOVERED = 2;

export function subscriptionFlags(
  resolved: ResolvedChannel,
  req: SubscribeRequest,
  override: SubscriptionOverride | undefined,
  actor: { user: string; insecure: boolean },
  /** Server-side subscriptions get the namespace's forced options only; the request adds nothing. */
  serverSide: boolean,
): SubscriptionFlags {
  const o = resolved.options;
  const presence = override?.presence ?? o.presence;
  const joinLeave = override?.join_leave ?? o.join_leave;
  const forcePush = override?.force_push_join_leave ?? o.force_push_join_leave;
  const forceRecovery = override?.force_recovery ?? o.force_recovery;
  const forcePositioning = override?.force_positioning ?? o.force_positioning;
  let pushJoinLeave = forcePush;
  let recoverable = forceRecovery;
  let positioned = forceRecovery || forcePositioning;
  if (!serverSide) {
    const historyAccess = canReadHistory(o, actor, true);
    pushJoinLeave ||= req.join_leave === true && joinLeave && canReadPresence(o, actor, true);
    recoverable ||= req.recoverable === true && (o.allow_recovery || historyAccess);
    positioned ||= recoverable || (req.positioned === true && (o.allow_positioning || historyAccess));
  }
  // Positions only exist where there is a history stream.
  if (!historyEnabled(o)) {
    recoverable = false;
    positioned = false;
  }
  // Fossil delta needs a base the client certainly holds, which only positioning guarantees.
  const delta = req.delta === 'fossil' && o.allowed_delta_types.includes('fossil') && positioned;
  return { presence, joinLeave, pushJoinLeave, positioned, recoverable, delta };
}

/** Thrown when the subscription was taken away (unsubscribe, disconnect) while being set up. */
const CANCELLED = new ReplyError(Errors.internal);

export async function subscribeChannel(
  c: HandlerSession,
  resolved: ResolvedChannel,
  opts: { grant: SubscribeGrant; request: SubscribeRequest; serverSide: boolean },
): Promise<SubscribeOutcome> {
  const node = c.node;
  const { grant, request: req } = opts;
  const channel = resolved.name;
  if (c.subs.has(channel)) throw new ReplyError(Errors.alreadySubscribed);
  const actor = { user: c.user, insecure: node.config.client.insecure };
  const flags = subscriptionFlags(resolved, req, grant.override, actor, opts.serverSide || grant.proxied === true);
  const info = c.clientInfo(grant.chanInfo);
  const sub = new ClientSubscription(channel, resolved.namespace, resolved.options, flags, info, opts.serverSide, c);
  // The expiry always applies; only a client that refreshes by itself is told about it.
  if (grant.expireAtSec && grant.expireAtSec > 0) sub.expireAt = grant.expireAtSec * 1000;
  sub.refreshByProxy = grant.proxied === true && grant.clientSideRefresh === false;

  c.subs.set(channel, sub);
  c.subscribing.delete(channel); // now counted in subs
  const clientName = metricClientName(c.name);
  node.metrics.subscriptionsInflight.inc({ client_name: clientName, channel_namespace: resolved.namespace });
  const stillOurs = (): boolean => !c.isClosed() && c.subs.get(channel) === sub;
  let presenceAdded = false;
  try {
    await node.addSubscription(sub);
    if (!stillOurs()) throw CANCELLED;
    const result: Record<string, unknown> = {};
    let lastOffset = 0;
    let epoch = '';
    let deltaReady = false;
    if (flags.delta) result.delta = true;
    // auto_cache_recover: in cache mode every (re)subscribe recovers, position or not, so it
    // delivers the latest publication; server-side subscriptions (which cannot ask) get it too.
    const cacheMode = resolved.options.force_recovery_mode === 'cache';
    const recovering = req.recover === true || (flags.recoverable && cacheMode && (resolved.options.auto_cache_recover || grant.cacheRecover === true));
    if (recovering) result.was_recovering = true;
    if (flags.positioned) {
      result.positioned = true;
      if (flags.recoverable) result.recoverable = true;
      if (flags.recoverable && recovering) {
        const since = { offset: req.offset ?? 0, epoch: req.epoch ?? '' };
        const metaTtl = effectiveHistoryMetaTtl(resolved.options, node.config);
        let outcome;
        let top;
        if (cacheMode) {
          const h = await node.broker.history(channel, { limit: 1, reverse: true }, { historyMetaTtlMs: metaTtl });
          top = h.position;
          outcome = recoverCache(since, h.publications[0], top);
        } else {
          const limit = node.config.client.recovery_max_publication_limit || -1;
          const h = await node.broker.history(channel, { since, limit }, { historyMetaTtlMs: metaTtl });
          top = h.position;
          outcome = recoverStream(since, h.publications, top);
        }
        if (!stillOurs()) throw CANCELLED;
        node.metrics.recover.inc({
          recovered: String(outcome.recovered),
          channel_namespace: resolved.namespace,
          has_recovered_publications: String(outcome.publications.length > 0),
        });
        if (!outcome.recovered && ((req.flag ?? 0) & SUBSCRIPTION_FLAG_REJECT_UNRECOVERED) !== 0) {
          throw new ReplyError(Errors.unrecoverablePosition);
        }
        result.epoch = top.epoch;
        epoch = top.epoch;
        if (outcome.recovered) {
          result.recovered = true;
          result.offset = since.offset;
          if (outcome.publications.length > 0) {
            // Recovered publications go out full; delta subscribers get them in the JSON-string form,
            // and the last one becomes the client's delta base.
            result.publications = outcome.publications.map((p) => publicationValue(p, undefined, flags.delta ? new JsonStringData(p.data) : undefined));
            deltaReady = flags.delta === true;
          }
          const last = outcome.publications[outcome.publications.length - 1];
          lastOffset = last ? last.offset : top.offset;
        } else {
          result.offset = top.offset;
          lastOffset = top.offset;
        }
      } else {
        const top = await node.streamTop(channel, resolved.options);
        if (!stillOurs()) throw CANCELLED;
        result.epoch = top.epoch;
        result.offset = top.offset;
        epoch = top.epoch;
        lastOffset = top.offset;
      }
    }
    if (grant.clientSideRefresh) Object.assign(result, expiryFields(sub.expireAt));
    if (grant.data && grant.data.length > 0) result.data = grant.data;
    if (flags.presence) {
      await node.presenceManager.addPresence(channel, c.id, info);
      presenceAdded = true;
      if (!stillOurs()) throw CANCELLED;
    }
    node.metrics.subscriptionsAccepted.inc({ client_name: clientName, channel_namespace: resolved.namespace });
    return {
      result,
      activate: () => {
        if (!stillOurs()) return;
        sub.activate(lastOffset, epoch, deltaReady);
        // Expiry and presence refresh both run on the connection's timer.
        if (sub.expireAt > 0 || flags.presence) c.rearm();
        if (flags.joinLeave) {
          node.publishJoin(channel, info).catch((err) => node.log.error({ err, channel }, 'join publish failed'));
        }
      },
    };
  } catch (err) {
    if (c.subs.get(channel) === sub) {
      await c.removeSubscription(channel).catch(() => undefined);
    } else if (presenceAdded) {
      // Whoever removed the subscription did so before our presence entry existed.
      await node.presenceManager.removePresence(channel, c.id, c.user).catch(() => undefined);
    }
    throw err;
  }
}
