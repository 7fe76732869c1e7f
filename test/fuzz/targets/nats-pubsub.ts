// Messages on a channel's NATS subject, as Centrifugo's Nats broker writes
// them: a protobuf Push with the channel and one of pub, join or leave.
// decodePush refuses what is not a Push with DecodeError; anything decoded
// must be usable by the node.

import { decodePush, joinPush, leavePush, publicationPush } from '../../../src/engines/nats/payloads.js';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { check, seed, type FuzzTarget } from '../target.js';
import { checkInfo, checkPublication } from './publication-shape.js';

const info = { user: 'u1', client: 'c1', connInfo: Buffer.from('{"a":1}'), chanInfo: Buffer.from('{}') };

export const natsPubSub: FuzzTarget = {
  name: 'nats-pubsub',
  description: 'NATS PUB/SUB payloads from other nodes (decodePush)',
  format: 'protobuf',
  seeds: [
    seed(publicationPush('news', { data: Buffer.from('{"a":1}'), offset: 0, info, tags: { k: 'v' }, time: 1700000000000 }, false)),
    seed(publicationPush('news.sport', { data: Buffer.from('delta'), offset: 0 }, true)),
    seed(joinPush('news', info)),
    seed(leavePush('news', { user: '', client: 'c2' })),
  ],
  run({ data }) {
    const m = decodePush(data);
    if (m.kind === 'unknown') return;
    check(typeof m.channel === 'string', 'channel must be a string');
    if (m.kind === 'publication') checkPublication(m.pub, 'pub');
    else checkInfo(m.info, m.kind);
  },
  expected: (err) => err instanceof DecodeError,
};
