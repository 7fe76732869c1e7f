// The messages nodes exchange over the broker's control channel, and their
// encoding.
//
// The encoding is Tributary's own JSON, NOT Centrifugo's protobuf
// `controlpb.Command`: an envelope {"v":1,"uid":<sender>,"type":<kind>,"body":{...}}
// with payload bytes in base64. A Centrifugo (Go) node cannot read these
// messages nor we its, so Go and Tributary nodes must not share a Redis
// prefix: they would not see each other in `info`, surveys would wait for
// replies that never come, and by-user commands would not cross over.
// The message kinds mirror controlpb's (spec server-api.md §4.6).

import { OVERRIDE_KEYS, type SubscriptionOverride } from '../../protocol/types.js';
import { isRecord } from '../../util/values.js';
import { ControlDecodeError, bool, bytes, int, object, optBool, putBytes, putIf, requiredStr, str, strList, type WireObject } from './wire.js';
import type { DisconnectCommand, RefreshCommand, SubscribeCommand, UnsubscribeCommand } from './user-commands.js';

export { ControlDecodeError };

/** Bumped if the envelope ever changes incompatibly; other versions are refused. */
export const CONTROL_FORMAT_VERSION = 1;

/** One node as `info` shows it; also the heartbeat body. */
export interface NodeInfo {
  uid: string;
  name: string;
  /** Display version, e.g. "0.1.0 OSS". */
  version: string;
  num_clients: number;
  num_users: number;
  num_channels: number;
  num_subs: number;
  /** Seconds since the node started. */
  uptime: number;
  /** The node's latest metrics snapshot (node/info-metrics.ts); absent when node.info_metrics_aggregate_interval is 0. */
  metrics?: InfoMetrics;
}

/** A node's metrics in `info`: `items` flattened Prometheus values of the last `interval` seconds. */
export interface InfoMetrics {
  interval: number;
  items: Record<string, number>;
}

export interface SurveyRequest {
  id: string;
  op: string;
  /** Any JSON value; its meaning belongs to the op. */
  data: unknown;
}

/** Reply codes, as Centrifugo's survey uses them. */
export const SurveyCodes = { ok: 0, internal: 1, invalidRequest: 2, methodNotFound: 3 } as const;

export interface SurveyResponse {
  id: string;
  code: number;
  data: unknown;
}

export type ControlBody =
  | { type: 'node'; body: NodeInfo }
  | { type: 'shutdown'; body: Record<string, never> }
  | { type: 'subscribe'; body: SubscribeCommand }
  | { type: 'unsubscribe'; body: UnsubscribeCommand }
  | { type: 'disconnect'; body: DisconnectCommand }
  | { type: 'refresh'; body: RefreshCommand }
  | { type: 'survey_request'; body: SurveyRequest }
  | { type: 'survey_response'; body: SurveyResponse };

export type ControlType = ControlBody['type'];
export type ControlMessage = ControlBody & { uid: string };

export const CONTROL_TYPES: readonly ControlType[] = [
  'node',
  'shutdown',
  'subscribe',
  'unsubscribe',
  'disconnect',
  'refresh',
  'survey_request',
  'survey_response',
];

// ---- encode ------------------------------------------------------------------

function selectorWire(c: { user: string; client?: string; session?: string }): WireObject {
  // `user` always: '' is a real target (anonymous connections).
  const o: WireObject = { user: c.user };
  putIf(o, 'client', c.client);
  putIf(o, 'session', c.session);
  return o;
}

function overrideWire(ov: SubscriptionOverride): WireObject {
  const o: WireObject = {};
  for (const [k, v] of Object.entries(ov)) if (typeof v === 'boolean') o[k] = v;
  return o;
}

function bodyWire(m: ControlBody): WireObject {
  switch (m.type) {
    case 'node':
    case 'shutdown':
      return { ...m.body };
    case 'subscribe': {
      const c = m.body;
      const o = selectorWire(c);
      o.channel = c.channel;
      putIf(o, 'expire_at', c.expireAtSec);
      putBytes(o, 'info', c.chanInfo);
      putBytes(o, 'data', c.data);
      if (c.override) o.override = overrideWire(c.override);
      if (c.recoverSince) o.recover_since = { offset: c.recoverSince.offset, epoch: c.recoverSince.epoch };
      return o;
    }
    case 'unsubscribe':
      return { ...selectorWire(m.body), channel: m.body.channel };
    case 'disconnect': {
      const o = selectorWire(m.body);
      o.code = m.body.code;
      putIf(o, 'reason', m.body.reason);
      if (m.body.whitelist.length > 0) o.whitelist = m.body.whitelist;
      return o;
    }
    case 'refresh': {
      const o = selectorWire(m.body);
      putIf(o, 'expired', m.body.expired);
      putIf(o, 'expire_at', m.body.expireAtSec);
      putBytes(o, 'info', m.body.info);
      return o;
    }
    case 'survey_request':
      return { id: m.body.id, op: m.body.op, data: m.body.data ?? null };
    case 'survey_response':
      return { id: m.body.id, code: m.body.code, data: m.body.data ?? null };
  }
}

