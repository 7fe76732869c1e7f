// One partition's loop (consumers.md §1.2): in a READ COMMITTED transaction,
// take the partition's transaction-scoped advisory lock, select a batch ordered
// by id, dispatch the rows one by one, delete what is done in one statement,
// commit. A full batch loops at once; otherwise the worker waits for the poll
// interval or a notification.
//
// Beyond Centrifugo: a row that can never succeed, or that failed with a
// retryable error max_attempts times, moves to the dead-letter table in the
// same transaction as its delete, and the partition goes on. A retryable
// failure stops the batch (what came before it is committed) and the pass is
// retried after a backoff, so order within the partition is kept.

import type pg from 'pg';
import type { Dispatcher } from '../../api/dispatcher.js';
import type { PostgresConsumerOptions } from '../../config/consumers.js';
import type { Logger } from '../../log.js';
import { Backoff } from '../backoff.js';
import { consumeCommand, type CommandOptions, type CommandOutcome, type DeadReason } from '../command.js';
import type { OutboxQueries } from './queries.js';
import { isJson } from '../../util/values.js';

interface Row {
  id: string;
  method: string | null;
  payload: string | Buffer | null;
  created_ms: number | null;
}

interface DeadRow {
  id: string;
  method: string;
  payload: string;
  validJson: boolean;
  createdMs: number | null;
  attempts: number;
  error: string;
  reason: DeadReason | 'max_attempts';
}

export interface PassResult {
  /** Rows taken off the batch (published or dead-lettered). */
  handled: number;
  /** Rows in the batch. */
  selected: number;
  lockMissed?: boolean;
  /** A retryable dispatch failure stopped the batch. */
  retryError?: string;
}

/** Fault injection for tests: runs after the deletes, before COMMIT. */
export interface WorkerHooks {
  beforeCommit?(partition: number, ids: string[]): void | Promise<void>;
}

/** What a worker shares with its consumer. */
export interface WorkerContext {
  readonly consumer: string;
  readonly opts: PostgresConsumerOptions;
  readonly pool: pg.Pool;
  readonly queries: OutboxQueries;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  readonly hooks: WorkerHooks;
  readonly metrics: {
    processed(partition: number, n: number): void;
    failed(partition: number): void;
    deadLettered(partition: number, reason: string): void;
    error(): void;
    batch(seconds: number): void;
    latency(seconds: number): void;
  };
  stopping(): boolean;
  /** Whether the broker and presence manager are healthy: failures while it is not do not count as a row's attempts. */
  engineHealthy(): boolean;
  /** Whether rows get an idempotency key derived from their id (ConsumerDeps.sharedIdempotency). */
  readonly sharedIdempotency: boolean;
  dbOk(): void;
  dbError(err: unknown): void;
}

const NULL_METHOD: CommandOutcome = Object.freeze({ kind: 'dead', method: '', reason: 'bad_payload', error: 'method is NULL' });

/** Rows dispatched between two turns of the event loop. */
const YIELD_EVERY_ROWS = 100;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function payloadText(p: Row['payload']): string {
  if (p === null) return '';
  if (typeof p === 'string') return p;
  if (Buffer.isBuffer(p)) return p.toString('utf8');
  return JSON.stringify(p);
}

/**
 * The ids as a PostgreSQL array literal. They are int8 values as PostgreSQL
 * printed them (digits and a sign), so they need no quoting; node-pg would
 * quote and escape each one.
 */
function bigintArrayLiteral(ids: string[]): string {
  return `{${ids.join(',')}}`;
}

/**
 * pool.connect() with `onError` attached in the same tick as the checkout: a
 * promise would attach it a microtask later, and an error that arrives in the
 * same socket read as the end of the connection's startup would find no listener.
 */
function checkout(pool: pg.Pool, onError: (err: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((err, client) => {
      if (err || !client) return reject(err ?? new Error('no client'));
      client.on('error', onError);
      resolve(client);
    });
  });
}

export class PartitionWorker {
  private woken = false;
  private wakeUp: (() => void) | null = null;
  private readonly backoff = new Backoff();
  /** The row that failed retryably last, and how often in a row. */
  private failing: { id: string; attempts: number } | null = null;
  /**
   * Rows this worker published in passes that did not commit (the delete or
   * the COMMIT failed): the next pass takes them off without publishing them
   * again. Emptied by every commit, so it holds at most a batch or two. With
   * a shared broker the derived idempotency key also covers a crash, when
   * another node takes the partition over.
   */
  private readonly published = new Set<string>();
  private readonly lockName: string;

