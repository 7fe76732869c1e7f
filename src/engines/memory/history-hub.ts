// All channels' history streams plus their expiry. Expiry is applied in two
// places on purpose:
//  - lazily, whenever a stream is accessed, so results are exact between sweeps;
//  - by `sweep()`, so streams nobody touches again still release their memory.
// Each stream sits in the deadline heap at most once. Publishing only pushes
// deadlines later, and we do not re-sift for that: the sweep re-queues a
// stream at its real deadline when the stale one comes up. That keeps the
// publish path O(1) in the common case.

import type { Publication } from '../../protocol/types.js';
import type { HistoryFilter, HistoryResult } from '../broker.js';
import { DeadlineHeap } from './deadline-heap.js';
import { HistoryStream } from './history-stream.js';

export class HistoryHub {
  private readonly streams = new Map<string, HistoryStream>();
  private readonly queue = new DeadlineHeap<HistoryStream>();

  /** The channel's stream after applying any due expiry; undefined if there is none. */
  get(channel: string, now: number): HistoryStream | undefined {
    const stream = this.streams.get(channel);
    if (stream === undefined) return undefined;
    if (stream.isMetaExpired(now)) {
      this.drop(stream);
      return undefined;
    }
    stream.expireItems(now);
    return stream;
  }

  /** The channel's live stream, creating one (new epoch, top 0) if needed. */
  getOrCreate(channel: string, now: number): HistoryStream {
    let stream = this.get(channel, now);
    if (stream === undefined) {
      stream = new HistoryStream(channel);
      this.streams.set(channel, stream);
    }
    return stream;
  }

  /** Appends to `stream` (from getOrCreate) and keeps its expiry scheduled. */
  append(stream: HistoryStream, pub: Publication, historySize: number, historyTtlMs: number, metaTtlMs: number, now: number): void {
    stream.append(pub, historySize, historyTtlMs, metaTtlMs, now);
    this.schedule(stream);
  }

  /** Reads history; creates the stream if missing and refreshes its meta TTL, as Centrifugo does. */
  read(channel: string, filter: HistoryFilter, metaTtlMs: number, now: number): HistoryResult {
    const stream = this.getOrCreate(channel, now);
    stream.touchMeta(metaTtlMs, now);
    this.schedule(stream);
    return {
      publications: stream.read(filter.since?.offset, filter.limit, filter.reverse === true),
      position: stream.position(),
    };
  }

  /** Clears the items; the epoch and top offset stay so positions remain valid. */
  removeItems(channel: string, now: number): void {
    const stream = this.get(channel, now);
    if (stream === undefined) return;
    stream.clearItems();
    this.schedule(stream);
  }

  /** Applies every expiry due at `now`. */
  sweep(now: number): void {
    for (let stream = this.queue.peek(); stream !== undefined && stream.dueAt <= now; stream = this.queue.peek()) {
      this.queue.pop();
      if (stream.isMetaExpired(now)) {
        this.drop(stream);
        continue;
      }
      stream.expireItems(now);
      this.schedule(stream);
    }
  }

  clear(): void {
    this.queue.clear();
    this.streams.clear();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  get scheduledCount(): number {
    return this.queue.size;
  }

  private drop(stream: HistoryStream): void {
    this.queue.remove(stream);
    if (this.streams.get(stream.channel) === stream) this.streams.delete(stream.channel);
  }

  /** Makes sure the sweep will look at `stream` no later than its next deadline. */
  private schedule(stream: HistoryStream): void {
    const due = stream.nextDeadline();
    if (due === 0) {
      // Nothing will ever expire (meta TTL 0 and no items): no need to queue.
      this.queue.remove(stream);
    } else if (stream.heapIndex < 0) {
      stream.dueAt = due;
      this.queue.push(stream);
    } else if (due < stream.dueAt) {
      // Rare: a shorter TTL than before. Move it forward so memory is freed on time.
      stream.dueAt = due;
      this.queue.update(stream);
    }
  }
}
