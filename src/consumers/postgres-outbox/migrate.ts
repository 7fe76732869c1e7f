// `tributary migrate`: applies the SQL files of migrations/ to one outbox
// table, each once, in order, recorded in tributary_schema_migrations. The
// files are written for the default names and rendered here for others, so
// teams with their own migration tool can take the files (or `--print`).

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SQL_TABLE_NAME } from '../../config/consumers.js';
import { parseDsn } from './pg-config.js';

/** migrations/ at the package root (the same depth from src/ and from dist/). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));
export const MIGRATIONS_TABLE = 'tributary_schema_migrations';
export const DEFAULT_OUTBOX_TABLE = 'outbox';
export const DEFAULT_NOTIFY_CHANNEL = 'centrifugo_partition_change';

export interface MigrationTarget {
  /** The outbox table, optionally schema-qualified. */
  table: string;
  /** Default `<table>_dead_letter`. */
  deadLetterTable?: string;
  /** NOTIFY channel of the insert trigger. */
  channel?: string;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .map((f) => FILE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2]!, sql: readFileSync(`${dir}${m[0]}`, 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

const DEFAULT_NAMES = /\b(outbox_dead_letter_partition_idx|outbox_partition_id_idx|outbox_notify_partition|outbox_dead_letter|outbox)\b/g;
const bare = (name: string): string => name.slice(name.lastIndexOf('.') + 1);
const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

export function checkTarget(t: MigrationTarget): Required<MigrationTarget> {
  const table = t.table;
  const deadLetterTable = t.deadLetterTable || `${table}_dead_letter`;
  const channel = t.channel ?? DEFAULT_NOTIFY_CHANNEL;
  for (const [what, name] of [
    ['--table', table],
    ['--dead-letter-table', deadLetterTable],
  ] as const) {
    if (!SQL_TABLE_NAME.test(name)) throw new Error(`${what} ${JSON.stringify(name)} must be a plain table name, optionally schema-qualified`);
  }
  if (channel === '' || channel.length > 63) throw new Error('--channel must be 1 to 63 characters');
  return { table, deadLetterTable, channel };
}

/** Rewrites the default names of a migration file for `target`. */
export function renderMigration(sql: string, target: MigrationTarget): string {
  const t = checkTarget(target);
  const names: Record<string, string> = {
    outbox_dead_letter_partition_idx: `${bare(t.deadLetterTable)}_partition_idx`,
    outbox_partition_id_idx: `${bare(t.table)}_partition_id_idx`,
    outbox_notify_partition: `${bare(t.table)}_notify_partition`,
    outbox_dead_letter: t.deadLetterTable,
    outbox: t.table,
  };
  // Comments keep speaking of the defaults; only the SQL is rewritten.
  return sql
    .split('\n')
    .map((line) => {
      const c = line.indexOf('--');
      const code = c === -1 ? line : line.slice(0, c);
      const rest = c === -1 ? '' : line.slice(c);
      return code.replace(DEFAULT_NAMES, (m) => names[m]!).replaceAll(literal(DEFAULT_NOTIFY_CHANNEL), literal(t.channel)) + rest;
    })
    .join('\n');
}

export interface MigrateResult {
  applied: Migration[];
  skipped: Migration[];
}

/**
 * Applies what is missing, in one transaction, serialised against concurrent
 * runs by an advisory lock. Running it again is a no-op.
 */
export async function migrate(dsn: string, target: MigrationTarget, migrations = loadMigrations()): Promise<MigrateResult> {
  const t = checkTarget(target);
  const client = new pg.Client({ connectionString: parseDsn(dsn).connectionString, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a lost connection fails the pending query, which reports it
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('${MIGRATIONS_TABLE}'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      target     text NOT NULL,
      version    integer NOT NULL,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (target, version)
    )`);
    const done = await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE} WHERE target = $1`, [t.table]);
    const have = new Set(done.rows.map((r) => r.version));
    const result: MigrateResult = { applied: [], skipped: [] };
    for (const m of migrations) {
      if (have.has(m.version)) {
        result.skipped.push(m);
        continue;
      }
      await client.query(renderMigration(m.sql, t));
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (target, version, name) VALUES ($1, $2, $3)`, [t.table, m.version, m.name]);
      result.applied.push(m);
    }
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
