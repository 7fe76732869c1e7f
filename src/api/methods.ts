// The server API methods (server-api.md §1.3). Each takes its request already
// decoded and type-checked (requests.ts) and returns the result object;
// failures are ApiErrors. The API is trusted: no permission checks, no
// channel-name rules beyond the namespace.

import type { ResolvedChannel } from '../channels/resolver.js';
import { historyEnabled } from '../channels/permissions.js';
import { CHANNELS_OP, ChannelsSurveyError, mergeChannels } from '../node/control/channels-survey.js';
import { validPublicationData } from '../channels/data-format.js';
import type { Node, PublishRequest } from '../node/node.js';
import type { PublishResult } from '../engines/broker.js';
import type { ConnectionSelector } from '../node/session.js';
import { ApiErrors, Disconnects, ReplyError } from '../protocol/codes.js';
import { clientInfoValue, publicationValue } from '../protocol/values.js';
import { ApiError } from './errors.js';
import { payloadBytes } from './payload.js';
import { RawJson } from '../protocol/json/raw-json.js';
import type { CommandName, Requests } from './requests.js';
import { OVERRIDE_KEYS, type SubscriptionOverride } from '../protocol/types.js';

export type ApiResult = Record<string, unknown>;
export type ApiMethod<M extends CommandName> = (node: Node, req: Requests[M]) => Promise<ApiResult>;

function resolve(node: Node, channel: string): ResolvedChannel {
  if (channel === '') throw ApiError.of(ApiErrors.badRequest);
  const resolved = node.resolver.resolve(channel);
  if (!resolved) throw ApiError.of(ApiErrors.unknownChannel);
  return resolved;
}

/** What the broker is asked to publish, once the API's own checks passed. */
interface PublishInput {
  resolved: ResolvedChannel;
  data: Buffer;
  request: PublishRequest;
}

/** The API's checks of one publish (they throw ApiError) and the node's request. */
function publishInput(node: Node, channel: string, data: Buffer | undefined, f: Requests['publish' | 'broadcast'], checkType: boolean): PublishInput {
  const resolved = resolve(node, channel);
  const o = resolved.options;
  if (checkType && o.subscription_type !== '' && o.subscription_type !== 'stream') throw ApiError.of(ApiErrors.badRequest);
  const format = o.publication_data_format || node.config.channel.publication_data_format;
  const bytes = data ?? Buffer.alloc(0);
  if (!validPublicationData(bytes, format)) throw ApiError.of(ApiErrors.badRequest);
  return {
    resolved,
    data: bytes,
    request: {
      skipHistory: f.skip_history,
      tags: f.tags,
      idempotencyKey: f.idempotency_key,
      delta: f.delta,
      version: f.version,
      versionEpoch: f.version_epoch,
      // Raw JSON of a JSON request: valid JSON, and UTF-8 once encoded, so frames need not check it again.
      dataIsJson: f.b64data === '' && f.data instanceof RawJson,
    },
  };
}

/** A failed publish as the API answers it. */
function publishFailure(node: Node, err: unknown, channel: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ReplyError) return ApiError.of(err.error);
  node.log.error({ err, channel }, 'publish failed');
  return ApiError.of(ApiErrors.internal);
}

function publishReply(result: PublishResult): ApiResult {
  const out: ApiResult = {};
  if (result.position.offset > 0) out.offset = result.position.offset;
  if (result.position.epoch) out.epoch = result.position.epoch;
  return out;
}

async function publishOne(node: Node, channel: string, data: Buffer | undefined, f: Requests['publish' | 'broadcast'], checkType: boolean): Promise<ApiResult> {
  const input = publishInput(node, channel, data, f, checkType);
  let result;
  try {
    result = await node.publish(input.resolved, input.data, input.request);
  } catch (err) {
    throw publishFailure(node, err, channel);
  }
  return publishReply(result);
}

const publish: ApiMethod<'publish'> = (node, f) => publishOne(node, f.channel, payloadBytes(f.data, f.b64data), f, true);

/**
 * The publish method done at once, on a node whose broker publishes without
 * I/O (Node.publishesNow): same checks, result and errors (thrown) as publish.
 */
export function publishNow(node: Node, f: Requests['publish']): ApiResult {
  const input = publishInput(node, f.channel, payloadBytes(f.data, f.b64data), f, true);
  let result;
  try {
    result = node.publishNow(input.resolved, input.data, input.request);
  } catch (err) {
    throw publishFailure(node, err, f.channel);
  }
  return publishReply(result);
}

const broadcast: ApiMethod<'broadcast'> = async (node, f) => {
  const channels = f.channels ?? [];
  if (channels.length === 0) throw ApiError.of(ApiErrors.badRequest);
  const data = payloadBytes(f.data, f.b64data);
  const responses = await mapLimited(channels, 1024, async (channel) => {
    try {
      return { result: await publishOne(node, channel, data, f, false) };
    } catch (err) {
      if (err instanceof ApiError) return { error: err.toJSON() };
      throw err;
    }
  });
  return { responses };
};

function override(o: Requests['subscribe']['override']): SubscriptionOverride | undefined {
  if (o === undefined) return undefined;
  const out: SubscriptionOverride = {};
  for (const key of OVERRIDE_KEYS) {
    const v = o[key];
    if (v !== undefined) out[key] = v.value;
  }
  return out;
}

function target(f: ConnectionSelector): ConnectionSelector {
  return { user: f.user, client: f.client, session: f.session };
}

