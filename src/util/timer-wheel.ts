// One coarse timer for every connection instead of a timer per connection:
// an idle connection must cost a few hundred bytes, and Node timers cost far
// more than a Set entry. Each item has at most one pending wake-up; the owner
// re-arms it with the next deadline it cares about (ping, pong, expiry...).

export interface WheelItem {
  /** Bucket key the item sits in, or -1. Owned by the wheel. */
  wheelSlot: number;
  onWheelTick(now: number): void;
}

export class TimerWheel {
  private readonly buckets = new Map<number, Set<WheelItem>>();
  private timer: NodeJS.Timeout | null = null;
  private lastSlot: number;

  constructor(
    private readonly resolutionMs = 200,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.lastSlot = Math.floor(Date.now() / resolutionMs);
  }

  /**
   * Wake `item` at (or just after) `atMs`, never before. Replaces any earlier
   * wake-up. A non-finite time (Infinity: "never") only cancels.
   */
  schedule(item: WheelItem, atMs: number): void {
    this.cancel(item);
    if (!Number.isFinite(atMs)) return;
    // After an idle stop, catch up so the tick loop never replays empty history.
    if (!this.timer) this.lastSlot = Math.floor(Date.now() / this.resolutionMs);
    const slot = Math.max(Math.ceil(atMs / this.resolutionMs), this.lastSlot + 1);
    let bucket = this.buckets.get(slot);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(slot, bucket);
    }
    bucket.add(item);
    item.wheelSlot = slot;
    this.ensureRunning();
  }

  /**
   * Wake `item` no later than `atMs`: an earlier pending wake-up is kept.
   * Owners that re-arm often (every command) use this so a deadline that is
   * already due can never be pushed back slot by slot; an early wake-up is
   * harmless because the owner recomputes and re-arms.
   */
  scheduleBy(item: WheelItem, atMs: number): void {
    if (item.wheelSlot > this.lastSlot && Number.isFinite(atMs)) {
      const slot = Math.max(Math.ceil(atMs / this.resolutionMs), this.lastSlot + 1);
      if (item.wheelSlot <= slot) return;
    }
    this.schedule(item, atMs);
  }

  cancel(item: WheelItem): void {
    if (item.wheelSlot < 0) return;
    const bucket = this.buckets.get(item.wheelSlot);
    if (bucket) {
      bucket.delete(item);
      if (bucket.size === 0) this.buckets.delete(item.wheelSlot);
    }
    item.wheelSlot = -1;
  }

  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  /** True while the wheel's interval timer runs (it stops by itself once nothing is scheduled). */
  get running(): boolean {
    return this.timer !== null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const bucket of this.buckets.values()) for (const item of bucket) item.wheelSlot = -1;
    this.buckets.clear();
  }

  private ensureRunning(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.resolutionMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    const current = Math.floor(now / this.resolutionMs);
    for (let slot = this.lastSlot + 1; slot <= current; slot++) {
      // Advance first: an item re-armed from its callback must land in a later
      // slot, never in this one (whose bucket is already detached) or an
      // earlier one, where it would sit forever and keep the timer alive.
      this.lastSlot = slot;
      const bucket = this.buckets.get(slot);
      if (!bucket) continue;
      this.buckets.delete(slot);
      for (const item of bucket) {
        // Cancelled or re-armed by an earlier callback of this same bucket.
        if (item.wheelSlot !== slot) continue;
        item.wheelSlot = -1;
        try {
          item.onWheelTick(now);
        } catch (err) {
          // One broken owner must not take the process, or the rest of the bucket, down.
          this.onError(err);
        }
      }
    }
    this.lastSlot = current;
    if (this.buckets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