  constructor(
    readonly partition: number,
    private readonly ctx: WorkerContext,
  ) {
    // Centrifugo's lock name (no separator), hashed by PostgreSQL: a Tributary
    // and a Centrifugo node on the same table and consumer name exclude each other.
    this.lockName = `centrifugo_partition_lock_${ctx.consumer}${partition}`;
  }

  /** A notification for this partition (or a shutdown): end the current wait. */
  wake(): void {
    this.woken = true;
    // A backoff sleep ignores notifications but still ends on shutdown.
    this.wakeUp?.();
  }

  async run(): Promise<void> {
    const { ctx } = this;
    while (!ctx.stopping()) {
      let pass: PassResult;
      try {
        pass = await this.pass();
      } catch (err) {
        if (ctx.stopping()) break;
        ctx.dbError(err);
        ctx.metrics.error();
        ctx.log.error({ err, partition: this.partition }, 'error processing postgresql outbox');
        await this.wait(this.backoff.next(), false);
        continue;
      }
      ctx.dbOk();
      if (pass.retryError !== undefined) {
        ctx.metrics.error();
        await this.wait(this.backoff.next(), false);
        continue;
      }
      this.backoff.reset();
      if (pass.lockMissed || pass.selected < ctx.opts.partition_select_limit) await this.wait(ctx.opts.partition_poll_interval, true);
    }
  }

