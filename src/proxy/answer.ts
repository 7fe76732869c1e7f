// Reading a backend's answer. An HTTP backend answers JSON, read as Go's
// encoding/json reads it into the proto structs: keys matched regardless of
// case, unknown keys ignored, a value of the wrong type fails the whole
// answer, payload fields (bytes in the proto) taken as the raw JSON text. That
// JSON is first brought into the form the protobuf decoder gives a gRPC
// answer, so one set of readers below serves both.

import { parseJsonWithRaw, RawJson, type JsonPath } from '../protocol/json/raw-json.js';
import { Kind, type FieldDesc, type MessageDesc } from '../protocol/protobuf/schema.js';
import { isRecord } from '../util/values.js';
import type { SubscriptionOverride } from '../protocol/types.js';
import { OVERRIDE_KEYS } from '../protocol/types.js';
import type {
  ConnectResult,
  ProxyAnswer,
  PublishResult,
  RefreshResult,
  ResultOf,
  RpcResult,
  SubRefreshResult,
  SubscribeOptionsResult,
  SubscribeResult,
} from './messages.js';
import type { ProxyType } from './messages.js';

type Obj = Record<string, unknown>;

/** The answer could not be read: a proxy failure like a transport error (100 for the client). */
export class BadAnswer extends Error {}

/** Go's case-insensitive field lookup: an exact name first, then any case. */
function fieldFor(desc: MessageDesc, key: string): FieldDesc | undefined {
  return desc.byName.get(key) ?? desc.byName.get(key.toLowerCase());
}

/** Whether a JSON path (from the answer's root) ends at a bytes field, which Go reads as raw JSON. */
function rawAt(desc: MessageDesc, path: JsonPath): boolean {
  let at: MessageDesc | undefined = desc;
  for (let i = 0; i < path.length; i++) {
    const f: FieldDesc | undefined = at ? fieldFor(at, String(path[i])) : undefined;
    if (!f) return false;
    if (i === path.length - 1) return f.kind === Kind.bytes;
    if (f.kind === Kind.mapMessage) {
      i++; // the map key
      if (i === path.length - 1) return false;
    } else if (f.kind !== Kind.message) {
      return false;
    }
    at = f.message;
  }
  return false;
}

const fail = (path: string, what: string): never => {
  throw new BadAnswer(`answer field ${path} must be ${what}`);
};

function fromJson(value: unknown, desc: MessageDesc, path: string): Obj {
  if (!isRecord(value) || value instanceof RawJson) return fail(path || 'root', 'an object');
  const out: Obj = {};
  for (const [key, v] of Object.entries(value)) {
    const f = fieldFor(desc, key);
    if (!f || v === null) continue; // Go leaves a null member at its zero value
    const at = path ? `${path}.${key}` : key;
    out[f.name] = fieldFromJson(f, v, at);
  }
  return out;
}

function fieldFromJson(f: FieldDesc, v: unknown, at: string): unknown {
  switch (f.kind) {
    case Kind.bytes:
      return v instanceof RawJson ? v.toBuffer() : Buffer.from(JSON.stringify(v));
    case Kind.string:
      return typeof v === 'string' ? v : fail(at, 'a string');
    case Kind.bool:
      return typeof v === 'boolean' ? v : fail(at, 'a boolean');
    case Kind.uint32:
    case Kind.uint64:
      return Number.isSafeInteger(v) && (v as number) >= 0 ? v : fail(at, 'a non-negative integer');
    case Kind.int32:
    case Kind.int64:
      return Number.isSafeInteger(v) ? v : fail(at, 'an integer');
    case Kind.message:
      return fromJson(v, f.message!, at);
    case Kind.strings:
      return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : fail(at, 'a list of strings');
    case Kind.mapString:
      if (!isRecord(v) || v instanceof RawJson || !Object.values(v).every((s) => typeof s === 'string')) return fail(at, 'an object of strings');
      return v;
    case Kind.mapMessage: {
      if (!isRecord(v) || v instanceof RawJson) return fail(at, 'an object');
      const map: Obj = {};
      for (const [k, item] of Object.entries(v)) {
        // Keys are backend strings (channel names): define, never assign.
        Object.defineProperty(map, k, { value: fromJson(item, f.message!, `${at}.${k}`), enumerable: true, writable: true, configurable: true });
      }
      return map;
    }
    default:
      return fail(at, 'of a known kind');
  }
}

