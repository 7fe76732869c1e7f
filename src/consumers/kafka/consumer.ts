// The Kafka consumer (`type: "kafka"`), on kafkajs. Records of a partition are
// dispatched one at a time, in offset order; an offset is resolved (and later
// committed) only once its record is done. A retryable failure pauses just
// that partition and resumes it after a backoff, starting again at the failed
// record, while the other partitions keep flowing. A record that can never
// succeed is logged with topic/partition/offset and, when a dead-letter topic
// is configured, sent there before it is skipped. Replays after a crash or a
// rebalance never put a second copy into history: with a shared broker
// (Redis) a record without an idempotency key gets topic:partition:offset as
// one; a process-local broker's results die with the process, so there the
// consumer skips records at or below the highest offset it has published.

import { Kafka, Partitioners, type Admin, type Consumer as KafkaJsConsumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import type { KafkaConsumerOptions } from '../../config/consumers.js';
import type { Logger } from '../../log.js';
import { Backoff } from '../backoff.js';
import { consumeCommand } from '../command.js';
import { ConsumerStartError, counterTotal, type Consumer, type ConsumerAdminStatus, type ConsumerDeps, type ConsumerHealth } from '../consumer.js';
import { MISSING_TOPIC, kafkaClientConfig } from './client-config.js';
import type { HistogramChild } from '../../hot-histogram.js';
import { KafkaMetrics } from './metrics.js';
import { recordAction } from './record.js';

/** No fetch or heartbeat for this long while running means the brokers are out of reach. */
export const UNHEALTHY_AFTER_MS = 15_000;
/** Partitions dispatched in parallel (each one strictly in order). */
const PARTITIONS_IN_PARALLEL = 64;

interface PartitionState {
  backoff: Backoff;
  resumeTimer: NodeJS.Timeout | null;
  failing: boolean;
  /** The highest offset this process published from the partition (-1: none); a replay below it is skipped. */
  publishedUpTo: number;
}

/** Records between two offset-commit and heartbeat checks inside a batch (kafkajs's own intervals still decide). */
const CHECK_EVERY = 100;

type Outcome = 'done' | 'retry';

export class KafkaConsumer implements Consumer {
  readonly type = 'kafka';
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly metrics: KafkaMetrics;
  private readonly latency: HistogramChild;
  private consumer: KafkaJsConsumer | null = null;
  private producer: Producer | null = null;
  private readonly partitions = new Map<string, PartitionState>();
  private running = false;
  private stopping = false;
  private lastContact = 0;
  private crashed = '';
  /** Ends the wait between start attempts early (on stop). */
  private retryWake: (() => void) | null = null;

  constructor(
    readonly name: string,
    readonly opts: KafkaConsumerOptions,
    private readonly deps: ConsumerDeps,
  ) {
    this.log = deps.log.child({ consumer: name });
    this.kafka = new Kafka(kafkaClientConfig(opts, this.log, `tributary-${name}`));
    this.metrics = new KafkaMetrics(deps.metrics);
    this.latency = this.metrics.latency.labels({ consumer_name: name });
  }

  async init(): Promise<void> {
    const where = this.opts.brokers.join(',');
    const admin: Admin = this.kafka.admin();
    try {
      await withTimeout(admin.connect(), this.opts.dial_timeout * this.opts.brokers.length * 2, `no answer from ${where}`);
      await withTimeout(admin.describeCluster(), this.opts.dial_timeout * 2, `no cluster metadata from ${where}`);
    } catch (err) {
      throw new ConsumerStartError(this.name, `cannot connect to Kafka at ${where}: ${(err as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (this.opts.dead_letter_topic) {
      // The partitioner is named so that kafkajs does not warn about its v2 default change; dead letters keep the record's key.
      const producer = this.kafka.producer({ allowAutoTopicCreation: true, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
      try {
        await producer.connect();
      } catch (err) {
        throw new ConsumerStartError(this.name, `cannot connect the dead-letter producer to Kafka at ${where}: ${(err as Error).message}`);
      }
      this.producer = producer;
    }
    this.deps.metrics.consumerMessagesProcessed.inc({ consumer_name: this.name }, 0);
    this.deps.metrics.consumerErrors.inc({ consumer_name: this.name }, 0);
  }

  run(): void {
    this.running = true;
    this.lastContact = Date.now();
    void this.startUntilRunning();
  }

  /**
   * Subscribing fails while a topic does not exist yet (Debezium creates its
   * topic with the first change): keep trying, without calling the brokers
   * unreachable when they answered.
   */
  private async startUntilRunning(): Promise<void> {
    const backoff = new Backoff();
    let toldMissingTopic = false;
    while (!this.stopping) {
      try {
        await this.start();
        if (toldMissingTopic) this.log.info({ topics: this.opts.topics }, 'Kafka topics exist now; consumer started');
        return;
      } catch (err) {
        if (this.stopping) {
          await this.consumer?.disconnect().catch(() => undefined);
          return;
        }
        const message = (err as Error).message;
        const missingTopic = MISSING_TOPIC.test(message);
        if (missingTopic) this.lastContact = Date.now();
        this.crashed = message;
        const wait = Math.max(1000, backoff.next());
        // A topic that does not exist yet is normal (Debezium makes it with the first change): say so once, not per retry.
        if (missingTopic && toldMissingTopic) this.log.debug({ err: message, retry_in_ms: wait }, 'Kafka topic still missing; retrying');
        else if (missingTopic)
          this.log.warn({ err: message, topics: this.opts.topics }, 'waiting for the Kafka topics to exist; consuming starts when they do');
        else this.log.warn({ err: message, topics: this.opts.topics, retry_in_ms: wait }, 'Kafka consumer could not start; retrying');
        toldMissingTopic ||= missingTopic;
        const consumer = this.consumer;
        this.consumer = null;
        await consumer?.disconnect().catch(() => undefined);
        await new Promise<void>((resolve) => {
          this.retryWake = resolve;
          setTimeout(resolve, wait).unref();
        });
        this.retryWake = null;
      }
    }
  }

  private async start(): Promise<void> {
    const o = this.opts;
    const consumer = this.kafka.consumer({
      groupId: o.consumer_group,
      sessionTimeout: o.session_timeout,
      heartbeatInterval: Math.min(3000, Math.floor(o.session_timeout / 3)),
      maxWaitTimeInMs: o.fetch_max_wait,
      maxBytes: o.fetch_max_bytes > 0 ? o.fetch_max_bytes : undefined,
      readUncommitted: o.fetch_read_uncommitted,
      allowAutoTopicCreation: false,
      // kafkajs restarts a consumer itself after retriable errors (the CRASH handler covers the rest).
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.consumer = consumer;
    const contact = () => {
      this.lastContact = Date.now();
      this.crashed = '';
    };
    consumer.on(consumer.events.FETCH, contact);
    consumer.on(consumer.events.HEARTBEAT, contact);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      contact();
      this.log.info({ assignment: e.payload.memberAssignment }, 'Kafka consumer joined its group');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.crashed = e.payload.error.message;
      this.log.error({ err: e.payload.error.message, restart: e.payload.restart }, 'Kafka consumer crashed');
      // kafkajs restarts only after retriable errors; after any other, start over ourselves.
      if (!e.payload.restart && !this.stopping && this.consumer === consumer) {
        this.consumer = null;
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => this.startUntilRunning());
      }
    });
    await consumer.connect();
    if (this.stopping) throw new Error('stopping');
    await consumer.subscribe({ topics: o.topics, fromBeginning: true });
    if (this.stopping) throw new Error('stopping');
    await consumer.run({
      autoCommit: true,
      // Resolved offsets are committed every second or every max_poll_records
      // records, also in the middle of a large batch: a crash replays little.
      autoCommitInterval: 1000,
      autoCommitThreshold: o.max_poll_records,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_IN_PARALLEL,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping Kafka consumer');
    const started = Date.now();
    for (const p of this.partitions.values()) if (p.resumeTimer) clearTimeout(p.resumeTimer);
    this.retryWake?.();
    // Waits for the batches in hand, commits the resolved offsets, leaves the group.
    await this.consumer?.disconnect().catch((err) => this.log.warn({ err: (err as Error).message }, 'Kafka consumer disconnect failed'));
    await this.producer?.disconnect().catch(() => undefined);
    this.running = false;
    this.log.info({ elapsed_ms: Date.now() - started }, 'stopped Kafka consumer');
  }

  health(): ConsumerHealth {
    if (!this.running || this.stopping) return { healthy: true };
    const silentFor = Date.now() - this.lastContact;
    if (silentFor > UNHEALTHY_AFTER_MS) {
      return {
        healthy: false,
        detail: `no contact with Kafka at ${this.opts.brokers.join(',')} for ${Math.round(silentFor / 1000)} s${this.crashed ? `: ${this.crashed}` : ''}`,
      };
    }
    return { healthy: true };
  }

  /** Lag per partition as this node last saw it (the partitions assigned here), and what it processed and dead-lettered. */
  async adminStatus(): Promise<ConsumerAdminStatus> {
    const mine = (v: { labels: Partial<Record<string, string | number>> }) => v.labels.consumer_name === this.name;
    const lag = (await this.metrics.lag.get()).values.filter(mine);
    const partitions = lag
      .map((v) => ({ topic: String(v.labels.topic), partition: Number(v.labels.partition), lag: v.value }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return {
      processed_total: await counterTotal(this.metrics.processed, this.name),
      kafka: {
        group: this.opts.consumer_group,
        topics: this.opts.topics,
        partitions,
        total_lag: partitions.reduce((sum, p) => sum + p.lag, 0),
        dead_letter_topic: this.opts.dead_letter_topic || null,
        dead_lettered: await counterTotal(this.metrics.deadLettered, this.name),
      },
    };
  }

  private partition(key: string): PartitionState {
    let p = this.partitions.get(key);
    if (!p) {
      p = { backoff: new Backoff(), resumeTimer: null, failing: false, publishedUpTo: -1 };
      this.partitions.set(key, p);
    }
    return p;
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const state = this.partition(`${topic}:${partition}`);
    const labels = { consumer_name: this.name, topic, partition: String(partition) };
    const highWatermark = Number(batch.highWatermark);
    // Counted here and added once per batch: a labelled prom-client inc costs a label hash.
    let done = 0;
    let lastDone = -1;
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale() || this.stopping) return;
        const outcome = await this.process(topic, partition, message, labels, state);
        if (outcome === 'retry') {
          // Stop this partition only: the rest of the batch is dropped and fetched
          // again from this record once the backoff has passed.
          this.metrics.retries.inc(labels);
          const wait = state.backoff.next();
          state.failing = true;
          const resume = pause();
          state.resumeTimer = setTimeout(() => {
            state.resumeTimer = null;
            if (!this.stopping) resume();
          }, wait);
          this.log.error({ topic, partition, offset: message.offset, next_attempt_in_ms: wait }, 'error processing consumed record');
          return;
        }
        if (state.failing) {
          state.failing = false;
          this.log.info({ topic, partition, offset: message.offset }, 'OK processing message after errors');
        }
        state.backoff.reset();
        resolveOffset(message.offset);
        done++;
        lastDone = Number(message.offset);
        if (done % CHECK_EVERY === 0) {
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      }
      await commitOffsetsIfNecessary();
      await heartbeat();
    } finally {
      if (done > 0) {
        this.metrics.processed.inc(labels, done);
        this.deps.metrics.consumerMessagesProcessed.inc({ consumer_name: this.name }, done);
        this.metrics.lag.set(labels, Math.max(0, highWatermark - lastDone - 1));
      }
    }
  }

  private async process(topic: string, partition: number, message: KafkaMessage, labels: Record<string, string>, state: PartitionState): Promise<Outcome> {
    try {
      return await this.processOnce(topic, partition, message, labels, state);
    } catch (err) {
      // A bug must not crash the consumer: the record is retried like any retryable failure.
      this.log.error({ topic, partition, offset: message.offset, err: (err as Error).message }, 'unexpected error processing a consumed record');
      return 'retry';
    }
  }

  private async processOnce(topic: string, partition: number, message: KafkaMessage, labels: Record<string, string>, state: PartitionState): Promise<Outcome> {
    const offset = Number(message.offset);
    if (offset <= state.publishedUpTo) {
      this.log.debug({ topic, partition, offset: message.offset }, 'record already published by this process, skip');
      return 'done';
    }
    const action = recordAction({ value: message.value, headers: message.headers }, this.opts);
    const where = { topic, partition, offset: message.offset };
    if (action.kind === 'skip') {
      this.log.debug({ ...where, reason: action.reason }, 'skip consumed record');
      this.metrics.skipped.inc({ ...labels, reason: action.reason });
      return 'done';
    }
    if (action.kind === 'invalid') return this.deadLetter(topic, partition, message, action.reason, labels);

    let outcome = consumeCommand(this.deps.dispatcher, action.method, action.text, {
      idempotencyKey: this.deps.sharedIdempotency ? `${topic}:${partition}:${message.offset}` : undefined,
      onChannelError: (channel, error) => this.log.warn({ ...where, channel, error }, 'broadcast to a channel failed, not retried'),
    });
    // Awaited only when it is a promise: a plain publish on the memory broker is done at once.
    if (outcome instanceof Promise) outcome = await outcome;
    if (outcome.kind === 'ok') {
      state.publishedUpTo = offset;
      const ts = Number(message.timestamp);
      if (ts > 0) this.latency.observe(Math.max(0, Date.now() - ts) / 1000);
      return 'done';
    }
    this.metrics.failed.inc(labels);
    this.deps.metrics.consumerErrors.inc({ consumer_name: this.name });
    if (outcome.kind === 'dead') return this.deadLetter(topic, partition, message, `${outcome.method || 'envelope'}: ${outcome.error}`, labels);
    this.log.warn(
      { ...where, method: outcome.method, err: outcome.error, engine_healthy: this.deps.engineHealthy() },
      'retryable error dispatching a consumed record',
    );
    return 'retry';
  }

  /** Logs a record that can never succeed and sends it to the dead-letter topic, if any. */
  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, labels: Record<string, string>): Promise<Outcome> {
    const where = { topic, partition, offset: message.offset };
    const dlq = this.opts.dead_letter_topic;
    if (dlq && this.producer) {
      try {
        await this.producer.send({
          topic: dlq,
          messages: [
            {
              key: message.key,
              value: message.value,
              headers: {
                ...(message.headers ?? {}),
                'tributary-error': reason,
                'tributary-consumer': this.name,
                'tributary-source-topic': topic,
                'tributary-source-partition': String(partition),
                'tributary-source-offset': message.offset,
              },
            },
          ],
        });
      } catch (err) {
        // Not lost: the record stays unresolved and is tried again.
        this.log.error({ ...where, dead_letter_topic: dlq, err: (err as Error).message }, 'cannot write to the dead-letter topic; will retry the record');
        return 'retry';
      }
    }
    this.log.error(
      { ...where, reason, dead_letter_topic: dlq || undefined },
      dlq ? 'record dead-lettered' : 'non retryable error during consuming, skip message',
    );
    this.metrics.deadLettered.inc(labels);
    return 'done';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
