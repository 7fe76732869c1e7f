// One channel's history: the last `historySize` publications in a ring
// buffer, plus the stream meta (epoch, top offset, last version) that
// outlives the items. Offsets are contiguous, so the item holding offset
// `o` sits at logical index `o - oldestOffset`: reads need no search.
//
// The stream only knows its deadlines; HistoryHub decides when to look at
// them (lazily on access and from the shared sweep).

import type { Publication, StreamPosition } from '../../protocol/types.js';
import type { Scheduled } from './deadline-heap.js';
import { generateEpoch } from '../epoch.js';

/** Ring buffers start this small and double up to the history size. */
const MIN_CAPACITY = 4;

export class HistoryStream implements Scheduled {
  readonly epoch = generateEpoch();
  /** Offset of the newest publication ever added in this epoch; 0 before the first. */
  top = 0;

  /** Last stored version/epoch (memory semantics: overwritten on every add). */
  version = 0;
  versionEpoch = '';

  /** Unix ms when the items expire; meaningful only while count > 0. */
  itemsExpireAt = 0;
  /** Unix ms when the whole stream (meta too) expires; 0 = never. */
  metaExpireAt = 0;

  dueAt = 0;
  heapIndex = -1;

  // Ring buffer: `count` items starting at physical index `head`.
  private buf: Array<Publication | undefined> = [];
  private head = 0;
  private count = 0;

  constructor(readonly channel: string) {}

  get size(): number {
    return this.count;
  }

  position(): StreamPosition {
    return { offset: this.top, epoch: this.epoch };
  }

  /** The newest stored publication, if any (the delta base for the next one). */
  last(): Publication | undefined {
    return this.count === 0 ? undefined : this.at(this.count - 1);
  }

  /**
   * Versioned publishes that are not newer than the stored version are dropped.
   * An empty versionEpoch matches any stored epoch.
   */
  isStaleVersion(version: number, versionEpoch: string): boolean {
    return (versionEpoch === '' || versionEpoch === this.versionEpoch) && version <= this.version;
  }

  /**
   * Assigns `pub.offset` = top + 1 and stores it, keeping at most `historySize`
   * items. Extends the item and meta deadlines from `now`.
   */
  append(pub: Publication, historySize: number, historyTtlMs: number, metaTtlMs: number, now: number): void {
    this.top++;
    pub.offset = this.top;
    if (historySize < this.buf.length) this.resize(historySize);
    if (this.count === this.buf.length) {
      if (this.buf.length < historySize) {
        this.resize(Math.min(historySize, Math.max(MIN_CAPACITY, this.buf.length * 2)));
      } else {
        // Full at the configured size: drop the oldest to make room.
        this.buf[this.head] = undefined;
        this.head = (this.head + 1) % this.buf.length;
        this.count--;
      }
    }
    this.buf[(this.head + this.count) % this.buf.length] = pub;
    this.count++;
    this.itemsExpireAt = now + historyTtlMs;
    this.touchMeta(metaTtlMs, now);
  }

  /**
   * Extends the meta deadline. A TTL of 0 leaves the current deadline as it
   * is (a fresh stream then never expires), like a Redis write without EXPIRE.
   */
  touchMeta(metaTtlMs: number, now: number): void {
    if (metaTtlMs > 0) this.metaExpireAt = now + metaTtlMs;
  }

  isMetaExpired(now: number): boolean {
    return this.metaExpireAt !== 0 && now >= this.metaExpireAt;
  }

  /** Drops the items once their TTL has passed; top and epoch stay. */
  expireItems(now: number): void {
    if (this.count > 0 && now >= this.itemsExpireAt) this.clearItems();
  }

  /** Removes every item but keeps top, epoch and version. */
  clearItems(): void {
    this.buf = [];
    this.head = 0;
    this.count = 0;
  }

  /** The earliest deadline the sweep must act on; 0 when there is none. */
  nextDeadline(): number {
    const items = this.count > 0 ? this.itemsExpireAt : 0;
    const meta = this.metaExpireAt;
    if (items === 0) return meta;
    if (meta === 0) return items;
    return Math.min(items, meta);
  }

  /**
   * Stored publications in offset order (newest first when `reverse`).
   * `sinceOffset` is exclusive; offsets trimmed away are skipped.
   * `limit`: 0 none, negative all, N at most N.
   */
  read(sinceOffset: number | undefined, limit: number, reverse: boolean): Publication[] {
    if (limit === 0 || this.count === 0) return [];
    const max = limit < 0 ? this.count : Math.min(limit, this.count);
    const oldest = this.top - this.count + 1;
    const out: Publication[] = [];
    if (!reverse) {
      const from = sinceOffset === undefined ? oldest : Math.max(oldest, sinceOffset + 1);
      for (let offset = from; offset <= this.top && out.length < max; offset++) {
        out.push(this.at(offset - oldest));
      }
    } else {
      const from = sinceOffset === undefined ? this.top : Math.min(this.top, sinceOffset - 1);
      for (let offset = from; offset >= oldest && out.length < max; offset--) {
        out.push(this.at(offset - oldest));
      }
    }
    return out;
  }

  private at(logicalIndex: number): Publication {
    return this.buf[(this.head + logicalIndex) % this.buf.length]!;
  }

  /** Re-lays the ring out from index 0 with `capacity` slots, keeping the newest items. */
  private resize(capacity: number): void {
    const keep = Math.min(this.count, capacity);
    const next = new Array<Publication | undefined>(capacity);
    for (let i = 0; i < keep; i++) next[i] = this.at(this.count - keep + i);
    this.buf = next;
    this.head = 0;
    this.count = keep;
  }
}
