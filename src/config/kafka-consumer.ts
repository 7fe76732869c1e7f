// The `consumers[].kafka` block: Centrifugo v6's option names and defaults
// (consumers.md §2.2), plus Tributary's own dead-letter topic and Debezium
// snapshot switch.

import { defaultTlsOptions, isObject, q, readBlock, TLS_KINDS, type BlockReport, type Obj, type TlsOptions } from './raw-blocks.js';
import type { LeafKind } from './schema.js';

export interface PublicationDataModeOptions {
  enabled: boolean;
  channels_header: string;
  idempotency_key_header: string;
  delta_header: string;
  version_header: string;
  version_epoch_header: string;
  tags_header_prefix: string;
}

export interface KafkaConsumerOptions {
  brokers: string[];
  topics: string[];
  consumer_group: string;
  /** Also how many resolved offsets may pile up before they are committed. */
  max_poll_records: number;
  fetch_max_bytes: number;
  /** ms */
  fetch_max_wait: number;
  fetch_read_uncommitted: boolean;
  /**
   * Accepted for compatibility. The client holds at most one fetched batch per
   * partition (at most 1 MB), and a partition waiting for a retry is paused, so
   * what a partition buffers is bounded without a queue of our own.
   */
  partition_queue_max_size: number;
  /** ms */
  dial_timeout: number;
  tls: TlsOptions;
  sasl_mechanism: string;
  sasl_user: string;
  sasl_password: string;
  instance_id: string;
  method_header: string;
  publication_data_mode: PublicationDataModeOptions;
  /**
   * Tributary's own: where a record that can never succeed goes (the original
   * key, value and headers plus the error); '' logs and skips it, as Centrifugo does.
   */
  dead_letter_topic: string;
  /** Tributary's own: whether Debezium snapshot reads (op "r") are published; default no. */
  debezium_snapshot_reads: boolean;
  /**
   * Tributary's own (ms): how long the group waits for a silent member (a killed
   * process) before giving its partitions to others.
   */
  session_timeout: number;
}

export function defaultKafkaOptions(): KafkaConsumerOptions {
  return {
    brokers: [],
    topics: [],
    consumer_group: '',
    max_poll_records: 100,
    fetch_max_bytes: 0,
    fetch_max_wait: 500,
    fetch_read_uncommitted: false,
    partition_queue_max_size: 1000,
    dial_timeout: 3000,
    tls: defaultTlsOptions(),
    sasl_mechanism: '',
    sasl_user: '',
    sasl_password: '',
    instance_id: '',
    method_header: 'centrifugo-method',
    publication_data_mode: {
      enabled: false,
      channels_header: 'centrifugo-channels',
      idempotency_key_header: 'centrifugo-idempotency-key',
      delta_header: 'centrifugo-delta',
      version_header: 'centrifugo-version',
      version_epoch_header: 'centrifugo-version-epoch',
      tags_header_prefix: 'centrifugo-tag-',
    },
    dead_letter_topic: '',
    debezium_snapshot_reads: false,
    session_timeout: 30_000,
  };
}

const KINDS: Record<string, LeafKind> = {
  brokers: 'strings',
  topics: 'strings',
  consumer_group: 'string',
  max_poll_records: 'int',
  fetch_max_bytes: 'int',
  fetch_max_wait: 'duration',
  fetch_read_uncommitted: 'bool',
  partition_queue_max_size: 'int',
  dial_timeout: 'duration',
  sasl_mechanism: 'string',
  sasl_user: 'string',
  sasl_password: 'string',
  assume_role_arn: 'string',
  instance_id: 'string',
  method_header: 'string',
  dead_letter_topic: 'string',
  debezium_snapshot_reads: 'bool',
  session_timeout: 'duration',
};
const PDM_KINDS: Record<string, LeafKind> = {
  enabled: 'bool',
  channels_header: 'string',
  idempotency_key_header: 'string',
  delta_header: 'string',
  version_header: 'string',
  version_epoch_header: 'string',
  tags_header_prefix: 'string',
};
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'];

