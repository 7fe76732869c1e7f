// The test Redis instances, started by the runner or, for a file run on its
// own, by the project's scripts (see services.ts).

import { serviceAddress } from './services.js';

/** The main test Redis (redis://127.0.0.1:16379 unless the runner says otherwise). */
export function redisUrl(): string {
  return serviceAddress('TRIBUTARY_TEST_REDIS_URL', 'scripts/services/redis.sh', '16379');
}

/** A second, independent Redis for sharding tests. */
export function secondRedisUrl(): string {
  return serviceAddress('TRIBUTARY_TEST_REDIS2_URL', 'scripts/services/redis.sh', '16380');
}

/** A three-master Redis Cluster (scripts/services/redis-cluster.sh), as a redis+cluster:// address. */
export function redisClusterUrl(): string {
  return serviceAddress('TRIBUTARY_TEST_REDIS_CLUSTER_URL', 'scripts/services/redis-cluster.sh');
}

/** A master behind a Sentinel (scripts/services/redis-sentinel.sh), as a redis+sentinel:// address. */
export function redisSentinelUrl(): string {
  return serviceAddress('TRIBUTARY_TEST_REDIS_SENTINEL_URL', 'scripts/services/redis-sentinel.sh');
}
