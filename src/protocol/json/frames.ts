// Server→client JSON messages. Built by string concatenation over the raw
// payload bytes so a publication is serialised once per channel, not once per
// subscriber, and client payloads are spliced verbatim.

import type { ProtocolError } from '../codes.js';
import { stringifyWithRaw } from './raw-json.js';
import type { ClientInfo, Publication } from '../types.js';
import { clientInfoValue, publicationValue } from '../values.js';

/** The app-level ping: an empty reply. */
export const JSON_PING = '{}';

/** Kept under the JSON names for callers and tests that predate the shared values module. */
export const clientInfoJson = clientInfoValue;

export function publicationJson(pub: Publication, epoch?: string): Record<string, unknown> {
  return publicationValue(pub, epoch);
}

export function encodeReply(id: number, kind: string, result: Record<string, unknown>): string {
  return '{"id":' + id + ',"' + kind + '":' + stringifyWithRaw(result) + '}';
}

export function encodeErrorReply(id: number, error: ProtocolError): string {
  return '{"id":' + id + ',"error":' + JSON.stringify(error) + '}';
}

function push(channel: string, kind: string, body: string): string {
  if (channel === '') return '{"push":{"' + kind + '":' + body + '}}';
  return '{"push":{"channel":' + JSON.stringify(channel) + ',"' + kind + '":' + body + '}}';
}

/** Any push from a protocol value (see codec.ts for the value conventions). */
export function encodePush(channel: string, kind: string, body: Record<string, unknown>): string {
  return push(channel, kind, stringifyWithRaw(body));
}

/**
 * Go attaches the epoch to the copy of a publication with offset 1 so clients
 * learn the new stream generation; we do the same.
 */
export function encodePublicationPush(channel: string, pub: Publication, epoch: string): string {
  return push(channel, 'pub', stringifyWithRaw(publicationJson(pub, pub.offset === 1 ? epoch : undefined)));
}

export function encodeJoinPush(channel: string, info: ClientInfo): string {
  return push(channel, 'join', stringifyWithRaw({ info: clientInfoJson(info) }));
}

export function encodeLeavePush(channel: string, info: ClientInfo): string {
  return push(channel, 'leave', stringifyWithRaw({ info: clientInfoJson(info) }));
}

export function encodeUnsubscribePush(channel: string, code: number, reason: string): string {
  return push(channel, 'unsubscribe', JSON.stringify({ code, reason }));
}

export function encodeSubscribePush(channel: string, result: Record<string, unknown>): string {
  return push(channel, 'subscribe', stringifyWithRaw(result));
}

export function encodeMessagePush(data: Buffer): string {
  return '{"push":{"message":' + stringifyWithRaw({ data }) + '}}';
}

export function encodeDisconnectPush(code: number, reason: string): string {
  return '{"push":{"disconnect":' + JSON.stringify({ code, reason }) + '}}';
}

export function encodeRefreshPush(expires: boolean, ttl: number): string {
  const body: Record<string, unknown> = {};
  if (expires) body.expires = true;
  if (ttl > 0) body.ttl = ttl;
  return '{"push":{"refresh":' + JSON.stringify(body) + '}}';
}
