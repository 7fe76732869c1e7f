import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig } from '../../../src/config/load.js';

/** The consumers list loaded from a file's content: the typed consumers, or the problems; and the warnings. */
function parseConsumers(list: unknown[]) {
  try {
    const { config, warnings } = loadConfig({ raw: { consumers: list }, env: {} });
    return { consumers: config.consumers, problems: [], warnings };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { consumers: [], problems: err.problems, warnings: [] };
  }
}

const pg = (postgresql: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'outbox',
  enabled: true,
  type: 'postgresql',
  postgresql: { dsn: 'postgres://u@db:5432/app', outbox_table_name: 'outbox', ...postgresql },
  ...extra,
});

describe('parseConsumers: postgresql', () => {
  it("applies Centrifugo's defaults, plus ours", () => {
    const r = parseConsumers([pg({})]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual([r.consumers[0]!.name, r.consumers[0]!.enabled, r.consumers[0]!.type], ['outbox', true, 'postgresql']);
    assert.deepEqual(r.consumers[0]!.postgresql, {
      dsn: 'postgres://u@db:5432/app',
      outbox_table_name: 'outbox',
      num_partitions: 1,
      partition_select_limit: 100,
      partition_poll_interval: 300,
      partition_notification_channel: '',
      partition_notification_dsn: '',
      tls: {
        enabled: false,
        cert_pem: '',
        key_pem: '',
        server_ca_pem: '',
        client_ca_pem: '',
        insecure_skip_verify: false,
        server_name: '',
      },
      use_try_lock: false,
      max_attempts: 16,
      dead_letter_table_name: 'outbox_dead_letter',
    });
  });

  it('reads every option, weakly typed as a file is, and treats zero as the default', () => {
    const r = parseConsumers([
      pg({
        num_partitions: '8',
        partition_select_limit: 0,
        partition_poll_interval: '2s',
        partition_notification_channel: 'Wake',
        partition_notification_dsn: 'postgresql://direct/app',
        use_try_lock: 'true',
        max_attempts: -1,
        dead_letter_table_name: 'ops.dead',
        outbox_table_name: 'app.outbox',
        tls: { enabled: true, insecure_skip_verify: true, server_name: 'db.internal' },
      }),
    ]);
    assert.deepEqual(r.problems, []);
    const o = r.consumers[0]!.postgresql;
    assert.equal(o.num_partitions, 8);
    assert.equal(o.partition_select_limit, 100);
    assert.equal(o.partition_poll_interval, 2000);
    assert.equal(o.partition_notification_channel, 'Wake');
    assert.equal(o.use_try_lock, true);
    assert.equal(o.max_attempts, -1);
    assert.equal(o.dead_letter_table_name, 'ops.dead');
    assert.equal(o.tls.enabled, true);
    assert.equal(o.tls.server_name, 'db.internal');
  });

  it('names the key of every problem', () => {
    const r = parseConsumers([
      { name: 'a1', enabled: true, type: 'postgresql', postgresql: { num_partitions: 'many', partition_poll_interval: '5', tls: 1 } },
      pg({ dsn: 'host=db user=x', outbox_table_name: 'outbox; drop', num_partitions: 5000, partition_select_limit: -3, max_attempts: -2 }, { name: 'a2' }),
      { name: 'a3', enabled: true, type: 'postgresql' },
      { name: 'a4', enabled: true, type: 'nats' },
    ]);
    const keys = r.problems.map((p) => `${p.key}: ${p.reason}`);
    assert.deepEqual(keys, [
      'consumers[0].postgresql.num_partitions: "many" is not an integer',
      'consumers[0].postgresql.partition_poll_interval: invalid duration "5": missing unit (use Go syntax such as "25s", "1m30s", "100ms", "720h")',
      'consumers[0].postgresql.tls: must be an object, got 1',
      'consumers[1].postgresql.dsn: must be a postgres:// or postgresql:// URL',
      'consumers[1].postgresql.outbox_table_name: "outbox; drop" must be a plain table name, optionally schema-qualified (letters, digits, _)',
      'consumers[1].postgresql.num_partitions: 5000 must be between 1 and 1024',
      'consumers[1].postgresql.partition_select_limit: -3 must be positive',
      'consumers[1].postgresql.max_attempts: -2 must be a positive number of attempts, or -1 to retry forever',
      'consumers[2].postgresql.dsn: no Postgres DSN provided',
      'consumers[2].postgresql.outbox_table_name: no Postgres outbox table name provided',
      'consumers[3].type: "nats" must be one of "postgresql", "kafka", "nats_jetstream", "redis_stream", "google_pub_sub", "aws_sqs", "azure_service_bus"',
    ]);
  });

  it('checks a disabled consumer only for its name, and warns about unknown keys', () => {
    const r = parseConsumers([{ name: 'off', type: 'kafka', kafka: {} }, pg({ partition_buffer_size: 16 }, { name: 'on', extra: 1 })]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.consumers.map((c) => [c.name, c.enabled]),
      [
        ['off', false],
        ['on', true],
      ],
    );
    assert.deepEqual(r.warnings, ['unknown config key consumers[1].postgresql.partition_buffer_size', 'unknown config key consumers[1].extra']);
  });

  it('is checked by the loader, and env overrides reach the typed options', () => {
    const { config } = loadConfig({
      file: '',
      env: {
        TRIBUTARY_CONSUMERS: JSON.stringify([pg({ num_partitions: 2 })]),
        TRIBUTARY_CONSUMERS_OUTBOX_POSTGRESQL_NUM_PARTITIONS: '4',
      },
    });
    assert.equal(config.consumers[0]!.postgresql.num_partitions, 4);
    assert.throws(() => loadConfig({ raw: { consumers: [pg({ num_partitions: 0, partition_select_limit: -1 })] }, env: {} }), {
      message: 'consumers[0].postgresql.partition_select_limit: -1 must be positive',
    });
  });

  it('warns about unknown keys inside a consumer block', () => {
    const r = parseConsumers([{ name: 'k1', type: 'kafka', kafka: { dead_leter_topic: 'x' } }]);
    assert.deepEqual(r.warnings, ['unknown config key consumers[0].kafka.dead_leter_topic']);
  });

  it('warns at start about the Kafka options it accepts but does not use', () => {
    const r = parseConsumers([
      { name: 'k1', type: 'kafka', kafka: { brokers: ['b:9092'], topics: ['t'], consumer_group: 'g', partition_queue_max_size: 500, instance_id: 'i-1' } },
    ]);
    assert.equal(r.warnings.length, 2, r.warnings.join('\n'));
    assert.match(r.warnings[0]!, /^consumers\[0\]\.kafka\.partition_queue_max_size: not used/);
    assert.match(r.warnings[1]!, /^consumers\[0\]\.kafka\.instance_id: static group membership is not supported/);
  });
});
