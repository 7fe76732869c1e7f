// The outbox consumer in one Tributary server, against the real PostgreSQL and
// the official SDK: rows inserted in a transaction reach subscribers only after
// the commit, once, in order per partition, and fast (LISTEN/NOTIFY).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { subscribeChannels, subscribedClient } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
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
  sleep,
  startOutboxServer,
  waitFor,
  type InProcess,
  type Outbox,
} from './helpers.js';

let pool: pg.Pool;
before(() => {
  pool = newPool(6);
});
// The servers stop in their own hooks, before this one: then the tables go.
after(async () => {
  await pool.end();
  await cleanUp();
});

function subscribe(wsUrl: string, channel: string) {
  return subscribedClient(wsUrl, channel, 'alice', token);
}

describe('outbox: a transaction reaches the SDK client on commit, and only then', () => {
  let box: Outbox;
  let srv: InProcess;
  before(async () => {
    box = await newOutbox('tx');
    // A long poll interval: a fast delivery proves the NOTIFY wake-up.
    srv = await startOutboxServer([consumerConfig('tx_outbox', box, { num_partitions: 2, partition_poll_interval: '10s' })]);
  });
  after(() => srv.stop());

  it('delivers a row inserted in a committed transaction, not before the commit', async () => {
    const { client, pubs } = await subscribe(srv.wsUrl, 'orders');
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await tx.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('publish', $1, 1)`, [
        { channel: 'orders', data: { order: 42, note: 'in a transaction' } },
      ]);
      await sleep(400);
      assert.equal(pubs.length, 0, 'nothing may be delivered before the commit');
      const committed = Date.now();
      await tx.query('COMMIT');
      await waitFor(() => pubs.length === 1, 2000, 'the publication');
      assert.ok(Date.now() - committed < 1000, 'woken by NOTIFY, not by the 10 s poll');
      assert.deepEqual(pubs[0].data, { order: 42, note: 'in a transaction' });
    } finally {
      tx.release();
      client.disconnect();
    }
    assert.equal(await count(pool, box.table), 0, 'the row is deleted once published');
  });

  it('delivers nothing from a rolled-back transaction', async () => {
    const { client, pubs } = await subscribe(srv.wsUrl, 'orders');
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await tx.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('publish', $1, 0)`, [{ channel: 'orders', data: { rolled: 'back' } }]);
      await tx.query('ROLLBACK');
      // A later committed row: once it is here, the rolled-back one had every chance.
      await pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('publish', $1, 0)`, [{ channel: 'orders', data: { marker: 1 } }]);
      await waitFor(() => pubs.length >= 1, 2000, 'the marker');
      await sleep(300);
      assert.deepEqual(
        pubs.map((p) => p.data),
        [{ marker: 1 }],
      );
    } finally {
      tx.release();
      client.disconnect();
    }
  });

  it('takes the method from an envelope row, and keeps data as PostgreSQL stored it', async () => {
    const { client, pubs } = await subscribe(srv.wsUrl, 'env');
    try {
      await pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('', $1, 0)`, [
        '{"method": "publish", "payload": {"channel": "env", "data": {"big": 12345678901234567890}}}',
      ]);
      await waitFor(() => pubs.length === 1, 2000, 'the publication');
      const h = await history(srv.httpUrl, 'env');
      assert.equal(h.length, 1);
      // The number beyond 2^53 survives: data is not re-serialised from a JS number.
      const res = await fetch(`${srv.httpUrl}/api/history`, {
        method: 'POST',
        headers: { 'X-API-Key': 'test-api-key' },
        body: JSON.stringify({ channel: 'env', limit: -1 }),
      });
      assert.match(await res.text(), /12345678901234567890/);
    } finally {
      client.disconnect();
    }
  });
});

