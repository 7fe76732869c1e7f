import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DeadlineHeap, type Scheduled } from '../../../src/engines/memory/deadline-heap.js';
import { generateEpoch } from '../../../src/engines/epoch.js';

interface Item extends Scheduled {
  id: number;
}

describe('DeadlineHeap', () => {
  it('pops in dueAt order under random push/remove/update', () => {
    // Deterministic LCG so a failure is reproducible.
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const heap = new DeadlineHeap<Item>();
    const live = new Set<Item>();
    for (let i = 0; i < 2000; i++) {
      const r = rand();
      const items = [...live];
      if (r < 0.5 || items.length === 0) {
        const item: Item = { id: i, dueAt: Math.floor(rand() * 1000), heapIndex: -1 };
        heap.push(item);
        live.add(item);
      } else if (r < 0.75) {
        const item = items[Math.floor(rand() * items.length)]!;
        heap.remove(item);
        assert.equal(item.heapIndex, -1);
        live.delete(item);
      } else {
        const item = items[Math.floor(rand() * items.length)]!;
        item.dueAt = Math.floor(rand() * 1000);
        heap.update(item);
      }
      assert.equal(heap.size, live.size);
    }
    const popped: number[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) popped.push(item.dueAt);
    assert.equal(popped.length, live.size);
    assert.deepEqual(
      popped,
      [...popped].sort((a, b) => a - b),
    );
  });

  it('ignores removing an item that is not queued', () => {
    const heap = new DeadlineHeap<Item>();
    const a: Item = { id: 1, dueAt: 1, heapIndex: -1 };
    heap.remove(a);
    heap.update(a);
    assert.equal(heap.size, 0);
  });
});

describe('generateEpoch', () => {
  it('gives 8 letters from [a-zA-Z], different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const e = generateEpoch();
      assert.match(e, /^[a-zA-Z]{8}$/);
      seen.add(e);
    }
    assert.equal(seen.size, 1000);
  });
});
