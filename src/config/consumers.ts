// The `consumers` list: Centrifugo v6 option names and defaults for the
// PostgreSQL outbox and Kafka consumers, plus Tributary's own dead-letter and
// Debezium options (consumers.md §2). Type-specific checks run only for
// enabled consumers, as in Centrifugo; a zero means the default for the
// options where Centrifugo re-applies defaults to zero values.

import type { z } from 'zod';
import { bool, duration, int, list, oneOfProblem, section, str, strs, within, type Report } from './fields.js';
import { TLS } from './tls.js';

const q = JSON.stringify;
export const CONSUMER_NAME_PATTERN = '^[a-zA-Z0-9_]{2,}$';
/** Every type Centrifugo v6 knows; `postgresql` and `kafka` are implemented here. */
const CONSUMER_TYPES = ['postgresql', 'kafka', 'nats_jetstream', 'redis_stream', 'google_pub_sub', 'aws_sqs', 'azure_service_bus'];
const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'];

/**
 * Table names are interpolated into SQL (as in Centrifugo), so only plain,
 * optionally schema-qualified identifiers are accepted: no quoting, no injection.
 */
export const SQL_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/;
const PG_URL = /^postgres(ql)?:\/\//;
const PG_URL_PROBLEM = 'must be a postgres:// or postgresql:// URL';
const tableProblem = (name: string) => `${q(name)} must be a plain table name, optionally schema-qualified (letters, digits, _)`;
const zero = { orDefault: 'zero' } as const;
const positive = { orDefault: 'nonPositive' } as const;

const POSTGRESQL = section(
  'The PostgreSQL outbox consumer.',
  {
    dsn: str('', 'postgres:// URL of the database holding the outbox table.'),
    outbox_table_name: str('', 'The outbox table (optionally schema-qualified).'),
    num_partitions: int(1, 'Partitions of the table; rows of one partition are published in id order.', zero),
    partition_select_limit: int(100, 'Rows read per partition per query.', zero),
    partition_poll_interval: duration('300ms', 'How often a partition is polled when no NOTIFY wakes it.', zero),
    partition_notification_channel: str('', 'The NOTIFY channel that wakes the consumer; "" polls only.'),
    partition_notification_dsn: str('', 'A direct connection for LISTEN when dsn goes through a pooler.'),
    tls: TLS,
    use_try_lock: bool(false, 'Skip a partition another node holds instead of waiting for its lock.'),
    max_attempts: int(16, "Tributary's own: attempts of a row failing with a retryable error before it is dead-lettered; -1 retries forever.", zero),
    dead_letter_table_name: str('', "Tributary's own: where failed rows go; default <outbox_table_name>_dead_letter."),
  },
  {
    make: (o) => ({
      ...o,
      dead_letter_table_name: o.dead_letter_table_name || (SQL_TABLE_NAME.test(o.outbox_table_name) ? `${o.outbox_table_name}_dead_letter` : ''),
    }),
  },
);
export type PostgresConsumerOptions = z.output<typeof POSTGRESQL>;

const header = (name: string, def: string) => str(def, `Header that carries the ${name}.`, zero);

const KAFKA = section('The Kafka consumer.', {
  brokers: strs('Kafka brokers, host:port.'),
  topics: strs('Topics to consume.'),
  consumer_group: str('', 'Consumer group of the Tributary nodes.'),
  max_poll_records: int(100, 'Records per fetch; also how many resolved offsets may wait before a commit.', zero),
  fetch_max_bytes: int(0, 'Most bytes per fetch; 0 is the client default.'),
  fetch_max_wait: duration('500ms', 'How long the broker may wait to fill a fetch.', positive),
  fetch_read_uncommitted: bool(false, 'Read records of transactions that have not committed.'),
  partition_queue_max_size: int(1000, 'Accepted for compatibility: the client holds at most one fetched batch per partition.', {
    ...zero,
    ignored: 'not used: the Kafka client holds at most one fetched batch (max_poll_records) per partition, so it needs no queue bound',
  }),
  dial_timeout: duration('3s', 'Connect timeout.', positive),
  tls: TLS,
  sasl_mechanism: str('', 'SASL: "plain", "scram-sha-256" or "scram-sha-512".'),
  sasl_user: str('', 'SASL user.'),
  sasl_password: str('', 'SASL password.'),
  assume_role_arn: str('', 'Needs aws-msk-iam, which is not supported.'),
  instance_id: str('', 'Static group membership; not supported.', {
    ignored: 'static group membership is not supported by the Kafka client; the consumer joins dynamically',
  }),
  method_header: str('centrifugo-method', 'Header naming the API method of a record whose value is the bare request.', zero),
  publication_data_mode: section('The record value is publication data; headers say where it goes.', {
    enabled: bool(false, 'Turn publication data mode on.'),
    channels_header: header('channels (comma-separated)', 'centrifugo-channels'),
    idempotency_key_header: header('idempotency key', 'centrifugo-idempotency-key'),
    delta_header: header('delta flag', 'centrifugo-delta'),
    version_header: header('version', 'centrifugo-version'),
    version_epoch_header: header('version epoch', 'centrifugo-version-epoch'),
    tags_header_prefix: header('tags (one header per tag, after this prefix)', 'centrifugo-tag-'),
  }),
  dead_letter_topic: str('', "Tributary's own: where records that can never succeed go; '' logs and skips them."),
  debezium_snapshot_reads: bool(false, 'Tributary\'s own: publish Debezium snapshot reads (op "r").'),
  session_timeout: duration('30s', "Tributary's own: how long the group waits for a silent member before moving its partitions.", positive),
});
export type KafkaConsumerOptions = z.output<typeof KAFKA>;
export type PublicationDataModeOptions = KafkaConsumerOptions['publication_data_mode'];

