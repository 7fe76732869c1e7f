// The integration tests leave nothing in the shared services: what their
// helpers make (outbox tables with migration records, Redis keys under an
// engine prefix: streams, stream meta, idempotency results, presence) is gone
// after cleanUp() (test/helpers/cleanup.ts), on a Redis Cluster from every
// master, and nothing outside the test's own names is touched.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { RecordingHandler } from '../broker-suite.js';
import { cleanUp, deleteRedisKeys, ownRedisPrefix, ownTables, redisKeys, tablesStartingWith } from '../helpers/cleanup.js';
import { redisOptions, redisPair } from '../helpers/redis-engines.js';
import { redisClusterUrl, redisUrl } from '../helpers/redis.js';
import { newOutbox, newPool, pgDsn } from './outbox/helpers.js';

const pool = newPool(2);
after(async () => {
  await pool.end();
  await cleanUp();
});

/** Records of tables named `base…` in tributary_schema_migrations (which cleanUp drops once it is empty). */
async function migrationRecords(base: string): Promise<number> {
  const exists = await pool.query(`SELECT to_regclass('tributary_schema_migrations') IS NOT NULL AS yes`);
  if (!exists.rows[0].yes) return 0;
  const r = await pool.query('SELECT count(*)::int AS n FROM tributary_schema_migrations WHERE starts_with(target, $1)', [base]);
  return r.rows[0].n;
}

/** A plain client for the address: standalone, or the cluster of a redis+cluster:// URL. */
async function connect(address: string): Promise<Redis | Cluster> {
  if (!address.startsWith('redis+cluster://')) return new Redis(address);
  const seed = new URL(address.replace('redis+cluster', 'http'));
  const c = new Cluster([{ host: seed.hostname, port: Number(seed.port) }]);
  await new Promise((r) => c.once('ready', r));
  return c;
}

/** How many of the prefix's keys each master holds. */
async function keysPerMaster(c: Redis | Cluster, prefix: string): Promise<number[]> {
  const nodes = c instanceof Cluster ? c.nodes('master') : [c];
  return Promise.all(nodes.map(async (n) => (await n.keys(`${prefix}.*`)).length));
}

describe('test clean-up', () => {
  it('PostgreSQL: the tables a test made go, with their migration records', async () => {
    const base = `cleanup_${randomBytes(3).toString('hex')}`;
    await newOutbox(base);
    await newOutbox(base);
    const raw = `${base}_raw`;
    ownTables(pgDsn(), raw);
    await pool.query(`CREATE TABLE ${raw} (id int)`);
    assert.equal((await tablesStartingWith(pool, base)).length, 5, 'two outboxes with dead-letter tables, and one made by hand');
    assert.equal(await migrationRecords(base), 4);

    await cleanUp();
    assert.deepEqual(await tablesStartingWith(pool, base), []);
    assert.equal(await migrationRecords(base), 0);
  });

  for (const [label, address] of [
    ['standalone', redisUrl],
    ['Cluster: every master', redisClusterUrl],
  ] as const) {
    it(`Redis ${label}: the keys of the test's prefix go, and only those`, async () => {
      const url = address();
      const prefix = ownRedisPrefix(url, 'cleanup');
      const { broker, presenceManager } = redisPair(redisOptions({ address: [url], prefix }));
      // Closed however the writes end: open links would keep the file from exiting.
      try {
        await broker.start(new RecordingHandler());
        await presenceManager.start();
        const opts = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 60_000, idempotentResultTtlMs: 60_000 };
        for (let i = 0; i < 20; i++) {
          await broker.publish(`ch${i}`, Buffer.from('{}'), { ...opts, idempotencyKey: `k${i}` });
          await presenceManager.addPresence(`ch${i}`, `c${i}`, { user: 'u', client: `c${i}` });
        }
      } finally {
        await broker.close();
        await presenceManager.close();
      }

      const c = await connect(url);
      try {
        // A neighbour whose prefix merely starts with ours keeps its key.
        const neighbour = `${prefix}x.keep`;
        await c.set(neighbour, '1');
        const made = await redisKeys(url, prefix);
        assert.ok(made.length >= 60, `streams, meta, results and presence of 20 channels (${made.length} keys)`);
        const perMaster = await keysPerMaster(c, prefix);
        if (c instanceof Cluster) assert.ok(perMaster.filter((n) => n > 0).length > 1, `keys on several masters: ${perMaster.join(', ')}`);

        await cleanUp();
        assert.deepEqual(await redisKeys(url, prefix), []);
        assert.deepEqual(
          (await keysPerMaster(c, prefix)).filter((n) => n > 0),
          [],
        );
        for (const key of made.slice(0, 10)) assert.equal(await c.exists(key), 0, key);
        assert.equal(await c.exists(neighbour), 1, 'another prefix is left alone');
        assert.equal(await deleteRedisKeys(url, `${prefix}x`), 1);
      } finally {
        c.disconnect();
      }
    });
  }
});
