// The PostgreSQL transactional outbox consumer (`type: "postgresql"`): one
// worker per partition over a pool, an optional LISTEN connection that wakes
// them, a periodic lag probe, and health that turns bad only when the database
// has been unreachable for a while (one failed query is not an outage).

import pg from 'pg';
import type { PostgresConsumerOptions } from '../../config/consumers.js';
import type { Logger } from '../../log.js';
import { ConsumerStartError, counterTotal, type Consumer, type ConsumerAdminStatus, type ConsumerDeps, type ConsumerHealth } from '../consumer.js';
import { OutboxDeadLetters } from './dead-letters.js';
import { PartitionListener } from './listener.js';
import { describeError, parseDsn, RAW_JSON_TYPES, tlsSettings } from './pg-config.js';
import { outboxQueries, type OutboxQueries } from './queries.js';
import { readOutboxStatus } from './status.js';
import { PartitionWorker, type WorkerContext, type WorkerHooks } from './worker.js';

/** The database must fail this long without a success in between before /health says so. */
export const UNHEALTHY_AFTER_MS = 5000;
const LAG_PROBE_INTERVAL_MS = 2000;
const STOP_TIMEOUT_MS = 10_000;
const REQUIRED_COLUMNS = ['id', 'method', 'payload', 'partition'];

export class PostgresOutboxConsumer implements Consumer {
  readonly type = 'postgresql';
  /** Test-only fault injection. */
  readonly hooks: WorkerHooks = {};
  private readonly log: Logger;
  private pool: pg.Pool | null = null;
  private listener: PartitionListener | null = null;
  private workers: PartitionWorker[] = [];
  private running: Promise<void>[] = [];
  private queries: OutboxQueries | null = null;
  private lagTimer: NodeJS.Timeout | null = null;
  private lagProbe: Promise<void> | null = null;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private failingSince: number | null = null;
  private lastDbError = '';
  private readonly where: string;

  constructor(
    readonly name: string,
    readonly opts: PostgresConsumerOptions,
    private readonly deps: ConsumerDeps,
  ) {
    this.log = deps.log.child({ consumer: name });
    this.deadLetters = new OutboxDeadLetters(() => this.openPool(), opts.outbox_table_name, opts.dead_letter_table_name);
    let where = '?';
    try {
      where = parseDsn(opts.dsn).where;
    } catch {
      /* reported by init */
    }
    this.where = where;
  }

  private fail(cause: string): never {
    throw new ConsumerStartError(this.name, cause);
  }

  async init(): Promise<void> {
    const o = this.opts;
    let dsn;
    let ssl;
    try {
      dsn = parseDsn(o.dsn, o.tls.enabled);
      ssl = tlsSettings(o.tls);
    } catch (err) {
      this.fail((err as Error).message);
    }
    const pool = new pg.Pool({
      connectionString: dsn.connectionString,
      ssl,
      // One connection per partition worker, one for the lag probe, one spare.
      max: dsn.poolMax ?? o.num_partitions + 2,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: `tributary:${this.name}`,
      types: RAW_JSON_TYPES,
    });
    // Idle connections that die (a database restart) must not crash the process.
    pool.on('error', (err) => this.log.warn({ err: describeError(err) }, 'idle outbox connection failed'));
    this.pool = pool;
    try {
      await this.checkSchema(pool);
      if (o.partition_notification_channel !== '') await this.startListener(ssl);
    } catch (err) {
      await this.close();
      throw err;
    }
    this.deps.metrics.consumerMessagesProcessed.inc({ consumer_name: this.name }, 0);
    this.deps.metrics.consumerErrors.inc({ consumer_name: this.name }, 0);
  }

