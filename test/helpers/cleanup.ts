// What the integration tests leave in the shared services, taken away again:
// PostgreSQL tables (with their migration records), Redis keys under a test's
// own prefix (on every master of a cluster), Kafka topics and consumer groups.
//
// A test file records what it makes (ownTables, ownRedisPrefix, ownKafkaTopics,
// ownKafkaGroups; the outbox and Kafka helpers do it for what they create) and
// calls cleanUp() in an `after` hook, once the servers that write there have
// stopped. Each test file runs in a process of its own, so the records are the
// file's. dropTables, deleteRedisKeys and deleteKafkaTopics do one job each for
// a test that made something the records do not know.

import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { parseRedisAddress } from '../../src/util/redis-url.js';

/** Recorded by `migrate` (src/consumers/postgres-outbox/migrate.ts) for each outbox table. */
const MIGRATIONS_TABLE = 'tributary_schema_migrations';
/** The trigger function migrations/0001_outbox.sql creates (shared by every outbox table). */
const NOTIFY_FUNCTION = 'tributary_notify_partition()';
/** A table name as the tests make them: optionally schema-qualified, never quoted. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

type Db = pg.Pool | pg.Client | string;

async function withClient<T>(db: Db, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (typeof db === 'string') {
    const client = new pg.Client({ connectionString: db, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (db instanceof pg.Pool) {
    const client = await db.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }
  return fn(db);
}

/**
 * DROP TABLE IF EXISTS … CASCADE for `names`, and forgets their records in
 * tributary_schema_migrations; when no record is left there, drops that table
 * too and the shared trigger function (unless a table not dropped here still
 * uses it). Under migrate's advisory lock, so a concurrent migrate never sees
 * half of it.
 */
export async function dropTables(db: Db, names: Iterable<string>): Promise<void> {
  const list = [...new Set(names)];
  if (list.length === 0) return;
  for (const name of list) if (!TABLE_NAME.test(name)) throw new Error(`dropTables: ${JSON.stringify(name)} is not a plain table name`);
  await withClient(db, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('${MIGRATIONS_TABLE}'))`);
      await client.query(`DROP TABLE IF EXISTS ${list.join(', ')} CASCADE`);
      const has = await client.query<{ t: string | null }>(`SELECT to_regclass('${MIGRATIONS_TABLE}')::text AS t`);
      if (has.rows[0]?.t) {
        await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE target = ANY($1)`, [list]);
        const left = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`);
        if (left.rows[0]!.n === 0) {
          await client.query(`DROP TABLE ${MIGRATIONS_TABLE}`);
          // RESTRICT: an outbox table made outside the tests keeps its trigger function.
          await client.query('SAVEPOINT fn');
          await client.query(`DROP FUNCTION IF EXISTS ${NOTIFY_FUNCTION}`).catch(() => client.query('ROLLBACK TO SAVEPOINT fn'));
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/** Which of `names` exist as tables (schema-qualified names as given, bare ones in the search path). */
export async function existingTables(db: Db, names: Iterable<string>): Promise<string[]> {
  const list = [...new Set(names)];
  if (list.length === 0) return [];
  return withClient(db, async (client) => {
    const r = await client.query<{ name: string }>(
      `SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL AND (SELECT relkind FROM pg_class WHERE oid = to_regclass(name)) IN ('r', 'p')`,
      [list],
    );
    return r.rows.map((row) => row.name);
  });
}

/** Tables (any schema but the system's) whose names start with `prefix`. */
export async function tablesStartingWith(db: Db, prefix: string): Promise<string[]> {
  return withClient(db, async (client) => {
    const r = await client.query<{ name: string }>(
      `SELECT schemaname || '.' || tablename AS name FROM pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND starts_with(tablename, $1) ORDER BY 1`,
      [prefix],
    );
    return r.rows.map((row) => row.name);
  });
}

// ---- Redis ----

function redisClient(address: string): Redis | Cluster {
  const addr = parseRedisAddress(address, { db: 0, user: '', password: '', tls: false, masterName: '' }, false, false);
  // Fail rather than wait forever for a server that is not there.
  const base = {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    username: addr.user || undefined,
    password: addr.password || undefined,
    tls: addr.tls ? {} : undefined,
  };
  switch (addr.kind) {
    case 'standalone':
      return addr.path ? new Redis({ ...base, path: addr.path, db: addr.db }) : new Redis({ ...base, host: addr.host, port: addr.port, db: addr.db });
    case 'sentinel':
      return new Redis({ ...base, sentinels: addr.sentinels, name: addr.masterName, db: addr.db, sentinelRetryStrategy: () => null });
    case 'cluster':
      return new Cluster(addr.seeds, { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { ...base, lazyConnect: undefined } });
  }
}

/** A glob matching the keys of an engine `prefix`: the engine names them `<prefix>.<what>…` (src/engines/redis/keys.ts). */
function keyPattern(prefix: string): string {
  if (prefix === '') throw new Error('an empty Redis prefix would match every key');
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}.*`;
}

async function onEveryServer<T>(address: string, fn: (node: Redis) => Promise<T>): Promise<T[]> {
  const client = redisClient(address);
  client.on('error', () => undefined);
  try {
    await client.connect();
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    return await Promise.all(nodes.map(fn));
  } finally {
    client.disconnect();
  }
}