/** An HTTP backend's JSON body, in the form the protobuf decoder gives a gRPC answer. */
export function answerFromJson(body: string, desc: MessageDesc): Obj {
  let parsed: unknown;
  try {
    parsed = parseJsonWithRaw(body, (path) => path.length > 0 && rawAt(desc, path));
  } catch (err) {
    throw new BadAnswer(`answer is not JSON: ${(err as Error).message}`);
  }
  return fromJson(parsed, desc, '');
}

// ---- typed results -------------------------------------------------------------

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go's base64.StdEncoding: padded, no whitespace, nothing else. */
export function decodeBase64(text: string, field: string): Buffer {
  if (!STRICT_BASE64.test(text)) throw new BadAnswer(`answer field ${field} is not valid base64`);
  return Buffer.from(text, 'base64');
}

/** The payload of a pair like info/b64info: the base64 one wins when not empty. */
function payload(r: Obj, name: string, b64First = true): Buffer | undefined {
  const b64 = r[`b64${name}`] as string | undefined;
  const raw = r[name] as Buffer | undefined;
  if (b64First || raw === undefined || raw.length === 0) {
    if (b64) return decodeBase64(b64, `b64${name}`);
  }
  return raw !== undefined && raw.length > 0 ? raw : undefined;
}

function override(o: Obj | undefined): SubscriptionOverride | undefined {
  if (!o) return undefined;
  const out: SubscriptionOverride = {};
  for (const key of OVERRIDE_KEYS) {
    const v = o[key] as Obj | undefined;
    if (v) out[key] = v.value === true;
  }
  return out;
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

function subscribeOptions(o: Obj): SubscribeOptionsResult {
  return { info: payload(o, 'info'), data: payload(o, 'data'), override: override(o.override as Obj | undefined), cacheRecover: o.cache_recover === true };
}

const READERS: { [T in ProxyType]: (r: Obj) => ResultOf[T] } = {
  connect: (r): ConnectResult => ({
    user: (r.user as string) ?? '',
    expireAt: num(r.expire_at),
    info: payload(r, 'info'),
    data: payload(r, 'data'),
    channels: (r.channels as string[]) ?? [],
    subs: new Map(Object.entries((r.subs as Record<string, Obj>) ?? {}).map(([ch, o]) => [ch, subscribeOptions(o)])),
    meta: (r.meta as Buffer | undefined)?.length ? (r.meta as Buffer) : undefined,
  }),
  refresh: (r): RefreshResult => ({
    expired: r.expired === true,
    expireAt: num(r.expire_at),
    info: payload(r, 'info'),
    meta: (r.meta as Buffer | undefined)?.length ? (r.meta as Buffer) : undefined,
  }),
  subscribe: (r): SubscribeResult => ({
    expireAt: num(r.expire_at),
    info: payload(r, 'info'),
    data: payload(r, 'data'),
    override: override(r.override as Obj | undefined),
  }),
  // The one exception to "base64 wins": a publish's data, when present, is used as is.
  publish: (r): PublishResult => ({
    data: payload(r, 'data', false),
    skipHistory: r.skip_history === true,
    tags: r.tags as Record<string, string> | undefined,
    idempotencyKey: (r.idempotency_key as string) || undefined,
    delta: r.delta === true,
    version: num(r.version),
    versionEpoch: (r.version_epoch as string) ?? '',
  }),
  sub_refresh: (r): SubRefreshResult => ({ expired: r.expired === true, expireAt: num(r.expire_at), info: payload(r, 'info') }),
  rpc: (r): RpcResult => ({ data: payload(r, 'data') }),
};

/** The typed answer of one proxy type from its decoded response message. */
export function readAnswer<T extends ProxyType>(type: T, response: Obj): ProxyAnswer<ResultOf[T]> {
  const out: ProxyAnswer<ResultOf[T]> = {};
  const error = response.error as Obj | undefined;
  const disconnect = response.disconnect as Obj | undefined;
  if (error) {
    out.error = { code: num(error.code), message: (error.message as string) ?? '' };
    if (error.temporary === true) out.error.temporary = true;
  }
  if (disconnect) out.disconnect = { code: num(disconnect.code), reason: (disconnect.reason as string) ?? '' };
  if (response.result) out.result = READERS[type](response.result as Obj);
  return out;
}
