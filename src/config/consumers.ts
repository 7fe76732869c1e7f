// Typed reading of the `consumers` list. The loader keeps that list raw (its
// items are named objects with type-specific blocks, overridable per item from
// the environment); this module turns it into typed consumer configs with
// Centrifugo v6's option names and defaults, and names the key of every
// problem. Type-specific checks run only for enabled consumers, as in
// Centrifugo.

import { coerceLeaf } from './coerce.js';
import { parseKafka, type KafkaConsumerOptions } from './kafka-consumer.js';
import { defaultTlsOptions, isObject, q, readBlock, TLS_KINDS, type Obj, type ParsedConsumers, type TlsOptions } from './raw-blocks.js';
import type { LeafKind } from './schema.js';

export const CONSUMER_NAME_PATTERN = '^[a-zA-Z0-9_]{2,}$';
const CONSUMER_NAME = new RegExp(CONSUMER_NAME_PATTERN);

/** Every type Centrifugo v6 knows; `postgresql` and `kafka` are implemented here. */
export const CONSUMER_TYPES = ['postgresql', 'kafka', 'nats_jetstream', 'redis_stream', 'google_pub_sub', 'aws_sqs', 'azure_service_bus'];
const IMPLEMENTED_TYPES = new Set(['postgresql', 'kafka']);

/**
 * Table names are interpolated into SQL (as in Centrifugo), so only plain,
 * optionally schema-qualified identifiers are accepted: no quoting, no injection.
 */
export const SQL_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/;

export interface PostgresConsumerOptions {
  dsn: string;
  outbox_table_name: string;
  num_partitions: number;
  partition_select_limit: number;
  /** ms */
  partition_poll_interval: number;
  partition_notification_channel: string;
  partition_notification_dsn: string;
  tls: TlsOptions;
  use_try_lock: boolean;
  /**
   * Tributary's own: dispatch attempts of a row failing with a retryable error
   * before it moves to the dead-letter table; -1 retries forever (Centrifugo's
   * behaviour). 0 in a file means the default, as for Centrifugo's numbers.
   */
  max_attempts: number;
  /** Tributary's own: where failed rows go; default `<outbox_table_name>_dead_letter`. */
  dead_letter_table_name: string;
}

export interface ConsumerConfig {
  name: string;
  enabled: boolean;
  type: string;
  /** Present for enabled `postgresql` consumers that parsed without problems. */
  postgresql?: PostgresConsumerOptions;
  /** Present for enabled `kafka` consumers that parsed without problems. */
  kafka?: KafkaConsumerOptions;
}

export const DEFAULT_MAX_ATTEMPTS = 16;

export function defaultPostgresOptions(): PostgresConsumerOptions {
  return {
    dsn: '',
    outbox_table_name: '',
    num_partitions: 1,
    partition_select_limit: 100,
    partition_poll_interval: 300,
    partition_notification_channel: '',
    partition_notification_dsn: '',
    tls: defaultTlsOptions(),
    use_try_lock: false,
    max_attempts: DEFAULT_MAX_ATTEMPTS,
    dead_letter_table_name: '',
  };
}

const POSTGRES_KINDS: Record<string, LeafKind> = {
  dsn: 'string',
  outbox_table_name: 'string',
  num_partitions: 'int',
  partition_select_limit: 'int',
  partition_poll_interval: 'duration',
  partition_notification_channel: 'string',
  partition_notification_dsn: 'string',
  use_try_lock: 'bool',
  max_attempts: 'int',
  dead_letter_table_name: 'string',
};
export { defaultTlsOptions, type ParsedConsumers, type TlsOptions } from './raw-blocks.js';

// Centrifugo's options for the other consumer types live in their own blocks; an
// enabled consumer of those types is refused before its block is read.
const ENVELOPE_KEYS = new Set(['name', 'enabled', 'type', ...CONSUMER_TYPES]);



