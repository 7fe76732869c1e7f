// The outbox schema: `tributary migrate` (versioned, idempotent, safe to run
// concurrently, adopts a Centrifugo-made table), the files as plain SQL for
// other migration tools, the NOTIFY trigger, and `tributary outbox status`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../../src/consumers/postgres-outbox/migrate.js';
import { cleanUp, consumerConfig, count, history, newOutbox, newPool, ownTables, pgDsn, root, startOutboxServer, waitFor } from './helpers.js';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;
/** A fresh outbox table name, with its dead-letter table recorded for cleanUp. */
const uniqueTable = (prefix: string) => {
  const table = unique(prefix);
  ownTables(pgDsn(), table, `${table}_dead_letter`);
  return table;
};

let pool: pg.Pool;
before(() => {
  pool = newPool(4);
});
after(async () => {
  await pool.end();
  await cleanUp();
});

describe('tributary migrate', () => {
  it('applies each migration once and records it; a second run changes nothing', async () => {
    const table = uniqueTable('mig');
    const first = cli(['migrate', '--dsn', pgDsn(), '--table', table]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`applied 0001_outbox to ${table}\\napplied 0002_outbox_dead_letter to ${table}`));
    const second = cli(['migrate', '--dsn', pgDsn(), '--table', table]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`${table} is up to date \\(2 migrations applied before\\)`));
    const rows = await pool.query('SELECT version, name FROM tributary_schema_migrations WHERE target = $1 ORDER BY version', [table]);
    assert.deepEqual(rows.rows, [
      { version: 1, name: 'outbox' },
      { version: 2, name: 'outbox_dead_letter' },
    ]);
    const cols = await pool.query(
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [table],
    );
    assert.deepEqual(
      cols.rows.map((r) => `${r.attname} ${r.type}`),
      ['id bigint', 'method text', 'payload jsonb', 'partition integer', 'created_at timestamp with time zone'],
    );
    const idx = await pool.query(`SELECT indexdef FROM pg_indexes WHERE tablename = $1 AND indexname = $2`, [table, `${table}_partition_id_idx`]);
    assert.match(idx.rows[0].indexdef, /\(partition, id\)/);
    assert.equal(await count(pool, `${table}_dead_letter`), 0);
  });

  it('is safe to run concurrently', async () => {
    const table = uniqueTable('conc');
    const results = await Promise.all([1, 2, 3].map(() => migrate(pgDsn(), { table })));
    assert.equal(
      results.reduce((n, r) => n + r.applied.length, 0),
      2,
      'each migration applied once in all',
    );
  });

  it('adopts an outbox table made from Centrifugo docs (no created_at, no index, no trigger)', async () => {
    const table = uniqueTable('centrifugo');
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, method text NOT NULL, payload jsonb NOT NULL, partition bigint NOT NULL default 0)`);
    await pool.query(`INSERT INTO ${table} (method, payload) VALUES ('publish', '{"channel":"adopted","data":{"kept":true}}')`);
    await migrate(pgDsn(), { table, channel: `${table}_wake` });
    const box = { table, deadLetter: `${table}_dead_letter`, channel: `${table}_wake` };
    const srv = await startOutboxServer([consumerConfig('adopted', box)]);
    try {
      await waitFor(async () => (await count(pool, table)) === 0, 5000, 'the old row consumed');
      assert.deepEqual(
        (await history(srv.httpUrl, 'adopted')).map((p) => p.data),
        [{ kept: true }],
      );
    } finally {
      await srv.stop();
    }
  });

  it('ships files that run as they are (default names) for teams with their own migration tool', async () => {
    const schema = unique('plain');
    const client = new pg.Client({ connectionString: pgDsn() });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}, public`);
      for (const m of loadMigrations()) await client.query(readFileSync(`${MIGRATIONS_DIR}${String(m.version).padStart(4, '0')}_${m.name}.sql`, 'utf8'));
      const t = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, [schema]);
      assert.deepEqual(
        t.rows.map((r) => r.tablename),
        ['outbox', 'outbox_dead_letter'],
      );
      const trg = await client.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = '${schema}.outbox'::regclass AND NOT tgisinternal`);
      assert.deepEqual(
        trg.rows.map((r) => r.tgname),
        ['outbox_notify_partition'],
      );
    } finally {
      await client.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await client.end();
    }
  });

  it('--print renders the SQL for other names without a database', () => {
    const r = cli(['migrate', '--print', '--table', 'app.events', '--channel', 'Events_Wake']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /CREATE TABLE IF NOT EXISTS app\.events \(/);
    assert.match(r.stdout, /CREATE INDEX IF NOT EXISTS events_partition_id_idx ON app\.events \(partition, id\)/);
    assert.match(r.stdout, /EXECUTE FUNCTION tributary_notify_partition\('Events_Wake'\)/);
    assert.match(r.stdout, /CREATE TABLE IF NOT EXISTS app\.events_dead_letter \(/);
    assert.doesNotMatch(r.stdout.replace(/--.*$/gm, ''), /\boutbox\b/);
  });

  it('refuses table names that are not plain identifiers', () => {
    const r = cli(['migrate', '--dsn', pgDsn(), '--table', 'x; DROP TABLE y']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--table "x; DROP TABLE y" must be a plain table name/);
  });
});

describe('the NOTIFY trigger', () => {
  it('notifies once per partition an insert statement touched, after the commit, with the partition as text', async () => {
    const box = await newOutbox('notify');
    const listener = new pg.Client({ connectionString: pgDsn() });
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (n) => got.push(n.payload ?? ''));
    await listener.query(`LISTEN "${box.channel}"`);
    try {
      const tx = await pool.connect();
      await tx.query('BEGIN');
      await tx.query(`INSERT INTO ${box.table} (method, payload, partition) SELECT 'publish', '{}', k % 3 FROM generate_series(1, 300) k`);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(got, [], 'nothing before the commit');
      await tx.query('COMMIT');
      tx.release();
      await waitFor(() => got.length >= 3, 2000, 'three notifications');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual([...got].sort(), ['0', '1', '2']);
    } finally {
      await listener.end();
    }
  });
});

describe('tributary outbox status', () => {
  it('prints backlog, lag and dead letters per partition', async () => {
    const box = await newOutbox('status');
    await pool.query(
      `INSERT INTO ${box.table} (method, payload, partition, created_at)
       SELECT 'publish', '{}', k % 2, now() - interval '30 seconds' FROM generate_series(1, 5) k`,
    );
    await pool.query(
      `INSERT INTO ${box.deadLetter} (outbox_id, method, payload, partition, consumer, attempts, last_error) VALUES (1, 'publish', '{}', 3, 'c', 1, 'x')`,
    );
    const text = cli(['outbox', 'status', '--dsn', pgDsn(), '--table', box.table]);
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines[0], `outbox ${box.table} (dead letters: ${box.deadLetter})`);
    assert.match(lines[1]!, /^partition\s+backlog\s+lag\s+dead_letter$/);
    assert.match(lines[2]!, /^0\s+2\s+3\d\.\ds\s+0$/);
    assert.match(lines[3]!, /^1\s+3\s+3\d\.\ds\s+0$/);
    assert.match(lines[4]!, /^3\s+0\s+0s\s+1$/);
    assert.match(lines[5]!, /^total\s+5\s+3\d\.\ds\s+1$/);

    const json = cli(['outbox', 'status', '--dsn', pgDsn(), '--table', box.table, '--json']);
    const s = JSON.parse(json.stdout);
    assert.equal(s.total.backlog, 5);
    assert.equal(s.total.dead_letter, 1);
    assert.ok(s.total.max_lag_seconds >= 30 && s.total.max_lag_seconds < 60);

    const missing = cli(['outbox', 'status', '--dsn', pgDsn(), '--table', 'no_such_table']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /outbox table "no_such_table" does not exist/);
  });
});