  /** Sleeps `ms`; a notification ends it early when `wakeable`, a shutdown always does. */
  private wait(ms: number, wakeable: boolean): Promise<void> {
    if (this.ctx.stopping()) return Promise.resolve();
    if (wakeable && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = () => {
        if (wakeable || this.ctx.stopping()) done();
      };
    });
  }

  /** One transaction over the partition. Throws on SQL and connection errors. */
  async pass(): Promise<PassResult> {
    const { ctx } = this;
    const q = ctx.queries;
    this.woken = false;
    const started = performance.now();
    // A checked-out client has no error listener of the pool's: without one, a
    // connection lost mid-pass (a database restart) would be an uncaught
    // 'error' event. The failure reaches us through the pending query anyway.
    const onError = (err: Error) => ctx.log.debug({ err: err.message, partition: this.partition }, 'outbox connection lost');
    const client = await checkout(ctx.pool, onError);
    let destroy = false;
    const publishedNow: string[] = [];
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      let dbNowMs: number;
      if (ctx.opts.use_try_lock) {
        const r = await client.query<{ locked: boolean; now_ms: number }>({ name: q.tryLock.name, text: q.tryLock.text, values: [this.lockName] });
        if (!r.rows[0]?.locked) {
          await client.query('ROLLBACK');
          return { handled: 0, selected: 0, lockMissed: true };
        }
        dbNowMs = r.rows[0].now_ms;
      } else {
        const r = await client.query<{ now_ms: number }>({ name: q.lock.name, text: q.lock.text, values: [this.lockName] });
        dbNowMs = r.rows[0]!.now_ms;
      }
      // created_at is PostgreSQL's clock: measure latency on it, not on ours.
      const skew = dbNowMs - Date.now();
      if (ctx.stopping()) {
        await client.query('ROLLBACK');
        return { handled: 0, selected: 0 };
      }
      const { rows } = await client.query<Row>({
        name: q.select.name,
        text: q.select.text,
        values: [this.partition, ctx.opts.partition_select_limit],
      });
      if (rows.length === 0) {
        await client.query('COMMIT');
        return { handled: 0, selected: 0 };
      }
      const done: string[] = [];
      const dead: DeadRow[] = [];
      const latencies: number[] = [];
      let retryError: string | undefined;
      // One options object for the pass, not one (and a closure) per row: rows go one at a time.
      let rowId = '';
      const commandOptions: CommandOptions = {
        onChannelError: (channel, error) => ctx.log.warn({ id: rowId, channel, error }, 'non retryable error during consuming, skip channel'),
      };
      for (let k = 0; k < rows.length; k++) {
        const row = rows[k]!;
        // Let the other partitions' database replies in now and then: while one
        // batch is dispatched in one go, their next statements wait, and so
        // does PostgreSQL.
        if (k > 0 && k % YIELD_EVERY_ROWS === 0) await yieldToEventLoop();
        if (this.published.size > 0 && this.published.has(row.id)) {
          done.push(row.id);
          continue;
        }
        const text = payloadText(row.payload);
        rowId = row.id;
        commandOptions.idempotencyKey = ctx.sharedIdempotency ? `outbox:${ctx.consumer}:${row.id}` : undefined;
        // Awaited only when it is a promise: a plain publish on the memory broker is done at once.
        let outcome = row.method === null ? NULL_METHOD : consumeCommand(ctx.dispatcher, row.method, text, commandOptions);
        if (outcome instanceof Promise) outcome = await outcome;
        if (outcome.kind === 'ok') {
          publishedNow.push(row.id);
          done.push(row.id);
          if (row.created_ms !== null) latencies.push((Date.now() + skew - row.created_ms) / 1000);
          if (this.failing?.id === row.id) this.failing = null;
          continue;
        }
        ctx.metrics.failed(this.partition);
        if (outcome.kind === 'dead') {
          const attempts = (this.failing?.id === row.id ? this.failing.attempts : 0) + 1;
          if (this.failing?.id === row.id) this.failing = null;
          ctx.log.error(
            { id: row.id, partition: this.partition, method: outcome.method, reason: outcome.reason, error: outcome.error },
            'outbox row cannot be processed, moved to the dead-letter table',
          );
          dead.push(this.deadRow(row, text, outcome.method, attempts, outcome.error, outcome.reason));
          done.push(row.id);
          continue;
        }
        // Retryable. While the broker is down the row is not to blame: its attempts are not counted.
        const prev = this.failing?.id === row.id ? this.failing.attempts : 0;
        const attempts = ctx.engineHealthy() ? prev + 1 : Math.max(prev, 1);
        const max = ctx.opts.max_attempts;
        if (max > 0 && attempts >= max) {
          this.failing = null;
          const error = `gave up after ${attempts} attempts: ${outcome.error}`;
          ctx.log.error(
            { id: row.id, partition: this.partition, method: outcome.method, attempts, error: outcome.error },
            'outbox row failed max_attempts times, moved to the dead-letter table',
          );
          dead.push(this.deadRow(row, text, outcome.method, attempts, error, 'max_attempts'));
          done.push(row.id);
          continue;
        }
        this.failing = { id: row.id, attempts };
        retryError = outcome.error;
        ctx.log.error(
          { id: row.id, partition: this.partition, method: outcome.method, attempt: attempts, error: outcome.error },
          'error processing consumed event',
        );
        break;
      }
      if (dead.length > 0) {
        await client.query({
          name: q.deadLetter.name,
          text: q.deadLetter.text,
          values: [
            dead.map((d) => d.id),
            this.partition,
            ctx.consumer,
            dead.map((d) => d.method),
            dead.map((d) => d.payload),
            dead.map((d) => d.validJson),
            dead.map((d) => d.createdMs),
            dead.map((d) => d.attempts),
            dead.map((d) => d.error),
          ],
        });
      }
      if (done.length > 0) await client.query({ name: q.delete.name, text: q.delete.text, values: [bigintArrayLiteral(done)] });
      await ctx.hooks.beforeCommit?.(this.partition, done);
      await client.query('COMMIT');
      this.published.clear();

      const published = done.length - dead.length;
      if (published > 0) ctx.metrics.processed(this.partition, published);
      for (const d of dead) ctx.metrics.deadLettered(this.partition, d.reason);
      for (const l of latencies) ctx.metrics.latency(l);
      ctx.metrics.batch((performance.now() - started) / 1000);
      return { handled: done.length, selected: rows.length, retryError };
    } catch (err) {
      for (const id of publishedNow) this.published.add(id);
      await client.query('ROLLBACK').catch(() => {
        destroy = true;
      });
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(destroy);
    }
  }

  private deadRow(row: Row, text: string, method: string, attempts: number, error: string, reason: DeadRow['reason']): DeadRow {
    return {
      id: row.id,
      method: row.method ?? method,
      payload: text,
      validJson: text !== '' && isJson(text),
      createdMs: row.created_ms,
      attempts,
      error,
      reason,
    };
  }
}
