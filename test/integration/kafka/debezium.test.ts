// Debezium end to end: real PostgreSQL (logical WAL), real Kafka Connect with
// the Debezium PostgreSQL connector (scripts/services/kafka-connect.sh), the
// connector configuration docker-compose.yml registers
// (consumers/debezium/cdc-outbox.connector.json), and the official SDK.
// A row inserted into an outbox-shaped table reaches the subscriber; a
// rolled-back row and a delete do not. The same with the full change envelope
// and the JsonConverter schema wrapper (no unwrap transform).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { waitFor } from '../../helpers/process.js';
import { dataOf, subscribedClient } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { serviceAddress } from '../../helpers/services.js';
import { newPool, ownTables, pgDsn } from '../outbox/helpers.js';
import { cleanUp, kafkaBrokers, kafkaConsumerConfig, ownKafkaTopics, startKafkaServer } from './helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function connectUrl(): string {
  return serviceAddress('TRIBUTARY_TEST_KAFKA_CONNECT_URL', 'scripts/services/kafka-connect.sh');
}

const base = JSON.parse(readFileSync(`${root}/consumers/debezium/cdc-outbox.connector.json`, 'utf8')) as Record<string, string>;

interface Cdc {
  table: string;
  topic: string;
  name: string;
  slot: string;
  publication: string;
}

let pool: pg.Pool;
const registered: Cdc[] = [];
before(() => {
  pool = newPool(2);
});
after(async () => {
  for (const c of registered) {
    await fetch(`${connectUrl()}/connectors/${c.name}`, { method: 'DELETE' }).catch(() => undefined);
  }
  // The connector's replication slot outlives it; drop it once its walsender is gone.
  for (const c of registered) {
    await waitFor(
      async () => {
        const r = await pool.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [c.slot]);
        if (r.rows.length === 0) return true;
        if (r.rows[0].active) return false;
        await pool.query('SELECT pg_drop_replication_slot($1)', [c.slot]);
        return true;
      },
      20_000,
      `slot ${c.slot} released`,
      200,
    ).catch(() => undefined);
    await pool.query(`DROP PUBLICATION IF EXISTS ${c.publication}`).catch(() => undefined);
  }
  await pool.end();
  // The tables, the topics the connectors wrote and the consumer groups.
  await cleanUp();
});

/** Creates an outbox-shaped table and registers the compose connector on it (local host, port, no password). */
async function cdcTable(overrides: Record<string, string> = {}): Promise<Cdc> {
  const id = randomBytes(4).toString('hex');
  const table = `cdc_${id}`;
  ownTables(pgDsn(), table);
  await pool.query(
    `CREATE TABLE ${table} (id bigserial PRIMARY KEY, method text NOT NULL DEFAULT '', payload jsonb NOT NULL, partition integer NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  const dsn = new URL(pgDsn());
  const c: Cdc = { table, topic: `t${id}.public.${table}`, name: `tributary-test-${id}`, slot: `tributary_${id}`, publication: `tributary_${id}` };
  ownKafkaTopics(kafkaBrokers(), c.topic);
  const config: Record<string, string> = {
    ...base,
    'database.hostname': dsn.hostname,
    'database.port': dsn.port,
    'database.user': decodeURIComponent(dsn.username),
    'database.dbname': dsn.pathname.slice(1),
    'topic.prefix': `t${id}`,
    'table.include.list': `public.${table}`,
    'message.key.columns': `public.${table}:partition`,
    'slot.name': c.slot,
    'publication.name': c.publication,
    ...overrides,
  };
  // The local test database trusts its user; compose reads the password from Connect's environment.
  delete config['database.password'];
  const res = await fetch(`${connectUrl()}/connectors/${c.name}/config`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(config),
  });
  assert.ok(res.ok, `register connector: ${res.status} ${await res.text()}`);
  registered.push(c);
  await waitFor(
    async () => {
      const s = (await (await fetch(`${connectUrl()}/connectors/${c.name}/status`)).json()) as {
        connector?: { state: string };
        tasks?: { state: string; trace?: string }[];
      };
      if (s.tasks?.some((t) => t.state === 'FAILED')) throw new Error(`connector task failed: ${s.tasks[0]!.trace}`);
      return s.connector?.state === 'RUNNING' && s.tasks?.length === 1 && s.tasks[0]!.state === 'RUNNING';
    },
    60_000,
    `connector ${c.name} running`,
    250,
  );
  // The replication slot exists once the task streams; rows inserted before that would be missed (snapshot.mode no_data).
  await waitFor(
    async () => (await pool.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [c.slot])).rows.length === 1,
    30_000,
    'the slot streaming',
    200,
  );
  return c;
}

async function insert(table: string, channel: string, data: unknown, commit = true): Promise<void> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    await tx.query(`INSERT INTO ${table} (method, payload, partition) VALUES ('publish', $1, 0)`, [{ channel, data }]);
    await tx.query(commit ? 'COMMIT' : 'ROLLBACK');
  } finally {
    tx.release();
  }
}

describe('Debezium → Kafka → Tributary', () => {
  it('flattened row images (the compose connector): committed rows arrive, rolled-back rows and deletes do not', async (t) => {
    const cdc = await cdcTable();
    const srv = await startKafkaServer([kafkaConsumerConfig('k_cdc', { topics: [cdc.topic] })]);
    try {
      const { client, pubs } = await subscribedClient(srv.wsUrl, 'cdcroom', 'dora', token);
      const started = Date.now();
      await insert(cdc.table, 'cdcroom', { n: 1 }, false);
      await insert(cdc.table, 'cdcroom', { n: 2 });
      await pool.query(`DELETE FROM ${cdc.table}`);
      await insert(cdc.table, 'cdcroom', { n: 3 });
      await waitFor(() => pubs.length >= 2, 60_000, 'two publications from CDC');
      t.diagnostic(`insert → client through Debezium and Kafka: ${Date.now() - started} ms for the first rows`);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(
        pubs.map((p) => dataOf(p.data)),
        [{ n: 2 }, { n: 3 }],
      );
      client.disconnect();
    } finally {
      await srv.stop();
    }
  });

  it('the full change envelope with the JsonConverter schema wrapper', async () => {
    const cdc = await cdcTable({ transforms: '', 'value.converter.schemas.enable': 'true' });
    const srv = await startKafkaServer([kafkaConsumerConfig('k_cdc_full', { topics: [cdc.topic] })]);
    try {
      const { client, pubs } = await subscribedClient(srv.wsUrl, 'cdcfull', 'dora', token);
      await insert(cdc.table, 'cdcfull', { full: true });
      await pool.query(`UPDATE ${cdc.table} SET payload = $1`, [{ channel: 'cdcfull', data: { updated: true } }]);
      await waitFor(() => pubs.length >= 2, 60_000, 'the insert and the update');
      assert.deepEqual(
        pubs.map((p) => dataOf(p.data)),
        [{ full: true }, { updated: true }],
      );
      client.disconnect();
    } finally {
      await srv.stop();
    }
  });
});
