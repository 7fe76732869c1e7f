// Server→client JSON messages. Built by string concatenation over the raw
// payload bytes so a publication is serialised once per channel, not once per
// subscriber, and client payloads are spliced verbatim.

import type { ProtocolError } from '../codes.js';
import { stringifyWithRaw } from './raw-json.js';

/** The app-level ping: an empty reply. */
export const JSON_PING = '{}';

export function encodeReply(id: number, kind: string, result: Record<string, unknown>): string {
  return '{"id":' + id + ',"' + kind + '":' + stringifyWithRaw(result) + '}';
}

export function encodeErrorReply(id: number, error: ProtocolError): string {
  return '{"id":' + id + ',"error":' + JSON.stringify(error) + '}';
}

/** Any push from a protocol value (see codec.ts for the value conventions); pushes without a channel (message, disconnect, refresh) name none. */
export function encodePush(channel: string, kind: string, body: Record<string, unknown>): string {
  const head = channel === '' ? '{"push":{"' : '{"push":{"channel":' + JSON.stringify(channel) + ',"';
  return head + kind + '":' + stringifyWithRaw(body) + '}}';
}
