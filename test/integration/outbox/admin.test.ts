// The admin UI's Consumers data against a real outbox: per-partition backlog
// and dead letters, the dead-letter list, a retry that sends a fixed row back
// through the outbox to subscribers, a delete, and bad requests.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { cleanUp, consumerConfig, history, newOutbox, newPool, startOutboxServer, waitFor, type InProcess, type Outbox } from './helpers.js';

let pool: pg.Pool;
let box: Outbox;
let srv: InProcess;

const admin = (path: string, init: RequestInit = {}) => fetch(`${srv.httpUrl}/admin/${path}`, init);
const post = (path: string, body: unknown) => admin(path, { method: 'POST', body: JSON.stringify(body) });

before(async () => {
  pool = newPool();
  box = await newOutbox('admin');
  srv = await startOutboxServer([consumerConfig('admin_outbox', box, { num_partitions: 2 })], {
    config: { admin: { enabled: true, insecure: true } } as never,
  });
});

after(async () => {
  await srv?.stop();
  await pool?.end();
  await cleanUp();
});

async function insert(partition: number, payload: unknown): Promise<void> {
  await pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('publish', $1, $2)`, [JSON.stringify(payload), partition]);
}

describe('admin: outbox consumers', () => {
  it('lists the consumer with its partitions, dead letters, and retries a fixed row through to history', async () => {
    await insert(0, { channel: 'adm', data: { n: 1 } });
    await insert(1, { channel: 'nowhere:x', data: { n: 2 } }); // unknown namespace: dead-lettered at once
    await insert(1, { channel: 'nowhere:y', data: { n: 3 } });
    await waitFor(async () => (await pool.query(`SELECT count(*)::int AS n FROM ${box.deadLetter}`)).rows[0].n === 2, 5000, 'two dead letters');

    const consumers = ((await (await admin('consumers')).json()) as { consumers: any[] }).consumers;
    assert.equal(consumers.length, 1);
    const c = consumers[0];
    assert.equal(c.name, 'admin_outbox');
    assert.equal(c.type, 'postgresql');
    assert.equal(c.healthy, true);
    assert.equal(c.dead_letters, true);
    assert.equal(c.outbox.table, box.table);
    assert.deepEqual(c.outbox.total, { backlog: 0, dead_letter: 2, max_lag_seconds: 0 });
    assert.deepEqual(
      c.outbox.partitions.map((p: any) => [p.partition, p.dead_letter]),
      [[1, 2]],
    );

    const page = (await (await admin('dead_letters?consumer=admin_outbox&limit=1')).json()) as { items: any[]; more: boolean };
    assert.equal(page.items.length, 1);
    assert.equal(page.more, true);
    const newest = page.items[0];
    assert.deepEqual(newest.payload, { channel: 'nowhere:y', data: { n: 3 } });
    assert.equal(newest.last_error, '102: unknown channel');
    const rest = (await (await admin(`dead_letters?consumer=admin_outbox&before=${newest.id}`)).json()) as { items: any[]; more: boolean };
    assert.equal(rest.items.length, 1);
    assert.equal(rest.more, false);
    const oldest = rest.items[0];

    // The operator fixes the row, then retries it: it goes back to the outbox and reaches the channel.
    await pool.query(`UPDATE ${box.deadLetter} SET payload = jsonb_set(payload, '{channel}', '"adm"') WHERE id = $1`, [oldest.id]);
    assert.deepEqual(await (await post('dead_letters/retry', { consumer: 'admin_outbox', ids: [oldest.id] })).json(), { retried: 1 });
    await waitFor(async () => (await history(srv.httpUrl, 'adm')).length === 2, 5000, 'the retried row in history');
    assert.deepEqual(
      (await history(srv.httpUrl, 'adm')).map((p) => p.data.n),
      [1, 2],
    );
    assert.deepEqual(await (await post('dead_letters/delete', { consumer: 'admin_outbox', ids: [newest.id] })).json(), { deleted: 1 });
    assert.equal((await pool.query(`SELECT count(*)::int AS n FROM ${box.deadLetter}`)).rows[0].n, 0);
    // Already gone: nothing to do, no error.
    assert.deepEqual(await (await post('dead_letters/retry', { consumer: 'admin_outbox', ids: [newest.id] })).json(), { retried: 0 });
  });

  it('refuses bad requests with the error, and leaves the rows alone', async () => {
    const bad = async (path: string, body: unknown, status: number) => {
      const r = await post(path, body);
      assert.equal(r.status, status, JSON.stringify(body));
      return ((await r.json()) as { error: { code: number } }).error.code;
    };
    assert.equal(await bad('dead_letters/retry', { consumer: 'admin_outbox', ids: [] }, 400), 107);
    assert.equal(await bad('dead_letters/retry', { consumer: 'admin_outbox', ids: ['1'] }, 400), 107);
    assert.equal(await bad('dead_letters/delete', { consumer: 'admin_outbox', ids: Array.from({ length: 1001 }, (_, i) => i + 1) }, 400), 107);
    assert.equal(await bad('dead_letters/retry', { consumer: 'nope', ids: [1] }, 404), 102);
    assert.equal((await admin('dead_letters?consumer=nope')).status, 404);
    const notJson = await admin('dead_letters/delete', { method: 'POST', body: '{' });
    assert.equal(notJson.status, 400);
    assert.equal((await admin('dead_letters/retry')).status, 405);
  });
});
