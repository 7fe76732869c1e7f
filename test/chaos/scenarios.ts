// Every chaos scenario, in the order a full run takes them.

import { kafkaRestart } from './kafka-restart.js';
import { kill9Kafka } from './kill9-kafka.js';
import { kill9Outbox } from './kill9-outbox.js';
import { natsRestart } from './nats-restart.js';
import { outcomeUnknown } from './outcome-unknown.js';
import { postgresRestart } from './postgres-restart.js';
import { proxyHang } from './proxy-hang.js';
import { redisFreeze } from './redis-freeze.js';
import { redisStop } from './redis-stop.js';
import type { Scenario } from './scenario.js';

export const SCENARIOS: Scenario[] = [kill9Outbox, kill9Kafka, redisStop, redisFreeze, postgresRestart, kafkaRestart, natsRestart, proxyHang, outcomeUnknown];
