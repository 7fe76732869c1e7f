// kafkajs client settings from a consumer's options: brokers, TLS, SASL,
// timeouts, and its log lines bridged into ours.

import { logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaConsumerOptions } from '../../config/consumers.js';
import type { Logger } from '../../log.js';
import { tlsConnectionOptions } from '../../util/tls.js';

function sasl(o: KafkaConsumerOptions): SASLOptions | undefined {
  const username = o.sasl_user;
  const password = o.sasl_password;
  switch (o.sasl_mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
    default:
      return undefined;
  }
}

/** kafkajs' words for a topic the brokers do not have (yet). */
export const MISSING_TOPIC = /UNKNOWN_TOPIC|does not host this topic|topic.*not.*exist/i;

/**
 * kafkajs logs through our logger; its INFO chatter (joins, commits) goes to
 * debug, and so do its errors about a topic that does not exist yet: the
 * consumer says that once itself, instead of once per retry.
 */
function logCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...fields } = entry;
      const msg = `kafka: ${message}`;
      const missingTopic = MISSING_TOPIC.test(String(fields.error ?? '')) || MISSING_TOPIC.test(message);
      if (missingTopic) log.debug(fields, msg);
      else if (level === logLevel.ERROR) log.error(fields, msg);
      else if (level === logLevel.WARN) log.warn(fields, msg);
      else log.debug(fields, msg);
    };
}

export function kafkaClientConfig(o: KafkaConsumerOptions, log: Logger, clientId: string): KafkaConfig {
  const config: KafkaConfig = {
    clientId,
    brokers: o.brokers,
    connectionTimeout: o.dial_timeout,
    requestTimeout: 30_000,
    logLevel: log.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator: logCreator(log),
    // Reconnects are ours to pace (the consumer restarts itself); keep kafkajs' own short.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 5000 },
  };
  if (o.tls.enabled) config.ssl = tlsConnectionOptions(o.tls);
  const s = sasl(o);
  if (s) config.sasl = s;
  return config;
}
