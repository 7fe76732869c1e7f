// Local channel → subscribers index and fan-out. A publication is encoded at
// most once per channel per protocol (lazily, only if some subscriber takes
// it); each subscriber decides, from its own position, whether to take it.

import type { ClientInfo, Publication, StreamPosition } from '../protocol/types.js';
import { PublicationFrames, joinLeaveFrame, type SharedFrame } from './frames.js';
import { MemberMap, isSeveral } from '../util/member-map.js';

export interface ChannelSubscriber {
  readonly channel: string;
  receivePublication(frames: PublicationFrames): void;
  receiveJoinLeave(frame: SharedFrame): void;
  /** The broker may have missed publications for this channel; `top` is the stream's position now, when known. */
  onDeliveryGap(top?: StreamPosition): void;
}

export class Hub {
  private readonly channels = new MemberMap<string, ChannelSubscriber>();
  private subscriptions = 0;

  /** Returns true when this is the channel's first local subscriber. */
  add(sub: ChannelSubscriber): boolean {
    const first = !this.channels.has(sub.channel);
    if (this.channels.add(sub.channel, sub)) this.subscriptions++;
    return first;
  }

  /** Returns true when the channel has no local subscriber left. */
  remove(sub: ChannelSubscriber): boolean {
    if (!this.channels.delete(sub.channel, sub)) return false;
    this.subscriptions--;
    return !this.channels.has(sub.channel);
  }

  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  numChannels(): number {
    return this.channels.size;
  }

  numSubscriptions(): number {
    return this.subscriptions;
  }

  /** A snapshot of the channel's local subscribers. */
  subscribers(channel: string): ChannelSubscriber[] {
    return this.channels.list(channel);
  }

  /** Channel names with their local subscriber counts. */
  channelCounts(): IterableIterator<[string, number]> {
    return this.channels.counts();
  }

  /** `prev` is given when the publication was published with delta (the patch base). */
  broadcastPublication(channel: string, pub: Publication, position: StreamPosition, prev?: Publication): void {
    const subs = this.channels.get(channel);
    if (subs === undefined) return;
    const frames = new PublicationFrames(channel, pub, position.epoch, prev);
    if (isSeveral(subs)) for (const sub of subs) sub.receivePublication(frames);
    else subs.receivePublication(frames);
  }

  broadcastJoin(channel: string, info: ClientInfo): void {
    this.broadcastJoinLeave(channel, 'join', info);
  }

  broadcastLeave(channel: string, info: ClientInfo): void {
    this.broadcastJoinLeave(channel, 'leave', info);
  }

  private broadcastJoinLeave(channel: string, kind: 'join' | 'leave', info: ClientInfo): void {
    const subs = this.channels.get(channel);
    if (subs === undefined) return;
    const frame = joinLeaveFrame(channel, kind, info);
    if (isSeveral(subs)) for (const sub of subs) sub.receiveJoinLeave(frame);
    else subs.receiveJoinLeave(frame);
  }
}
