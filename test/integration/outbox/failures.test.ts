// Rows that fail: poison rows go to the dead-letter table (after max_attempts
// for retryable errors, at once for the rest) and the partition goes on; a
// crash between publishing and committing never puts a second copy into
// history; a consumer that cannot start says which one and why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { PublishOptions, PublishResult } from '../../../src/engines/broker.js';
import { MemoryBroker } from '../../../src/engines/memory/memory-broker.js';
import type { Raw } from '../../../src/protocol/types.js';
import {
  cleanUp,
  consumerConfig,
  count,
  history,
  idsInOrder,
  newOutbox,
  newPool,
  ownTables,
  pgDsn,
  sleep,
  startOutboxServer,
  waitFor,
  type Outbox,
} from './helpers.js';

/** The memory broker, with publishes to chosen channels failing (an internal error, code 100). */
class FlakyBroker extends MemoryBroker {
  /** channel → how many more publishes fail (Infinity: all). */
  readonly failing = new Map<string, number>();
  unhealthy = false;
  override publish(channel: string, data: Raw, opts: PublishOptions): Promise<PublishResult> {
    if (this.refuses(channel)) return Promise.reject(new Error(`engine refuses ${channel}`));
    return super.publish(channel, data, opts);
  }
  /** Consumers publish through here on the memory broker (Broker.publishNow). */
  override publishNow(channel: string, data: Raw, opts: PublishOptions): PublishResult {
    if (this.refuses(channel)) throw new Error(`engine refuses ${channel}`);
    return super.publishNow(channel, data, opts);
  }
  private refuses(channel: string): boolean {
    const left = this.failing.get(channel) ?? 0;
    if (left > 0) this.failing.set(channel, left - 1);
    return left > 0;
  }
  override health() {
    return this.unhealthy ? { healthy: false, detail: 'test: down' } : super.health();
  }
}

let pool: pg.Pool;
before(() => {
  pool = newPool(4);
});
after(async () => {
  await pool.end();
  await cleanUp();
});

