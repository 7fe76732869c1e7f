// Real Tributary processes on one outbox table: several share the partitions
// (one at a time per partition), one killed with SIGKILL in the middle of a
// backlog loses nothing when started again, and a bad consumer config stops
// the start with a message naming the consumer and the cause.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import {
  bulkInsert,
  cleanUp,
  consumerConfig,
  count,
  history,
  idsInOrder,
  LeanSubscriber,
  newOutbox,
  newPool,
  pgDsn,
  processConfig,
  runTributary,
  spawnTributary,
  waitFor,
  writeConfig,
  type Proc,
} from './helpers.js';

let pool: pg.Pool;
const procs: Proc[] = [];
before(() => {
  pool = newPool(4);
});
after(async () => {
  for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await pool.end();
  await cleanUp();
});

const PARTITIONS = 8;
const channels = (prefix: string) => Array.from({ length: PARTITIONS }, (_, p) => `${prefix}${p}`);

describe('outbox: two Tributary processes on one table', () => {
  it('deliver every row, none twice in history, in order per partition', async (t) => {
    const box = await newOutbox('two');
    const consumer = consumerConfig('shared', box, { num_partitions: PARTITIONS, partition_select_limit: 200 });
    const file = writeConfig(processConfig([consumer]));
    const [a, b] = await Promise.all([spawnTributary(file), spawnTributary(file)]);
    procs.push(a!, b!);
    const total = 8000;
    // Rows keep arriving while both run: 16 transactions of 500.
    for (let k = 0; k < 16; k++) await bulkInsert(pool, box.table, 500, PARTITIONS, 'two', k * 500);
    await waitFor(async () => (await count(pool, box.table)) === 0, 30_000, 'an empty outbox', 50);

    const seen = new Map<number, number>();
    const perProcess: number[] = [];
    for (const p of [a!, b!]) {
      let n = 0;
      for (const [k, channel] of channels('two').entries()) {
        const pubs = await history(p.httpUrl, channel);
        const { ids, ordered } = idsInOrder(pubs);
        assert.ok(ordered, `process ${p.port}, partition ${k}: out of order`);
        assert.deepEqual(
          pubs.map((x) => x.offset),
          pubs.map((_, j) => j + 1),
          'contiguous offsets',
        );
        for (const i of ids) seen.set(i, (seen.get(i) ?? 0) + 1);
        n += ids.length;
      }
      perProcess.push(n);
    }
    assert.equal(seen.size, total, 'every row delivered');
    assert.ok(
      [...seen.values()].every((c) => c === 1),
      'no row twice',
    );
    assert.equal(perProcess[0]! + perProcess[1]!, total);
    t.diagnostic(`rows published per process: ${perProcess.join(' + ')}`);
    await Promise.all([a!.stop(), b!.stop()]);
    assert.equal(a!.proc.exitCode, 0);
    assert.equal(b!.proc.exitCode, 0);
  });
});

