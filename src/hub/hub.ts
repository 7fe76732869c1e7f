// Local channel → subscribers index and fan-out. A publication is encoded at
// most once per channel per protocol (lazily, only if some subscriber takes
// it); each subscriber decides, from its own position, whether to take it.

import type { ClientInfo, Publication, StreamPosition } from '../protocol/types.js';
import { PublicationFrames, joinLeaveFrame, type SharedFrame } from './frames.js';

export interface ChannelSubscriber {
  readonly channel: string;
  receivePublication(frames: PublicationFrames): void;
  receiveJoinLeave(frame: SharedFrame): void;
  /** The broker may have missed publications for this channel; `top` is the stream's position now, when known. */
  onDeliveryGap(top?: StreamPosition): void;
}

export class Hub {
  private readonly channels = new Map<string, Set<ChannelSubscriber>>();
  private subscriptions = 0;

  /** Returns true when this is the channel's first local subscriber. */
  add(sub: ChannelSubscriber): boolean {
    let set = this.channels.get(sub.channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.channels.set(sub.channel, set);
    }
    if (!set.has(sub)) {
      set.add(sub);
      this.subscriptions++;
    }
    return first;
  }

  /** Returns true when the channel has no local subscriber left. */
  remove(sub: ChannelSubscriber): boolean {
    const set = this.channels.get(sub.channel);
    if (!set || !set.delete(sub)) return false;
    this.subscriptions--;
    if (set.size === 0) {
      this.channels.delete(sub.channel);
      return true;
    }
    return false;
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
    const set = this.channels.get(channel);
    return set ? [...set] : [];
  }

  /** Channel names with their local subscriber counts. */
  *channelCounts(): IterableIterator<[string, number]> {
    for (const [name, set] of this.channels) yield [name, set.size];
  }

  /** `prev` is given when the publication was published with delta (the patch base). */
  broadcastPublication(channel: string, pub: Publication, position: StreamPosition, prev?: Publication): void {
    const set = this.channels.get(channel);
    if (!set) return;
    const frames = new PublicationFrames(channel, pub, position.epoch, prev);
    for (const sub of set) sub.receivePublication(frames);
  }

  broadcastJoin(channel: string, info: ClientInfo): void {
    const set = this.channels.get(channel);
    if (!set) return;
    const frame = joinLeaveFrame(channel, 'join', info);
    for (const sub of set) sub.receiveJoinLeave(frame);
  }

  broadcastLeave(channel: string, info: ClientInfo): void {
    const set = this.channels.get(channel);
    if (!set) return;
    const frame = joinLeaveFrame(channel, 'leave', info);
    for (const sub of set) sub.receiveJoinLeave(frame);
  }
}