/** Parses one enabled consumer's `kafka` block; problems name their keys. */
export function parseKafka(raw: unknown, path: string, out: BlockReport): KafkaConsumerOptions | undefined {
  const before = out.problems.length;
  const report = (key: string, reason: string) => out.problems.push({ key: `${path}.${key}`, reason });
  if (raw !== undefined && raw !== null && !isObject(raw)) {
    out.problems.push({ key: path, reason: 'must be an object' });
    return undefined;
  }
  const block: Obj = isObject(raw) ? raw : {};
  const o = defaultKafkaOptions() as unknown as Obj & KafkaConsumerOptions;
  readBlock(o, block, KINDS, path, out, ['tls', 'publication_data_mode']);
  for (const [key, kinds, target] of [
    ['tls', TLS_KINDS, o.tls],
    ['publication_data_mode', PDM_KINDS, o.publication_data_mode],
  ] as const) {
    const sub = block[key];
    if (sub === undefined || sub === null) continue;
    if (isObject(sub)) readBlock(target as unknown as Obj, sub, kinds, `${path}.${key}`, out, []);
    else report(key, 'must be an object');
  }
  if (out.problems.length > before) return undefined;

  // Zero or empty means the default, as Centrifugo's defaults apply to zero values.
  const d = defaultKafkaOptions();
  if (o.max_poll_records === 0) o.max_poll_records = d.max_poll_records;
  if (o.fetch_max_wait <= 0) o.fetch_max_wait = d.fetch_max_wait;
  if (o.partition_queue_max_size === 0) o.partition_queue_max_size = d.partition_queue_max_size;
  if (o.dial_timeout <= 0) o.dial_timeout = d.dial_timeout;
  if (o.session_timeout <= 0) o.session_timeout = d.session_timeout;
  if (o.method_header === '') o.method_header = d.method_header;
  const pdm = o.publication_data_mode;
  for (const k of Object.keys(PDM_KINDS) as Array<keyof PublicationDataModeOptions>) {
    if (k !== 'enabled' && pdm[k] === '') (pdm as unknown as Obj)[k] = d.publication_data_mode[k];
  }

  if (o.brokers.length === 0) report('brokers', 'no Kafka brokers provided');
  for (const b of o.brokers) if (!/^[^\s:]+:\d{1,5}$/.test(b)) report('brokers', `${q(b)} must be host:port`);
  if (o.topics.length === 0) report('topics', 'no Kafka topics provided');
  if (o.consumer_group === '') report('consumer_group', 'no Kafka consumer group provided');
  if (o.max_poll_records < 1) report('max_poll_records', `${o.max_poll_records} must be positive`);
  if (o.fetch_max_bytes < 0) report('fetch_max_bytes', 'must not be negative');
  if (o.partition_queue_max_size < -1) report('partition_queue_max_size', 'must be -1 or positive');
  if (o.sasl_mechanism !== '' && !SASL_MECHANISMS.includes(o.sasl_mechanism)) {
    report('sasl_mechanism', `unsupported SASL mechanism ${q(o.sasl_mechanism)} (one of ${SASL_MECHANISMS.map(q).join(', ')}; aws-msk-iam is not supported)`);
  }
  if ((block['assume_role_arn'] ?? '') !== '') report('assume_role_arn', 'assume_role_arn requires sasl_mechanism aws-msk-iam, which Tributary does not support');
  if (o.instance_id !== '') out.warnings.push(`${path}.instance_id: static group membership is not supported by the Kafka client; the consumer joins dynamically`);
  if (o.tls.enabled && (o.tls.cert_pem === '') !== (o.tls.key_pem === '')) report('tls', 'cert_pem and key_pem must be set together');
  if (o.dead_letter_topic !== '' && o.topics.includes(o.dead_letter_topic)) report('dead_letter_topic', 'must not be one of the consumed topics');
  delete (o as Obj)['assume_role_arn'];
  return out.problems.length > before ? undefined : o;
}
