// Redis brokers and presence managers for tests, each on shards of its own
// unless built as a pair (sharing shards, as the server builds them from one
// `engine` block).

import type { RedisEngineOptions } from '../../src/config/redis.js';
import { RedisBroker } from '../../src/engines/redis/redis-broker.js';
import { RedisPresenceManager } from '../../src/engines/redis/redis-presence-manager.js';
import { RedisShards } from '../../src/engines/redis/shards.js';
import { silentLogger } from '../../src/log.js';
import { redisOptions as parseRedisOptions } from './config.js';

/** A parsed `redis` block; throws on any problem. */
export function redisOptions(block: Record<string, unknown>): RedisEngineOptions {
  const parsed = parseRedisOptions(block);
  if (!parsed.options) throw new Error(JSON.stringify(parsed.problems));
  return parsed.options;
}

export function redisBroker(options: RedisEngineOptions): RedisBroker {
  return new RedisBroker(new RedisShards(options, silentLogger()));
}

export function redisPresenceManager(options: RedisEngineOptions): RedisPresenceManager {
  return new RedisPresenceManager(new RedisShards(options, silentLogger()));
}

/** A broker and a presence manager on the same shards. */
export function redisPair(options: RedisEngineOptions): { broker: RedisBroker; presenceManager: RedisPresenceManager } {
  const shards = new RedisShards(options, silentLogger());
  return { broker: new RedisBroker(shards), presenceManager: new RedisPresenceManager(shards) };
}
