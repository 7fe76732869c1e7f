// Asking the backend on a client's behalf (proxies.md §4–§7): the request
// fields every call shares, what the client gets when the call fails, and the
// readers that turn an answer into what the session applies. A proxy failure
// is logged with the endpoint and the client, never with a token or a body.

import { BadAnswer } from '../proxy/answer.js';
import type { ProxyEndpoint } from '../proxy/endpoint.js';
import type { ProxyAnswer, ProxyRequest, ProxyType, ResultOf } from '../proxy/messages.js';
import { DisconnectError, Errors, ReplyError } from '../protocol/codes.js';
import type { HandlerSession } from './handler-session.js';

/** The request fields of every proxy call, and the connection meta when the proxy wants it (it drops it otherwise). */
export function requestOf(c: HandlerSession, fields: Record<string, unknown>): ProxyRequest {
  return { client: c.id, transport: c.transport.name, protocol: c.transport.protocol, ...fields, meta: c.meta };
}

/** The call context: the connection's forwarded headers, and a signal that fires when the client leaves. */
function contextOf(c: HandlerSession) {
  return { headers: c.context.headers, emulatedHeaders: c.context.emulatedHeaders, signal: c.closedSignal };
}

/**
 * One call of a proxy whose answer the client waits for (connect, subscribe,
 * publish, rpc): a failure is error 100 (temporary), the backend's disconnect
 * closes the connection, its error is the reply. Resolves with the result
 * (undefined when the backend sent none), or null when the client left during
 * the call.
 */
export async function askProxy<T extends ProxyType>(
  c: HandlerSession,
  endpoint: ProxyEndpoint<T>,
  fields: Record<string, unknown>,
): Promise<ResultOf[T] | undefined | null> {
  let answer: ProxyAnswer<ResultOf[T]>;
  try {
    answer = await endpoint.call(requestOf(c, fields), contextOf(c));
  } catch (err) {
    if (c.isClosed()) return null;
    logFailure(c, endpoint, err);
    throw new ReplyError(Errors.internal);
  }
  if (c.isClosed()) return null;
  if (answer.disconnect) throw new DisconnectError(answer.disconnect);
  if (answer.error) throw new ReplyError(answer.error);
  return answer.result;
}

/**
 * A refresh-type call (refresh, sub_refresh), which no client waits for:
 * 'failed' when the backend could not be asked (the caller extends by a
 * minute and asks again), 'unreadable' when its answer could not be decoded,
 * otherwise the result, undefined when the answer had none (an error or
 * disconnect answer included: that means expired).
 */
export async function refreshThroughProxy<T extends 'refresh' | 'sub_refresh'>(
  c: HandlerSession,
  endpoint: ProxyEndpoint<T>,
  fields: Record<string, unknown>,
): Promise<ResultOf[T] | undefined | 'failed' | 'unreadable' | null> {
  try {
    const answer = await endpoint.call(requestOf(c, fields), contextOf(c));
    return c.isClosed() ? null : answer.result;
  } catch (err) {
    if (c.isClosed()) return null;
    logFailure(c, endpoint, err);
    // The backend answered, but with payloads that do not decode (bad base64): no retry helps.
    return err instanceof BadAnswer ? 'unreadable' : 'failed';
  }
}

function logFailure(c: HandlerSession, endpoint: ProxyEndpoint, err: unknown): void {
  const reason = err instanceof Error ? err.message : String(err);
  c.node.log.error(
    { proxy: endpoint.name, type: endpoint.type, endpoint: redacted(endpoint.options.endpoint), client: c.id, user: c.user, err: reason },
    'proxy call failed',
  );
}

/** An endpoint without its credentials, for logs. */
function redacted(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    if (u.username || u.password) {
      u.username = 'xxxxx';
      u.password = '';
    }
    u.search = '';
    return u.toString();
  } catch {
    return endpoint;
  }
}

/**
 * What a refresh's answer means for a connection or subscription expiring now.
 * 'broken' (an answer that does not decode) ends a connection with 3004 and a
 * subscription as expired, as Centrifugo does.
 */
export type RefreshOutcome =
  { kind: 'extend'; expireAtMs: number; info?: Buffer; meta?: Buffer } | { kind: 'expired' } | { kind: 'broken' } | { kind: 'retry'; expireAtMs: number };

/** Centrifugo caps a refreshed expiry at a year from now. */
const MAX_EXPIRY_MS = 365 * 24 * 3600 * 1000;
/** A refresh that could not ask the backend tries again this much later. */
export const REFRESH_RETRY_MS = 60_000;

export function refreshOutcome(result: ResultOf['refresh'] | ResultOf['sub_refresh'] | undefined | 'failed' | 'unreadable', now = Date.now()): RefreshOutcome {
  if (result === 'failed') return { kind: 'retry', expireAtMs: now + REFRESH_RETRY_MS };
  if (result === 'unreadable') return { kind: 'broken' };
  if (!result || result.expired || result.expireAt * 1000 <= now) return { kind: 'expired' };
  const meta = 'meta' in result ? result.meta : undefined;
  return { kind: 'extend', expireAtMs: Math.min(result.expireAt * 1000, now + MAX_EXPIRY_MS), info: result.info, meta };
}
