// The shared engine contract through Redis Sentinel: the engine asks the
// Sentinel for the master's address and works against it.

import { randomBytes } from 'node:crypto';
import { redisOptions as parseRedisOptions } from '../../helpers/config.js';
import { RedisEngine } from '../../../src/engines/redis/redis-engine.js';
import { silentLogger } from '../../../src/log.js';
import { runEngineSuite } from '../../engine-suite.js';
import { redisSentinelUrl } from '../../helpers/redis.js';

const url = redisSentinelUrl();
const prefix = `sen-${randomBytes(4).toString('hex')}`;

runEngineSuite('redis sentinel', async () => {
  const parsed = parseRedisOptions({ address: [url], prefix });
  if (!parsed.options) throw new Error(JSON.stringify(parsed.problems));
  return new RedisEngine(parsed.options, silentLogger());
});