function checkPostgres(o: PostgresConsumerOptions, report: Report): void {
  if (o.dsn === '') report('dsn', 'no Postgres DSN provided');
  else if (!PG_URL.test(o.dsn)) report('dsn', PG_URL_PROBLEM);
  const notify = o.partition_notification_dsn;
  if (notify !== '' && !PG_URL.test(notify)) report('partition_notification_dsn', PG_URL_PROBLEM);
  if (o.outbox_table_name === '') report('outbox_table_name', 'no Postgres outbox table name provided');
  else if (!SQL_TABLE_NAME.test(o.outbox_table_name)) report('outbox_table_name', tableProblem(o.outbox_table_name));
  const deadLetter = o.dead_letter_table_name;
  if (deadLetter !== '' && !SQL_TABLE_NAME.test(deadLetter)) report('dead_letter_table_name', tableProblem(deadLetter));
  if (o.num_partitions < 1 || o.num_partitions > 1024) report('num_partitions', `${o.num_partitions} must be between 1 and 1024`);
  if (o.partition_select_limit < 1) report('partition_select_limit', `${o.partition_select_limit} must be positive`);
  if (o.partition_poll_interval < 0) report('partition_poll_interval', 'must not be negative');
  if (o.max_attempts < -1) report('max_attempts', `${o.max_attempts} must be a positive number of attempts, or -1 to retry forever`);
  if (o.partition_notification_channel.length > 63) report('partition_notification_channel', 'must be at most 63 bytes (a PostgreSQL identifier)');
}

function checkKafka(o: KafkaConsumerOptions, report: Report): void {
  if (o.brokers.length === 0) report('brokers', 'no Kafka brokers provided');
  for (const b of o.brokers) if (!/^[^\s:]+:\d{1,5}$/.test(b)) report('brokers', `${q(b)} must be host:port`);
  if (o.topics.length === 0) report('topics', 'no Kafka topics provided');
  if (o.consumer_group === '') report('consumer_group', 'no Kafka consumer group provided');
  if (o.max_poll_records < 1) report('max_poll_records', `${o.max_poll_records} must be positive`);
  if (o.fetch_max_bytes < 0) report('fetch_max_bytes', 'must not be negative');
  if (o.partition_queue_max_size < -1) report('partition_queue_max_size', 'must be -1 or positive');
  if (o.sasl_mechanism !== '' && !SASL_MECHANISMS.includes(o.sasl_mechanism)) {
    const known = SASL_MECHANISMS.map((m) => q(m)).join(', ');
    report('sasl_mechanism', `unsupported SASL mechanism ${q(o.sasl_mechanism)} (one of ${known}; aws-msk-iam is not supported)`);
  }
  if (o.assume_role_arn !== '') report('assume_role_arn', 'assume_role_arn requires sasl_mechanism aws-msk-iam, which Tributary does not support');
  if (o.dead_letter_topic !== '' && o.topics.includes(o.dead_letter_topic)) report('dead_letter_topic', 'must not be one of the consumed topics');
}

const CONSUMER = section(
  '',
  {
    name: str('', `Unique name, ${CONSUMER_NAME_PATTERN}; per-consumer environment variables use it.`, {
      check: (n) => (new RegExp(CONSUMER_NAME_PATTERN).test(n) ? undefined : `${q(n)} must match ${CONSUMER_NAME_PATTERN}`),
    }),
    enabled: bool(false, 'Run this consumer.'),
    type: str('', 'postgresql or kafka.'),
    postgresql: POSTGRESQL,
    kafka: KAFKA,
  },
  {
    item: true,
    unsupported: Object.fromEntries(CONSUMER_TYPES.slice(2).map((t) => [t, 'silent' as const])),
    check(c, report) {
      if (!c.enabled) return;
      if (!CONSUMER_TYPES.includes(c.type)) report('type', oneOfProblem(c.type, CONSUMER_TYPES));
      else if (c.type === 'postgresql') checkPostgres(c.postgresql, within(report, 'postgresql'));
      else if (c.type === 'kafka') checkKafka(c.kafka, within(report, 'kafka'));
      else report('type', `consumer type ${q(c.type)} is not supported by Tributary yet (only "postgresql" and "kafka")`);
    },
  },
);
export type ConsumerConfig = z.output<typeof CONSUMER>;

export const CONSUMERS = list('Consumers that publish what the outbox table or Kafka topics carry.', CONSUMER, {
  named: true,
  check(consumers, report) {
    const seen = new Set<string>();
    consumers.forEach((c, i) => {
      if (seen.has(c.name)) report([i, 'name'], `${q(c.name)} must be unique`);
      seen.add(c.name);
    });
  },
});
