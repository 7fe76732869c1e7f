// A binary min-heap ordered by `dueAt` that lets items be removed or
// re-prioritised in O(log n). Items carry their own heap slot (`heapIndex`),
// so the heap allocates nothing per entry: that is what lets one periodic
// sweep serve every channel without a timer or closure per channel.

export interface Scheduled {
  /** Unix ms at which the sweep should look at this item. */
  dueAt: number;
  /** Slot in the heap array; -1 while not queued. Owned by DeadlineHeap. */
  heapIndex: number;
}

export class DeadlineHeap<T extends Scheduled> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.siftUp(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Removes `item` if it is queued here; a no-op otherwise. */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i >= 0 && this.items[i] === item) this.removeAt(i);
  }

  /** Restores heap order after `item.dueAt` changed. */
  update(item: T): void {
    const i = item.heapIndex;
    if (i < 0 || this.items[i] !== item) return;
    if (!this.siftUp(i)) this.siftDown(i);
  }

  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
  }

  private removeAt(i: number): void {
    const items = this.items;
    const removed = items[i]!;
    const last = items.pop()!;
    removed.heapIndex = -1;
    if (i === items.length) return; // it was the last slot
    items[i] = last;
    last.heapIndex = i;
    if (!this.siftUp(i)) this.siftDown(i);
  }

  /** Returns true if the item at `i` moved. */
  private siftUp(i: number): boolean {
    const items = this.items;
    const item = items[i]!;
    const start = i;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.dueAt <= item.dueAt) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
    return i !== start;
  }

  private siftDown(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && items[right]!.dueAt < items[left]!.dueAt) child = right;
      const c = items[child]!;
      if (c.dueAt >= item.dueAt) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
