import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDelta } from 'fossil-delta';
import { ClientSubscription, type SubscriptionFlags } from '../../../src/client/subscription.js';
import { defaultChannelOptions } from '../../../src/config/schema.js';
import { PublicationFrames, SharedFrame, joinLeaveFrame } from '../../../src/hub/frames.js';
import type { Frame } from '../../../src/protocol/codec.js';
import { jsonCodec } from '../../../src/protocol/json/codec.js';
import { protobufCodec } from '../../../src/protocol/protobuf/codec.js';
import type { Publication } from '../../../src/protocol/types.js';

function make(flags: Partial<SubscriptionFlags> = {}) {
  const sent: Frame[] = [];
  const gaps: ClientSubscription[] = [];
  let inappropriate = 0;
  const sub = new ClientSubscription(
    'ch',
    '',
    defaultChannelOptions(),
    { presence: false, joinLeave: false, pushJoinLeave: false, positioned: true, recoverable: true, ...flags },
    { user: 'u', client: 'c' },
    false,
    {
      codec: jsonCodec,
      enqueue: (m) => sent.push(m),
      onInsufficientState: (s) => gaps.push(s),
      onInappropriateProtocol: () => inappropriate++,
    },
  );
  return { sub, sent, gaps, inappropriate: () => inappropriate };
}
const pub = (offset: number, data = `{"n":${offset}}`): Publication => ({ data: Buffer.from(data), offset });
const frames = (p: Publication, prev?: Publication) => new PublicationFrames('ch', p, 'e', prev);
const offsets = (sent: Frame[]) => sent.map((m) => JSON.parse(String(m)).push.pub.offset);

describe('a subscription delivering live publications', () => {
  it('buffers until activated, then replays only what follows its position', () => {
    const { sub, sent } = make();
    sub.receivePublication(frames(pub(4)));
    sub.receivePublication(frames(pub(5)));
    sub.receivePublication(frames(pub(6)));
    assert.deepEqual(sent, []);
    sub.activate(4, 'e');
    assert.deepEqual(offsets(sent), [5, 6]);
  });
  it('drops late duplicates and reports a gap', () => {
    const { sub, sent, gaps } = make();
    sub.activate(10, 'e');
    sub.receivePublication(frames(pub(10)));
    sub.receivePublication(frames(pub(11)));
    assert.deepEqual(offsets(sent), [11]);
    sub.receivePublication(frames(pub(13)));
    assert.equal(gaps.length, 1);
  });
  it('reports an epoch change as insufficient state', () => {
    const { sub, gaps } = make();
    sub.activate(1, 'other');
    sub.receivePublication(frames(pub(2)));
    assert.equal(gaps.length, 1);
  });
  it('passes everything through when not positioned', () => {
    const { sub, sent } = make({ positioned: false, recoverable: false });
    sub.activate(0, '');
    sub.receivePublication(frames(pub(0)));
    sub.receivePublication(frames(pub(7)));
    assert.equal(sent.length, 2);
  });
  it('delivers join/leave only with the push flag, and nothing after deactivation', () => {
    const join = () => joinLeaveFrame('ch', 'join', { user: 'x', client: 'y' });
    const noPush = make();
    noPush.sub.activate(0, '');
    noPush.sub.receiveJoinLeave(join());
    assert.deepEqual(noPush.sent, []);
    const push = make({ pushJoinLeave: true });
    push.sub.activate(0, '');
    push.sub.receiveJoinLeave(join());
    assert.equal(push.sent.length, 1);
    push.sub.deactivate();
    push.sub.receivePublication(frames(pub(1)));
    assert.equal(push.sent.length, 1);
  });
  it('encodes a shared frame at most once per protocol', () => {
    let builds = 0;
    class CountingFrame extends SharedFrame {
      protected body(): Record<string, unknown> {
        builds++;
        return { data: Buffer.from('1') };
      }
      protected jsonOk(): boolean {
        return true;
      }
    }
    const f = new CountingFrame('ch', 'pub');
    assert.equal(f.for(jsonCodec), f.for(jsonCodec));
    assert.equal(f.for(protobufCodec), f.for(protobufCodec));
    assert.equal(builds, 1);
  });
  it('refuses a non-JSON payload on a JSON connection (3506) instead of sending it', () => {
    const { sub, sent, inappropriate } = make({ positioned: false });
    sub.activate(0, '');
    sub.receivePublication(frames({ data: Buffer.from([0x00, 0xff]), offset: 0 }));
    assert.deepEqual(sent, []);
    assert.equal(inappropriate(), 1);
  });
});