describe('outbox: kill -9 in the middle of a 50,000-row backlog', () => {
  it('publishes every row after a restart, and the new process has no copies in its history', async (t) => {
    const box = await newOutbox('kill');
    const total = 50_000;
    const consumer = consumerConfig('killed', box, { num_partitions: PARTITIONS, partition_select_limit: 500 });
    const file = writeConfig(processConfig([consumer]));

    const first = await spawnTributary(file);
    procs.push(first);
    // Subscribed before the backlog appears (in one transaction), so it sees every publication of the first process.
    const watcher = await LeanSubscriber.open(first.wsUrl, channels('kill'));
    await bulkInsert(pool, box.table, total, PARTITIONS, 'kill');
    await waitFor(async () => (await count(pool, box.table)) <= total * 0.6, 30_000, '40% of the backlog processed', 5);
    first.proc.kill('SIGKILL');
    await first.exited;
    watcher.close();

    const left = new Set((await pool.query(`SELECT (payload->'data'->>'i')::int AS i FROM ${box.table}`)).rows.map((r) => r.i as number));
    assert.ok(left.size > 0 && left.size < total, `the kill came mid-backlog (${left.size} rows left)`);

    const second = await spawnTributary(file);
    procs.push(second);
    await waitFor(async () => (await count(pool, box.table)) === 0, 30_000, 'an empty outbox', 50);

    const republished = new Set<number>();
    const beforeKill = new Set<number>();
    for (const [k, channel] of channels('kill').entries()) {
      const pubs = await history(second.httpUrl, channel);
      const { ids, ordered } = idsInOrder(pubs);
      assert.ok(ordered, `partition ${k}: history out of order`);
      assert.deepEqual(
        pubs.map((x) => x.offset),
        pubs.map((_, j) => j + 1),
        `partition ${k}: offsets must be 1..n without gaps`,
      );
      for (const i of ids) {
        assert.ok(!republished.has(i), `row ${i} twice in history`);
        republished.add(i);
      }
      const seen = watcher.received.get(channel)!;
      assert.ok(idsInOrder(seen).ordered, `partition ${k}: the first process delivered out of order`);
      for (const s of seen) beforeKill.add(s.i);
    }
    // The second process published exactly what the first had not committed as done…
    assert.deepEqual(
      [...republished].sort((x, y) => x - y),
      [...left].sort((x, y) => x - y),
    );
    // …and together they published everything. What the watcher saw of the first
    // process is a prefix of each partition, cut where the kill cut its socket:
    // rows committed and written to the socket but still in the server's stream
    // buffer or in flight (a slow watcher under load) die with the process and
    // its memory history. So in partition order: rows the watcher saw, then rows
    // nobody saw (committed just before the kill), then rows the second process
    // published. A row nobody saw with a seen row after it is a row skipped.
    let inFlight = 0;
    for (let k = 0; k < PARTITIONS; k++) {
      let phase: 'seen' | 'cut' | 'second' = 'seen';
      for (let i = k; i < total; i += PARTITIONS) {
        const seen = beforeKill.has(i);
        const again = republished.has(i);
        if (phase === 'seen' && seen) continue;
        if (phase !== 'second' && !seen && !again) {
          phase = 'cut';
          inFlight++;
          continue;
        }
        phase = 'second';
        assert.ok(again, `partition ${k}: row ${i} was never published`);
        assert.ok(!seen, `partition ${k}: row ${i} reached the watcher after a row that did not`);
      }
    }
    // Rows published by the first process in the batches it never committed come
    // again from the second (the memory engine's idempotency cache died with the
    // process): at most one batch per partition.
    const again = [...republished].filter((i) => beforeKill.has(i)).length;
    assert.ok(again <= PARTITIONS * 500, `${again} rows published by both`);
    t.diagnostic(
      `killed with ${left.size} rows left; ${again} rows published by both processes (uncommitted batches); ${inFlight} in flight to the watcher at the kill`,
    );
    assert.equal(await second.stop(), 0);
  });
});

describe('outbox: bad consumer config', () => {
  it('an unreachable DSN stops the start with the consumer name and the cause', () => {
    const file = writeConfig(
      processConfig([
        { name: 'orders_outbox', enabled: true, type: 'postgresql', postgresql: { dsn: 'postgres://tributary@127.0.0.1:1/app', outbox_table_name: 'outbox' } },
      ]),
    );
    const r = runTributary(file);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /tributary: cannot start: consumer "orders_outbox": cannot connect to PostgreSQL at 127\.0\.0\.1:1\/app: .*ECONNREFUSED/);
    assert.match(r.output, /"level":"fatal".*"msg":"cannot start: consumer \\"orders_outbox\\"/);
  });

  it('a missing table stops the start with the consumer name and the cause', () => {
    const file = writeConfig(
      processConfig([{ name: 'orders_outbox', enabled: true, type: 'postgresql', postgresql: { dsn: pgDsn(), outbox_table_name: 'missing_outbox' } }]),
    );
    const r = runTributary(file);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /cannot start: consumer "orders_outbox": outbox table "missing_outbox" does not exist/);
  });

  it('checkconfig names every bad consumer key', () => {
    const file = writeConfig(
      processConfig([
        { name: 'a1', enabled: true, type: 'postgresql', postgresql: { num_partitions: 0, partition_select_limit: -1, outbox_table_name: 'x; drop table y' } },
        { name: 'a2', enabled: true, type: 'kafka', kafka: {} },
      ]),
    );
    const r = runTributary(file);
    assert.equal(r.status, 1);
    assert.match(r.output, /consumers\[0\]\.postgresql\.dsn: no Postgres DSN provided/);
    assert.match(r.output, /consumers\[0\]\.postgresql\.outbox_table_name: "x; drop table y" must be a plain table name/);
    assert.match(r.output, /consumers\[0\]\.postgresql\.partition_select_limit: -1 must be positive/);
    assert.match(r.output, /consumers\[1\]\.kafka\.brokers: no Kafka brokers provided/);
    assert.match(r.output, /consumers\[1\]\.kafka\.consumer_group: no Kafka consumer group provided/);
  });
});
