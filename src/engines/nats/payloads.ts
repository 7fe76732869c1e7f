// What travels through NATS, as Centrifugo's Nats broker puts it there
// (centrifugo internal/natsbroker): the client protocol's Push message,
// protobuf, with the channel and one of pub, join or leave. A publication
// carries its data, info, tags, delta flag and time; offsets never (the broker
// keeps no history). In raw mode the payload is the publication's data alone.

import { decodeMessage, encodeMessage } from '../../protocol/protobuf/message.js';
import { Push as PushDesc } from '../../protocol/protobuf/schema.js';
import type { ClientInfo, Publication } from '../../protocol/types.js';

interface WireInfo {
  user?: string;
  client?: string;
  conn_info?: Buffer;
  chan_info?: Buffer;
}

interface WirePush {
  channel?: string;
  pub?: { data?: Buffer; info?: WireInfo; offset?: number; tags?: Record<string, string>; delta?: boolean; time?: number };
  join?: { info?: WireInfo };
  leave?: { info?: WireInfo };
}

const infoFields = (info: ClientInfo): WireInfo => ({ user: info.user, client: info.client, conn_info: info.connInfo, chan_info: info.chanInfo });

export function publicationPush(channel: string, pub: Publication, delta: boolean): Buffer {
  return encodeMessage(PushDesc, {
    channel,
    pub: { data: pub.data, info: pub.info ? infoFields(pub.info) : undefined, tags: pub.tags, delta: delta || undefined, time: pub.time },
  });
}

export function joinPush(channel: string, info: ClientInfo): Buffer {
  return encodeMessage(PushDesc, { channel, join: { info: infoFields(info) } });
}

export function leavePush(channel: string, info: ClientInfo): Buffer {
  return encodeMessage(PushDesc, { channel, leave: { info: infoFields(info) } });
}

export type NatsMessage =
  | { kind: 'publication'; channel: string; pub: Publication; delta: boolean }
  | { kind: 'join' | 'leave'; channel: string; info: ClientInfo }
  | { kind: 'unknown' };

// Copies: the decoder hands out views into the message, which NATS may reuse.
function info(o: WireInfo | undefined): ClientInfo {
  const out: ClientInfo = { user: o?.user ?? '', client: o?.client ?? '' };
  if (o?.conn_info !== undefined && o.conn_info.length > 0) out.connInfo = Buffer.from(o.conn_info);
  if (o?.chan_info !== undefined && o.chan_info.length > 0) out.chanInfo = Buffer.from(o.chan_info);
  return out;
}

/** Throws on bytes that are not a Push. */
export function decodePush(bytes: Buffer): NatsMessage {
  const o = decodeMessage(bytes, PushDesc) as WirePush;
  const channel = o.channel ?? '';
  if (o.pub !== undefined) {
    const pub: Publication = { data: Buffer.from(o.pub.data ?? EMPTY), offset: 0 };
    if (o.pub.info !== undefined) pub.info = info(o.pub.info);
    if (o.pub.tags !== undefined && Object.keys(o.pub.tags).length > 0) pub.tags = o.pub.tags;
    if (o.pub.time) pub.time = Number(o.pub.time);
    return { kind: 'publication', channel, pub, delta: o.pub.delta === true };
  }
  if (o.join !== undefined) return { kind: 'join', channel, info: info(o.join.info) };
  if (o.leave !== undefined) return { kind: 'leave', channel, info: info(o.leave.info) };
  return { kind: 'unknown' };
}

const EMPTY = Buffer.alloc(0);
