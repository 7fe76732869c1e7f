// The shared broker and presence manager contracts through Redis Sentinel:
// each asks the Sentinel for the master's address and works against it.

import { after } from 'node:test';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { runBrokerSuite } from '../../broker-suite.js';
import { runPresenceManagerSuite } from '../../presence-manager-suite.js';
import { redisBroker, redisOptions, redisPresenceManager } from '../../helpers/redis-engines.js';
import { redisSentinelUrl } from '../../helpers/redis.js';

const options = redisOptions({ address: [redisSentinelUrl()], prefix: ownRedisPrefix(redisSentinelUrl(), 'sen') });
// The keys go, from the master, once the suites have closed their engines.
after(cleanUp);

runBrokerSuite('redis sentinel', async () => redisBroker(options));
runPresenceManagerSuite('redis sentinel', async () => redisPresenceManager(options));