  private async checkSchema(pool: pg.Pool): Promise<void> {
    const o = this.opts;
    let tables;
    try {
      tables = await pool.query<{ outbox: string | null; dlq: string | null; db: string }>(
        'SELECT to_regclass($1)::text AS outbox, to_regclass($2)::text AS dlq, current_database() AS db',
        [o.outbox_table_name, o.dead_letter_table_name],
      );
    } catch (err) {
      this.fail(`cannot connect to PostgreSQL at ${this.where}: ${describeError(err)}`);
    }
    const t = tables.rows[0]!;
    const migrateHint = `tributary migrate --dsn … --table ${o.outbox_table_name}`;
    if (t.outbox === null) this.fail(`outbox table "${o.outbox_table_name}" does not exist in database "${t.db}" (create it with: ${migrateHint})`);
    if (t.dlq === null) {
      this.fail(`dead-letter table "${o.dead_letter_table_name}" does not exist in database "${t.db}" (create it with: ${migrateHint})`);
    }
    const cols = await pool.query<{ attname: string }>(
      'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped',
      [o.outbox_table_name],
    );
    const have = new Set(cols.rows.map((r) => r.attname));
    const missing = REQUIRED_COLUMNS.filter((c) => !have.has(c));
    if (missing.length > 0) this.fail(`outbox table "${o.outbox_table_name}" has no column ${missing.map((c) => `"${c}"`).join(', ')}`);
    if (!have.has('created_at')) this.log.warn('the outbox table has no created_at column: no lag and latency metrics');
    this.queries = outboxQueries(o.outbox_table_name, o.dead_letter_table_name, have.has('created_at'));
  }

  private async startListener(mainSsl: pg.ClientConfig['ssl']): Promise<void> {
    const o = this.opts;
    // Centrifugo applies TLS to the main pool only; a separate notification DSN carries its own settings.
    let config: pg.ClientConfig;
    let where: string;
    try {
      const separate = o.partition_notification_dsn !== '';
      const dsn = parseDsn(separate ? o.partition_notification_dsn : o.dsn, !separate && o.tls.enabled);
      config = {
        connectionString: dsn.connectionString,
        ssl: separate ? undefined : mainSsl,
        connectionTimeoutMillis: 10_000,
        application_name: `tributary:${this.name}:listen`,
      };
      where = dsn.where;
    } catch (err) {
      this.fail(`partition_notification_dsn: ${(err as Error).message}`);
    }
    const gauge = this.deps.metrics.outboxListenerConnected.labels({ consumer_name: this.name });
    gauge.set(0);
    const listener = new PartitionListener(
      config,
      o.partition_notification_channel,
      o.num_partitions,
      {
        wake: (p) => this.workers[p]?.wake(),
        wakeAll: () => this.workers.forEach((w) => w.wake()),
        connected: (up) => gauge.set(up ? 1 : 0),
      },
      this.log,
    );
    try {
      await listener.start();
    } catch (err) {
      this.fail(`cannot LISTEN on "${o.partition_notification_channel}" at ${where}: ${describeError(err)}`);
    }
    this.listener = listener;
  }

