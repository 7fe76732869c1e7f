import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeInfo } from '../../../src/node/control/messages.js';
import { NodeRegistry } from '../../../src/node/control/node-registry.js';
import { Surveys } from '../../../src/node/control/surveys.js';

function info(uid: string, num_clients = 0): NodeInfo {
  return { uid, name: `n-${uid}`, version: '0 OSS', num_clients, num_users: 0, num_channels: 0, num_subs: 0, uptime: 1 };
}

describe('NodeRegistry', () => {
  it('keeps a node while its heartbeats come within the TTL, and reports joins and leaves', () => {
    const events: string[] = [];
    const reg = new NodeRegistry(7000, {
      joined: (n) => events.push(`+${n.uid}`),
      left: (n, why) => events.push(`-${n.uid}:${why}`),
    });
    assert.equal(reg.update(info('a'), 0), true);
    assert.equal(reg.update(info('b'), 1000), true);
    assert.equal(reg.update(info('a', 5), 6000), false, 'a refresh is not a join');
    assert.deepEqual(
      reg.list(7000).map((n) => [n.uid, n.num_clients]),
      [
        ['a', 5],
        ['b', 0],
      ],
    );
    // b was last heard at 1000: still there at exactly the TTL, gone just after.
    assert.deepEqual(reg.ids(8000), ['a', 'b']);
    assert.deepEqual(reg.ids(8001), ['a']);
    reg.remove('a', 'shutdown');
    reg.remove('a', 'shutdown');
    assert.equal(reg.size, 0);
    assert.deepEqual(events, ['+a', '+b', '-b:expired', '-a:shutdown']);
  });
});

describe('Surveys', () => {
  it('settles once every awaited node answered', async () => {
    const s = new Surveys();
    const { id, done } = s.open(['a', 'b'], 60_000);
    assert.equal(s.reply(id, 'a', { code: 0, data: 1 }), true);
    assert.equal(s.size, 1);
    s.reply(id, 'b', { code: 0, data: 2 });
    const out = await done;
    assert.deepEqual(Object.fromEntries(out.replies), { a: { code: 0, data: 1 }, b: { code: 0, data: 2 } });
    assert.deepEqual(out.missing, []);
    assert.equal(out.timedOut, false);
    assert.equal(s.reply(id, 'a', { code: 0, data: 3 }), false, 'late replies are refused');
    assert.equal(s.size, 0);
  });

  it('settles at once with nobody to wait for, at the timeout otherwise', async () => {
    const s = new Surveys();
    assert.deepEqual((await s.open([], 60_000).done).missing, []);
    const started = Date.now();
    const { id, done } = s.open(['a', 'b'], 50);
    s.reply(id, 'b', { code: 1, data: null });
    const out = await done;
    assert.ok(Date.now() - started >= 45);
    assert.equal(out.timedOut, true);
    assert.deepEqual(out.missing, ['a']);
  });

  it('stops waiting for nodes that leave; cancel and settleAll end surveys early', async () => {
    const s = new Surveys();
    const one = s.open(['a', 'b'], 60_000);
    s.nodeGone('a');
    s.reply(one.id, 'b', { code: 0, data: null });
    assert.deepEqual((await one.done).missing, ['a']);
    const two = s.open(['a'], 60_000);
    s.cancel(two.id);
    assert.deepEqual((await two.done).missing, ['a']);
    const three = s.open(['x'], 60_000);
    const four = s.open(['y'], 60_000);
    s.settleAll();
    assert.deepEqual([(await three.done).missing, (await four.done).missing], [['x'], ['y']]);
    assert.equal(s.size, 0);
  });
});
