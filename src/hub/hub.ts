// Local channel → subscribers index and fan-out. A publication is encoded at
// most once per channel (lazily, only if some subscriber takes it); each
// subscriber decides, from its own position, whether to take it.

import { encodeJoinPush, encodeLeavePush, encodePublicationPush } from '../protocol/json-frames.js';
import { isJsonSafePayload } from '../protocol/raw-json.js';
import type { ClientInfo, Publication, StreamPosition } from '../protocol/types.js';

/**
 * A message built on first use and shared by every subscriber of a broadcast.
 * It also knows, computed once, whether its raw payloads are valid JSON: a
 * binary payload (API b64data) must never reach a JSON connection (3506).
 */
export class SharedFrame {
  private value: string | undefined;
  private safe: boolean | undefined;
  constructor(
    private readonly build: () => string,
    private readonly payloads: ReadonlyArray<Buffer | undefined> = [],
  ) {}
  get(): string {
    return (this.value ??= this.build());
  }
  jsonSafe(): boolean {
    return (this.safe ??= this.payloads.every((p) => p === undefined || isJsonSafePayload(p)));
  }
}

export interface ChannelSubscriber {
  readonly channel: string;
  receivePublication(pub: Publication, epoch: string, frame: SharedFrame): void;
  receiveJoinLeave(frame: SharedFrame): void;
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

  /** Channel names with their local subscriber counts. */
  *channelCounts(): IterableIterator<[string, number]> {
    for (const [name, set] of this.channels) yield [name, set.size];
  }

  broadcastPublication(channel: string, pub: Publication, position: StreamPosition): void {
    const set = this.channels.get(channel);
    if (!set) return;
    const frame = new SharedFrame(() => encodePublicationPush(channel, pub, position.epoch), [
      pub.data,
      pub.info?.connInfo,
      pub.info?.chanInfo,
    ]);
    for (const sub of set) sub.receivePublication(pub, position.epoch, frame);
  }

  broadcastJoin(channel: string, info: ClientInfo): void {
    const set = this.channels.get(channel);
    if (!set) return;
    const frame = new SharedFrame(() => encodeJoinPush(channel, info), [info.connInfo, info.chanInfo]);
    for (const sub of set) sub.receiveJoinLeave(frame);
  }

  broadcastLeave(channel: string, info: ClientInfo): void {
    const set = this.channels.get(channel);
    if (!set) return;
    const frame = new SharedFrame(() => encodeLeavePush(channel, info), [info.connInfo, info.chanInfo]);
    for (const sub of set) sub.receiveJoinLeave(frame);
  }
}
