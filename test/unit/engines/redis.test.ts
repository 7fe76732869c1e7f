// The shared broker and presence manager contracts against a real Redis
// (started by scripts/services/redis.sh through `npm test`;
// TRIBUTARY_TEST_REDIS_URL points at it). Every run uses its own key prefix,
// so runs never see each other's streams or presence.

import { randomBytes } from 'node:crypto';
import { runBrokerSuite } from '../../broker-suite.js';
import { runPresenceManagerSuite } from '../../presence-manager-suite.js';
import { redisBroker, redisOptions, redisPresenceManager } from '../../helpers/redis-engines.js';
import { redisUrl } from '../../helpers/redis.js';

const options = redisOptions({ address: [redisUrl()], prefix: `test-${randomBytes(4).toString('hex')}` });

runBrokerSuite('redis', async () => redisBroker(options));
runPresenceManagerSuite('redis', async () => redisPresenceManager(options));
