// The Protobuf client protocol (WebSocket subprotocol `centrifuge-protobuf`)
// as a ProtocolCodec. Every message on the wire is prefixed with its length as
// a varint, even alone in a frame (client-protocol.md §1.1); a frame may hold
// several. Decoded commands have exactly the shape the JSON codec produces, so
// sessions cannot tell the formats apart.

import type { Command } from '../commands.js';
import { COMMAND_KINDS } from '../commands.js';
import type { Frame, ProtocolCodec, PushKind, ReplyKind } from '../codec.js';
import type { ProtocolError } from '../codes.js';
import { DecodeError } from '../decode-error.js';
import { acquireWriter, decodeDelimited, releaseWriter, writeMessage } from './message.js';
import { Command as CommandMessage, Push, Reply, type FieldDesc, type MessageDesc } from './schema.js';
import type { Writer } from './wire.js';

export const PROTOBUF_SUBPROTOCOL = 'centrifuge-protobuf';

function fieldOf(desc: MessageDesc, name: string): FieldDesc {
  const f = desc.byName.get(name);
  if (!f) throw new Error(`schema has no ${desc.name}.${name}`);
  return f;
}

const REPLY_ID = fieldOf(Reply, 'id');
const REPLY_ERROR = fieldOf(Reply, 'error');
const REPLY_PUSH = fieldOf(Reply, 'push');
const PUSH_CHANNEL = fieldOf(Push, 'channel');

// Maps, not objects: a kind is looked up by a string that must never find an Object.prototype member.
const REPLY_FIELDS = new Map<ReplyKind, FieldDesc>(
  (['connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history', 'ping', 'rpc', 'refresh', 'sub_refresh'] as const).map((k) => [
    k,
    fieldOf(Reply, k),
  ]),
);

const PUSH_FIELDS = new Map<PushKind, FieldDesc>(
  (['pub', 'join', 'leave', 'unsubscribe', 'message', 'subscribe', 'connect', 'disconnect', 'refresh'] as const).map((k) => [k, fieldOf(Push, k)]),
);

/** Writes tag + nested message; the tag is always written, even for an empty result (§2.1: the SDK dereferences it). */
function writeSubMessage(w: Writer, f: FieldDesc, value: object): void {
  w.uint32(f.tag);
  const start = w.beginLen();
  writeMessage(w, f.message!, value);
  w.endLen(start);
}

/**
 * Every frame is one delimited Reply: [length][id][one field]. openReply and
 * closeFrame bracket it; each encoder writes its field in between (no
 * callbacks, so the hot paths stay closure-free).
 */
function openReply(w: Writer, id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new TypeError(`protobuf encode: bad reply id ${id}`);
  const start = w.beginDelimited();
  if (id !== 0) {
    w.uint32(REPLY_ID.tag);
    w.uint32(id);
  }
  return start;
}

function closeFrame(w: Writer, start: number): Buffer {
  return w.finishDelimited(start);
}

function encodeReply(id: number, kind: ReplyKind, result: Record<string, unknown>): Buffer {
  const f = REPLY_FIELDS.get(kind);
  if (f === undefined) throw new TypeError(`protobuf encode: unknown reply kind ${kind}`);
  const w = acquireWriter();
  try {
    const start = openReply(w, id);
    writeSubMessage(w, f, result);
    return closeFrame(w, start);
  } finally {
    releaseWriter(w);
  }
}

function encodeError(id: number, error: ProtocolError): Buffer {
  const w = acquireWriter();
  try {
    const start = openReply(w, id);
    writeSubMessage(w, REPLY_ERROR, error);
    return closeFrame(w, start);
  } finally {
    releaseWriter(w);
  }
}

/** A push rides in Reply.push (id 0) on bidirectional transports. */
function encodePush(channel: string, kind: PushKind, body: Record<string, unknown>): Buffer {
  const f = PUSH_FIELDS.get(kind);
  if (f === undefined) throw new TypeError(`protobuf encode: unknown push kind ${kind}`);
  const w = acquireWriter();
  try {
    const start = openReply(w, 0);
    w.uint32(REPLY_PUSH.tag);
    const push = w.beginLen();
    if (channel !== '') {
      w.uint32(PUSH_CHANNEL.tag);
      w.string(channel);
    }
    writeSubMessage(w, f, body);
    w.endLen(push);
    return closeFrame(w, start);
  } finally {
    releaseWriter(w);
  }
}

/** An empty Reply, i.e. the length byte 0 alone (§1.2). */
function ping(): Buffer {
  return Buffer.alloc(1);
}

function join(frames: Frame[]): Buffer {
  if (frames.length === 1 && Buffer.isBuffer(frames[0])) return frames[0];
  return Buffer.concat(frames.map((f) => (typeof f === 'string' ? Buffer.from(f, 'utf8') : f)));
}

/**
 * Splits a frame into commands. An empty frame is a bad request (as in JSON);
 * a zero-length message inside a frame is an empty Command, i.e. a pong.
 */
function decodeCommands(message: Buffer | string): Command[] {
  const buf = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  if (buf.length === 0) throw new DecodeError('empty frame');
  const decoded = decodeDelimited(buf, CommandMessage);
  const out: Command[] = new Array(decoded.length);
  for (let i = 0; i < decoded.length; i++) out[i] = toCommand(decoded[i]!);
  return out;
}

/** Like the JSON codec: the first request field present (Go's dispatch order) wins; none is a pong. */
function toCommand(msg: Record<string, unknown>): Command {
  const id = (msg.id as number | undefined) ?? 0;
  for (const kind of COMMAND_KINDS) {
    const req = msg[kind] as Record<string, unknown> | undefined;
    if (req === undefined) continue;
    if (kind === 'connect' && req.subs !== undefined) {
      // The map key is the channel, whatever the entry's own channel field says.
      const subs = req.subs as Record<string, Record<string, unknown>>;
      for (const ch of Object.keys(subs)) subs[ch]!.channel = ch;
    }
    return { id, kind, req } as Command;
  }
  return { id, kind: 'pong', req: null };
}

export const protobufCodec: ProtocolCodec = {
  name: 'protobuf',
  decodeCommands,
  encodeReply,
  encodeError,
  encodePush,
  ping,
  join,
};