describe('outbox: 10,000 rows over 8 partitions', () => {
  let box: Outbox;
  let srv: InProcess;
  before(async () => {
    box = await newOutbox('bulk');
    srv = await startOutboxServer([consumerConfig('bulk_outbox', box, { num_partitions: 8, partition_select_limit: 500 })]);
  });
  after(() => srv.stop());

  it('reach the client with per-partition order preserved and none lost', async () => {
    const channels = Array.from({ length: 8 }, (_, p) => `bulk${p}`);
    const { client } = await subscribe(srv.wsUrl, 'unused');
    const subs = await subscribeChannels(client, channels);
    try {
      // Ten transactions of 1,000 rows while the consumer runs.
      for (let k = 0; k < 10; k++) await bulkInsert(pool, box.table, 1000, 8, 'bulk', k * 1000);
      await waitFor(() => subs.reduce((n, s) => n + s.pubs.length, 0) >= 10_000, 30_000, '10,000 publications');
      const all = new Set<number>();
      subs.forEach((s, p) => {
        const { ids, ordered } = idsInOrder(s.pubs.map((x) => ({ i: x.data.i })));
        assert.ok(ordered, `partition ${p} out of order`);
        for (const i of ids) {
          assert.equal(i % 8, p);
          all.add(i);
        }
      });
      assert.equal(all.size, 10_000, 'every row once');
      await sleep(200);
      assert.equal(
        subs.reduce((n, s) => n + s.pubs.length, 0),
        10_000,
        'nothing twice',
      );
      assert.equal(await count(pool, box.table), 0);
    } finally {
      client.disconnect();
    }
  });
});

describe('outbox: without notifications (polling only) and with use_try_lock', () => {
  for (const [label, opts] of [
    ['polling only', { partition_notification_channel: '', partition_poll_interval: '50ms' }],
    ['use_try_lock', { use_try_lock: true, partition_poll_interval: '50ms' }],
  ] as const) {
    it(`delivers every row (${label})`, async () => {
      const box = await newOutbox('poll');
      const srv = await startOutboxServer([consumerConfig('poll_outbox', box, { num_partitions: 4, ...opts })]);
      const sub = await LeanSubscriber.open(srv.wsUrl, ['poll0', 'poll1', 'poll2', 'poll3']);
      try {
        await bulkInsert(pool, box.table, 400, 4, 'poll');
        await waitFor(() => sub.total >= 400, 10_000, '400 publications');
        for (const pubs of sub.received.values()) assert.ok(idsInOrder(pubs).ordered);
        assert.equal(sub.total, 400);
      } finally {
        sub.close();
        await srv.stop();
      }
    });
  }
});

describe('outbox: metrics', () => {
  it('counts rows per consumer and partition, batch durations, lag and latency', async () => {
    const box = await newOutbox('metrics');
    const srv = await startOutboxServer([consumerConfig('metrics_outbox', box, { num_partitions: 2 })]);
    try {
      await bulkInsert(pool, box.table, 10, 2, 'm');
      await pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('nope', '{}', 1)`);
      await waitFor(async () => (await count(pool, box.table)) === 0, 5000, 'an empty outbox');
      await sleep(100);
      const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1]);
      assert.equal(value(/^centrifugo_consumers_messages_processed_total\{consumer_name="metrics_outbox"\} (\d+)/m), 10);
      assert.equal(value(/^centrifugo_consumers_errors_total\{consumer_name="metrics_outbox"\} (\d+)/m), 0);
      assert.equal(value(/^tributary_outbox_rows_processed_total\{consumer_name="metrics_outbox",partition="0"\} (\d+)/m), 5);
      assert.equal(value(/^tributary_outbox_rows_processed_total\{consumer_name="metrics_outbox",partition="1"\} (\d+)/m), 5);
      assert.equal(value(/^tributary_outbox_rows_failed_total\{consumer_name="metrics_outbox",partition="1"\} (\d+)/m), 1);
      assert.equal(value(/^tributary_outbox_rows_dead_lettered_total\{consumer_name="metrics_outbox",partition="1",reason="unsupported_method"\} (\d+)/m), 1);
      assert.ok(value(/^tributary_outbox_batch_duration_seconds_count\{consumer_name="metrics_outbox"\} (\d+)/m) >= 1);
      assert.equal(value(/^tributary_outbox_publish_latency_seconds_count\{consumer_name="metrics_outbox"\} (\d+)/m), 10);
      // Measured on the database's clock (read with the partition lock): rows inserted just now, so under seconds each.
      const latencySum = value(/^tributary_outbox_publish_latency_seconds_sum\{consumer_name="metrics_outbox"\} (\S+)/m);
      assert.ok(latencySum >= 0 && latencySum < 10 * 5, `latency sum ${latencySum}`);
      assert.match(text, /^tributary_outbox_lag_seconds\{consumer_name="metrics_outbox",partition="1"\} /m);
      assert.match(text, /^tributary_outbox_listener_connected\{consumer_name="metrics_outbox"\} 1/m);
      assert.match(text, /^centrifugo_api_command_duration_seconds_count\{protocol="consuming",method="publish"\} /m);
    } finally {
      await srv.stop();
    }
  });
});
