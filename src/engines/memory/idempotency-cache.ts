// Results of idempotent publishes, so a retried publish with the same key
// returns the first result instead of publishing twice. Entries expire
// lazily on lookup and in bulk from the broker's sweep, via a deadline heap
// (TTLs can differ per publish, so insertion order is not expiry order).

import type { StreamPosition } from '../../protocol/types.js';
import { DeadlineHeap, type Scheduled } from './deadline-heap.js';

/** Centrifugo's default idempotent result TTL (5 minutes). */
export const DEFAULT_IDEMPOTENT_RESULT_TTL_MS = 300_000;

class Entry implements Scheduled {
  heapIndex = -1;
  constructor(
    readonly key: string,
    readonly offset: number,
    readonly epoch: string,
    public dueAt: number,
  ) {}
}

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly queue = new DeadlineHeap<Entry>();

  /** The cached position for `key`, or undefined if absent or expired. Returns a fresh object. */
  get(key: string, now: number): StreamPosition | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.dueAt) {
      this.delete(entry);
      return undefined;
    }
    return { offset: entry.offset, epoch: entry.epoch };
  }

  /** Remembers `position` for `ttlMs` (a non-positive TTL means the default). */
  set(key: string, position: StreamPosition, ttlMs: number | undefined, now: number): void {
    const previous = this.entries.get(key);
    if (previous !== undefined) this.delete(previous);
    const ttl = ttlMs !== undefined && ttlMs > 0 ? ttlMs : DEFAULT_IDEMPOTENT_RESULT_TTL_MS;
    const entry = new Entry(key, position.offset, position.epoch, now + ttl);
    this.entries.set(key, entry);
    this.queue.push(entry);
  }

  sweep(now: number): void {
    for (let entry = this.queue.peek(); entry !== undefined && entry.dueAt <= now; entry = this.queue.peek()) {
      this.delete(entry);
    }
  }

  clear(): void {
    this.queue.clear();
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(entry: Entry): void {
    this.queue.remove(entry);
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }
}
