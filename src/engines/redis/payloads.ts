// What travels through Redis: publications and client infos as protobuf (the
// client protocol's Publication and ClientInfo messages, as Centrifugo stores
// them), and the PUB/SUB envelopes that carry offset, epoch and the delta
// base in front of them (spec server-api.md §4.3):
//   __p1:<offset>:<epoch>__<Publication>
//   __d1:<offset>:<epoch>:<len>:<previous Publication>:<len>:<Publication>
//   __j__<ClientInfo>   __l__<ClientInfo>
//   <Publication>       (no history: offset 0)

import { decodeMessage, encodeMessage } from '../../protocol/protobuf/message.js';
import { ClientInfo as ClientInfoDesc, Publication as PublicationDesc } from '../../protocol/protobuf/schema.js';
import type { ClientInfo, Publication } from '../../protocol/types.js';

export function encodeClientInfo(info: ClientInfo): Buffer {
  return encodeMessage(ClientInfoDesc, clientInfoFields(info));
}

function clientInfoFields(info: ClientInfo): Record<string, unknown> {
  return { user: info.user, client: info.client, conn_info: info.connInfo, chan_info: info.chanInfo };
}

export function decodeClientInfo(bytes: Buffer): ClientInfo {
  const o = decodeMessage(bytes, ClientInfoDesc) as { user?: string; client?: string; conn_info?: Buffer; chan_info?: Buffer };
  const info: ClientInfo = { user: o.user ?? '', client: o.client ?? '' };
  if (o.conn_info !== undefined && o.conn_info.length > 0) info.connInfo = Buffer.from(o.conn_info);
  if (o.chan_info !== undefined && o.chan_info.length > 0) info.chanInfo = Buffer.from(o.chan_info);
  return info;
}

/** The stored form of a publication (its offset comes from the stream ID, not from here). */
export function encodePublication(pub: Publication, delta = false): Buffer {
  return encodeMessage(PublicationDesc, {
    data: pub.data,
    info: pub.info ? clientInfoFields(pub.info) : undefined,
    tags: pub.tags,
    delta: delta || undefined,
    time: pub.time,
  });
}

export function decodePublication(bytes: Buffer, offset: number): Publication {
  const o = decodeMessage(bytes, PublicationDesc) as {
    data?: Buffer;
    info?: { user?: string; client?: string; conn_info?: Buffer; chan_info?: Buffer };
    offset?: number;
    tags?: Record<string, string>;
    time?: number;
  };
  // Copies: the decoder hands out views into `bytes`, which may be a large reply buffer.
  const pub: Publication = { data: Buffer.from(o.data ?? EMPTY), offset: o.offset || offset };
  if (o.info !== undefined) {
    const info: ClientInfo = { user: o.info.user ?? '', client: o.info.client ?? '' };
    if (o.info.conn_info !== undefined && o.info.conn_info.length > 0) info.connInfo = Buffer.from(o.info.conn_info);
    if (o.info.chan_info !== undefined && o.info.chan_info.length > 0) info.chanInfo = Buffer.from(o.info.chan_info);
    pub.info = info;
  }
  if (o.tags !== undefined && Object.keys(o.tags).length > 0) pub.tags = o.tags;
  if (o.time) pub.time = o.time;
  return pub;
}

const EMPTY = Buffer.alloc(0);

export type PubSubMessage =
  { kind: 'publication'; pub: Publication; epoch: string; delta: boolean; prev?: Publication } | { kind: 'join' | 'leave'; info: ClientInfo };

const P1 = Buffer.from('__p1:');
const D1 = Buffer.from('__d1:');
const JOIN = Buffer.from('__j__');
const LEAVE = Buffer.from('__l__');
const COLON = 0x3a;

export function joinMessage(info: ClientInfo): Buffer {
  return Buffer.concat([JOIN, encodeClientInfo(info)]);
}

export function leaveMessage(info: ClientInfo): Buffer {
  return Buffer.concat([LEAVE, encodeClientInfo(info)]);
}

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** Reads the text up to the next `:` from `pos`; returns it and the position after the colon. */
function field(buf: Buffer, pos: number): [string, number] {
  const end = buf.indexOf(COLON, pos);
  if (end < 0) throw new Error('malformed PUB/SUB message');
  return [buf.toString('latin1', pos, end), end + 1];
}

/** Decimal digits only, as Go's strconv.ParseUint reads them: Number() would also take '', ' 1', '1e3' and '0x10'. */
function nonNegativeInt(s: string): number {
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n)) throw new Error('malformed PUB/SUB message');
  return n;
}

/** What a message claims to be by its prefix (for counting the ones that do not decode). */
export function claimedKind(msg: Buffer): 'publication' | 'join' | 'leave' {
  return startsWith(msg, JOIN) ? 'join' : startsWith(msg, LEAVE) ? 'leave' : 'publication';
}

/** Decodes a message received on a channel's PUB/SUB channel; throws on anything malformed. */
export function decodePubSubMessage(msg: Buffer): PubSubMessage {
  if (startsWith(msg, JOIN)) return { kind: 'join', info: decodeClientInfo(msg.subarray(JOIN.length)) };
  if (startsWith(msg, LEAVE)) return { kind: 'leave', info: decodeClientInfo(msg.subarray(LEAVE.length)) };
  if (startsWith(msg, P1)) {
    const [offsetText, afterOffset] = field(msg, P1.length);
    const sep = msg.indexOf('__', afterOffset);
    if (sep < 0) throw new Error('malformed PUB/SUB message');
    const epoch = msg.toString('latin1', afterOffset, sep);
    const offset = nonNegativeInt(offsetText);
    return { kind: 'publication', pub: decodePublication(msg.subarray(sep + 2), offset), epoch, delta: false };
  }
  if (startsWith(msg, D1)) {
    const [offsetText, p1] = field(msg, D1.length);
    const [epoch, p2] = field(msg, p1);
    const [prevLenText, p3] = field(msg, p2);
    const prevLen = nonNegativeInt(prevLenText);
    const prevBytes = msg.subarray(p3, p3 + prevLen);
    if (prevBytes.length !== prevLen || msg[p3 + prevLen] !== COLON) throw new Error('malformed PUB/SUB message');
    const [lenText, p5] = field(msg, p3 + prevLen + 1);
    const len = nonNegativeInt(lenText);
    const payload = msg.subarray(p5, p5 + len);
    if (payload.length !== len) throw new Error('malformed PUB/SUB message');
    const offset = nonNegativeInt(offsetText);
    // The previous publication sits one offset below: there is none below offset 0.
    if (prevLen > 0 && offset === 0) throw new Error('malformed PUB/SUB message');
    const pub = decodePublication(payload, offset);
    const prev = prevLen > 0 ? decodePublication(prevBytes, offset - 1) : undefined;
    return { kind: 'publication', pub, epoch, delta: true, prev };
  }
  return { kind: 'publication', pub: decodePublication(msg, 0), epoch: '', delta: false };
}
