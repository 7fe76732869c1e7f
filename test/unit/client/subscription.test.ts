import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientSubscription, type SubscriptionFlags } from '../../../src/client/subscription.js';
import { defaultChannelOptions } from '../../../src/config/defaults.js';
import { SharedFrame } from '../../../src/hub/hub.js';
import type { Publication } from '../../../src/protocol/types.js';

function make(flags: Partial<SubscriptionFlags> = {}) {
  const sent: string[] = [];
  const gaps: ClientSubscription[] = [];
  const sub = new ClientSubscription(
    'ch',
    '',
    defaultChannelOptions(),
    { presence: false, joinLeave: false, pushJoinLeave: false, positioned: true, recoverable: true, ...flags },
    { user: 'u', client: 'c' },
    false,
    { enqueue: (m) => sent.push(m), onInsufficientState: (s) => gaps.push(s) },
  );
  return { sub, sent, gaps };
}
const pub = (offset: number): Publication => ({ data: Buffer.from('1'), offset });
const frame = (offset: number) => new SharedFrame(() => `pub${offset}`);

describe('a subscription delivering live publications', () => {
  it('buffers until activated, then replays only what follows its position', () => {
    const { sub, sent } = make();
    sub.receivePublication(pub(4), 'e', frame(4));
    sub.receivePublication(pub(5), 'e', frame(5));
    sub.receivePublication(pub(6), 'e', frame(6));
    assert.deepEqual(sent, []);
    sub.activate(4, 'e');
    assert.deepEqual(sent, ['pub5', 'pub6']);
  });
  it('drops late duplicates and reports a gap', () => {
    const { sub, sent, gaps } = make();
    sub.activate(10, 'e');
    sub.receivePublication(pub(10), 'e', frame(10));
    sub.receivePublication(pub(11), 'e', frame(11));
    assert.deepEqual(sent, ['pub11']);
    sub.receivePublication(pub(13), 'e', frame(13));
    assert.equal(gaps.length, 1);
  });
  it('reports an epoch change as insufficient state', () => {
    const { sub, gaps } = make();
    sub.activate(1, 'e');
    sub.receivePublication(pub(2), 'other', frame(2));
    assert.equal(gaps.length, 1);
  });
  it('passes everything through when not positioned', () => {
    const { sub, sent } = make({ positioned: false, recoverable: false });
    sub.activate(0, '');
    sub.receivePublication(pub(0), '', frame(0));
    sub.receivePublication(pub(7), '', frame(7));
    assert.deepEqual(sent, ['pub0', 'pub7']);
  });
  it('delivers join/leave only with the push flag, and nothing after deactivation', () => {
    const noPush = make();
    noPush.sub.activate(0, '');
    noPush.sub.receiveJoinLeave(new SharedFrame(() => 'join'));
    assert.deepEqual(noPush.sent, []);
    const push = make({ pushJoinLeave: true });
    push.sub.activate(0, '');
    push.sub.receiveJoinLeave(new SharedFrame(() => 'join'));
    assert.deepEqual(push.sent, ['join']);
    push.sub.deactivate();
    push.sub.receivePublication(pub(1), 'e', frame(1));
    assert.deepEqual(push.sent, ['join']);
  });
  it('builds a shared frame at most once per broadcast', () => {
    let builds = 0;
    const f = new SharedFrame(() => {
      builds++;
      return 'x';
    });
    const a = make({ positioned: false });
    const b = make({ positioned: false });
    a.sub.activate(0, '');
    b.sub.activate(0, '');
    a.sub.receivePublication(pub(0), '', f);
    b.sub.receivePublication(pub(0), '', f);
    assert.equal(builds, 1);
  });
});
