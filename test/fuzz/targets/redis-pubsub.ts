// Messages on a channel's Redis PUB/SUB channel, written by other nodes (or a
// Centrifugo): `__p1:<offset>:<epoch>__<Publication>`, the delta form
// `__d1:…`, `__j__`/`__l__` + ClientInfo, or a bare Publication. A corrupt
// one must be refused by decodePubSubMessage (the broker drops and counts it),
// never crash, and a decoded one must be usable by the node.

import { decodePubSubMessage, encodePublication, joinMessage, leaveMessage } from '../../../src/engines/redis/payloads.js';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import type { Rng } from '../random.js';
import { check, seed, type FuzzTarget } from '../target.js';
import { checkInfo, checkPublication } from './publication-shape.js';

const info = { user: 'u1', client: 'c1', connInfo: Buffer.from('{"a":1}'), chanInfo: Buffer.from('{}') };
const pub = encodePublication({ data: Buffer.from('{"text":"hi"}'), offset: 0, info, tags: { k: 'v' }, time: 1700000000000 });
const prev = encodePublication({ data: Buffer.from('{"text":"h"}'), offset: 0 });
const delta = encodePublication({ data: Buffer.from('fossil delta bytes'), offset: 0 }, true);

const NUMBERS = ['-1', '', ' 1', '1e3', '0x10', '9007199254740993', '18446744073709551616', 'NaN', 'Infinity', '1.5', '00', '+1'];

/** Edits the text header: offsets and lengths a decoder must not trust, separators in odd places. */
function mutateHeader(data: Buffer, rng: Rng): Buffer {
  const head = data.subarray(0, Math.min(data.length, 48)).toString('latin1');
  const numbers = [...head.matchAll(/\d+/g)];
  if (numbers.length > 0 && rng.chance(0.6)) {
    const n = rng.pick(numbers);
    const at = n.index;
    return Buffer.concat([data.subarray(0, at), Buffer.from(rng.pick(NUMBERS), 'latin1'), data.subarray(at + n[0].length)]);
  }
  const at = rng.int(Math.min(data.length, 48) + 1);
  return Buffer.concat([data.subarray(0, at), Buffer.from(rng.pick([':', '__', '_', '::', '__p1:', '__d1:']), 'latin1'), data.subarray(at)]);
}

/** A decoder's refusal: its own malformed-message Error, or the protobuf DecodeError. */
export const refusedPubSub = (err: unknown) =>
  err instanceof DecodeError || (err instanceof Error && err.constructor === Error && err.message === 'malformed PUB/SUB message');

export const redisPubSub: FuzzTarget = {
  name: 'redis-pubsub',
  description: 'Redis PUB/SUB payloads from other nodes (decodePubSubMessage)',
  format: 'protobuf',
  mutators: [mutateHeader],
  seeds: [
    seed(Buffer.concat([Buffer.from('__p1:42:epoch1__'), pub])),
    seed(Buffer.concat([Buffer.from(`__d1:43:epoch1:${prev.length}:`), prev, Buffer.from(`:${delta.length}:`), delta])),
    seed(Buffer.concat([Buffer.from('__d1:1:e:0::'), Buffer.from(`${pub.length}:`), pub])),
    seed(joinMessage(info)),
    seed(leaveMessage({ user: '', client: 'c2' })),
    seed(pub),
  ],
  run({ data }) {
    const m = decodePubSubMessage(data);
    if (m.kind === 'publication') {
      checkPublication(m.pub, 'pub');
      check(typeof m.epoch === 'string', 'epoch must be a string');
      if (m.prev) checkPublication(m.prev, 'prev');
    } else checkInfo(m.info, m.kind);
  },
  expected: refusedPubSub,
};
