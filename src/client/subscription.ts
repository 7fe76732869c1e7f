// One connection's subscription to one channel: what it was granted, where its
// stream position is, and how a live publication reaches the client. While the
// subscribe reply is being prepared, live traffic is buffered so the reply is
// always the first thing the client hears about the channel.

import type { ChannelOptions } from '../config/types.js';
import type { ChannelSubscriber, SharedFrame } from '../hub/hub.js';
import type { ClientInfo, Publication } from '../protocol/types.js';

export interface SubscriptionOwner {
  enqueue(message: string): void;
  /** A positioned subscriber saw a gap or an epoch change. */
  onInsufficientState(sub: ClientSubscription): void;
  /** A payload that is not valid JSON was about to reach a JSON connection. */
  onInappropriateProtocol?(): void;
}

export interface SubscriptionFlags {
  presence: boolean;
  joinLeave: boolean;
  pushJoinLeave: boolean;
  positioned: boolean;
  recoverable: boolean;
}

type Buffered = { pub: Publication; epoch: string; frame: SharedFrame } | { frame: SharedFrame };

export class ClientSubscription implements ChannelSubscriber {
  /** Offset of the last publication delivered (positioned channels). */
  lastOffset = 0;
  epoch = '';
  /** Unix ms; 0 = never expires. */
  expireAt = 0;
  private buffer: Buffered[] | null = [];
  active = false;

  constructor(
    readonly channel: string,
    readonly namespace: string,
    readonly options: ChannelOptions,
    readonly flags: SubscriptionFlags,
    readonly info: ClientInfo,
    readonly serverSide: boolean,
    private readonly owner: SubscriptionOwner,
  ) {}

  receivePublication(pub: Publication, epoch: string, frame: SharedFrame): void {
    if (this.buffer) {
      this.buffer.push({ pub, epoch, frame });
      return;
    }
    this.deliver(pub, epoch, frame);
  }

  receiveJoinLeave(frame: SharedFrame): void {
    if (!this.flags.pushJoinLeave) return;
    if (this.buffer) this.buffer.push({ frame });
    else this.send(frame);
  }

  /** Starts live delivery at the given position, replaying what arrived meanwhile. */
  activate(lastOffset: number, epoch: string): void {
    this.lastOffset = lastOffset;
    this.epoch = epoch;
    const buffered = this.buffer ?? [];
    this.buffer = null;
    this.active = true;
    for (const item of buffered) {
      if ('pub' in item) this.deliver(item.pub, item.epoch, item.frame);
      else this.send(item.frame);
    }
  }

  /** Stops delivery for good (unsubscribe, disconnect). */
  deactivate(): void {
    this.buffer = null;
    this.active = false;
  }

  private deliver(pub: Publication, epoch: string, frame: SharedFrame): void {
    if (!this.active) return;
    if (!this.flags.positioned || pub.offset === 0) {
      this.send(frame);
      return;
    }
    if (this.epoch !== '' && epoch !== this.epoch) {
      this.owner.onInsufficientState(this);
      return;
    }
    if (pub.offset <= this.lastOffset) return; // a late duplicate
    if (pub.offset !== this.lastOffset + 1) {
      this.owner.onInsufficientState(this);
      return;
    }
    this.lastOffset = pub.offset;
    this.epoch = epoch;
    this.send(frame);
  }

  private send(frame: SharedFrame): void {
    if (!frame.jsonSafe()) {
      this.owner.onInappropriateProtocol?.();
      return;
    }
    this.owner.enqueue(frame.get());
  }
}
