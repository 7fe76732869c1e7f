import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemberMap, isSeveral } from '../../../src/util/member-map.js';
import { SubscribingChannels } from '../../../src/client/subscribing-channels.js';

const a = { id: 'a' };
const b = { id: 'b' };
const c = { id: 'c' };

describe('MemberMap', () => {
  it('keeps a lone member as itself and makes a Set for the second', () => {
    const m = new MemberMap<string, { id: string }>();
    assert.equal(m.add('k', a), true);
    assert.equal(m.get('k'), a);
    assert.equal(m.add('k', a), false, 'already there');
    assert.equal(m.add('k', b), true);
    const several = m.get('k')!;
    assert.ok(isSeveral(several));
    assert.deepEqual([...several], [a, b]);
    assert.equal(m.add('k', c), true);
    assert.equal(m.count('k'), 3);
    assert.deepEqual(m.list('k'), [a, b, c]);
    assert.equal(m.size, 1);
  });

  it('drops a member, goes back to the single form at one, and drops the key at none', () => {
    const m = new MemberMap<string, { id: string }>();
    m.add('k', a);
    m.add('k', b);
    assert.equal(m.delete('k', c), false, 'never added');
    assert.equal(m.delete('other', a), false, 'no such key');
    assert.equal(m.delete('k', a), true);
    assert.equal(m.get('k'), b);
    assert.equal(m.delete('k', a), false, 'already gone');
    assert.equal(m.delete('k', b), true);
    assert.equal(m.has('k'), false);
    assert.equal(m.count('k'), 0);
    assert.deepEqual(m.list('k'), []);
    assert.equal(m.size, 0);
  });

  it('counts members per key', () => {
    const m = new MemberMap<string, { id: string }>();
    m.add('one', a);
    m.add('two', a);
    m.add('two', b);
    assert.deepEqual(
      [...m.counts()],
      [
        ['one', 1],
        ['two', 2],
      ],
    );
  });

  it('agrees with a Map of Sets over random adds and deletes', () => {
    const m = new MemberMap<number, { id: string }>();
    const model = new Map<number, Set<{ id: string }>>();
    const members = Array.from({ length: 5 }, (_, i) => ({ id: String(i) }));
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 5000; i++) {
      const key = rand(4);
      const member = members[rand(members.length)]!;
      const set = model.get(key) ?? new Set();
      if (rand(2) === 0) {
        assert.equal(m.add(key, member), !set.has(member));
        set.add(member);
        model.set(key, set);
      } else {
        assert.equal(m.delete(key, member), set.delete(member));
        if (set.size === 0) model.delete(key);
      }
      assert.equal(m.size, model.size);
      for (const k of [0, 1, 2, 3]) {
        assert.equal(m.count(k), model.get(k)?.size ?? 0);
        assert.deepEqual(new Set(m.list(k)), model.get(k) ?? new Set());
      }
    }
  });
});

describe('SubscribingChannels', () => {
  it('reserves, counts and releases channels', () => {
    const s = new SubscribingChannels();
    assert.equal(s.size, 0);
    assert.equal(s.has('x'), false);
    s.add('x');
    s.add('y');
    s.add('x');
    assert.equal(s.size, 2);
    assert.equal(s.has('x'), true);
    s.delete('x');
    assert.equal(s.has('x'), false);
    assert.equal(s.size, 1);
    s.delete('y');
    s.delete('y');
    assert.equal(s.size, 0);
    s.add('z');
    s.clear();
    assert.equal(s.has('z'), false);
    assert.equal(s.size, 0);
  });
});
