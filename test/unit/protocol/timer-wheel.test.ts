import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';

import { TimerWheel, type WheelItem } from '../../../src/util/timer-wheel.js';

const RES = 10;

class Item implements WheelItem {
  wheelSlot = -1;
  fired: number[] = [];
  onTick: ((now: number) => void) | undefined;
  constructor(readonly name = '') {}
  onWheelTick(now: number): void {
    this.fired.push(now);
    this.onTick?.(now);
  }
}

/** Waits until `pred` holds, polling; fails after `ms`. */
async function until(pred: () => boolean, ms = 1000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(2);
  }
}

describe('TimerWheel', () => {
  let wheel: TimerWheel;
  afterEach(() => wheel?.stop());

  it('fires an item once, not before its time', async () => {
    wheel = new TimerWheel(RES);
    const item = new Item();
    const at = Date.now() + 30;
    wheel.schedule(item, at);
    assert.equal(wheel.size, 1);
    await until(() => item.fired.length > 0);
    assert.ok(item.fired[0]! >= at, `fired ${at - item.fired[0]!} ms early`);
    assert.equal(item.wheelSlot, -1);
    await sleep(5 * RES);
    assert.equal(item.fired.length, 1);
    assert.equal(wheel.size, 0);
  });

  it('fires a time in the past on the next tick', async () => {
    wheel = new TimerWheel(RES);
    const item = new Item();
    wheel.schedule(item, Date.now() - 10_000);
    await until(() => item.fired.length === 1, 200);
  });

  it('cancel prevents the wake-up and is idempotent', async () => {
    wheel = new TimerWheel(RES);
    const item = new Item();
    wheel.schedule(item, Date.now() + 20);
    wheel.cancel(item);
    wheel.cancel(item);
    assert.equal(item.wheelSlot, -1);
    assert.equal(wheel.size, 0);
    await sleep(5 * RES);
    assert.deepEqual(item.fired, []);
  });

  it('reschedule replaces the earlier wake-up (earlier or later)', async () => {
    wheel = new TimerWheel(RES);
    const later = new Item();
    const t0 = Date.now();
    wheel.schedule(later, t0 + 20);
    wheel.schedule(later, t0 + 60);
    assert.equal(wheel.size, 1);
    const sooner = new Item();
    wheel.schedule(sooner, t0 + 200);
    wheel.schedule(sooner, t0 + 20);
    await until(() => later.fired.length === 1 && sooner.fired.length === 1);
    assert.ok(later.fired[0]! >= t0 + 60);
    assert.ok(sooner.fired[0]! < t0 + 200);
    await sleep(3 * RES);
    assert.equal(later.fired.length, 1);
    assert.equal(sooner.fired.length, 1);
  });

  it('an item may re-arm itself from its callback, even for a time already past', async () => {
    wheel = new TimerWheel(RES);
    const item = new Item();
    item.onTick = (now) => {
      if (item.fired.length < 3) wheel.schedule(item, now - RES);
    };
    wheel.schedule(item, Date.now());
    await until(() => item.fired.length === 3);
    await until(() => !wheel.running, 200);
    assert.equal(wheel.size, 0);
  });

  it('an item cancelled by another item of the same bucket does not fire', async () => {
    wheel = new TimerWheel(RES);
    const a = new Item('a');
    const b = new Item('b');
    a.onTick = () => wheel.cancel(b);
    b.onTick = () => wheel.cancel(a);
    const at = Date.now() + 20;
    wheel.schedule(a, at);
    wheel.schedule(b, at);
    await until(() => a.fired.length + b.fired.length > 0);
    await sleep(3 * RES);
    assert.equal(a.fired.length + b.fired.length, 1, 'exactly one of the two fires');
  });

  it('an item re-armed by another item of the same bucket fires at its new time only', async () => {
    wheel = new TimerWheel(RES);
    const a = new Item('a');
    const b = new Item('b');
    let movedTo = 0;
    a.onTick = (now) => {
      if (b.fired.length === 0) wheel.schedule(b, (movedTo = now + 40));
    };
    b.onTick = (now) => {
      if (a.fired.length === 0) wheel.schedule(a, (movedTo = now + 40));
    };
    const at = Date.now() + 20;
    wheel.schedule(a, at);
    wheel.schedule(b, at);
    await until(() => a.fired.length === 1 && b.fired.length === 1);
    const second = a.fired.length && b.fired.length ? Math.max(a.fired[0]!, b.fired[0]!) : 0;
    assert.ok(second >= movedTo, 'the moved item fired before its new time');
    await sleep(3 * RES);
    assert.equal(a.fired.length, 1);
    assert.equal(b.fired.length, 1);
  });

  it('many items fire once each, in deadline order across slots', async () => {
    wheel = new TimerWheel(RES);
    const t0 = Date.now();
    const items = Array.from({ length: 50 }, (_, i) => new Item(String(i)));
    const order: string[] = [];
    items.forEach((it, i) => {
      it.onTick = () => order.push(it.name);
      wheel.schedule(it, t0 + 5 + ((i * 7) % 50)); // scrambled deadlines
    });
    await until(() => order.length === 50);
    for (const it of items) assert.equal(it.fired.length, 1);
    const deadlineOf = (name: string) => 5 + ((Number(name) * 7) % 50);
    for (let i = 1; i < order.length; i++) {
      // Same slot: any order. Different slots: by deadline.
      const prev = Math.ceil((t0 + deadlineOf(order[i - 1]!)) / RES);
      const cur = Math.ceil((t0 + deadlineOf(order[i]!)) / RES);
      assert.ok(prev <= cur, `order ${order.join(',')}`);
    }
  });

  it('stops its timer when nothing is scheduled and restarts on demand', async () => {
    wheel = new TimerWheel(RES);
    assert.equal(wheel.running, false);
    const item = new Item();
    wheel.schedule(item, Date.now() + 15);
    assert.equal(wheel.running, true);
    await until(() => item.fired.length === 1);
    await until(() => !wheel.running, 200);
    // After an idle period, a new schedule still fires on time, without replaying old slots.
    await sleep(3 * RES);
    const at = Date.now() + 25;
    wheel.schedule(item, at);
    assert.equal(wheel.running, true);
    await until(() => item.fired.length === 2);
    assert.ok(item.fired[1]! >= at);
    await until(() => !wheel.running, 200);
  });

  it('cancelling the last item lets the timer stop', async () => {
    wheel = new TimerWheel(RES);
    const item = new Item();
    wheel.schedule(item, Date.now() + 10_000);
    wheel.cancel(item);
    await until(() => !wheel.running, 200);
  });

  it('a non-finite time only cancels', async () => {
    wheel = new TimerWheel(RES);
    const item = new Item();
    wheel.schedule(item, Date.now() + 20);
    wheel.schedule(item, Infinity);
    assert.equal(item.wheelSlot, -1);
    wheel.schedule(item, NaN);
    assert.equal(wheel.size, 0);
    await sleep(4 * RES);
    assert.deepEqual(item.fired, []);
    assert.equal(wheel.running, false);
  });

  it('stop() drops every wake-up and resets the items', async () => {
    wheel = new TimerWheel(RES);
    const a = new Item();
    const b = new Item();
    wheel.schedule(a, Date.now() + 20);
    wheel.schedule(b, Date.now() + 40);
    wheel.stop();
    assert.equal(wheel.running, false);
    assert.equal(wheel.size, 0);
    assert.equal(a.wheelSlot, -1);
    await sleep(6 * RES);
    assert.deepEqual([a.fired, b.fired], [[], []]);
    // Usable again after stop.
    wheel.schedule(a, Date.now());
    await until(() => a.fired.length === 1);
  });
});
