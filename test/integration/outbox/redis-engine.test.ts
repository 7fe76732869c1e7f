// The outbox with the Redis engine: history and idempotency results outlive a
// process, so "never twice in history" holds across processes and across a
// kill -9 — the promise the memory engine can only keep within one process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';
import {
  bulkInsert,
  cleanUp,
  consumerConfig,
  count,
  history,
  idsInOrder,
  newOutbox,
  newPool,
  processConfig,
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
  // The outbox tables and the Redis keys of every prefix below.
  await cleanUp();
});

const PARTITIONS = 8;
const channels = (prefix: string) => Array.from({ length: PARTITIONS }, (_, p) => `${prefix}${p}`);

function redisEngine(): Record<string, unknown> {
  return { engine: { type: 'redis', redis: { address: [redisUrl()], prefix: ownRedisPrefix(redisUrl(), 'outbox') } } };
}

/** Reads every partition channel's history and checks it: in order, offsets 1..n, no row twice. */
async function sharedHistory(httpUrl: string, prefix: string): Promise<Set<number>> {
  const seen = new Set<number>();
  for (const [k, channel] of channels(prefix).entries()) {
    const pubs = await history(httpUrl, channel);
    const { ids, ordered } = idsInOrder(pubs);
    assert.ok(ordered, `partition ${k}: history out of order`);
    assert.deepEqual(
      pubs.map((x) => x.offset),
      pubs.map((_, j) => j + 1),
      `partition ${k}: offsets must be 1..n without gaps`,
    );
    for (const i of ids) {
      assert.ok(!seen.has(i), `row ${i} twice in history`);
      seen.add(i);
    }
  }
  return seen;
}

describe('outbox + Redis engine: two processes on one table', () => {
  it('share one history: every row once, in order per partition', async (t) => {
    const box = await newOutbox('rtwo');
    const file = writeConfig(processConfig([consumerConfig('rshared', box, { num_partitions: PARTITIONS, partition_select_limit: 200 })], redisEngine()));
    const [a, b] = await Promise.all([spawnTributary(file), spawnTributary(file)]);
    procs.push(a!, b!);
    const total = 8000;
    for (let k = 0; k < 16; k++) await bulkInsert(pool, box.table, 500, PARTITIONS, 'rtwo', k * 500);
    await waitFor(async () => (await count(pool, box.table)) === 0, 60_000, 'an empty outbox', 50);
    const fromA = await sharedHistory(a!.httpUrl, 'rtwo');
    const fromB = await sharedHistory(b!.httpUrl, 'rtwo');
    assert.equal(fromA.size, total, 'every row delivered');
    assert.deepEqual(fromB, fromA, 'both processes read the same history');
    t.diagnostic(`${total} rows in one shared history`);
    await Promise.all([a!.stop(), b!.stop()]);
  });
});

describe('outbox + Redis engine: kill -9 in the middle of a 50,000-row backlog', () => {
  it('after a restart every row is in history exactly once, offsets without gaps', async (t) => {
    const box = await newOutbox('rkill');
    const total = 50_000;
    const file = writeConfig(processConfig([consumerConfig('rkilled', box, { num_partitions: PARTITIONS, partition_select_limit: 500 })], redisEngine()));

    const first = await spawnTributary(file);
    procs.push(first);
    await bulkInsert(pool, box.table, total, PARTITIONS, 'rkill');
    await waitFor(async () => (await count(pool, box.table)) <= total * 0.6, 60_000, '40% of the backlog processed', 5);
    first.proc.kill('SIGKILL');
    await first.exited;
    const left = await count(pool, box.table);
    assert.ok(left > 0 && left < total, `the kill came mid-backlog (${left} rows left)`);

    const second = await spawnTributary(file);
    procs.push(second);
    await waitFor(async () => (await count(pool, box.table)) === 0, 60_000, 'an empty outbox', 50);
    const seen = await sharedHistory(second.httpUrl, 'rkill');
    for (let i = 0; i < total; i++) assert.ok(seen.has(i), `row ${i} was never published`);
    assert.equal(seen.size, total);
    t.diagnostic(`killed with ${left} rows left; history holds each of the ${total} rows once`);
    assert.equal(await second.stop(), 0);
  });
});
