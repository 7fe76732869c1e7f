// The `engine.redis` block (also `broker.redis`, `presence_manager.redis`):
// Centrifugo v6 `RedisPrefixed` plus the engine's history and presence options,
// parsed into shard descriptions. Channels are spread over the shards by
// consistent hashing; each shard is one standalone Redis, a Redis Cluster or a
// Sentinel-watched master.

import type { z } from 'zod';
import { bool, duration, int, section, str, strs, type Report } from './fields.js';
import { parseRedisAddress, type RedisAddressDefaults, type RedisShardAddress } from '../util/redis-url.js';
import { TLS } from './tls.js';

export const DEFAULT_REDIS_ADDRESS = 'redis://127.0.0.1:6379';
const positive = { orDefault: 'nonPositive' } as const;

const SHAPE = {
  address: strs('Redis URLs (redis://, rediss://, redis+cluster://, redis+sentinel://, unix://) or host:port, one per shard.'),
  prefix: str('centrifugo', 'Prefix of keys and channels; nodes with one prefix form one hub.', { check: (p) => (p === '' ? 'must not be empty' : undefined) }),
  cluster_address: strs('Seed addresses of a Redis Cluster (instead of address).'),
  sentinel_address: strs('Sentinel addresses (instead of address); needs sentinel_master_name.'),
  sentinel_master_name: str('', 'Name of the master the Sentinels watch.'),
  sentinel_user: str('', 'User for the Sentinels.'),
  sentinel_password: str('', 'Password for the Sentinels.'),
  sentinel_client_name: str('', 'Client name on Sentinel connections.'),
  db: int(0, 'Database number (standalone and Sentinel).', { check: (n) => (n < 0 ? 'must be a non-negative integer' : undefined) }),
  user: str('', 'ACL user.'),
  password: str('', 'Password.'),
  client_name: str('', 'Client name on the connections (CLIENT SETNAME).'),
  connect_timeout: duration('1s', 'Dial timeout.', positive),
  io_timeout: duration('4s', 'A command not answered in this time fails (retryable).', positive),
  force_resp2: bool(false, 'Accepted for compatibility; the client speaks RESP2.'),
  tls: TLS,
  presence_ttl: duration('60s', 'How long a presence entry lives without a refresh from its client.', positive),
  history_use_lists: bool(false, 'Not supported: history is kept in Redis streams.', {
    ignored: 'history is kept in Redis streams; lists are not supported and the option is ignored',
  }),
  presence_hash_field_ttl: bool(false, 'Not supported.', { ignored: 'not supported; presence uses a hash plus an expiry sorted set' }),
  presence_user_mapping: bool(false, 'Not supported.', { ignored: 'not supported; presence stats are computed from the presence map' }),
  sharded_pubsub: bool(false, "Tributary's own: sharded PUB/SUB in a Redis 7 Cluster, so a publication travels only within its shard."),
};
export const REDIS = section('A Redis deployment: one or more shards.', SHAPE, { unsupported: { sentinel_tls: 'warn', replica_client: 'warn' } });

/**
 * The shards and connection settings of a block that is in use (an unused
 * block's addresses are not checked, as in Centrifugo); problems name the key
 * of the address at fault.
 */
export function redisOptions(o: z.output<typeof REDIS>, report: Report) {
  const common: RedisAddressDefaults = { db: o.db, user: o.user, password: o.password, tls: o.tls.enabled, masterName: o.sentinel_master_name };
  const shards: RedisShardAddress[] = [];
  const groups = [o.address, o.cluster_address, o.sentinel_address].filter((list) => list.length > 0).length;
  if (groups > 1) report([], 'set only one of address, cluster_address and sentinel_address');
  const parse = (key: string, entry: string, cluster: boolean, sentinel: boolean) => {
    try {
      shards.push(parseRedisAddress(entry, common, cluster, sentinel));
    } catch (err) {
      report(key, (err as Error).message);
    }
  };
  if (o.sentinel_address.length > 0) parse('sentinel_address', o.sentinel_address.join(','), false, true);
  for (const entry of o.cluster_address) parse('cluster_address', entry, true, false);
  for (const entry of o.address) parse('address', entry, false, false);
  if (groups === 0) parse('address', DEFAULT_REDIS_ADDRESS, false, false);
  if (o.sharded_pubsub && !shards.every((sh) => sh.kind === 'cluster')) {
    report('sharded_pubsub', 'needs every address to be a Redis Cluster (cluster_address or redis+cluster://)');
  }
  const { address: _a, cluster_address: _c, sentinel_address: _s, db: _d, user: _u, password: _p, sentinel_master_name: _m, ...rest } = o;
  return { ...rest, shards };
}

export type RedisEngineOptions = ReturnType<typeof redisOptions>;
