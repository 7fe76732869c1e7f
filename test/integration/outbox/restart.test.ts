// PostgreSQL going away under traffic: a single dropped connection does not
// make /health flap; a real restart makes it 503 (naming the consumer) while
// the database is down, and afterwards the workers and the LISTEN connection
// come back by themselves and every row is delivered once.
//
// This file runs its own throwaway cluster (scripts/services/postgres.sh with
// another data dir and port), so restarting it cannot disturb the other tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import {
  bulkInsert,
  consumerConfig,
  count,
  dropOwnTables,
  history,
  idsInOrder,
  LeanSubscriber,
  newOutbox,
  newPool,
  root,
  sleep,
  startOutboxServer,
  waitFor,
  type InProcess,
} from './helpers.js';

const env = { ...process.env, TRIBUTARY_PG_DATA: join(root, '.cache/postgres-restart-test'), TRIBUTARY_PG_PORT: '55433' };

function service(command: 'ensure' | 'stop'): string {
  const r = spawnSync('bash', ['scripts/services/postgres.sh', command], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `postgres.sh ${command}: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

async function metric(srv: InProcess, re: RegExp): Promise<string | undefined> {
  const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  return re.exec(text)?.[1];
}

describe('outbox: PostgreSQL restart during traffic', () => {
  let dsn: string;
  let pool: pg.Pool;
  before(() => {
    dsn = service('ensure');
    pool = newPool(2, dsn);
  });
  after(async () => {
    await pool.end();
    // Its data directory outlives the run: the tables go before the cluster stops.
    try {
      service('ensure');
      await dropOwnTables(dsn);
    } finally {
      service('stop');
    }
  });

  it('survives its connections being killed in the middle of passes, without a copy in history', async () => {
    const box = await newOutbox('killconn', dsn);
    const srv = await startOutboxServer([consumerConfig('killconn_outbox', box, { num_partitions: 4, partition_select_limit: 200 }, dsn)]);
    try {
      await bulkInsert(pool, box.table, 20_000, 4, 'kc');
      // Every consumer connection, again and again, while batches are in flight.
      for (let k = 0; k < 15; k++) {
        await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tributary:killconn_outbox'`);
        await sleep(20);
      }
      await waitFor(async () => (await count(pool, box.table)) === 0, 30_000, 'an empty outbox', 50);
      for (let p = 0; p < 4; p++) {
        const pubs = await history(srv.httpUrl, `kc${p}`);
        const { ids, ordered } = idsInOrder(pubs);
        assert.ok(ordered, `kc${p} out of order`);
        assert.equal(ids.length, 5000, `kc${p}: every row once`);
        assert.equal(pubs.at(-1)!.offset, 5000);
      }
    } finally {
      await srv.stop();
    }
  });

  it('reconnects and carries on; /health says so only while the database is really gone', async () => {
    const box = await newOutbox('restart', dsn);
    // A long poll interval: deliveries after the restart within it prove LISTEN is back.
    const srv = await startOutboxServer([consumerConfig('restart_outbox', box, { num_partitions: 2, partition_poll_interval: '20s' }, dsn)]);
    const sub = await LeanSubscriber.open(srv.wsUrl, ['rs0', 'rs1']);
    let next = 0;
    let producing = true;
    let insertErrors = 0;
    // One row at a time, retried until it commits; an insert whose commit was lost
    // may land twice, and its idempotency key keeps the copy out of history.
    const producer = (async () => {
      while (producing) {
        const i = next;
        try {
          await pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('publish', $1, $2)`, [
            { channel: `rs${i % 2}`, data: { i }, idempotency_key: `row-${i}` },
            i % 2,
          ]);
          next++;
          await sleep(10);
        } catch {
          insertErrors++;
          await sleep(100);
        }
      }
    })();
    const health = async () => {
      const res = await fetch(`${srv.httpUrl}/health`);
      return { status: res.status, body: (await res.json()) as any };
    };
    try {
      await waitFor(() => sub.total >= 50, 10_000, '50 deliveries');

      // One dropped connection (every consumer connection, once): no flapping.
      await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tributary:restart_outbox%'`);
      for (let k = 0; k < 5; k++) {
        assert.equal((await health()).status, 200);
        await sleep(200);
      }
      const afterBlip = sub.total;
      await waitFor(() => sub.total >= afterBlip + 20, 10_000, 'deliveries after the dropped connections');

      service('stop');
      const down = Date.now();
      await waitFor(async () => (await health()).status === 503, 15_000, '/health to report the consumer', 250);
      const report = (await health()).body;
      assert.equal(report.status, 'unhealthy');
      assert.match(report.consumers.restart_outbox.detail, /PostgreSQL at 127\.0\.0\.1:55433\/tributary failing for \d+s/);
      assert.ok(Date.now() - down >= 4000, 'not before the database has been gone for a while');
      assert.equal(await metric(srv, /^tributary_outbox_listener_connected\{consumer_name="restart_outbox"\} (\d)/m), '0');

      service('ensure');
      await waitFor(async () => (await health()).status === 200, 15_000, '/health back to 200', 250);
      await waitFor(
        async () => (await metric(srv, /^tributary_outbox_listener_connected\{consumer_name="restart_outbox"\} (\d)/m)) === '1',
        15_000,
        'the LISTEN connection back',
        250,
      );
      const resumed = next;
      await waitFor(() => next >= resumed + 50, 10_000, '50 more inserts');
      producing = false;
      await producer;
      const total = next;
      await waitFor(() => sub.total >= total, 15_000, `all ${total} rows delivered`);
      await sleep(200);
      const all = new Set<number>();
      for (const [channel, pubs] of sub.received) {
        assert.ok(idsInOrder(pubs).ordered, `${channel} out of order`);
        for (const p of pubs) all.add(p.i);
      }
      assert.equal(all.size, total, 'every row delivered');
      assert.equal(sub.total, total, 'none twice');
      assert.ok(insertErrors > 0, 'the producer saw the outage');
    } finally {
      producing = false;
      await producer;
      sub.close();
      await srv.stop();
    }
  });
});
