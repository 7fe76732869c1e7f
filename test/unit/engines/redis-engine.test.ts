// The shared engine contract against a real Redis (started by scripts/services/redis.sh
// through `npm test`; TRIBUTARY_TEST_REDIS_URL points at it). Every run uses its own
// key prefix, so runs never see each other's streams or presence.

import { randomBytes } from 'node:crypto';
import { redisOptions as parseRedisOptions } from '../../helpers/config.js';
import { RedisEngine } from '../../../src/engines/redis/redis-engine.js';
import { silentLogger } from '../../../src/log.js';
import { runEngineSuite } from '../../engine-suite.js';
import { redisUrl } from '../../helpers/redis.js';

const url = redisUrl();
const prefix = `test-${randomBytes(4).toString('hex')}`;

runEngineSuite('redis', async () => {
  const parsed = parseRedisOptions({ address: [url], prefix });
  if (!parsed.options) throw new Error(JSON.stringify(parsed.problems));
  return new RedisEngine(parsed.options, silentLogger());
});
