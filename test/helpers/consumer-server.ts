// A Tributary server in this process with the given consumers, for the
// consumer tests (outbox, Kafka): the first consumer is handed out typed.

import type { Config } from '../../src/config/schema.js';
import type { Consumer } from '../../src/consumers/consumer.js';
import type { Broker } from '../../src/engines/broker.js';
import type { PresenceManager } from '../../src/engines/presence-manager.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Server } from '../../src/server.js';
import { testConfig } from './server.js';

/** Channel options for consumer tests: anyone may subscribe, long history. */
export const CONSUMER_TEST_CHANNELS = {
  without_namespace: { allow_subscribe_for_client: true, history_size: 100_000, history_ttl: 600_000 },
};

export interface ConsumerServer<C extends Consumer> {
  server: Server;
  consumer: C;
  wsUrl: string;
  httpUrl: string;
  stop(): Promise<void>;
}

/** A broker or presence manager to use instead of the config's, and config overrides. */
export interface ConsumerServerOptions {
  broker?: Broker;
  presenceManager?: PresenceManager;
  config?: Partial<Config>;
}

export async function startConsumerServer<C extends Consumer>(
  consumers: Record<string, unknown>[],
  opts: ConsumerServerOptions = {},
): Promise<ConsumerServer<C>> {
  const config = testConfig({ channel: CONSUMER_TEST_CHANNELS as never, consumers, ...(opts.config as object) });
  const server = new Server(config, {
    logger: silentLogger(),
    metrics: new Metrics({ defaultMetrics: false }),
    broker: opts.broker,
    presenceManager: opts.presenceManager,
  });
  await server.start();
  const httpUrl = `http://127.0.0.1:${server.port}`;
  return {
    server,
    consumer: server.consumers[0] as C,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${server.port}/connection/websocket`,
    stop: () => server.stop(),
  };
}
