// The shards of one Redis deployment (one `redis` config block), with what
// every user of them needs: the key layout, which shard holds a channel, and a
// health report naming the sick shards. When `engine.type` is redis, the
// broker and the presence manager share one RedisShards, as Centrifugo shares
// its shards between them: one command connection per shard, opened by the
// first of them to start and closed by the last to leave. PUB/SUB links are
// the broker's own business (RedisShard.startPubSub).

import type { RedisEngineOptions } from '../../config/redis.js';
import type { Logger } from '../../log.js';
import type { EngineHealth } from '../availability.js';
import { RedisKeys } from './keys.js';
import type { RedisMetrics } from './metrics.js';
import { RedisShard } from './shard.js';
import { shardIndex } from './shard-index.js';

export class RedisShards {
  readonly keys: RedisKeys;
  readonly all: readonly RedisShard[];
  /** Started users (broker, presence manager) still holding the command links. */
  private users = 0;
  private connecting: Promise<void> | null = null;

  constructor(
    readonly options: RedisEngineOptions,
    readonly log: Logger,
    readonly metrics?: RedisMetrics,
  ) {
    this.keys = new RedisKeys(
      options.prefix,
      options.shards.some((s) => s.kind === 'cluster'),
    );
    this.all = options.shards.map((addr, i) => new RedisShard(i, addr, options, log, metrics));
  }

  /** Connects every shard's command link, once for all users; a failed connect leaves nothing held. */
  async acquire(): Promise<void> {
    this.users++;
    this.connecting ??= Promise.all(this.all.map((s) => s.connect())).then(() => undefined);
    try {
      await this.connecting;
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  /** Gives one user's hold back; the last one disconnects every link. */
  async release(): Promise<void> {
    if (this.users === 0) return;
    this.users--;
    if (this.users > 0) return;
    this.connecting = null;
    await Promise.all(this.all.map((s) => s.close()));
  }

  shardFor(channel: string): RedisShard {
    return this.all[shardIndex(channel, this.all.length)]!;
  }

  /** Channels grouped by the shard that holds them. */
  byShard(channels: string[]): Array<[RedisShard, string[]]> {
    if (this.all.length === 1) return [[this.all[0]!, channels]];
    const groups = new Map<RedisShard, string[]>();
    for (const ch of channels) {
      const shard = this.shardFor(ch);
      const list = groups.get(shard);
      if (list) list.push(ch);
      else groups.set(shard, [ch]);
    }
    return [...groups];
  }

  /** Healthy when `works` holds for every shard; otherwise the sick shards with their last problem. */
  health(works: (shard: RedisShard) => boolean): EngineHealth {
    const sick = this.all.filter((s) => !works(s));
    if (sick.length === 0) return { healthy: true };
    return { healthy: false, detail: sick.map((s) => `${s.address.label}: ${s.problemDetail() || 'not connected'}`).join('; ') };
  }
}
