// Shared by the outbox tests: the test PostgreSQL (TRIBUTARY_TEST_PG_DSN, set
// by scripts/run-tests.mjs; started here with scripts/services/postgres.sh
// when a file is run on its own), fresh outbox tables, Tributary servers in
// process and as real processes, and a lean subscriber for large volumes.
// Every table newOutbox makes is recorded (test/helpers/cleanup.ts): a test
// file drops them with cleanUp() (or dropOwnTables) in an `after` hook.

import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../../../src/consumers/postgres-outbox/migrate.js';
import type { PostgresOutboxConsumer } from '../../../src/consumers/postgres-outbox/consumer.js';
import { CONSUMER_TEST_CHANNELS, startConsumerServer, type ConsumerServer, type ConsumerServerOptions } from '../../helpers/consumer-server.js';
import { ownTables } from '../../helpers/cleanup.js';
import { api, nodeProcessConfig } from '../../helpers/process.js';
import { serviceAddress } from '../../helpers/services.js';

export { cleanUp, dropOwnTables, ownTables } from '../../helpers/cleanup.js';
export { api, runTributary, sleep, spawnTributary, waitFor, writeConfig, type Proc } from '../../helpers/process.js';
export { idsInOrder, LeanSubscriber } from '../../helpers/lean-subscriber.js';

export const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The test database; started with the project's script when the runner did not say where it is. */
export function pgDsn(): string {
  return serviceAddress('TRIBUTARY_TEST_PG_DSN', 'scripts/services/postgres.sh');
}

export function newPool(max = 4, connectionString = pgDsn()): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}

export interface Outbox {
  table: string;
  deadLetter: string;
  /** The notification channel of its trigger (one per table, so tests do not wake each other). */
  channel: string;
}

/** A fresh outbox table (with dead-letter table and NOTIFY trigger) made by the real migrations, recorded for cleanUp. */
export async function newOutbox(prefix: string, connectionString = pgDsn()): Promise<Outbox> {
  const table = `${prefix}_${randomBytes(4).toString('hex')}`;
  const channel = `${table}_wake`;
  const deadLetter = `${table}_dead_letter`;
  ownTables(connectionString, table, deadLetter);
  await migrate(connectionString, { table, channel });
  return { table, deadLetter, channel };
}

export function consumerConfig(name: string, box: Outbox, postgresql: Record<string, unknown> = {}, connectionString = pgDsn()): Record<string, unknown> {
  return {
    name,
    enabled: true,
    type: 'postgresql',
    postgresql: {
      dsn: connectionString,
      outbox_table_name: box.table,
      partition_notification_channel: box.channel,
      ...postgresql,
    },
  };
}

/** Channel options for outbox tests: anyone may subscribe, long history. */
export const CHANNELS = CONSUMER_TEST_CHANNELS;

export type InProcess = ConsumerServer<PostgresOutboxConsumer>;

/** A Tributary server in this process with the given consumers (the first is returned as `consumer`). */
export function startOutboxServer(consumers: Record<string, unknown>[], opts: ConsumerServerOptions = {}): Promise<InProcess> {
  return startConsumerServer<PostgresOutboxConsumer>(consumers, opts);
}

/** Every publication in a channel's history, oldest first. */
export async function history(httpUrl: string, channel: string): Promise<{ data: any; offset: number }[]> {
  const r = await api(httpUrl, 'history', { channel, limit: -1 });
  if (r.error) throw new Error(`history ${channel}: ${JSON.stringify(r.error)}`);
  return r.result.publications ?? [];
}

export async function count(pool: pg.Pool, table: string): Promise<number> {
  const r = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
  return r.rows[0].n;
}

/**
 * Whether the table has no row, read through the primary key's index: one
 * index probe instead of count(*)'s scan of the whole table, dead rows and
 * all, which polled every few ms during a drain costs PostgreSQL more CPU than
 * the consumer it measures.
 */
export async function isEmpty(pool: pg.Pool, table: string): Promise<boolean> {
  const r = await pool.query(`SELECT id FROM ${table} ORDER BY id LIMIT 1`);
  return r.rows.length === 0;
}

/**
 * Inserts `n` publish rows in one statement: row k (from `from`) goes to
 * partition k % partitions, channel `<prefix><partition>`, data {i: k}.
 */
export async function bulkInsert(pool: pg.Pool, table: string, n: number, partitions: number, prefix: string, from = 0): Promise<void> {
  await pool.query(
    `INSERT INTO ${table} (method, payload, partition)
     SELECT 'publish', jsonb_build_object('channel', $3::text || (k % $2), 'data', jsonb_build_object('i', k)), k % $2
       FROM generate_series($4::int, $4::int + $1::int - 1) AS k`,
    [n, partitions, prefix, from],
  );
}

/** A Centrifugo-style config file for a real Tributary process. */
export function processConfig(consumers: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return nodeProcessConfig({
    channel: { without_namespace: { allow_subscribe_for_client: true, history_size: 100000, history_ttl: '600s' } },
    shutdown: { timeout: '10s' },
    consumers,
    ...extra,
  });
}
