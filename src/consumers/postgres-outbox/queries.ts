// The consumer's SQL. Table names are validated plain identifiers (see
// SQL_TABLE_NAME) and interpolated, as Centrifugo does; everything else is a
// parameter. Statements are named, so each connection prepares them once.

import { createHash } from 'node:crypto';

export interface NamedQuery {
  name: string;
  text: string;
}

export interface OutboxQueries {
  lock: NamedQuery;
  tryLock: NamedQuery;
  select: NamedQuery;
  delete: NamedQuery;
  deadLetter: NamedQuery;
  lag: NamedQuery;
}

function named(prefix: string, text: string): NamedQuery {
  const hash = createHash('sha1').update(text).digest('hex').slice(0, 12);
  return { name: `tributary_${prefix}_${hash}`, text };
}

// date_part, not extract: since PostgreSQL 14 extract returns numeric, and
// numeric arithmetic on every selected row is CPU the database spends per row.
const DB_NOW_MS = "date_part('epoch', clock_timestamp()) * 1000";

export function outboxQueries(table: string, deadLetterTable: string, hasCreatedAt: boolean): OutboxQueries {
  const createdMs = hasCreatedAt ? "date_part('epoch', created_at) * 1000" : 'NULL::float8';
  return {
    // The lock statements also read the database's clock, once per pass: rows'
    // latency is measured on created_at, so on PostgreSQL's clock, not ours.
    // PostgreSQL evaluates the select list in order, so the clock is read once
    // the lock is held (were it read before a long wait, latencies would only
    // come out shorter by that wait).
    lock: named('lock', `SELECT pg_advisory_xact_lock(hashtext($1)), ${DB_NOW_MS} AS now_ms`),
    tryLock: named('trylock', `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked, ${DB_NOW_MS} AS now_ms`),
    // id is int8: node-pg hands it over as a decimal string (no precision lost).
    select: named('select', `SELECT id, method, payload, ${createdMs} AS created_ms FROM ${table} WHERE partition = $1 ORDER BY id ASC LIMIT $2`),
    delete: named('delete', `DELETE FROM ${table} WHERE id = ANY($1::bigint[])`),
    deadLetter: named(
      'deadletter',
      `INSERT INTO ${deadLetterTable} (outbox_id, partition, consumer, method, payload, created_at, attempts, last_error)
       SELECT x.id, $2, $3, x.method,
              CASE WHEN x.valid THEN x.payload::jsonb ELSE to_jsonb(x.payload) END,
              to_timestamp(x.created_ms / 1000.0), x.attempts, x.error
         FROM unnest($1::bigint[], $4::text[], $5::text[], $6::bool[], $7::float8[], $8::int[], $9::text[])
              AS x(id, method, payload, valid, created_ms, attempts, error)`,
    ),
    // The oldest row of each partition, found through the (partition, id) index.
    lag: named(
      'lag',
      hasCreatedAt
        ? `SELECT p AS partition,
                  (SELECT extract(epoch FROM clock_timestamp() - created_at)::float8
                     FROM ${table} WHERE partition = p ORDER BY id ASC LIMIT 1) AS lag
             FROM generate_series(0, $1::int - 1) AS p`
        : `SELECT p AS partition, NULL::float8 AS lag FROM generate_series(0, $1::int - 1) AS p`,
    ),
  };
}
