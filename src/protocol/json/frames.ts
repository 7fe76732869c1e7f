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
 * field: the generic walk over a value object cost more than the rest of the
 * frame. Delta forms, empty data and data with newlines take it (through
 * encodePublicationPush below); so do tests.
 * test/unit/protocol/json-publication.test.ts holds the two to the same bytes.
 */
export function encodePublicationJson(pub: Publication, epoch?: string, data: Buffer | JsonStringData = pub.data, delta = false): string {
  const dataText = encodeData(data);
  const rest = membersAfterData(pub, epoch, delta);
  if (dataText !== undefined) return '{"data":' + dataText + rest + '}';
  return rest === '' ? '{}' : '{' + rest.slice(1) + '}';
}

/**
 * A publication's push frame as bytes: Buffer.from(encodePushText(channel,
 * 'pub', encodePublicationJson(...))), except that raw data is copied into the
 * frame as the bytes it is, not decoded to a string and encoded back: the same
 * bytes for valid UTF-8, the only data a JSON connection gets (see
 * isJsonSafePayload). Every broadcast builds one per publication.
 */
export function encodePublicationPush(channel: string, pub: Publication, epoch?: string, data: Buffer | JsonStringData = pub.data, delta = false): Buffer {
  if (data instanceof JsonStringData || data.length === 0 || data.includes(NEWLINE)) {
    return Buffer.from(encodePushText(channel, 'pub', encodePublicationJson(pub, epoch, data, delta)));
  }
  const head = pushHead(channel, 'pub') + '{"data":';
  const tail = membersAfterData(pub, epoch, delta) + '}}}';
  const headBytes = Buffer.byteLength(head);
  const frame = Buffer.allocUnsafe(headBytes + data.length + Buffer.byteLength(tail));
  frame.write(head, 0);
  data.copy(frame, headBytes);
  frame.write(tail, headBytes + data.length);
  return frame;
}

const NEWLINE = 0x0a;

function encodeData(data: Buffer | JsonStringData): string | undefined {
  if (data instanceof JsonStringData) return JSON.stringify(data.bytes.toString('utf8'));
  if (data.length === 0) return undefined;
  const text = data.toString('utf8');
  return text.includes('\n') ? text.replaceAll('\n', '') : text;
}

/** The members publicationValue gives after `data`, each with its leading comma. */
function membersAfterData(pub: Publication, epoch: string | undefined, delta: boolean): string {
  let out = '';
  if (pub.info) out += ',"info":' + stringifyWithRaw(clientInfoValue(pub.info));
  if (pub.offset > 0) out += ',"offset":' + pub.offset;
  if (pub.tags && Object.keys(pub.tags).length > 0) out += ',"tags":' + stringifyWithRaw(pub.tags);
  if (pub.channel) out += ',"channel":' + JSON.stringify(pub.channel);
  if (delta) out += ',"delta":true';
  if (epoch) out += ',"epoch":' + JSON.stringify(epoch);
  return out;
}

/** `{"push":{"channel":…,"kind":` — what comes before a push's body. */
function pushHead(channel: string, kind: string): string {
  return (channel === '' ? '{"push":{"' : '{"push":{"channel":' + JSON.stringify(channel) + ',"') + kind + '":';
}

/** A push whose body is already JSON text. */
export function encodePushText(channel: string, kind: string, bodyJson: string): string {
  return pushHead(channel, kind) + bodyJson + '}}';
}
