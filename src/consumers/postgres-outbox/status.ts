// `tributary outbox status`: what is waiting in an outbox table, per
// partition: backlog (rows), lag (age of the oldest row) and dead-lettered rows.

import pg from 'pg';
import { checkTarget } from './migrate.js';
import { parseDsn } from './pg-config.js';

export interface PartitionStatus {
  partition: number;
  backlog: number;
  /** Seconds since the oldest waiting row was created; 0 when none waits. */
  lag_seconds: number;
  dead_letter: number;
}

export interface OutboxStatus {
  table: string;
  dead_letter_table: string | null;
  partitions: PartitionStatus[];
  total: { backlog: number; dead_letter: number; max_lag_seconds: number };
}

/** What the status queries need: a pg Client or Pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export async function outboxStatus(dsn: string, table: string, deadLetterTable?: string): Promise<OutboxStatus> {
  const client = new pg.Client({ connectionString: parseDsn(dsn).connectionString, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a lost connection fails the pending query, which reports it
  await client.connect();
  try {
    return await readOutboxStatus(client, table, deadLetterTable);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The status through an open connection or pool (the admin UI asks the running consumer's pool). */
export async function readOutboxStatus(db: Queryable, table: string, deadLetterTable?: string): Promise<OutboxStatus> {
  const t = checkTarget({ table, deadLetterTable });
  const exists = await db.query<{ outbox: string | null; dlq: string | null }>('SELECT to_regclass($1)::text AS outbox, to_regclass($2)::text AS dlq', [
    t.table,
    t.deadLetterTable,
  ]);
  if (!exists.rows[0]?.outbox) throw new Error(`outbox table "${t.table}" does not exist (create it with: tributary migrate --table ${t.table})`);
  const hasCreatedAt = await db.query(`SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'created_at' AND NOT attisdropped`, [t.table]);
  const age = hasCreatedAt.rowCount ? 'extract(epoch from clock_timestamp() - min(created_at))::float8' : '0::float8';
  const backlog = await db.query<{ partition: number; n: string; lag: number | null }>(
    `SELECT partition::int AS partition, count(*) AS n, ${age} AS lag FROM ${t.table} GROUP BY partition ORDER BY partition`,
  );
  const dead = new Map<number, number>();
  if (exists.rows[0].dlq) {
    const r = await db.query<{ partition: number; n: string }>(
      `SELECT partition::int AS partition, count(*) AS n FROM ${t.deadLetterTable} GROUP BY partition`,
    );
    for (const row of r.rows) dead.set(row.partition, Number(row.n));
  }
  const byPartition = new Map<number, PartitionStatus>();
  for (const row of backlog.rows) {
    byPartition.set(row.partition, { partition: row.partition, backlog: Number(row.n), lag_seconds: Math.max(0, row.lag ?? 0), dead_letter: 0 });
  }
  for (const [p, n] of dead) {
    const s = byPartition.get(p) ?? { partition: p, backlog: 0, lag_seconds: 0, dead_letter: 0 };
    s.dead_letter = n;
    byPartition.set(p, s);
  }
  const partitions = [...byPartition.values()].sort((a, b) => a.partition - b.partition);
  return {
    table: t.table,
    dead_letter_table: exists.rows[0].dlq ? t.deadLetterTable : null,
    partitions,
    total: {
      backlog: partitions.reduce((s, p) => s + p.backlog, 0),
      dead_letter: partitions.reduce((s, p) => s + p.dead_letter, 0),
      max_lag_seconds: partitions.reduce((s, p) => Math.max(s, p.lag_seconds), 0),
    },
  };
}

export function formatStatus(s: OutboxStatus): string {
  const lines = [`outbox ${s.table}` + (s.dead_letter_table ? ` (dead letters: ${s.dead_letter_table})` : ' (no dead-letter table)')];
  const header = ['partition', 'backlog', 'lag', 'dead_letter'];
  const rows = s.partitions.map((p) => [String(p.partition), String(p.backlog), formatAge(p.lag_seconds), String(p.dead_letter)]);
  rows.push(['total', String(s.total.backlog), formatAge(s.total.max_lag_seconds), String(s.total.dead_letter)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(fmt(header), ...rows.map(fmt));
  return lines.join('\n') + '\n';
}

function formatAge(seconds: number): string {
  if (seconds === 0) return '0s';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 120) return `${seconds.toFixed(1)}s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}