export function encodeControl(uid: string, m: ControlBody): Buffer {
  return Buffer.from(JSON.stringify({ v: CONTROL_FORMAT_VERSION, uid, type: m.type, body: bodyWire(m) }), 'utf8');
}

// ---- decode ------------------------------------------------------------------

function selectorOf(o: WireObject): { user: string; client: string; session: string } {
  return { user: str(o, 'user'), client: str(o, 'client'), session: str(o, 'session') };
}

function nonNegative(o: WireObject, key: string): number {
  const v = int(o, key);
  if (v < 0) throw new ControlDecodeError(`${key} must not be negative`);
  return v;
}

function decodeInfoMetrics(v: unknown): InfoMetrics {
  const o = object(v, 'metrics');
  const interval = o.interval;
  if (typeof interval !== 'number' || !(interval >= 0)) throw new ControlDecodeError('metrics.interval must be a non-negative number');
  const items = object(o.items ?? {}, 'metrics.items');
  for (const [k, n] of Object.entries(items)) if (typeof n !== 'number') throw new ControlDecodeError(`metrics.items.${k} must be a number`);
  return { interval, items: items as Record<string, number> };
}

function decodeOverride(v: unknown): SubscriptionOverride | undefined {
  if (v === undefined) return undefined;
  const o = object(v, 'override');
  const out: SubscriptionOverride = {};
  for (const key of OVERRIDE_KEYS) {
    const b = optBool(o, key);
    if (b !== undefined) out[key] = b;
  }
  return out;
}

function decodeBody(type: ControlType, o: WireObject): ControlBody {
  switch (type) {
    case 'node':
      return {
        type,
        body: {
          uid: requiredStr(o, 'uid'),
          name: str(o, 'name'),
          version: str(o, 'version'),
          num_clients: nonNegative(o, 'num_clients'),
          num_users: nonNegative(o, 'num_users'),
          num_channels: nonNegative(o, 'num_channels'),
          num_subs: nonNegative(o, 'num_subs'),
          uptime: nonNegative(o, 'uptime'),
          ...(o.metrics === undefined ? {} : { metrics: decodeInfoMetrics(o.metrics) }),
        },
      };
    case 'shutdown':
      return { type, body: {} };
    case 'subscribe': {
      const since = o.recover_since === undefined ? undefined : object(o.recover_since, 'recover_since');
      return {
        type,
        body: {
          ...selectorOf(o),
          channel: requiredStr(o, 'channel'),
          expireAtSec: int(o, 'expire_at'),
          chanInfo: bytes(o, 'info'),
          data: bytes(o, 'data'),
          override: decodeOverride(o.override),
          recoverSince: since && { offset: nonNegative(since, 'offset'), epoch: str(since, 'epoch') },
        },
      };
    }
    case 'unsubscribe':
      return { type, body: { ...selectorOf(o), channel: str(o, 'channel') } };
    case 'disconnect': {
      const code = nonNegative(o, 'code');
      if (code === 0) throw new ControlDecodeError('code is required');
      return { type, body: { ...selectorOf(o), code, reason: str(o, 'reason'), whitelist: strList(o, 'whitelist') } };
    }
    case 'refresh':
      return { type, body: { ...selectorOf(o), expired: bool(o, 'expired'), expireAtSec: int(o, 'expire_at'), info: bytes(o, 'info') } };
    case 'survey_request':
      return { type, body: { id: requiredStr(o, 'id'), op: requiredStr(o, 'op'), data: o.data ?? null } };
    case 'survey_response':
      return { type, body: { id: requiredStr(o, 'id'), code: nonNegative(o, 'code'), data: o.data ?? null } };
  }
}

/** Decodes and type-checks one control message; throws ControlDecodeError on anything unexpected. */
export function decodeControl(data: Buffer): ControlMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ControlDecodeError('not JSON', 'bad_json');
  }
  if (!isRecord(parsed)) throw new ControlDecodeError('message must be an object', 'bad_json');
  // The version is named by its type unless it is a number: quoting any JSON value back could be a megabyte, or nested too deep to stringify.
  if (parsed.v !== CONTROL_FORMAT_VERSION) {
    throw new ControlDecodeError(`unsupported format version ${typeof parsed.v === 'number' ? parsed.v : typeof parsed.v}`, 'bad_version');
  }
  const uid = requiredStr(parsed, 'uid');
  const type = str(parsed, 'type');
  if (!(CONTROL_TYPES as readonly string[]).includes(type)) throw new ControlDecodeError(`unknown type ${JSON.stringify(type)}`, 'unknown_type');
  const body = object(parsed.body ?? {}, 'body');
  return { uid, ...decodeBody(type as ControlType, body) };
}