  run(): void {
    const pool = this.pool;
    const queries = this.queries;
    if (!pool || !queries) throw new Error(`consumer "${this.name}" was not initialised`);
    const m = this.deps.metrics;
    const name = this.name;
    const processedTotal = m.consumerMessagesProcessed.labels({ consumer_name: name });
    const errors = m.consumerErrors.labels({ consumer_name: name });
    const batch = m.outboxBatchDuration.labels({ consumer_name: name });
    const latency = m.outboxPublishLatency.labels({ consumer_name: name });
    const perPartition = Array.from({ length: this.opts.num_partitions }, (_, p) => ({
      processed: m.outboxRowsProcessed.labels({ consumer_name: name, partition: String(p) }),
      failed: m.outboxRowsFailed.labels({ consumer_name: name, partition: String(p) }),
    }));
    const ctx: WorkerContext = {
      consumer: name,
      opts: this.opts,
      pool,
      queries,
      dispatcher: this.deps.dispatcher,
      log: this.log,
      hooks: this.hooks,
      metrics: {
        processed: (p, n) => {
          processedTotal.inc(n);
          perPartition[p]!.processed.inc(n);
        },
        failed: (p) => perPartition[p]!.failed.inc(),
        deadLettered: (p, reason) => m.outboxRowsDeadLettered.inc({ consumer_name: name, partition: String(p), reason }),
        error: () => errors.inc(),
        batch: (s) => batch.observe(s),
        latency: (s) => latency.observe(s),
      },
      stopping: () => this.stopping,
      engineHealthy: () => this.deps.engineHealthy(),
      sharedIdempotency: this.deps.sharedIdempotency,
      dbOk: () => this.dbOk(),
      dbError: (err) => this.dbError(err),
    };
    this.workers = perPartition.map((_, p) => new PartitionWorker(p, ctx));
    this.running = this.workers.map((w) => w.run().catch((err) => this.log.fatal({ err, partition: w.partition }, 'outbox worker crashed')));
    const probe = () => {
      if (this.stopping || this.lagProbe) return;
      this.lagProbe = this.probeLag().finally(() => (this.lagProbe = null));
    };
    probe();
    this.lagTimer = setInterval(probe, LAG_PROBE_INTERVAL_MS);
    this.lagTimer.unref();
    this.log.info(
      {
        type: this.type,
        table: this.opts.outbox_table_name,
        partitions: this.opts.num_partitions,
        notifications: this.opts.partition_notification_channel || null,
      },
      'running consumer',
    );
  }

  /** Sets the lag gauge of every partition; also a liveness probe of the database. */
  private async probeLag(): Promise<void> {
    const q = this.queries!.lag;
    try {
      const r = await this.pool!.query<{ partition: number; lag: number | null }>({ name: q.name, text: q.text, values: [this.opts.num_partitions] });
      this.dbOk();
      for (const row of r.rows) {
        this.deps.metrics.outboxLag.set({ consumer_name: this.name, partition: String(row.partition) }, Math.max(0, row.lag ?? 0));
      }
    } catch (err) {
      if (this.stopping) return;
      this.dbError(err);
      this.log.warn({ err: describeError(err) }, 'outbox lag probe failed');
    }
  }

  private dbOk(): void {
    this.failingSince = null;
  }

  private dbError(err: unknown): void {
    this.failingSince ??= Date.now();
    this.lastDbError = describeError(err);
  }

  readonly deadLetters: OutboxDeadLetters;

  async adminStatus(): Promise<ConsumerAdminStatus> {
    const outbox = await readOutboxStatus(this.openPool(), this.opts.outbox_table_name, this.opts.dead_letter_table_name);
    return { processed_total: await counterTotal(this.deps.metrics.outboxRowsProcessed, this.name), outbox };
  }

  private openPool(): pg.Pool {
    if (!this.pool) throw new Error('the consumer is not connected');
    return this.pool;
  }

  health(): ConsumerHealth {
    if (this.failingSince !== null && Date.now() - this.failingSince >= UNHEALTHY_AFTER_MS) {
      const secs = Math.round((Date.now() - this.failingSince) / 1000);
      return { healthy: false, detail: `PostgreSQL at ${this.where} failing for ${secs}s: ${this.lastDbError}` };
    }
    return { healthy: true };
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      if (this.lagTimer) clearInterval(this.lagTimer);
      for (const w of this.workers) w.wake();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.all([...this.running, this.lagProbe]).then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (!finished) this.log.warn('outbox workers did not finish in time; closing their connections');
      await this.close();
      this.log.info('consumer stopped');
    })();
    return this.stopped;
  }

  private async close(): Promise<void> {
    const listener = this.listener;
    const pool = this.pool;
    this.listener = null;
    this.pool = null;
    await listener?.close();
    // end() waits for connections still checked out; a stuck one must not hold the shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pool?.end().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }
}
