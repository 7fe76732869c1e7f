// Centrifugo's own JWT claims (info, channels, subs, override, expire_at, ...)
// turned into typed values. Runs only on a token whose signature and registered
// claims (aud, iss, exp, nbf) were already checked. A claim of the wrong JSON
// type makes the token invalid, as Go's strict unmarshalling does; `null` counts
// as absent, as it does there.

import { OVERRIDE_KEYS, type Raw, type SubscriptionOverride } from '../protocol/types.js';
import { invalidToken } from './errors.js';
import { isRecord } from '../util/values.js';

export interface ServerSideSubscription {
  info?: Raw;
  data?: Raw;
  override?: SubscriptionOverride;
}

export interface ConnectTokenClaims {
  user: string;
  /** Unix seconds; the token's own validity. */
  exp?: number;
  /** Unix seconds; undefined = not given, 0 = the connection never expires. */
  expireAt?: number;
  /** Connection info as JSON bytes (or the decoded `b64info` bytes). */
  info?: Raw;
  channels: string[];
  subs: Record<string, ServerSideSubscription>;
  /** Server-side only; never sent to clients. */
  meta?: unknown;
}

export interface SubscribeTokenClaims {
  user: string;
  channel: string;
  /** Deprecated claim: when set, it must equal the subscribing client's id. */
  client?: string;
  exp?: number;
  /** Unix seconds; undefined = not given, 0 = the subscription never expires. */
  expireAt?: number;
  info?: Raw;
  data?: Raw;
  override?: SubscriptionOverride;
}

export type RawClaims = Record<string, unknown>;

/** Unix seconds at which the connection expires; 0 = never. expire_at wins over exp. */
export function connectionExpiry(claims: { exp?: number; expireAt?: number }): number {
  if (claims.expireAt !== undefined) return claims.expireAt;
  return claims.exp ?? 0;
}

export function parseConnectClaims(claims: RawClaims, userIdClaim: string): ConnectTokenClaims {
  // A subscription token must not be usable as a connection token.
  const channel = optString(claims, 'channel');
  if (channel !== undefined && channel !== '') {
    throw invalidToken('connection token must not contain the channel claim');
  }
  const result: ConnectTokenClaims = {
    user: userOf(claims, userIdClaim),
    channels: stringList(claims.channels, 'channels'),
    subs: parseSubs(claims.subs),
  };
  setIfDefined(result, 'exp', expOf(claims));
  setIfDefined(result, 'expireAt', expireAtOf(claims));
  setIfDefined(result, 'info', payload(claims, 'info', 'b64info'));
  if (claims.meta !== undefined && claims.meta !== null) result.meta = claims.meta;
  return result;
}

export function parseSubscribeClaims(claims: RawClaims, userIdClaim: string): SubscribeTokenClaims {
  const channel = optString(claims, 'channel');
  if (channel === undefined || channel === '') {
    throw invalidToken('subscription token must contain the channel claim');
  }
  const result: SubscribeTokenClaims = { user: userOf(claims, userIdClaim), channel };
  setIfDefined(result, 'client', optString(claims, 'client') || undefined);
  setIfDefined(result, 'exp', expOf(claims));
  setIfDefined(result, 'expireAt', expireAtOf(claims));
  setIfDefined(result, 'info', payload(claims, 'info', 'b64info'));
  setIfDefined(result, 'data', payload(claims, 'data', 'b64data'));
  setIfDefined(result, 'override', parseOverride(claims.override));
  return result;
}

// Keeps optional fields truly absent rather than present-but-undefined, so
// callers and deepEqual-style tests see the same shape as the token.
function setIfDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** `user_id_claim` replaces `sub` entirely; a missing or non-string value means anonymous. */
function userOf(claims: RawClaims, userIdClaim: string): string {
  if (userIdClaim !== '') {
    const value = claims[userIdClaim];
    return typeof value === 'string' ? value : '';
  }
  return optString(claims, 'sub') ?? '';
}

function expOf(claims: RawClaims): number | undefined {
  // Registered-claim checks already rejected a non-numeric exp; Go truncates
  // the NumericDate to whole seconds for the connection expiry.
  return typeof claims.exp === 'number' ? Math.floor(claims.exp) : undefined;
}

function expireAtOf(claims: RawClaims): number | undefined {
  const value = claims.expire_at;
  if (value === undefined || value === null) return undefined;
  // Go reads it into an int64: fractions and strings fail to unmarshal.
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalidToken('expire_at claim must be an integer');
  }
  return value;
}

/**
 * A JSON payload claim (`info`, `data`) or its base64 twin; the base64 one wins
 * because binary (Protobuf) clients cannot carry arbitrary bytes as JSON.
 * The JSON form is re-serialised from the parsed payload: JWT claims reach us
 * already parsed, so the original bytes are not available here.
 */
function payload(source: RawClaims, jsonName: string, b64Name: string): Raw | undefined {
  const b64 = optString(source, b64Name);
  if (b64 !== undefined && b64 !== '') return decodeStdBase64(b64, b64Name);
  const value = source[jsonName];
  if (value === undefined || value === null) return undefined;
  return Buffer.from(JSON.stringify(value), 'utf8');
}

// Node's base64 decoder skips junk silently; Go's StdEncoding rejects it, and a
// token carrying garbage should fail loudly rather than deliver truncated bytes.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeStdBase64(text: string, name: string): Buffer {
  if (!STD_BASE64.test(text)) throw invalidToken(`${name} claim is not valid base64`);
  return Buffer.from(text, 'base64');
}

function parseSubs(value: unknown): Record<string, ServerSideSubscription> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalidToken('subs claim must be an object');
  const subs: Record<string, ServerSideSubscription> = {};
  for (const [channel, options] of Object.entries(value)) {
    if (options !== null && !isRecord(options)) throw invalidToken(`subs.${channel} must be an object`);
    const sub: ServerSideSubscription = {};
    if (options !== null) {
      setIfDefined(sub, 'info', payload(options, 'info', 'b64info'));
      setIfDefined(sub, 'data', payload(options, 'data', 'b64data'));
      setIfDefined(sub, 'override', parseOverride(options.override));
    }
    // defineProperty, not assignment: a channel named "__proto__" must stay an
    // ordinary key instead of replacing the object's prototype.
    Object.defineProperty(subs, channel, { value: sub, enumerable: true, writable: true, configurable: true });
  }
  return subs;
}

/** `{presence: {value: true}, ...}` → `{presence: true}`; unknown keys are ignored. */
function parseOverride(value: unknown): SubscriptionOverride | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalidToken('override claim must be an object');
  const override: SubscriptionOverride = {};
  for (const key of OVERRIDE_KEYS) {
    const wrapper = value[key];
    if (wrapper === undefined || wrapper === null) continue;
    if (!isRecord(wrapper)) throw invalidToken(`override.${key} must be an object`);
    const flag = wrapper.value;
    // Go's BoolValue zero value: `{}` is an override to false.
    if (flag !== undefined && flag !== null && typeof flag !== 'boolean') {
      throw invalidToken(`override.${key}.value must be a boolean`);
    }
    override[key] = flag === true;
  }
  return override;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidToken(`${name} claim must be an array of strings`);
  }
  return value as string[];
}

function optString(source: RawClaims, name: string): string | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidToken(`${name} claim must be a string`);
  return value;
}
