// The Protobuf client protocol (centrifuge-protobuf): a binary WebSocket
// message of varint-delimited Commands. A malformed one is a DecodeError
// (disconnect 3501); a decoded one must have the shape the JSON codec gives.

import { protobufCodec } from '../../../src/protocol/protobuf/codec.js';
import { encodeDelimited } from '../../../src/protocol/protobuf/message.js';
import { Command } from '../../../src/protocol/protobuf/schema.js';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { seed, type FuzzTarget } from '../target.js';
import { checkCommand } from './command-shape.js';

const b = (s: string) => Buffer.from(s);

const COMMANDS = [
  {
    id: 1,
    connect: { token: 't', data: b('{"a":1}'), subs: { news: { recover: true, offset: 5, epoch: 'e' } }, name: 'js', version: '1', headers: { a: 'b' } },
  },
  {
    id: 2,
    subscribe: { channel: 'news', recover: true, offset: 300, epoch: 'e', flag: 1, delta: 'fossil', positioned: true, join_leave: true, data: b('\x00\x01') },
  },
  { id: 3, unsubscribe: { channel: 'news' } },
  { id: 4, publish: { channel: 'p', data: Buffer.alloc(40, 7) } },
  { id: 5, presence: { channel: 'p' } },
  { id: 6, presence_stats: { channel: 'p' } },
  { id: 7, history: { channel: 'h', limit: -1, since: { offset: 2 ** 40, epoch: 'x' }, reverse: true } },
  { id: 8, ping: {} },
  { send: { data: b('x') } },
  { id: 9, rpc: { method: 'm', data: b('{}') } },
  { id: 10, refresh: { token: 't' } },
  { id: 11, sub_refresh: { channel: 'c', token: 't' } },
  {},
];

export const clientProtobuf: FuzzTarget = {
  name: 'client-protobuf',
  description: 'Protobuf client protocol frames (protobufCodec.decodeCommands)',
  format: 'protobuf-delimited',
  seeds: [...COMMANDS.map((c) => seed(encodeDelimited(Command, c))), seed(Buffer.concat(COMMANDS.slice(1, 6).map((c) => encodeDelimited(Command, c))))],
  run({ data }) {
    for (const cmd of protobufCodec.decodeCommands(data)) checkCommand(cmd);
  },
  expected: (err) => err instanceof DecodeError,
};
