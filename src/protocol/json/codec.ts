// The JSON client protocol as a ProtocolCodec: commands and replies as JSON
// objects, several per WebSocket text message joined by '\n'. Frames are
// Buffers: a publication frame is shared by every subscriber of a broadcast,
// and `ws` would otherwise convert a string to bytes again for each socket.

import type { Frame, ProtocolCodec } from '../codec.js';
import { decodeJsonCommands } from './decode.js';
import { JSON_PING, encodeErrorReply, encodePublicationPush, encodePush, encodeReply } from './frames.js';

const PING = Buffer.from(JSON_PING);
const NEWLINE = 0x0a;

/** Joins frames with '\n' into one buffer, copying each byte once. */
function joinLines(frames: Frame[]): Frame {
  if (frames.length === 1) return frames[0]!;
  let total = frames.length - 1;
  for (const f of frames) total += typeof f === 'string' ? Buffer.byteLength(f) : f.length;
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < frames.length; i++) {
    if (i > 0) out[pos++] = NEWLINE;
    const f = frames[i]!;
    pos += typeof f === 'string' ? out.write(f, pos) : f.copy(out, pos);
  }
  return out;
}

export const jsonCodec: ProtocolCodec = {
  name: 'json',
  decodeCommands: (message) => decodeJsonCommands(typeof message === 'string' ? message : message.toString('utf8')),
  encodeReply: (id, kind, result) => Buffer.from(encodeReply(id, kind, result)),
  encodeError: (id, error) => Buffer.from(encodeErrorReply(id, error)),
  encodePush: (channel, kind, body) => Buffer.from(encodePush(channel, kind, body)),
  encodePublicationPush,
  ping: () => PING,
  join: joinLines,
};
