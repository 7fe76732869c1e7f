// The JSON protocol as the unidirectional transports speak it: every message
// is a bare Push (`{"channel":"news","pub":{…}}`, `{"connect":{…}}`), not a
// Reply wrapping one, and nothing is read from the client but the connect
// request the transport hands over. Pushes are the bidirectional frames with
// the wrapper cut off, so a broadcast is still encoded once per protocol.

import type { Frame, ProtocolCodec } from '../codec.js';
import { DecodeError } from '../decode-error.js';
import { jsonCodec } from './codec.js';

/** `{"push":` before a push's body, `}` after it. */
const WRAPPER_HEAD = Buffer.byteLength('{"push":');

function unwrapPush(frame: Frame): Frame {
  return typeof frame === 'string' ? frame.slice(WRAPPER_HEAD, -1) : frame.subarray(WRAPPER_HEAD, frame.length - 1);
}

function noReplies(): never {
  throw new TypeError('unidirectional connections get pushes only');
}

export const unidirectionalJsonCodec: ProtocolCodec = {
  name: 'json',
  decodeCommands: () => {
    throw new DecodeError('unidirectional connections send no commands');
  },
  encodeReply: noReplies,
  encodeError: noReplies,
  encodePush: (channel, kind, body) => unwrapPush(jsonCodec.encodePush(channel, kind, body)),
  ping: jsonCodec.ping,
  join: jsonCodec.join,
  derived: { base: jsonCodec, convert: unwrapPush },
};
