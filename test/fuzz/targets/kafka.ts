// Kafka records, as the consumer hands them to recordAction and then to
// consumeCommand: a JSON envelope value, Debezium's shapes (the change
// envelope, the JsonConverter's schema wrapper, the flattened row, the outbox
// event router's string), a value behind a method header, and the headers of
// publication data mode. Neither step may throw: a record that can never
// work is `invalid` (dead-lettered), not an exception.

import type { KafkaConsumerOptions } from '../../../src/config/consumers.js';
import { recordAction, type KafkaRecord, type RecordHeaders } from '../../../src/consumers/kafka/record.js';
import { kafkaOptions } from '../../helpers/config.js';
import { check, jsonSeed, seed, type FuzzCase, type FuzzTarget } from '../target.js';
import { consume } from './consumer-shape.js';

const OPTIONS: Record<string, KafkaConsumerOptions> = {
  envelope: kafkaOptions(),
  snapshots: kafkaOptions({ debezium_snapshot_reads: true }),
  'method-header': kafkaOptions(),
  'publication-data': kafkaOptions({ publication_data_mode: { enabled: true } }),
};

async function runRecord(variant: string, record: KafkaRecord): Promise<void> {
  const o = OPTIONS[variant] ?? OPTIONS.envelope!;
  const action = recordAction(record, o);
  check(['command', 'skip', 'invalid'].includes(action.kind), `action ${action.kind}`);
  if (action.kind === 'command') await consume(action.method, action.text, 'kafka:t:0:1');
}

const REQUEST = { channel: 'chat:1', data: { text: 'hi', n: 2 ** 60 } };

export const kafkaRecord: FuzzTarget = {
  name: 'kafka-record',
  description: 'Kafka record values: envelopes and method-header requests (recordAction + consumeCommand)',
  format: 'json',
  variants: ['envelope', 'method-header'],
  seeds: [
    jsonSeed({ method: 'publish', payload: REQUEST }, 'envelope'),
    jsonSeed({ method: 'broadcast', payload: JSON.stringify({ channels: ['a', 'b'], data: 1 }) }, 'envelope'),
    jsonSeed({ Method: 'disconnect', PAYLOAD: { user: 'u' } }, 'envelope'),
    jsonSeed(REQUEST, 'method-header'),
    jsonSeed({ channels: ['a'], data: null, idempotency_key: 'k' }, 'method-header'),
  ],
  run: ({ variant, data }) =>
    runRecord(variant, { value: data, headers: variant === 'method-header' ? { 'centrifugo-method': Buffer.from('publish') } : undefined }),
  expected: () => false,
};

const row = { id: 17, method: 'publish', payload: JSON.stringify(REQUEST), partition: 3, created_at: 1700000000000 };
const change = (op: string, after: unknown, before: unknown = null) => ({ before, after, op, source: { table: 'outbox', db: 'app' }, ts_ms: 1 });
const schema = { type: 'struct', fields: [{ type: 'int64', field: 'id' }], optional: false };

export const debezium: FuzzTarget = {
  name: 'debezium',
  description: 'Debezium values: change envelope, schema wrapper, flattened row, outbox router (recordAction + consumeCommand)',
  format: 'json',
  variants: ['envelope', 'snapshots'],
  seeds: [
    jsonSeed(change('c', row), 'envelope'),
    jsonSeed(change('u', { ...row, payload: REQUEST }), 'envelope'),
    jsonSeed(change('r', row), 'snapshots'),
    jsonSeed(change('d', null, row), 'envelope'),
    jsonSeed({ schema, payload: change('c', row) }, 'envelope'),
    jsonSeed({ schema, payload: row }, 'envelope'),
    jsonSeed({ ...row, __deleted: 'false', __op: 'c' }, 'envelope'),
    jsonSeed(JSON.stringify({ method: 'publish', payload: REQUEST }), 'envelope'),
    jsonSeed({ schema: { type: 'string' }, payload: JSON.stringify({ method: 'publish', payload: REQUEST }) }, 'envelope'),
  ],
  run: ({ variant, data }) => runRecord(variant, { value: data }),
  expected: () => false,
};

/** Headers as Kafka hands them over: bytes, or lists of bytes. Any other JSON becomes its text's bytes. */
function headersOf(v: unknown): RecordHeaders {
  const out: RecordHeaders = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [name, value] of Object.entries(v)) {
    // Kafka header values are bytes; a mutation that made one a number or an object sends its text (containers as one word).
    const bytes = (x: unknown) => Buffer.from(typeof x === 'string' ? x : typeof x === 'object' && x !== null ? '[container]' : String(x));
    Object.defineProperty(out, name, { value: Array.isArray(value) ? value.map(bytes) : bytes(value), enumerable: true });
  }
  return out;
}

const headers = (h: Record<string, string>): FuzzCase => jsonSeed(h);

export const kafkaHeaders: FuzzTarget = {
  name: 'kafka-headers',
  description: 'Kafka record headers of publication data mode and the method header (recordAction + consumeCommand)',
  format: 'json',
  seeds: [
    headers({
      'centrifugo-channels': 'chat:1',
      'centrifugo-idempotency-key': 'k1',
      'centrifugo-delta': 'true',
      'centrifugo-version': '7',
      'centrifugo-version-epoch': 'e',
      'centrifugo-tag-color': 'red',
    }),
    headers({ 'centrifugo-channels': 'a,chat:b, c', 'centrifugo-delta': 'F' }),
    headers({ 'centrifugo-method': 'publish' }),
    seed('{"centrifugo-method":["broadcast","publish"]}'),
  ],
  async run({ data }) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch {
      return; // headers that are not JSON are not headers: nothing to send
    }
    const h = headersOf(parsed);
    const mode = 'centrifugo-method' in h ? 'method-header' : 'publication-data';
    await runRecord(mode, { value: Buffer.from(JSON.stringify(REQUEST)), headers: h });
  },
  expected: () => false,
};