async function insert(box: Outbox, rows: [method: string, payload: unknown, partition: number][]): Promise<string[]> {
  const ids: string[] = [];
  for (const [method, payload, partition] of rows) {
    const r = await pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ($1, $2, $3) RETURNING id`, [
      method,
      typeof payload === 'string' ? payload : JSON.stringify(payload),
      partition,
    ]);
    ids.push(r.rows[0].id);
  }
  return ids;
}

async function deadLetters(box: Outbox): Promise<any[]> {
  return (await pool.query(`SELECT * FROM ${box.deadLetter} ORDER BY id`)).rows;
}

const pub = (channel: string, i: number, extra: Record<string, unknown> = {}) =>
  ['publish', { channel, data: { i }, ...extra }, 0] as [string, unknown, number];

describe('outbox: dead letters', () => {
  it('moves a poison row to the dead-letter table after max_attempts with its error; the rows after it are delivered', async () => {
    const box = await newOutbox('poison');
    const broker = new FlakyBroker();
    broker.failing.set('poison', Infinity);
    const srv = await startOutboxServer([consumerConfig('poison_outbox', box, { max_attempts: 3 })], { broker });
    try {
      const ids = await insert(box, [pub('ok', 1), pub('poison', 2), pub('ok', 3), pub('ok', 4)]);
      await waitFor(async () => (await count(pool, box.table)) === 0, 5000, 'an empty outbox');
      assert.deepEqual(
        (await history(srv.httpUrl, 'ok')).map((p) => p.data.i),
        [1, 3, 4],
      );
      const dl = await deadLetters(box);
      assert.equal(dl.length, 1);
      assert.equal(dl[0].outbox_id, ids[1]);
      assert.equal(dl[0].method, 'publish');
      assert.deepEqual(dl[0].payload, { channel: 'poison', data: { i: 2 } });
      assert.equal(dl[0].partition, 0);
      assert.equal(dl[0].consumer, 'poison_outbox');
      assert.equal(dl[0].attempts, 3);
      assert.equal(dl[0].last_error, 'gave up after 3 attempts: 100: internal server error');
      assert.ok(dl[0].created_at instanceof Date && dl[0].failed_at instanceof Date);
      const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
      assert.match(text, /tributary_outbox_rows_dead_lettered_total\{consumer_name="poison_outbox",partition="0",reason="max_attempts"\} 1/);
      assert.match(text, /tributary_outbox_rows_failed_total\{consumer_name="poison_outbox",partition="0"\} 3/);
      assert.match(text, /centrifugo_consumers_errors_total\{consumer_name="poison_outbox"\} 2/);
    } finally {
      await srv.stop();
    }
  });

  it('dead-letters rows that can never succeed at once, with the reason, and keeps the partition going in order', async () => {
    const box = await newOutbox('never');
    const srv = await startOutboxServer([consumerConfig('never_outbox', box)]);
    try {
      const ids = await insert(box, [
        pub('ok', 1),
        ['publish', { channel: 'nowhere:x', data: 1 }, 0], // unknown namespace: 102
        pub('ok', 2),
        ['history', { channel: 'ok' }, 0], // not a consumer method
        ['publish', { channel: 5 }, 0], // wrong type: undecodable
        ['publish', [1, 2], 0], // not an object
        ['', { method: 7 }, 0], // malformed envelope
        ['', { method: 'publish', payload: { channel: 'ok', data: { i: 3 } } }, 0], // a good envelope
        ['', { method: 'publish', payload: '{"channel":"ok","data":{"i":4}}' }, 0], // payload as a JSON string
        ['publish', { channel: '', data: 1 }, 0], // bad request: 107
        pub('ok', 5),
      ]);
      await waitFor(async () => (await count(pool, box.table)) === 0, 5000, 'an empty outbox');
      assert.deepEqual(
        (await history(srv.httpUrl, 'ok')).map((p) => p.data.i),
        [1, 2, 3, 4, 5],
      );
      const dl = await deadLetters(box);
      assert.deepEqual(
        dl.map((d) => [d.outbox_id, d.attempts, d.last_error]),
        [
          [ids[1], 1, '102: unknown channel'],
          [ids[3], 1, 'unsupported method "history"'],
          [ids[4], 1, 'bad payload: channel must be a string'],
          [ids[5], 1, 'payload must be a JSON object'],
          [ids[6], 1, 'malformed envelope: "method" must be a string'],
          [ids[9], 1, '107: bad request'],
        ],
      );
      assert.deepEqual(dl[3].payload, [1, 2]);
    } finally {
      await srv.stop();
    }
  });

  it('retries a retryable failure with backoff and keeps order: the row is delivered once it succeeds', async () => {
    const box = await newOutbox('retry');
    const broker = new FlakyBroker();
    broker.failing.set('r', 2);
    const srv = await startOutboxServer([consumerConfig('retry_outbox', box, { max_attempts: 5 })], { broker });
    try {
      await insert(box, [
        ['publish', { channel: 'r', data: { i: 1 } }, 0],
        ['publish', { channel: 'r', data: { i: 2 } }, 0],
      ]);
      await waitFor(async () => (await count(pool, box.table)) === 0, 5000, 'an empty outbox');
      assert.deepEqual(
        (await history(srv.httpUrl, 'r')).map((p) => p.data.i),
        [1, 2],
      );
      assert.equal((await deadLetters(box)).length, 0);
    } finally {
      await srv.stop();
    }
  });

  it('does not count failures against a row while the engine is unhealthy', async () => {
    const box = await newOutbox('down');
    const broker = new FlakyBroker();
    broker.failing.set('d', Infinity);
    broker.unhealthy = true;
    const srv = await startOutboxServer([consumerConfig('down_outbox', box, { max_attempts: 2 })], { broker });
    try {
      await insert(box, [['publish', { channel: 'd', data: { i: 1 } }, 0]]);
      await sleep(400); // several retries (20, 40, 80, 160 ms backoff)
      assert.equal(await count(pool, box.table), 1, 'the row waits for the engine');
      broker.failing.delete('d');
      broker.unhealthy = false;
      await waitFor(async () => (await count(pool, box.table)) === 0, 8000, 'an empty outbox');
      assert.equal((await history(srv.httpUrl, 'd')).length, 1);
      assert.equal((await deadLetters(box)).length, 0);
    } finally {
      await srv.stop();
    }
  });

  it('reports the age of a stuck row as the partition lag', async () => {
    const box = await newOutbox('lag');
    const broker = new FlakyBroker();
    broker.failing.set('stuck', Infinity);
    await pool.query(
      `INSERT INTO ${box.table} (method, payload, partition, created_at) VALUES ('publish', '{"channel":"stuck","data":1}', 0, now() - interval '90 seconds')`,
    );
    const srv = await startOutboxServer([consumerConfig('lag_outbox', box, { max_attempts: -1 })], { broker });
    try {
      let lag = NaN;
      await waitFor(
        async () => {
          const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
          lag = Number(/^tributary_outbox_lag_seconds\{consumer_name="lag_outbox",partition="0"\} (\S+)/m.exec(text)?.[1]);
          return lag >= 90;
        },
        5000,
        'the lag gauge',
        100,
      );
      assert.ok(lag < 120, String(lag));
      assert.equal(await count(pool, box.table), 1, 'max_attempts: -1 retries forever');
    } finally {
      await srv.stop();
    }
  });
});

describe('outbox: a crash between publishing and committing', () => {
  it('takes the published rows off on the next pass without publishing them again', async () => {
    const box = await newOutbox('crash');
    const srv = await startOutboxServer([consumerConfig('crash_outbox', box, { partition_select_limit: 50 })]);
    let failures = 0;
    srv.consumer.hooks.beforeCommit = () => {
      // The first two passes end before the delete commits: the first after
      // publishing all four rows, the second after taking them off unpublished.
      if (failures < 2) {
        failures++;
        throw new Error('simulated crash before commit');
      }
    };
    try {
      // One statement, so every pass sees all four rows.
      await pool.query(`INSERT INTO ${box.table} (method, payload) VALUES
        ('publish', '{"channel":"c","data":{"i":1}}'), ('publish', '{"channel":"c","data":{"i":2}}'),
        ('publish', '{"channel":"c","data":{"i":3},"idempotency_key":"own-key"}'), ('publish', '{"channel":"c","data":{"i":4}}')`);
      await waitFor(async () => (await count(pool, box.table)) === 0, 5000, 'an empty outbox');
      assert.equal(failures, 2);
      const h = await history(srv.httpUrl, 'c');
      const { ids, ordered } = idsInOrder(h);
      assert.deepEqual(ids, [1, 2, 3, 4]);
      assert.ok(ordered);
      assert.deepEqual(
        h.map((p) => p.offset),
        [1, 2, 3, 4],
      );
      const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
      assert.equal(/^centrifugo_broker_publish_suppressed_count (\d+)/m.exec(text)?.[1], '0', 'nothing was published a second time to be suppressed');
      assert.equal(/^centrifugo_node_messages_sent_count\{type="publication"\} (\d+)/m.exec(text)?.[1], '4', 'each row published once');
    } finally {
      await srv.stop();
    }
  });
});

describe('outbox: a consumer that cannot start', () => {
  const expectStartError = async (consumer: Record<string, unknown>, message: RegExp) => {
    await assert.rejects(startOutboxServer([consumer]), (err: Error) => {
      assert.equal(err.name, 'ConsumerStartError');
      assert.match(err.message, message);
      return true;
    });
  };

  it('names itself and the unreachable database', async () => {
    await expectStartError(
      { name: 'nodb', enabled: true, type: 'postgresql', postgresql: { dsn: 'postgres://tributary@127.0.0.1:1/tributary', outbox_table_name: 'outbox' } },
      /^consumer "nodb": cannot connect to PostgreSQL at 127\.0\.0\.1:1\/tributary: .*ECONNREFUSED/,
    );
  });

  it('names a missing outbox table, a missing dead-letter table and a missing column', async () => {
    await expectStartError(
      { name: 'notable', enabled: true, type: 'postgresql', postgresql: { dsn: pgDsn(), outbox_table_name: 'no_such_outbox' } },
      /^consumer "notable": outbox table "no_such_outbox" does not exist in database "\w+" \(create it with: tributary migrate/,
    );
    const box = await newOutbox('nodlq');
    await pool.query(`DROP TABLE ${box.deadLetter}`);
    await expectStartError(
      { name: 'nodlq', enabled: true, type: 'postgresql', postgresql: { dsn: pgDsn(), outbox_table_name: box.table } },
      new RegExp(`^consumer "nodlq": dead-letter table "${box.deadLetter}" does not exist`),
    );
    const t = `nocol_${Date.now()}`;
    ownTables(pgDsn(), t, `${t}_dead_letter`);
    await pool.query(`CREATE TABLE ${t} (id bigserial, payload jsonb, partition int); CREATE TABLE ${t}_dead_letter (id int)`);
    await expectStartError(
      { name: 'nocol', enabled: true, type: 'postgresql', postgresql: { dsn: pgDsn(), outbox_table_name: t } },
      new RegExp(`^consumer "nocol": outbox table "${t}" has no column "method"`),
    );
  });

  it('leaves a disabled consumer alone', async () => {
    const srv = await startOutboxServer([{ name: 'off', enabled: false, type: 'postgresql', postgresql: { dsn: 'postgres://nowhere:1/x' } }]);
    assert.equal(srv.server.consumers.length, 0);
    await srv.stop();
  });
});
