// The test Redis instances: the runner (scripts/run-tests.mjs) starts them and
// passes their URLs; a test file run on its own starts them with the project's
// script instead. Never skipped: no Redis is a failure.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function ensure(env: string, port: string): string {
  const given = process.env[env];
  if (given) return given;
  const r = spawnSync('bash', ['scripts/services/redis.sh', 'ensure', port], { cwd: root, encoding: 'utf8' });
  const out = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !out) throw new Error(`cannot start the test Redis (scripts/services/redis.sh ensure ${port}):\n${r.stderr}`);
  process.env[env] = out;
  return out;
}

/** The main test Redis (redis://127.0.0.1:16379 unless the runner says otherwise). */
export function redisUrl(): string {
  return ensure('TRIBUTARY_TEST_REDIS_URL', '16379');
}

/** A second, independent Redis for sharding tests. */
export function secondRedisUrl(): string {
  return ensure('TRIBUTARY_TEST_REDIS2_URL', '16380');
}

function fromScript(env: string, script: string): string {
  const given = process.env[env];
  if (given) return given;
  const r = spawnSync('bash', [script, 'ensure'], { cwd: root, encoding: 'utf8' });
  const out = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !out) throw new Error(`cannot start a test Redis (${script} ensure):\n${r.stderr}`);
  process.env[env] = out;
  return out;
}

/** A three-master Redis Cluster (scripts/services/redis-cluster.sh), as a redis+cluster:// address. */
export function redisClusterUrl(): string {
  return fromScript('TRIBUTARY_TEST_REDIS_CLUSTER_URL', 'scripts/services/redis-cluster.sh');
}

/** A master behind a Sentinel (scripts/services/redis-sentinel.sh), as a redis+sentinel:// address. */
export function redisSentinelUrl(): string {
  return fromScript('TRIBUTARY_TEST_REDIS_SENTINEL_URL', 'scripts/services/redis-sentinel.sh');
}
