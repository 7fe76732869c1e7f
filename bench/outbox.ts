// Outbox benchmarks, end to end against a real Tributary process and the test
// PostgreSQL (started with scripts/services/postgres.sh unless --dsn or
// TRIBUTARY_TEST_PG_DSN says where one is):
//
//   npm run bench:outbox -- throughput [--rows 100000] [--partitions 8] [--limit 1000]
//     A backlog committed in one transaction; time until a subscribed client
//     has received every row (and until the table is empty).
//
//   --target tributary (default) | centrifugo | tributary,centrifugo: the same
//     measurement against each, one after the other, each on a fresh outbox
//     table of the same shape; Centrifugo (v6.9.1, scripts/services/centrifugo.sh)
//     runs its own PostgreSQL consumer from the same `consumers` config.
//
//   npm run bench:outbox -- latency [--rate 1000] [--seconds 10] [--partitions 8]
//     Single-row autocommit INSERTs at a steady rate; insert → client receive
//     latency percentiles, plus the server's created_at → published histogram.
//
// One JSON line of results on stdout. A tool, not a test.

import { parseArgs } from 'node:util';
import { bulkInsert, consumerConfig, isEmpty, LeanSubscriber, newOutbox, newPool, pgDsn, waitFor } from '../test/integration/outbox/helpers.js';
import { consumerTargets, cpuMicrosPer, serverCpu, startConsumerTarget, type ConsumerTarget, type RunningTarget } from './consumer-targets.js';
import { pacedLatencies } from './paced.js';
import { histogramSummaryMs, latencySummary } from './quantiles.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    rows: { type: 'string', default: '100000' },
    partitions: { type: 'string', default: '8' },
    limit: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    dsn: { type: 'string' },
    target: { type: 'string', default: 'tributary' },
    'server-build': { type: 'string', default: 'tsx' },
    'server-node-args': { type: 'string', default: '' },
  },
});
const targets = consumerTargets(String(values.target));
const build = values['server-build'] === 'dist' ? 'dist' : 'tsx';
const mode = positionals[0] ?? 'throughput';
const partitions = Number(values.partitions);
if (values.dsn) process.env.TRIBUTARY_TEST_PG_DSN = values.dsn;
pgDsn(); // start the database now, not in the middle of a measurement

const channels = (prefix: string) => Array.from({ length: partitions }, (_, p) => `${prefix}${p}`);

/** Starts `target` with these consumers, history on every channel. */
function start(target: ConsumerTarget, consumers: Record<string, unknown>[]): Promise<RunningTarget> {
  return startConsumerTarget(target, consumers, { build, nodeArgs: String(values['server-node-args']).split(/\s+/).filter(Boolean), historySize: 100000 });
}

async function throughput(target: ConsumerTarget): Promise<void> {
  const rows = Number(values.rows);
  const box = await newOutbox('bench');
  const proc = await start(target, [consumerConfig('bench', box, { num_partitions: partitions, partition_select_limit: Number(values.limit) })]);
  const pool = newPool(2);
  try {
    const sub = await LeanSubscriber.open(proc.wsUrl, channels('b'));
    const t0 = Date.now();
    await bulkInsert(pool, box.table, rows, partitions, 'b');
    const committed = Date.now();
    const cpuAtCommit = serverCpu(proc);
    let drained = 0;
    const drain = (async () => {
      await waitFor(() => isEmpty(pool, box.table), 300_000, 'an empty outbox', 25);
      drained = Date.now();
    })();
    await waitFor(() => sub.total >= rows, 300_000, `${rows} publications`, 5);
    const received = Date.now();
    const cpuPerRow = cpuMicrosPer(proc, cpuAtCommit, rows);
    await drain;
    sub.close();
    console.log(
      JSON.stringify({
        mode: 'throughput',
        target,
        rows,
        partitions,
        partition_select_limit: Number(values.limit),
        insert_ms: committed - t0,
        drain_ms: drained - committed,
        end_to_end_ms: received - committed,
        rows_per_second_end_to_end: Math.round(rows / ((received - committed) / 1000)),
        rows_per_second_drain: Math.round(rows / ((drained - committed) / 1000)),
        // Every core the server used (Centrifugo's goroutines use both), from the commit to the last publication received.
        server_cpu_us_per_row: cpuPerRow,
      }),
    );
  } finally {
    await pool.end();
    await proc.stop();
  }
}

async function latency(target: ConsumerTarget): Promise<void> {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const box = await newOutbox('lat');
  const proc = await start(target, [consumerConfig('lat', box, { num_partitions: partitions })]);
  const pool = newPool(8);
  try {
    const sub = await LeanSubscriber.open(proc.wsUrl, channels('l'));
    // One autocommit INSERT per row, as an application writes them.
    const latencies = await pacedLatencies(
      sub,
      rate,
      seconds,
      (from, to) =>
        Promise.all(
          Array.from({ length: to - from }, (_, k) =>
            pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('publish', $1, $2)`, [
              `{"channel":"l${(from + k) % partitions}","data":{"i":${from + k}}}`,
              (from + k) % partitions,
            ]),
          ),
        ),
      30_000,
    );
    sub.close();
    const metrics = proc.httpUrl ? await (await fetch(`${proc.httpUrl}/metrics`)).text() : '';
    console.log(
      JSON.stringify({
        mode: 'latency',
        target,
        rate,
        seconds,
        partitions,
        rows: rate * seconds,
        insert_to_receive_ms: latencySummary(latencies),
        created_at_to_published_ms_from_histogram: proc.httpUrl ? histogramSummaryMs(metrics, 'tributary_outbox_publish_latency_seconds') : null,
      }),
    );
  } finally {
    await pool.end();
    await proc.stop();
  }
}

if (mode === 'throughput') for (const t of targets) await throughput(t);
else if (mode === 'latency') for (const t of targets) await latency(t);
else {
  console.error('usage: bench/outbox.ts throughput|latency [options]');
  process.exitCode = 2;
}
