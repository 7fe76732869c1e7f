// One connection's subscription to one channel: what it was granted, where its
// stream position is, and how a live publication reaches the client. While the
// subscribe reply is being prepared, live traffic is buffered so the reply is
// always the first thing the client hears about the channel.

import type { ChannelOptions } from '../config/schema.js';
import { PublicationFrames, type SharedFrame } from '../hub/frames.js';
import type { ChannelSubscriber } from '../hub/hub.js';
import type { Frame, ProtocolCodec } from '../protocol/codec.js';
import type { ClientInfo, StreamPosition } from '../protocol/types.js';
import { ownedBytes } from '../util/owned-bytes.js';

export interface SubscriptionOwner {
  readonly codec: ProtocolCodec;
  enqueue(frame: Frame): void;
  /** A positioned subscriber saw a gap or an epoch change. */
  onInsufficientState(sub: ClientSubscription): void;
  /** A payload that is not valid JSON was about to reach a JSON connection. */
  onInappropriateProtocol(): void;
}

export interface SubscriptionFlags {
  presence: boolean;
  joinLeave: boolean;
  pushJoinLeave: boolean;
  positioned: boolean;
  recoverable: boolean;
  /** The client negotiated fossil delta (only granted on positioned channels). */
  delta?: boolean;
}

/** A publication's frames, or a join/leave frame: what arrives while the subscription is not live yet. */
type Buffered = SharedFrame;

export class ClientSubscription implements ChannelSubscriber {
  /** Offset of the last publication delivered (positioned channels). */
  lastOffset = 0;
  epoch = '';
  /** Unix ms; 0 = never expires. */
  expireAt = 0;
  /** Granted by the subscribe proxy in a namespace whose sub_refresh proxy extends it (not the client). */
  refreshByProxy = false;
  /** Set while the sub_refresh proxy is asked. */
  refreshing = false;
  /**
   * True once the client certainly holds the previous publication's data as
   * its delta base: after it was sent one, never right after (re)subscribing.
   */
  deltaReady = false;
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

  /** A refresh (token or sub_refresh proxy) moved the expiry; new channel info replaces the old when given. */
  extend(expireAtMs: number, chanInfo?: Buffer): void {
    this.expireAt = expireAtMs;
    if (chanInfo) this.info.chanInfo = ownedBytes(chanInfo);
  }

  receivePublication(frames: PublicationFrames): void {
    if (this.buffer) {
      this.buffer.push(frames);
      return;
    }
    this.deliver(frames);
  }

  receiveJoinLeave(frame: SharedFrame): void {
    if (!this.flags.pushJoinLeave) return;
    if (this.buffer) this.buffer.push(frame);
    else this.send(frame);
  }

  /**
   * Starts live delivery at the given position, replaying what arrived meanwhile.
   * `deltaReady` says whether the subscribe reply already gave the client a base.
   */
  activate(lastOffset: number, epoch: string, deltaReady = false): void {
    this.lastOffset = lastOffset;
    this.epoch = epoch;
    this.deltaReady = deltaReady;
    const buffered = this.buffer ?? [];
    this.buffer = null;
    this.active = true;
    for (const item of buffered) {
      if (item instanceof PublicationFrames) this.deliver(item);
      else this.send(item);
    }
  }

  /** After a broker gap: resubscribe (via insufficient state) only if the stream moved past us. */
  onDeliveryGap(top?: StreamPosition): void {
    if (!this.active || !this.flags.positioned) return;
    if (top && top.epoch === this.epoch && top.offset <= this.lastOffset) return;
    this.owner.onInsufficientState(this);
  }

  /** Stops delivery for good (unsubscribe, disconnect). */
  deactivate(): void {
    this.buffer = null;
    this.active = false;
  }

  private deliver(frames: PublicationFrames): void {
    if (!this.active) return;
    const pub = frames.pub;
    if (!this.flags.positioned || pub.offset === 0) {
      this.send(this.flags.delta ? frames.deltaFull() : frames.plain);
      return;
    }
    if (this.epoch !== '' && frames.epoch !== this.epoch) {
      this.owner.onInsufficientState(this);
      return;
    }
    if (pub.offset <= this.lastOffset) return; // a late duplicate
    if (pub.offset !== this.lastOffset + 1) {
      this.owner.onInsufficientState(this);
      return;
    }
    this.lastOffset = pub.offset;
    this.epoch = frames.epoch;
    if (!this.flags.delta) {
      this.send(frames.plain);
      return;
    }
    // A patch only against a base the client certainly holds: the publication
    // right before this one, which this subscription delivered itself.
    let frame: Frame | null = null;
    if (this.deltaReady && frames.baseOffset === pub.offset - 1) frame = frames.deltaPatch()?.for(this.owner.codec) ?? null;
    if (frame === null) {
      this.send(frames.deltaFull());
    } else {
      this.owner.enqueue(frame);
    }
    this.deltaReady = true;
  }

  private send(frame: SharedFrame): void {
    const encoded = frame.for(this.owner.codec);
    if (encoded === null) {
      this.owner.onInappropriateProtocol();
      return;
    }
    this.owner.enqueue(encoded);
  }
}