function parsePostgres(raw: unknown, path: string, out: ParsedConsumers): PostgresConsumerOptions | undefined {
  const problemsBefore = out.problems.length;
  const report = (key: string, reason: string) => out.problems.push({ key: `${path}.${key}`, reason });
  if (raw === undefined || raw === null) {
    report('dsn', 'no Postgres DSN provided');
    report('outbox_table_name', 'no Postgres outbox table name provided');
    return undefined;
  }
  if (!isObject(raw)) {
    out.problems.push({ key: path, reason: 'must be an object' });
    return undefined;
  }
  const o = defaultPostgresOptions();
  readBlock(o as unknown as Obj, raw, POSTGRES_KINDS, path, out);
  const tls = raw['tls'];
  if (tls !== undefined && tls !== null) {
    if (isObject(tls)) readBlock(o.tls as unknown as Obj, tls, TLS_KINDS, `${path}.tls`, out);
    else report('tls', 'must be an object');
  }
  if (out.problems.length > problemsBefore) return undefined;

  // Zero means "the default" for these, as Centrifugo's constructor re-applies defaults.
  const d = defaultPostgresOptions();
  if (o.num_partitions === 0) o.num_partitions = d.num_partitions;
  if (o.partition_select_limit === 0) o.partition_select_limit = d.partition_select_limit;
  if (o.partition_poll_interval === 0) o.partition_poll_interval = d.partition_poll_interval;
  if (o.max_attempts === 0) o.max_attempts = d.max_attempts;

  if (o.dsn === '') report('dsn', 'no Postgres DSN provided');
  else if (!/^postgres(ql)?:\/\//.test(o.dsn)) report('dsn', 'must be a postgres:// or postgresql:// URL');
  if (o.partition_notification_dsn !== '' && !/^postgres(ql)?:\/\//.test(o.partition_notification_dsn)) {
    report('partition_notification_dsn', 'must be a postgres:// or postgresql:// URL');
  }
  if (o.outbox_table_name === '') report('outbox_table_name', 'no Postgres outbox table name provided');
  else if (!SQL_TABLE_NAME.test(o.outbox_table_name)) {
    report('outbox_table_name', `${q(o.outbox_table_name)} must be a plain table name, optionally schema-qualified (letters, digits, _)`);
  }
  if (o.dead_letter_table_name === '' && SQL_TABLE_NAME.test(o.outbox_table_name)) {
    o.dead_letter_table_name = `${o.outbox_table_name}_dead_letter`;
  }
  if (o.dead_letter_table_name !== '' && !SQL_TABLE_NAME.test(o.dead_letter_table_name)) {
    report('dead_letter_table_name', `${q(o.dead_letter_table_name)} must be a plain table name, optionally schema-qualified (letters, digits, _)`);
  }
  if (o.num_partitions < 1 || o.num_partitions > 1024) report('num_partitions', `${o.num_partitions} must be between 1 and 1024`);
  if (o.partition_select_limit < 1) report('partition_select_limit', `${o.partition_select_limit} must be positive`);
  if (o.partition_poll_interval < 0) report('partition_poll_interval', 'must not be negative');
  if (o.max_attempts < -1) report('max_attempts', `${o.max_attempts} must be a positive number of attempts, or -1 to retry forever`);
  if (o.partition_notification_channel.length > 63) {
    report('partition_notification_channel', 'must be at most 63 bytes (a PostgreSQL identifier)');
  }
  if (o.tls.enabled && (o.tls.cert_pem === '') !== (o.tls.key_pem === '')) {
    report('tls', 'cert_pem and key_pem must be set together');
  }
  return out.problems.length > problemsBefore ? undefined : o;
}

/** Parses and checks `consumers` (the raw list from the loader). Never throws. */
export function parseConsumers(list: unknown[]): ParsedConsumers {
  const out: ParsedConsumers = { consumers: [], problems: [], warnings: [] };
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const path = `consumers[${i}]`;
    if (!isObject(item)) {
      out.problems.push({ key: path, reason: 'must be an object' });
      return;
    }
    const name = item['name'];
    let nameOk = false;
    if (typeof name !== 'string' || !CONSUMER_NAME.test(name)) {
      out.problems.push({ key: `${path}.name`, reason: `${q(name ?? '')} must match ${CONSUMER_NAME_PATTERN}` });
    } else if (seen.has(name)) {
      out.problems.push({ key: `${path}.name`, reason: `${q(name)} must be unique` });
    } else {
      seen.add(name);
      nameOk = true;
    }
    let enabled = false;
    if (item['enabled'] !== undefined && item['enabled'] !== null) {
      try {
        enabled = coerceLeaf('bool', item['enabled'], 'file') as boolean;
      } catch (err) {
        out.problems.push({ key: `${path}.enabled`, reason: (err as Error).message });
      }
    }
    const type = typeof item['type'] === 'string' ? item['type'] : '';
    for (const key of Object.keys(item)) {
      if (!ENVELOPE_KEYS.has(key)) out.warnings.push(`unknown config key ${path}.${key}`);
    }
    if (!enabled) {
      if (nameOk) out.consumers.push({ name: name as string, enabled: false, type });
      return;
    }
    if (!CONSUMER_TYPES.includes(type)) {
      out.problems.push({ key: `${path}.type`, reason: `${q(item['type'] ?? '')} must be one of ${CONSUMER_TYPES.map(q).join(', ')}` });
      return;
    }
    if (!IMPLEMENTED_TYPES.has(type)) {
      out.problems.push({ key: `${path}.type`, reason: `consumer type ${q(type)} is not supported by Tributary yet (only "postgresql" and "kafka")` });
      return;
    }
    if (type === 'kafka') {
      const kafka = parseKafka(item['kafka'], `${path}.kafka`, out);
      if (nameOk && kafka) out.consumers.push({ name: name as string, enabled: true, type, kafka });
      return;
    }
    const postgresql = parsePostgres(item['postgresql'], `${path}.postgresql`, out);
    if (nameOk && postgresql) out.consumers.push({ name: name as string, enabled: true, type, postgresql });
  });
  return out;
}
