// Redis key and PUB/SUB channel names, as Centrifugo lays them out (spec
// server-api.md §4.2). In Redis Cluster the channel part is wrapped in a hash
// tag, so every key of one channel lands in the same slot and one Lua script
// may touch them all.

export class RedisKeys {
  readonly control: string;
  readonly shardChannel: string;
  private readonly clientPrefix: string;

  constructor(
    readonly prefix: string,
    /** Keys and channels carry `{channel}` hash tags (Redis Cluster). */
    readonly cluster: boolean,
  ) {
    this.control = `${prefix}.control`;
    this.shardChannel = `${prefix}.shard.0`;
    this.clientPrefix = `${prefix}.client.`;
  }

  private tag(channel: string): string {
    return this.cluster ? `{${channel}}` : channel;
  }

  /** The PUB/SUB channel a channel's publications, joins and leaves travel on. */
  pubsub(channel: string): string {
    return this.clientPrefix + this.tag(channel);
  }

  /** The channel name inside a PUB/SUB channel name, or undefined when it is not one of ours. */
  channelOf(pubsubChannel: string): string | undefined {
    if (!pubsubChannel.startsWith(this.clientPrefix)) return undefined;
    const rest = pubsubChannel.slice(this.clientPrefix.length);
    return this.cluster && rest.startsWith('{') && rest.endsWith('}') ? rest.slice(1, -1) : rest;
  }

  stream(channel: string): string {
    return `${this.prefix}.stream.${this.tag(channel)}`;
  }

  streamMeta(channel: string): string {
    return `${this.prefix}.stream.meta.${this.tag(channel)}`;
  }

  result(channel: string, key: string): string {
    return `${this.prefix}.result.${this.tag(channel)}.${key}`;
  }

  presenceData(channel: string): string {
    return `${this.prefix}.presence.data.${this.tag(channel)}`;
  }

  presenceExpire(channel: string): string {
    return `${this.prefix}.presence.expire.${this.tag(channel)}`;
  }

  node(uid: string): string {
    return `${this.prefix}.node.${uid}`;
  }
}
