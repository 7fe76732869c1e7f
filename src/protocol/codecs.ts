// The codecs a transport can ask for by name.

import type { ProtocolCodec, ProtocolName } from './codec.js';
import { jsonCodec } from './json/codec.js';
import { unidirectionalJsonCodec } from './json/unidirectional.js';
import { protobufCodec } from './protobuf/codec.js';

const codecs: Record<ProtocolName, ProtocolCodec | undefined> = {
  json: jsonCodec,
  protobuf: protobufCodec,
};

export function codecFor(name: ProtocolName): ProtocolCodec {
  const codec = codecs[name];
  if (!codec) throw new Error(`protocol ${name} is not available`);
  return codec;
}

/** The codec of a unidirectional connection: bare pushes. Centrifugo's unidirectional transports speak JSON only. */
export function unidirectionalCodecFor(name: ProtocolName): ProtocolCodec {
  if (name !== 'json') throw new Error(`unidirectional ${name} is not available`);
  return unidirectionalJsonCodec;
}
