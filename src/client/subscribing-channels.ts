// The channels of one connection with a subscribe in flight: a second
// subscribe to one of them gets 105, and they count against channel_limit.
// Almost always empty, so the Set is made by the first reservation and
// dropped with the last: a Set of its own cost every connection about 150 bytes.

export class SubscribingChannels {
  private channels: Set<string> | null = null;

  get size(): number {
    return this.channels?.size ?? 0;
  }

  has(channel: string): boolean {
    return this.channels?.has(channel) ?? false;
  }

  add(channel: string): void {
    (this.channels ??= new Set()).add(channel);
  }

  delete(channel: string): void {
    if (this.channels?.delete(channel) && this.channels.size === 0) this.channels = null;
  }

  clear(): void {
    this.channels = null;
  }
}
