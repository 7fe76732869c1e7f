// How a Kafka record becomes an API call: method header, envelope, publication
// data mode, and every Debezium shape (consumers.md §2.1, §3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaConsumerOptions } from '../../../src/config/consumers.js';
import { loadConfig } from '../../../src/config/load.js';
import { recordAction, type RecordHeaders } from '../../../src/consumers/kafka/record.js';
import { consumersOf, kafkaOptions, problemsOf } from '../../helpers/config.js';

const O = kafkaOptions();
const PDM: KafkaConsumerOptions = { ...O, publication_data_mode: { ...O.publication_data_mode, enabled: true } };
const rec = (value: string | null, headers?: RecordHeaders) => ({ value: value === null ? null : Buffer.from(value), headers });

const REQUEST = '{"channel":"room:1","data":{"text":"hi",  "n":12345678901234567890}}';

describe('Kafka record → API call', () => {
  it('a method header: the value is the bare request, byte for byte', () => {
    assert.deepEqual(recordAction(rec(REQUEST, { 'centrifugo-method': Buffer.from('publish') }), O), { kind: 'command', method: 'publish', text: REQUEST });
  });

  it('an envelope with an object or a JSON-string payload', () => {
    assert.deepEqual(recordAction(rec(`{"method":"publish","payload":${REQUEST}}`), O), { kind: 'command', method: 'publish', text: REQUEST });
    assert.deepEqual(recordAction(rec(JSON.stringify({ method: 'broadcast', payload: REQUEST })), O), { kind: 'command', method: 'broadcast', text: REQUEST });
  });

  it('skips tombstones and empty values', () => {
    assert.equal(recordAction(rec(null), O).kind, 'skip');
    assert.equal(recordAction(rec(''), O).kind, 'skip');
    assert.equal(recordAction(rec('null'), O).kind, 'skip');
  });

  it('refuses what can never work, saying why', () => {
    assert.deepEqual(recordAction(rec('{not json'), O), { kind: 'invalid', reason: 'value is not valid JSON' });
    assert.match((recordAction(rec('[1,2]'), O) as { reason: string }).reason, /JSON object/);
    assert.match((recordAction(rec('{"payload":{}}'), O) as { reason: string }).reason, /no "method"/);
    assert.match((recordAction(rec('{"method":"publish"}'), O) as { reason: string }).reason, /no "payload"/);
    assert.match((recordAction(rec('{"method":"publish","payload":7}'), O) as { reason: string }).reason, /JSON object or a JSON string/);
  });

  describe('Debezium', () => {
    const row = { id: 17, method: 'publish', payload: REQUEST, partition: 3, created_at: 1700000000000 };
    const change = (op: string, after: unknown, before: unknown = null) => ({ before, after, op, source: { table: 'outbox' }, ts_ms: 1 });
    const schema = { type: 'struct', fields: [], optional: false };

    it('the flattened row image (new-record-state extraction), payload as a JSON string or an object', () => {
      assert.deepEqual(recordAction(rec(JSON.stringify(row)), O), { kind: 'command', method: 'publish', text: REQUEST });
      assert.deepEqual(recordAction(rec(`{"id":1,"method":"publish","payload":${REQUEST},"partition":0}`), O), {
        kind: 'command',
        method: 'publish',
        text: REQUEST,
      });
    });

    it('the full change envelope, with or without the JsonConverter schema wrapper', () => {
      for (const op of ['c', 'u']) {
        assert.deepEqual(recordAction(rec(JSON.stringify(change(op, row))), O), { kind: 'command', method: 'publish', text: REQUEST });
        assert.deepEqual(recordAction(rec(JSON.stringify({ schema, payload: change(op, row) })), O), { kind: 'command', method: 'publish', text: REQUEST });
      }
      assert.deepEqual(recordAction(rec(JSON.stringify({ schema, payload: row })), O), { kind: 'command', method: 'publish', text: REQUEST });
    });

    it('the outbox event router value: the payload column, maybe string-encoded', () => {
      const envelope = `{"method":"publish","payload":${REQUEST}}`;
      assert.deepEqual(recordAction(rec(JSON.stringify(envelope)), O), { kind: 'command', method: 'publish', text: REQUEST });
      assert.deepEqual(recordAction(rec(JSON.stringify({ schema: { type: 'string' }, payload: envelope })), O), {
        kind: 'command',
        method: 'publish',
        text: REQUEST,
      });
    });

    it('skips deletes, truncates and (by default) snapshot reads', () => {
      assert.equal(recordAction(rec(JSON.stringify(change('d', null, row))), O).kind, 'skip');
      assert.equal(recordAction(rec(JSON.stringify(change('t', null))), O).kind, 'skip');
      assert.equal(recordAction(rec(JSON.stringify({ ...row, __deleted: 'true' })), O).kind, 'skip');
      assert.deepEqual(recordAction(rec(JSON.stringify(change('r', row))), O), { kind: 'skip', reason: 'debezium snapshot read' });
      assert.deepEqual(recordAction(rec(JSON.stringify(change('r', row))), { ...O, debezium_snapshot_reads: true }), {
        kind: 'command',
        method: 'publish',
        text: REQUEST,
      });
    });
  });

  describe('publication data mode', () => {
    const h = (more: Record<string, string> = {}): RecordHeaders =>
      Object.fromEntries(Object.entries({ 'centrifugo-channels': 'a', ...more }).map(([k, v]) => [k, Buffer.from(v)]));
    const req = (a: { kind: string; text?: string }) => JSON.parse(a.text!);

    it('one channel → publish, several → broadcast (no trimming), data verbatim as base64', () => {
      const one = recordAction(rec('\u00ff raw bytes'), PDM);
      assert.equal(recordAction(rec('x', h()), PDM).kind, 'command');
      assert.equal(one.kind, 'skip', 'no channels header');
      const a = recordAction(
        rec(
          '{"x":1}',
          h({
            'centrifugo-idempotency-key': 'k1',
            'centrifugo-delta': 'true',
            'centrifugo-version': '7',
            'centrifugo-version-epoch': 'e',
            'centrifugo-tag-color': 'red',
          }),
        ),
        PDM,
      );
      assert.deepEqual({ ...a, text: undefined }, { kind: 'command', method: 'publish', text: undefined });
      assert.deepEqual(req(a), {
        channel: 'a',
        b64data: Buffer.from('{"x":1}').toString('base64'),
        idempotency_key: 'k1',
        delta: true,
        version: 7,
        version_epoch: 'e',
        tags: { color: 'red' },
      });
      const b = recordAction(rec('v', h({ 'centrifugo-channels': 'a, b' })), PDM);
      assert.equal((b as { method: string }).method, 'broadcast');
      assert.deepEqual(req(b).channels, ['a', ' b']);
    });

    it('bad delta or version headers can never succeed', () => {
      assert.match((recordAction(rec('v', h({ 'centrifugo-delta': 'yes' })), PDM) as { reason: string }).reason, /not a boolean/);
      assert.match((recordAction(rec('v', h({ 'centrifugo-version': '-1' })), PDM) as { reason: string }).reason, /unsigned integer/);
    });
  });
});