async function scan(node: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** The keys `<prefix>.*` on a Redis (redis://, redis+sentinel://: the master; redis+cluster://: every master), sorted. */
export async function redisKeys(address: string, prefix: string): Promise<string[]> {
  const pattern = keyPattern(prefix);
  return (await onEveryServer(address, (node) => scan(node, pattern))).flat().sort();
}

/**
 * Deletes (UNLINK) every key `<prefix>.*` on a Redis; on a cluster, on every
 * master, key by key (keys of one master lie in many slots). Returns how many
 * keys it deleted.
 */
export async function deleteRedisKeys(address: string, prefix: string): Promise<number> {
  const pattern = keyPattern(prefix);
  const counts = await onEveryServer(address, async (node) => {
    const keys = await scan(node, pattern);
    for (let i = 0; i < keys.length; i += 500) {
      const pipeline = node.pipeline();
      for (const key of keys.slice(i, i + 500)) pipeline.unlink(key);
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    }
    return keys.length;
  });
  return counts.reduce((a, b) => a + b, 0);
}

// ---- Kafka ----

async function withAdmin<T>(brokers: string[], fn: (admin: import('kafkajs').Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'tributary-tests-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics of `topics` that exist (the broker runs with delete.topic.enable=true). */
export async function deleteKafkaTopics(brokers: string[], topics: Iterable<string>): Promise<void> {
  const wanted = new Set(topics);
  if (wanted.size === 0) return;
  await withAdmin(brokers, async (admin) => {
    const existing = (await admin.listTopics()).filter((t) => wanted.has(t));
    if (existing.length > 0) await admin.deleteTopics({ topics: existing, timeout: 30_000 });
  });
}

/** Deletes the consumer groups of `groups` that exist; a group with members left is an error. */
export async function deleteKafkaGroups(brokers: string[], groups: Iterable<string>): Promise<void> {
  const wanted = new Set(groups);
  if (wanted.size === 0) return;
  await withAdmin(brokers, async (admin) => {
    const existing = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => wanted.has(g));
    if (existing.length > 0) await admin.deleteGroups(existing);
  });
}

// ---- What this test file made, and cleanUp() ----

const tables = new Map<string, Set<string>>(); // DSN → table names
const prefixes = new Map<string, Set<string>>(); // Redis address → key prefixes
const topics = new Map<string, Set<string>>(); // brokers (comma-joined) → topics
const groups = new Map<string, Set<string>>(); // brokers (comma-joined) → consumer groups

function record(into: Map<string, Set<string>>, key: string, values: string[]): void {
  let set = into.get(key);
  if (!set) into.set(key, (set = new Set()));
  for (const v of values) set.add(v);
}

/** Records tables this test file made in the database at `dsn`, for dropOwnTables and cleanUp. */
export function ownTables(dsn: string, ...names: string[]): void {
  record(tables, dsn, names);
}

/** Drops the tables recorded for `dsn` (see dropTables) and forgets them. */
export async function dropOwnTables(dsn: string): Promise<void> {
  const names = tables.get(dsn);
  if (!names || names.size === 0) return;
  await dropTables(dsn, names);
  tables.delete(dsn);
}

/** A fresh engine prefix (`<base>-<8 hex>`) on the Redis at `address`, recorded so cleanUp deletes its keys. */
export function ownRedisPrefix(address: string, base: string): string {
  const prefix = `${base}-${randomBytes(4).toString('hex')}`;
  ownRedisKeys(address, prefix);
  return prefix;
}

/** Records that keys `<prefix>.*` on the Redis at `address` are this test file's (a prefix used on several servers). */
export function ownRedisKeys(address: string, prefix: string): void {
  keyPattern(prefix);
  record(prefixes, address, [prefix]);
}

/** Deletes the keys of the prefixes recorded for `address` and forgets them. */
export async function deleteOwnRedisKeys(address: string): Promise<void> {
  for (const prefix of prefixes.get(address) ?? []) await deleteRedisKeys(address, prefix);
  prefixes.delete(address);
}

/** Records Kafka topics this test file made (or made a connector make). */
export function ownKafkaTopics(brokers: string[], ...names: string[]): void {
  record(topics, brokers.join(','), names);
}

/** Records Kafka consumer groups this test file's consumers joined. */
export function ownKafkaGroups(brokers: string[], ...names: string[]): void {
  record(groups, brokers.join(','), names);
}

/**
 * Takes away everything recorded: Redis keys, tables, consumer groups, topics.
 * Every part is tried; the first failure is thrown at the end. Call it in an
 * `after` hook once the servers and processes that write there have stopped.
 */
export async function cleanUp(): Promise<void> {
  const failures: unknown[] = [];
  const attempt = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
    }
  };
  for (const address of [...prefixes.keys()]) await attempt(() => deleteOwnRedisKeys(address));
  for (const dsn of [...tables.keys()]) await attempt(() => dropOwnTables(dsn));
  for (const [brokers, names] of [...groups]) {
    await attempt(async () => {
      await deleteKafkaGroups(brokers.split(','), names);
      groups.delete(brokers);
    });
  }
  for (const [brokers, names] of [...topics]) {
    await attempt(async () => {
      await deleteKafkaTopics(brokers.split(','), names);
      topics.delete(brokers);
    });
  }
  if (failures.length > 0) throw failures[0];
}
