// The outbox side of the chaos scenarios: a fresh outbox table made by the
// real migrations, the consumer block that drains it, and a producer that
// keeps inserting numbered publish rows in small transactions until stopped.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/consumers/postgres-outbox/migrate.js';
import { dropTables } from '../helpers/cleanup.js';
import { sleep } from '../helpers/process.js';

export interface Outbox {
  dsn: string;
  table: string;
  channel: string;
}

export async function newOutbox(dsn: string, prefix: string): Promise<Outbox> {
  const table = `${prefix}_${randomBytes(4).toString('hex')}`;
  const box = { dsn, table, channel: `${table}_wake` };
  await migrate(dsn, { table, channel: box.channel });
  return box;
}

export function dropOutbox(box: Outbox): Promise<void> {
  return dropTables(box.dsn, [box.table, `${box.table}_dead_letter`]);
}

export function outboxConsumer(name: string, box: Outbox, partitions: number): Record<string, unknown> {
  return {
    name,
    enabled: true,
    type: 'postgresql',
    postgresql: {
      dsn: box.dsn,
      outbox_table_name: box.table,
      partition_notification_channel: box.channel,
      num_partitions: partitions,
      partition_select_limit: 100,
    },
  };
}

export function newPool(dsn: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: dsn, max: 2, connectionTimeoutMillis: 2000 });
  // A restart drops idle connections; the next query opens a new one.
  pool.on('error', () => undefined);
  return pool;
}

export async function rowsLeft(pool: pg.Pool, box: Outbox): Promise<number> {
  return (await pool.query(`SELECT count(*)::int AS n FROM ${box.table}`)).rows[0].n;
}

export interface RowProducer {
  /** Numbers used so far (rows attempted). */
  sent(): number;
  /** The number the next row gets. */
  next(): number;
  acked: number[];
  errors: number;
  stop(): Promise<void>;
}

/** Inserts rows from..from+n-1 in one statement: row i to partition i % partitions, channel `<prefix><partition>`, data {i}. */
export async function insertRows(
  pool: pg.Pool,
  box: Outbox,
  from: number,
  n: number,
  opts: { partitions: number; prefix: string; keyed: boolean },
): Promise<void> {
  await pool.query(
    `INSERT INTO ${box.table} (method, payload, partition)
     SELECT 'publish',
            jsonb_build_object('channel', $3::text || (k % $2), 'data', jsonb_build_object('i', k))
              || CASE WHEN $5 THEN jsonb_build_object('idempotency_key', 'row-' || k) ELSE '{}'::jsonb END,
            k % $2
       FROM generate_series($4::int, $4::int + $1::int - 1) AS k`,
    [n, opts.partitions, opts.prefix, from, opts.keyed],
  );
}

/**
 * Inserts `batch` rows per transaction every `everyMs`, numbered from `from`
 * (see insertRows). With `keyed`, a row carries the idempotency_key row-<i>
 * and a failed transaction is retried with the same numbers (its commit may
 * have happened: the key keeps the copy out of history, as an application
 * retrying an insert would do). Without, a failed batch's numbers are given up.
 */
export function rowProducer(
  pool: pg.Pool,
  box: Outbox,
  opts: { partitions: number; prefix: string; batch: number; everyMs: number; keyed: boolean; from?: number },
): RowProducer {
  const start = opts.from ?? 0;
  let next = start;
  let running = true;
  const p: RowProducer = { sent: () => next - start, next: () => next, acked: [], errors: 0, stop: async () => undefined };
  const loop = (async () => {
    while (running) {
      const from = next;
      try {
        await insertRows(pool, box, from, opts.batch, opts);
        for (let k = 0; k < opts.batch; k++) p.acked.push(from + k);
        next = from + opts.batch;
      } catch {
        p.errors++;
        if (!opts.keyed) next = from + opts.batch;
        await sleep(100);
      }
      await sleep(opts.everyMs);
    }
  })();
  p.stop = () => {
    running = false;
    return loop;
  };
  return p;
}