describe('fossil delta to a subscriber', () => {
  const doc = (n: number) => JSON.stringify({ title: 'a long enough document '.repeat(10), counter: n });
  const data = (m: Frame) => JSON.parse(String(m)).push.pub;

  it('sends the first publication after subscribe full (as a JSON string), then patches against what it sent', () => {
    const { sub, sent } = make({ delta: true });
    sub.activate(1, 'e');
    const p1 = pub(1, doc(1));
    const p2 = pub(2, doc(2));
    const p3 = pub(3, doc(3));
    sub.receivePublication(frames(p2, p1));
    sub.receivePublication(frames(p3, p2));
    const [first, second] = sent.map(data);
    assert.equal(first.delta, undefined);
    assert.equal(first.data, doc(2), 'full data travels as a JSON string');
    assert.equal(second.delta, true);
    const rebuilt = Buffer.from(applyDelta(Buffer.from(first.data), Buffer.from(second.data))).toString();
    assert.equal(rebuilt, doc(3));
  });
  it('starts with a patch when the subscribe reply already gave the base (recovery)', () => {
    const { sub, sent } = make({ delta: true });
    sub.activate(2, 'e', true);
    sub.receivePublication(frames(pub(3, doc(3)), pub(2, doc(2))));
    assert.equal(data(sent[0]!).delta, true);
  });
  it('sends full when the publication was not published with delta (no base)', () => {
    const { sub, sent } = make({ delta: true });
    sub.activate(1, 'e', true);
    sub.receivePublication(frames(pub(2, doc(2))));
    assert.equal(data(sent[0]!).delta, undefined);
    assert.equal(data(sent[0]!).data, doc(2));
  });
  it('sends full when the patch would not be smaller', () => {
    const { sub, sent } = make({ delta: true });
    sub.activate(1, 'e', true);
    sub.receivePublication(frames(pub(2, '{"a":"xyz"}'), pub(1, '{"b":1}')));
    assert.equal(data(sent[0]!).delta, undefined);
  });
  it('sends full in JSON when the patch is not valid UTF-8', () => {
    // Changing one byte inside multi-byte characters makes the patch carry a partial character.
    const base = '{"t":"' + 'ж'.repeat(200) + '"}';
    const next = Buffer.from(base);
    next[100] = 0xd0;
    next[101] = 0xb9; // still valid UTF-8 in the document ('й'), patch literal may split it
    const f = frames(pub(2, next.toString()), pub(1, base));
    const patch = f.deltaPatch();
    const { sub, sent } = make({ delta: true });
    sub.activate(1, 'e', true);
    sub.receivePublication(f);
    const got = data(sent[0]!);
    if (patch && patch.for(jsonCodec) === null) assert.equal(got.delta, undefined);
    else assert.ok(got.delta === true || got.delta === undefined);
    // Whatever was sent, it must rebuild the document exactly.
    const rebuilt = got.delta ? Buffer.from(applyDelta(Buffer.from(base), Buffer.from(got.data))).toString() : got.data;
    assert.equal(rebuilt, next.toString());
  });
  it('computes the patch once per publication however many subscribers take it', () => {
    const f = frames(pub(2, doc(2)), pub(1, doc(1)));
    const a = make({ delta: true });
    const b = make({ delta: true });
    a.sub.activate(1, 'e', true);
    b.sub.activate(1, 'e', true);
    a.sub.receivePublication(f);
    b.sub.receivePublication(f);
    assert.equal(a.sent[0], b.sent[0], 'the very same encoded frame');
  });
});
