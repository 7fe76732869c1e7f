// The JSON client protocol as a ProtocolCodec: commands and replies as JSON
// objects, several per WebSocket text message joined by '\n'.

import type { Frame, ProtocolCodec } from './codec.js';
import { decodeJsonCommands } from './json-codec.js';
import { JSON_PING, encodeErrorReply, encodePush, encodeReply } from './json-frames.js';

export const jsonCodec: ProtocolCodec = {
  name: 'json',
  decodeCommands: (message) => decodeJsonCommands(typeof message === 'string' ? message : message.toString('utf8')),
  encodeReply,
  encodeError: encodeErrorReply,
  encodePush,
  ping: () => JSON_PING,
  join: (frames: Frame[]) => (frames.length === 1 ? frames[0]! : frames.join('\n')),
};
