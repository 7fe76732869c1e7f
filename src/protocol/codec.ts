// The seam between a client session and the wire format. A session builds
// protocol values (plain objects, snake_case field names as in client.proto,
// raw payloads as Buffers) and hands them to its connection's codec; the JSON
// and Protobuf codecs turn them into frames. Nothing above this file knows
// which format a connection speaks.

import type { Command, CommandKind } from './commands.js';
import type { ProtocolError } from './codes.js';
import type { Publication } from './types.js';

/** One encoded protocol message: a JSON text, or a varint-delimited Protobuf message. */
export type Frame = string | Buffer;

export type ProtocolName = 'json' | 'protobuf';

/** Result kinds a reply can carry: every command but `send`, which gets no reply. */
export type ReplyKind = Exclude<CommandKind, 'send'>;

/** Push kinds (Push fields 4–12 of client.proto). */
export type PushKind = 'pub' | 'join' | 'leave' | 'unsubscribe' | 'message' | 'subscribe' | 'connect' | 'disconnect' | 'refresh';

/**
 * A payload that the JSON protocol must send as a JSON *string* holding the
 * bytes' text, not spliced raw: publications to subscribers that negotiated
 * fossil delta (client-protocol.md §5.2). Protobuf sends the bytes as they are.
 */
export class JsonStringData {
  constructor(readonly bytes: Buffer) {}
}

/**
 * Value conventions shared by both codecs:
 * - raw fields (`data`, `conn_info`, `chan_info`) are Buffers (or JsonStringData for `data`);
 * - ClientInfo is `{user, client, conn_info?, chan_info?}`;
 * - Publication is `{data, info?, offset?, tags?, delta?, epoch?}`;
 * - maps (`presence`, `subs`, `tags`) are plain objects keyed by string;
 * - absent/undefined fields are omitted; zero values are omitted except where
 *   client-protocol.md §2.2 says a field is always present.
 */
export interface ProtocolCodec {
  readonly name: ProtocolName;
  /** Splits one transport message into commands. Throws on anything malformed. */
  decodeCommands(message: Buffer | string): Command[];
  encodeReply(id: number, kind: ReplyKind, result: Record<string, unknown>): Frame;
  encodeError(id: number, error: ProtocolError): Frame;
  /** A push on a channel (`message`, `disconnect` and `refresh` pushes pass channel ''). */
  encodePush(channel: string, kind: PushKind, body: Record<string, unknown>): Frame;
  /**
   * The JSON codec only: a publication push written straight from the
   * publication, the same frame as encodePush(channel, 'pub',
   * publicationValue(pub, epoch, data, delta)) without building the value,
   * for data that is valid UTF-8 (what a JSON connection may get at all).
   */
  encodePublicationPush?(channel: string, pub: Publication, epoch?: string, data?: Buffer | JsonStringData, delta?: boolean): Frame;
  /** The server's app-level ping: `{}` in JSON, an empty Reply (`0x00`) in Protobuf. */
  ping(): Frame;
  /** Joins frames queued in one event-loop turn into one transport message. */
  join(frames: Frame[]): Frame;
  /**
   * Set when this codec's pushes are another codec's frames cut down (the
   * unidirectional JSON format is the bidirectional push without its
   * `{"push":…}` wrapper): shared broadcast frames are then encoded once in
   * `base` and converted, instead of encoded again.
   */
  readonly derived?: { base: ProtocolCodec; convert(frame: Frame): Frame };
}