describe('consumers[].kafka config', () => {
  const consumer = (kafka: Record<string, unknown>) => ({ name: 'k1', enabled: true, type: 'kafka', kafka });

  it('applies Centrifugo defaults and names the key of every problem', () => {
    const o = consumersOf([consumer({ brokers: ['127.0.0.1:9092'], topics: ['t'], consumer_group: 'g' })])[0]!.kafka;
    assert.equal(o.max_poll_records, 100);
    assert.equal(o.fetch_max_wait, 500);
    assert.equal(o.method_header, 'centrifugo-method');
    assert.equal(o.publication_data_mode.channels_header, 'centrifugo-channels');

    const bad = problemsOf({ consumers: [consumer({ brokers: 'nope', sasl_mechanism: 'aws-msk-iam', dead_letter_topic: 't', topics: ['t'] })] });
    assert.deepEqual(bad.map((p) => p.key).sort(), [
      'consumers[0].kafka.brokers',
      'consumers[0].kafka.consumer_group',
      'consumers[0].kafka.dead_letter_topic',
      'consumers[0].kafka.sasl_mechanism',
    ]);
  });

  it('reads lists from the environment space-separated, durations in Go syntax', () => {
    const { config } = loadConfig({
      raw: { consumers: [consumer({ consumer_group: 'g' })] },
      env: { TRIBUTARY_CONSUMERS_K1_KAFKA_BROKERS: 'a:1 b:2', TRIBUTARY_CONSUMERS_K1_KAFKA_TOPICS: 't1 t2', TRIBUTARY_CONSUMERS_K1_KAFKA_FETCH_MAX_WAIT: '1s' },
    });
    const o = config.consumers[0]!.kafka;
    assert.deepEqual(o.brokers, ['a:1', 'b:2']);
    assert.deepEqual(o.topics, ['t1', 't2']);
    assert.equal(o.fetch_max_wait, 1000);
  });
});

describe('Kafka record → API call: envelope keys fold case, as Go decodes them', () => {
  it('{"Method", "Payload"} is an envelope too', () => {
    const text = '{"channel":"c","data":{}}';
    assert.deepEqual(recordAction(rec(`{"Method":"publish","PAYLOAD":${text}}`), O), { kind: 'command', method: 'publish', text });
  });
});
