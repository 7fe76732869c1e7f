// Server→client JSON messages. Built by string concatenation over the raw
// payload bytes so a publication is serialised once per channel, not once per
// subscriber, and client payloads are spliced verbatim.

import { JsonStringData } from '../codec.js';
import type { ProtocolError } from '../codes.js';
import type { Publication } from '../types.js';
import { clientInfoValue } from '../values.js';
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
  return encodePushText(channel, kind, stringifyWithRaw(body));
}

/**
 * The JSON text of publicationValue(pub, epoch, data, delta), written field by
 * field: a broadcast encodes one per publication, and the generic walk over a
 * value object cost more than the rest of the frame.
 * test/unit/protocol/json-publication.test.ts holds the two to the same bytes.
 */
export function encodePublicationJson(pub: Publication, epoch?: string, data: Buffer | JsonStringData = pub.data, delta = false): string {
  let out = '{';
  const dataText = encodeData(data);
  if (dataText !== undefined) out += '"data":' + dataText;
  if (pub.info) out += member(out, 'info', stringifyWithRaw(clientInfoValue(pub.info)));
  if (pub.offset > 0) out += member(out, 'offset', String(pub.offset));
  if (pub.tags && Object.keys(pub.tags).length > 0) out += member(out, 'tags', stringifyWithRaw(pub.tags));
  if (pub.channel) out += member(out, 'channel', JSON.stringify(pub.channel));
  if (delta) out += member(out, 'delta', 'true');
  if (epoch) out += member(out, 'epoch', JSON.stringify(epoch));
  return out + '}';
}

function encodeData(data: Buffer | JsonStringData): string | undefined {
  if (data instanceof JsonStringData) return JSON.stringify(data.bytes.toString('utf8'));
  if (data.length === 0) return undefined;
  const text = data.toString('utf8');
  return text.includes('\n') ? text.replaceAll('\n', '') : text;
}

/** `"name":json`, with the comma when something came before it in `out`. */
function member(out: string, name: string, json: string): string {
  return (out.length > 1 ? ',"' : '"') + name + '":' + json;
}

/** A push whose body is already JSON text. */
export function encodePushText(channel: string, kind: string, bodyJson: string): string {
  const head = channel === '' ? '{"push":{"' : '{"push":{"channel":' + JSON.stringify(channel) + ',"';
  return head + kind + '":' + bodyJson + '}}';
}
