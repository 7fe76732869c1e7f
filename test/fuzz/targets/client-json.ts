// The JSON client protocol: a WebSocket text message (or an HTTP-streaming
// body) as the session hands it to its codec. A malformed one is a
// DecodeError (disconnect 3501); a decoded one must have the shape sessions read.

import { jsonCodec } from '../../../src/protocol/json/codec.js';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { jsonSeed, seed, type FuzzTarget } from '../target.js';
import { checkCommand } from './command-shape.js';

const COMMANDS = [
  {
    id: 1,
    connect: {
      token: 'eyJ.x.y',
      data: { a: 1 },
      name: 'js',
      version: '1.0',
      headers: { a: 'b' },
      subs: { news: { recover: true, offset: 5, epoch: 'e', data: [1] } },
    },
  },
  {
    id: 2,
    subscribe: {
      channel: 'news',
      recover: true,
      offset: 300,
      epoch: 'ep',
      positioned: true,
      recoverable: true,
      join_leave: true,
      delta: 'fossil',
      flag: 1,
      data: 'x',
    },
  },
  { id: 3, unsubscribe: { channel: 'news' } },
  { id: 4, publish: { channel: 'chat:1', data: { text: 'hi', n: [1, 2.5, null] } } },
  { id: 5, presence: { channel: 'p' } },
  { id: 6, presence_stats: { channel: 'p' } },
  { id: 7, history: { channel: 'h', limit: 10, since: { offset: 2, epoch: 'x' }, reverse: true } },
  { id: 8, ping: {} },
  { send: { data: 'x' } },
  { id: 9, rpc: { method: 'getUser', data: { id: 7 } } },
  { id: 10, refresh: { token: 't' } },
  { id: 11, sub_refresh: { channel: 'c', token: 't' } },
  {},
];

export const clientJson: FuzzTarget = {
  name: 'client-json',
  description: 'JSON client protocol frames (jsonCodec.decodeCommands)',
  format: 'json',
  seeds: [
    ...COMMANDS.map((c) => jsonSeed(c)),
    seed(
      COMMANDS.slice(1, 5)
        .map((c) => JSON.stringify(c))
        .join('\n') + '\n',
    ),
  ],
  run({ data }) {
    for (const cmd of jsonCodec.decodeCommands(data)) checkCommand(cmd);
  },
  expected: (err) => err instanceof DecodeError,
};
