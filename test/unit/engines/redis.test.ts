// The shared broker and presence manager contracts against a real Redis
// (started by scripts/services/redis.sh through `npm test`;
// TRIBUTARY_TEST_REDIS_URL points at it). Every run uses its own key prefix,
// so runs never see each other's streams or presence, and deletes its keys
// at the end.

import { after } from 'node:test';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { runBrokerSuite } from '../../broker-suite.js';
import { runPresenceManagerSuite } from '../../presence-manager-suite.js';
import { redisBroker, redisOptions, redisPresenceManager } from '../../helpers/redis-engines.js';
import { redisUrl } from '../../helpers/redis.js';

const options = redisOptions({ address: [redisUrl()], prefix: ownRedisPrefix(redisUrl(), 'test') });
after(cleanUp);

runBrokerSuite('redis', async () => redisBroker(options));
runPresenceManagerSuite('redis', async () => redisPresenceManager(options));
