// ioredis clients for one shard address: standalone, Sentinel or Cluster,
// with the timeouts and failure behaviour the broker and presence manager rely on.

import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { RedisEngineOptions } from '../../config/redis.js';
import type { RedisShardAddress } from '../../util/redis-url.js';
import { tlsConnectionOptions } from '../../util/tls.js';

export type RedisClient = Redis | Cluster;

// Loaded with the first Redis client, so a node on the memory engine never pays
// for ioredis at start (about 70 ms of module loading on this machine).
let ioredis: typeof import('ioredis') | undefined;
const lib = () => (ioredis ??= createRequire(import.meta.url)('ioredis') as typeof import('ioredis'));

/** Reconnect backoff: quick at first, then every 2 s, forever. */
function retryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 2000);
}

/**
 * Options for both connections of a shard. Commands never wait in an offline
 * queue and are never replayed after a reconnect: a publish that might have
 * run must fail (retryable) rather than run twice without the caller knowing.
 */
function baseOptions(o: RedisEngineOptions, addr: RedisShardAddress, role: 'cmd' | 'sub'): RedisOptions {
  const opts: RedisOptions = {
    lazyConnect: true,
    connectTimeout: o.connect_timeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy,
    // Subscriptions are restored by the shard itself, in batches, so it knows when
    // the link is whole again and can tell subscribers about the gap.
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    username: addr.user || undefined,
    password: addr.password || undefined,
    connectionName: o.client_name ? `${o.client_name}-${role}` : undefined,
  };
  // No auto-pipelining: ioredis then builds a Pipeline for every tick that
  // sends a command, and a node publishing one request at a time pays for it
  // on each. Measured without it (npm run bench -- fanout --conns 2000
  // --channels 100 --rate 1000 --target tributary:memory,tributary:redis): the
  // Redis node's CPU per delivery went from 1.42x the memory node's to 1.17x;
  // and `npm run bench -- publish` acknowledged 31.5-34.3k publications/s
  // against 29.2-30.0k with it, since a busy socket still gathers writes.
  if (role === 'cmd') opts.commandTimeout = o.io_timeout;
  if (addr.tls || o.tls.enabled) opts.tls = tlsConnectionOptions(o.tls);
  return opts;
}

export function createClient(o: RedisEngineOptions, addr: RedisShardAddress, role: 'cmd' | 'sub'): RedisClient {
  const base = baseOptions(o, addr, role);
  switch (addr.kind) {
    case 'standalone':
      return addr.path
        ? new (lib().Redis)({ ...base, path: addr.path, db: addr.db })
        : new (lib().Redis)({ ...base, host: addr.host, port: addr.port, db: addr.db });
    case 'sentinel':
      return new (lib().Redis)({
        ...base,
        sentinels: addr.sentinels,
        name: addr.masterName,
        db: addr.db,
        sentinelUsername: o.sentinel_user || undefined,
        sentinelPassword: o.sentinel_password || undefined,
      });
    case 'cluster': {
      const clusterOpts: ClusterOptions = {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: role === 'cmd',
        // One subscriber connection per master, each holding the shard channels of its slots.
        shardedSubscribers: role === 'sub' && o.sharded_pubsub,
        clusterRetryStrategy: retryStrategy,
        redisOptions: { ...base, lazyConnect: undefined },
      };
      return new (lib().Cluster)(addr.seeds, clusterOpts);
    }
  }
}

/**
 * Disconnects a client and resolves once it has ended, so the same client can
 * connect again straight away (ioredis refuses connect() while the old
 * connection is still closing). Bounded: a client that never reports its end
 * is given up on after `limitMs`.
 */
export function disconnectClient(client: RedisClient, limitMs = 2000): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, limitMs);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      client.off('end', done);
      resolve();
    }
    client.once('end', done);
    client.disconnect();
    if (client.status === 'end') done();
  });
}
