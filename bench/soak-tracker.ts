// What each soak subscriber has seen of its channel's stream. Every
// publication of a channel with history carries its stream offset, and the
// offsets of one epoch are 1, 2, 3… with no hole, so a connection that got
// offset N expects N + 1 next — across reconnects too, since it resubscribes
// with recovery from N. A jump is a gap (kept as a range, so a late arrival
// can still fill it and count as out of order instead), an offset already
// passed and not in a gap is a duplicate. At the end the ranges are held
// against what the channel's history holds: lost = offsets in history, after
// the connection's first subscription, that it never received.

/** A channel's history at the end of the run: offsets lo…top of epoch `epoch` (lo > top when empty). */
export interface HistoryWindow {
  epoch: string;
  lo: number;
  top: number;
}

export interface TrackerTotals {
  /** Publications delivered after the connection had passed their offset (and not to fill a gap). */
  dup: number;
  /** Publications that filled a gap late: delivered, but out of order. */
  outOfOrder: number;
  /** Resubscriptions the server answered without recovering (a gap it could not fill). */
  unrecovered: number;
  /** Resubscriptions that came back in another epoch (the stream was reset: what was before cannot be checked). */
  epochChanges: number;
}

export interface SubscriberCheck {
  /** Subscribers checked (subscribed at least once, in the channel's current epoch). */
  checked: number;
  /** Offsets in history a subscriber should have had and did not, summed over subscribers. */
  lostInHistory: number;
  subscribersWithLoss: number;
  maxLostPerSubscriber: number;
  /** Every offset skipped over the whole run and never filled, history or not (history keeps only the last ones). */
  gapsWholeRun: number;
  /** Subscribers whose last offset is below the channel's top (they had not caught up when checked). */
  behind: number;
  /** Subscribers whose epoch is not the channel's. */
  otherEpoch: number;
  dupPerSubscriberMax: number;
}

export class OffsetTracker {
  /** Offset at the first subscription (what came before it is not owed); −1 before. */
  private readonly first: Float64Array;
  private readonly last: Float64Array;
  private readonly epochs: string[];
  private readonly dups: Uint32Array;
  /** Offsets skipped, per connection: inclusive [from, to] ranges in ascending order. */
  private readonly missing = new Map<number, Array<[number, number]>>();
  readonly totals: TrackerTotals = { dup: 0, outOfOrder: 0, unrecovered: 0, epochChanges: 0 };

  constructor(readonly size: number) {
    this.first = new Float64Array(size).fill(-1);
    this.last = new Float64Array(size);
    this.epochs = new Array<string>(size).fill('');
    this.dups = new Uint32Array(size);
  }

  /** Where to recover from on a resubscription, or undefined before the first one. */
  since(ci: number): { offset: number; epoch: string } | undefined {
    return this.first[ci]! < 0 ? undefined : { offset: this.last[ci]!, epoch: this.epochs[ci]! };
  }

  /** The last offset the connection has, in order (0 before its first subscription). */
  lastOffset(ci: number): number {
    return this.last[ci]!;
  }

  /**
   * A subscribe result: its epoch and offset, whether the server recovered.
   * Recovered publications follow through publication(), in order.
   */
  subscribed(ci: number, epoch: string, offset: number, recovered: boolean): void {
    if (this.first[ci]! < 0) {
      this.first[ci] = offset;
      this.last[ci] = offset;
      this.epochs[ci] = epoch;
      return;
    }
    if (recovered) return;
    this.totals.unrecovered++;
    if (epoch !== this.epochs[ci]) {
      // A new stream: offsets start again; what the old one owed is beyond checking.
      this.totals.epochChanges++;
      this.missing.delete(ci);
      this.first[ci] = offset;
      this.last[ci] = offset;
      this.epochs[ci] = epoch;
      return;
    }
    // The server moves the subscription to its top: what lay between is a gap.
    if (offset > this.last[ci]!) {
      this.skip(ci, this.last[ci]! + 1, offset);
      this.last[ci] = offset;
    }
  }

  /** A publication at `offset` (a live push or a recovered one). */
  publication(ci: number, offset: number): void {
    const last = this.last[ci]!;
    if (offset === last + 1) {
      this.last[ci] = offset;
      return;
    }
    if (offset > last) {
      this.skip(ci, last + 1, offset - 1);
      this.last[ci] = offset;
      return;
    }
    if (this.fill(ci, offset)) this.totals.outOfOrder++;
    else {
      this.totals.dup++;
      this.dups[ci]!++;
    }
  }

  /** The per-subscriber check against each channel's history; `channelOf(ci)` is the connection's channel index. */
  check(windows: HistoryWindow[], channelOf: (ci: number) => number): SubscriberCheck {
    const r: SubscriberCheck = {
      checked: 0,
      lostInHistory: 0,
      subscribersWithLoss: 0,
      maxLostPerSubscriber: 0,
      gapsWholeRun: 0,
      behind: 0,
      otherEpoch: 0,
      dupPerSubscriberMax: 0,
    };
    for (let ci = 0; ci < this.size; ci++) {
      if (this.first[ci]! < 0) continue;
      const w = windows[channelOf(ci)]!;
      if (w.epoch !== this.epochs[ci]) {
        r.otherEpoch++;
        continue;
      }
      r.checked++;
      const last = this.last[ci]!;
      const ranges = this.missing.get(ci) ?? [];
      for (const [a, b] of ranges) r.gapsWholeRun += b - a + 1;
      if (last < w.top) {
        r.behind++;
        r.gapsWholeRun += w.top - last;
      }
      // Owed: history's offsets after the first subscription.
      const from = Math.max(w.lo, this.first[ci]! + 1);
      let lost = 0;
      if (from <= w.top) {
        lost += Math.max(0, w.top - Math.max(last, from - 1));
        for (const [a, b] of ranges) {
          const lo = Math.max(a, from);
          const hi = Math.min(b, w.top);
          if (hi >= lo) lost += hi - lo + 1;
        }
      }
      r.lostInHistory += lost;
      if (lost > 0) r.subscribersWithLoss++;
      if (lost > r.maxLostPerSubscriber) r.maxLostPerSubscriber = lost;
      if (this.dups[ci]! > r.dupPerSubscriberMax) r.dupPerSubscriberMax = this.dups[ci]!;
    }
    return r;
  }

  private skip(ci: number, from: number, to: number): void {
    if (to < from) return;
    let ranges = this.missing.get(ci);
    if (!ranges) this.missing.set(ci, (ranges = []));
    ranges.push([from, to]);
  }

  /** Takes `offset` out of the connection's gaps; false when it was in none. */
  private fill(ci: number, offset: number): boolean {
    const ranges = this.missing.get(ci);
    if (!ranges) return false;
    const i = ranges.findIndex(([a, b]) => offset >= a && offset <= b);
    if (i < 0) return false;
    const [a, b] = ranges[i]!;
    const rest: Array<[number, number]> = [];
    if (a < offset) rest.push([a, offset - 1]);
    if (offset < b) rest.push([offset + 1, b]);
    ranges.splice(i, 1, ...rest);
    if (ranges.length === 0) this.missing.delete(ci);
    return true;
  }
}