// subscribe, unsubscribe, disconnect and refresh act on the user's
// connections on every node: node.control.apply runs the command here and
// sends it to the other nodes, which run the same applier (node/apply-user-command.ts).

const subscribe: ApiMethod<'subscribe'> = async (node, f) => {
  const resolved = resolve(node, f.channel);
  await node.control.apply({
    kind: 'subscribe',
    cmd: {
      ...target(f),
      channel: resolved.name,
      expireAtSec: f.expire_at,
      chanInfo: payloadBytes(f.info, f.b64info),
      data: payloadBytes(f.data, f.b64data),
      override: override(f.override),
      recoverSince: f.recover_since,
    },
  });
  return {};
};

const unsubscribe: ApiMethod<'unsubscribe'> = async (node, f) => {
  const channel = f.channel;
  if (channel !== '') resolve(node, channel);
  await node.control.apply({ kind: 'unsubscribe', cmd: { ...target(f), channel } });
  return {};
};

const disconnect: ApiMethod<'disconnect'> = async (node, f) => {
  let d: { code: number; reason: string } = Disconnects.forceNoReconnect;
  if (f.disconnect && f.disconnect.code > 0) d = { code: f.disconnect.code, reason: f.disconnect.reason };
  await node.control.apply({ kind: 'disconnect', cmd: { ...target(f), ...d, whitelist: f.whitelist ?? [] } });
  return {};
};

const refresh: ApiMethod<'refresh'> = async (node, f) => {
  await node.control.apply({
    kind: 'refresh',
    // Refresh has no b64info in api.proto.
    cmd: { ...target(f), expired: f.expired, expireAtSec: f.expire_at, info: payloadBytes(f.info, '') },
  });
  return {};
};

function presenceChannel(node: Node, f: { channel: string }): ResolvedChannel {
  const resolved = resolve(node, f.channel);
  if (!resolved.options.presence) throw ApiError.of(ApiErrors.notAvailable);
  return resolved;
}

const presence: ApiMethod<'presence'> = async (node, f) => {
  const resolved = presenceChannel(node, f);
  const map = await node.presence(resolved.name);
  const out: Record<string, unknown> = {};
  for (const [id, info] of map) out[id] = clientInfoValue(info);
  return { presence: out };
};

const presenceStats: ApiMethod<'presence_stats'> = async (node, f) => {
  const resolved = presenceChannel(node, f);
  const stats = await node.presenceStats(resolved.name);
  return { num_clients: stats.numClients, num_users: stats.numUsers };
};

function historyChannel(node: Node, f: { channel: string }): ResolvedChannel {
  const resolved = resolve(node, f.channel);
  if (!historyEnabled(resolved.options)) throw ApiError.of(ApiErrors.notAvailable);
  return resolved;
}

const history: ApiMethod<'history'> = async (node, f) => {
  const resolved = historyChannel(node, f);
  const { since, reverse } = f;
  // The library refuses this as a bad request, which the API reports as internal.
  if (reverse && since && since.offset === 0) throw ApiError.of(ApiErrors.internal);
  try {
    const result = await node.history(resolved, { limit: f.limit, since, reverse });
    return {
      publications: result.publications.map((p) => publicationValue(p)),
      offset: result.position.offset,
      epoch: result.position.epoch,
    };
  } catch (err) {
    if (err instanceof ReplyError && err.error.code === ApiErrors.unrecoverablePosition.code) {
      throw ApiError.of(ApiErrors.unrecoverablePosition);
    }
    throw err;
  }
};

const historyRemove: ApiMethod<'history_remove'> = async (node, f) => {
  const resolved = historyChannel(node, f);
  await node.broker.removeHistory(resolved.name);
  return {};
};

const channels: ApiMethod<'channels'> = async (node, f) => {
  // Every node answers with its own counts; a node that does not answer in
  // time is left out (logged by the survey), a node that fails fails the call.
  const outcome = await node.control.survey(CHANNELS_OP, { pattern: f.pattern });
  let merged: Map<string, number>;
  try {
    merged = mergeChannels(outcome.replies);
  } catch (err) {
    if (!(err instanceof ChannelsSurveyError)) throw err;
    node.log.error({ err: err.message }, 'channels survey failed');
    throw ApiError.of(ApiErrors.internal);
  }
  // fromEntries defines own properties, so a channel named "__proto__" is listed like any other.
  return { channels: Object.fromEntries([...merged].map(([name, n]) => [name, { num_clients: n }])) };
};

const info: ApiMethod<'info'> = async (node) => {
  // Key order and omitempty as Go's NodeResult: uptime is omitted while 0.
  const nodes = node.control.nodes().map((n) => ({
    uid: n.uid,
    name: n.name,
    version: n.version,
    num_clients: n.num_clients,
    num_users: n.num_users,
    num_channels: n.num_channels,
    uptime: n.uptime > 0 ? n.uptime : undefined,
    metrics: n.metrics,
    num_subs: n.num_subs,
  }));
  return { nodes };
};

const rpc: ApiMethod<'rpc'> = async (_node, f) => {
  if (f.method === '') throw ApiError.of(ApiErrors.badRequest);
  // No server-side RPC extensions exist, as in Centrifugo OSS.
  throw ApiError.of(ApiErrors.notFound);
};

/** Every method reachable by name, batch included separately (it needs the dispatcher). */
export const METHODS: { [M in CommandName]: ApiMethod<M> } = {
  publish,
  broadcast,
  subscribe,
  unsubscribe,
  disconnect,
  refresh,
  presence,
  presence_stats: presenceStats,
  history,
  history_remove: historyRemove,
  channels,
  info,
  rpc,
};

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
