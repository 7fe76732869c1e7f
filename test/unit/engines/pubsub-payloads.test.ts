// The Redis broker's PUB/SUB payloads (spec server-api.md §4.3): what another
// node writes decodes, and a corrupt header is refused (the broker drops and
// counts it) instead of reaching the node with a made-up offset.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePubSubMessage, encodePublication, joinMessage } from '../../../src/engines/redis/payloads.js';

const pub = encodePublication({ data: Buffer.from('{"a":1}'), offset: 0 });
const prev = encodePublication({ data: Buffer.from('{"a":0}'), offset: 0 });
const p1 = (offset: string) => Buffer.concat([Buffer.from(`__p1:${offset}:ep__`), pub]);
const d1 = (offset: string) => Buffer.concat([Buffer.from(`__d1:${offset}:ep:${prev.length}:`), prev, Buffer.from(`:${pub.length}:`), pub]);
const malformed = (msg: Buffer) => assert.throws(() => decodePubSubMessage(msg), /malformed PUB\/SUB message/, msg.toString('latin1'));

describe('Redis PUB/SUB payloads', () => {
  it('decodes publications with their position, deltas with the previous one, joins', () => {
    const m = decodePubSubMessage(p1('42'));
    assert.ok(m.kind === 'publication');
    assert.deepEqual([m.pub.offset, m.epoch, m.delta, m.pub.data.toString()], [42, 'ep', false, '{"a":1}']);
    const d = decodePubSubMessage(d1('43'));
    assert.ok(d.kind === 'publication');
    assert.deepEqual([d.pub.offset, d.prev?.offset, d.delta], [43, 42, true]);
    assert.equal(decodePubSubMessage(joinMessage({ user: 'u', client: 'c' })).kind, 'join');
  });

  it('refuses offsets that are not decimal digits (found by npm run fuzz: an empty one read as 0)', () => {
    for (const offset of ['', ' 1', '1e3', '0x10', '-1', '+1', '1.5', 'NaN', '9007199254740993']) {
      malformed(p1(offset));
      malformed(d1(offset));
    }
  });

  it('refuses a delta at offset 0 with a previous publication, which would sit at offset -1', () => {
    malformed(d1('0'));
    const noPrev = Buffer.concat([Buffer.from(`__d1:0:ep:0::${pub.length}:`), pub]);
    assert.equal(decodePubSubMessage(noPrev).kind, 'publication');
  });
});
