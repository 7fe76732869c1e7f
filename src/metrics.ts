// Prometheus metrics. Names follow Centrifugo's (`centrifugo_<subsystem>_<name>`)
// so existing dashboards and alerts keep working when Tributary replaces it.
// Every metric, the node's here and each component's own set (control plane,
// Redis, Kafka), is registered through counter()/gauge()/histogram() below.

import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  Summary,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type SummaryConfiguration,
  type Metric,
} from 'prom-client';
import { HotHistogram, type HistogramChild, type HotHistogramConfig } from './hot-histogram.js';
import { PendingCounts, type CountChild } from './pending-counts.js';

/** The event-loop delay sampler's period (ms). */
const EVENT_LOOP_SAMPLE_MS = 20;

export interface TrafficCounter {
  messages: number;
  bytes: number;
}

/**
 * Counts of messages sent to clients, kept as plain numbers on the hot path
 * and folded into centrifugo_transport_messages_sent* when they are scraped:
 * a labelled prom-client inc() per delivered message would cost more than the
 * delivery.
 */
export class TrafficCounters {
  /** By transport, then message type. */
  private readonly byTransport = new Map<string, Map<string, TrafficCounter>>();
  /** Messages drained so far, by type (every transport together). */
  private readonly drained = new Map<string, number>();

  /** The counter for one transport and message type; look it up once and keep it where it is hot. */
  counter(transport: string, type: string): TrafficCounter {
    let types = this.byTransport.get(transport);
    if (!types) this.byTransport.set(transport, (types = new Map()));
    let c = types.get(type);
    if (!c) types.set(type, (c = { messages: 0, bytes: 0 }));
    return c;
  }

  /** Hands what was counted since the last drain to `fold` and starts again from zero. */
  drain(fold: (transport: string, type: string, counted: TrafficCounter) => void): void {
    for (const [transport, types] of this.byTransport) {
      for (const [type, c] of types) {
        if (c.messages === 0) continue;
        fold(transport, type, { ...c });
        this.drained.set(type, (this.drained.get(type) ?? 0) + c.messages);
        c.messages = 0;
        c.bytes = 0;
      }
    }
  }

  /** Messages of `type` counted since the start, over every transport, drained or not. */
  total(type: string): number {
    let n = this.drained.get(type) ?? 0;
    for (const types of this.byTransport.values()) n += types.get(type)?.messages ?? 0;
    return n;
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly traffic = new TrafficCounters();

  /**
   * Registers a metric, or returns the one this registry already has under
   * that name: several nodes in one process (tests) may share a Metrics, and
   * every component asks for its metrics when it starts.
   */
  counter<L extends string>(c: CounterConfiguration<L>): Counter<L> {
    return this.once(c.name, () => new Counter({ ...c, registers: [this.registry] }));
  }

  gauge<L extends string>(c: GaugeConfiguration<L>): Gauge<L> {
    return this.once(c.name, () => new Gauge({ ...c, registers: [this.registry] }));
  }

  histogram<L extends string>(c: HistogramConfiguration<L>): Histogram<L> {
    return this.once(c.name, () => new Histogram({ ...c, registers: [this.registry] }));
  }

  /** A histogram observed once per message (hot-histogram.ts); same exposition as histogram(). */
  hotHistogram(c: HotHistogramConfig): HotHistogram {
    const existing = this.registry.getSingleMetric(c.name);
    if (existing) return existing as unknown as HotHistogram;
    const h = new HotHistogram(c);
    this.registry.registerMetric(h as unknown as Metric);
    return h;
  }

  summary<L extends string>(c: SummaryConfiguration<L>): Summary<L> {
    return this.once(c.name, () => new Summary({ ...c, registers: [this.registry] }));
  }

  private once<M extends Metric>(name: string, create: () => M): M {
    return (this.registry.getSingleMetric(name) as M | undefined) ?? create();
  }

  readonly connectionsAccepted = this.counter({
    name: 'centrifugo_client_connections_accepted',
    help: 'Connections accepted (connect command succeeded).',
    labelNames: ['transport', 'accept_protocol', 'client_name', 'client_version'],
  });
  readonly connectionsInflight = this.gauge({
    name: 'centrifugo_client_connections_inflight',
    help: 'Connections currently open (connected).',
    labelNames: ['transport', 'accept_protocol'],
  });
  readonly subscriptionsAccepted = this.counter({
    name: 'centrifugo_client_subscriptions_accepted',
    help: 'Subscriptions accepted.',
    labelNames: ['client_name', 'channel_namespace'],
  });
  readonly subscriptionsInflight = this.gauge({
    name: 'centrifugo_client_subscriptions_inflight',
    help: 'Subscriptions currently active.',
    labelNames: ['client_name', 'channel_namespace'],
  });
  readonly commandDuration = this.hotHistogram({
    name: 'centrifugo_client_command_duration_seconds',
    help: 'Client command processing time.',
    labelNames: ['method', 'channel_namespace'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  readonly replyErrors = this.counter({
    name: 'centrifugo_client_num_reply_errors',
    help: 'Error replies sent to clients.',
    labelNames: ['method', 'code', 'channel_namespace'],
  });
  readonly serverUnsubscribes = this.counter({
    name: 'centrifugo_client_num_server_unsubscribes',
    help: 'Server-initiated unsubscribes.',
    labelNames: ['code', 'channel_namespace'],
  });
  readonly serverDisconnects = this.counter({
    name: 'centrifugo_client_num_server_disconnects',
    help: 'Server-initiated disconnects by code.',
    labelNames: ['code'],
  });
  readonly recover = this.counter({
    name: 'centrifugo_client_recover',
    help: 'Recovery attempts.',
    labelNames: ['recovered', 'channel_namespace', 'has_recovered_publications'],
  });
  readonly messagesSent = this.counter({
    name: 'centrifugo_transport_messages_sent',
    help: 'Protocol messages sent to clients.',
    labelNames: ['transport', 'frame_type'],
    // Brings both sent counters up to date, whichever of them is read first.
    collect: () => this.foldTraffic(),
  });
  readonly messagesSentSize = this.counter({
    name: 'centrifugo_transport_messages_sent_size',
    help: 'Bytes of protocol messages sent to clients.',
    labelNames: ['transport', 'frame_type'],
    collect: () => this.foldTraffic(),
  });
  readonly messagesReceived = this.counter({
    name: 'centrifugo_transport_messages_received',
    help: 'Protocol messages received from clients.',
    labelNames: ['transport', 'frame_type'],
  });
  readonly messagesReceivedSize = this.counter({
    name: 'centrifugo_transport_messages_received_size',
    help: 'Bytes received from clients.',
    labelNames: ['transport', 'frame_type'],
  });
  private readonly nodeSentPending = new PendingCounts();
  readonly nodeMessagesSent: Counter<'type'> = this.counter({
    name: 'centrifugo_node_messages_sent_count',
    help: 'Messages the node handed to the engine, by type.',
    labelNames: ['type'],
    collect: (): void => this.nodeSentPending.foldInto(this.nodeMessagesSent),
  });
  readonly adminLogins = this.counter({
    name: 'tributary_admin_logins_total',
    help: 'Admin login attempts, by result: ok, wrong_password, throttled (429), not_configured (no password or secret).',
    labelNames: ['result'],
  });
  readonly deliveryLatency = this.histogram({
    name: 'tributary_delivery_latency_seconds',
    help: 'From a publication reaching this node to its flush to the subscribers’ sockets (one sample per event-loop turn, its oldest publication).',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  readonly eventLoopDelay = this.histogram({
    name: 'tributary_event_loop_delay_seconds',
    help: 'How late a 20 ms timer fires: event-loop delay, cumulative, so a reader takes its quantiles over any window from two scrapes (the default tributary_nodejs_eventloop_lag_p99_seconds restarts at every read of the registry, the node info aggregation included).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  private readonly nodeReceivedPending = new PendingCounts();
  readonly nodeMessagesReceived: Counter<'type'> = this.counter({
    name: 'centrifugo_node_messages_received_count',
    help: 'Messages the node received from the engine, by type.',
    labelNames: ['type'],
    collect: (): void => this.nodeReceivedPending.foldInto(this.nodeMessagesReceived),
  });
  readonly publishSuppressed = this.counter({
    name: 'centrifugo_broker_publish_suppressed_count',
    help: 'Publishes dropped by idempotency key or version.',
  });
  readonly publicationsTooLarge = this.counter({
    name: 'tributary_publications_too_large_total',
    help: 'Publishes refused because their data exceeded channel.max_publication_size.',
  });
  readonly numClients = this.gauge({ name: 'centrifugo_node_num_clients', help: 'Connected clients.' });
  readonly numUsers = this.gauge({ name: 'centrifugo_node_num_users', help: 'Distinct connected users.' });
  readonly numChannels = this.gauge({ name: 'centrifugo_node_num_channels', help: 'Channels with local subscribers.' });
  readonly numSubscriptions = this.gauge({ name: 'centrifugo_node_num_subscriptions', help: 'Local subscriptions.' });
  readonly build = this.gauge({ name: 'centrifugo_node_build', help: 'Build information.', labelNames: ['version'] });
  readonly apiCommandDuration = this.hotHistogram({
    name: 'centrifugo_api_command_duration_seconds',
    help: 'Server API command duration.',
    labelNames: ['protocol', 'method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  readonly apiCommandErrors = this.counter({
    name: 'centrifugo_api_command_errors_total',
    help: 'Server API command errors by code.',
    labelNames: ['protocol', 'method', 'error'],
  });
  readonly connectionLimit = this.counter({
    name: 'centrifugo_node_client_connection_limit',
    help: 'Connections refused by client.connection_limit.',
  });

  // ---- consumers (Centrifugo's names), then the outbox consumer's own ----------
  readonly consumerMessagesProcessed = this.counter({
    name: 'centrifugo_consumers_messages_processed_total',
    help: 'Messages a consumer processed (outbox: rows published and deleted).',
    labelNames: ['consumer_name'],
  });
  readonly consumerErrors = this.counter({
    name: 'centrifugo_consumers_errors_total',
    help: 'Consumer processing errors (outbox: failed passes over a partition).',
    labelNames: ['consumer_name'],
  });
  readonly outboxRowsProcessed = this.counter({
    name: 'tributary_outbox_rows_processed_total',
    help: 'Outbox rows dispatched successfully and deleted, by partition.',
    labelNames: ['consumer_name', 'partition'],
  });
  readonly outboxRowsFailed = this.counter({
    name: 'tributary_outbox_rows_failed_total',
    help: 'Failed dispatch attempts of outbox rows (retryable or not), by partition.',
    labelNames: ['consumer_name', 'partition'],
  });
  readonly outboxRowsDeadLettered = this.counter({
    name: 'tributary_outbox_rows_dead_lettered_total',
    help: 'Outbox rows moved to the dead-letter table, by partition and reason.',
    labelNames: ['consumer_name', 'partition', 'reason'],
  });
  readonly outboxBatchDuration = this.histogram({
    name: 'tributary_outbox_batch_duration_seconds',
    help: 'One pass over a partition: lock, select, dispatch, delete, commit.',
    labelNames: ['consumer_name'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  readonly outboxLag = this.gauge({
    name: 'tributary_outbox_lag_seconds',
    help: 'Age of the oldest unprocessed outbox row, by partition (0 when the partition is empty).',
    labelNames: ['consumer_name', 'partition'],
  });
  readonly outboxPublishLatency = this.hotHistogram({
    name: 'tributary_outbox_publish_latency_seconds',
    help: "From an outbox row's created_at to its publication by the dispatcher.",
    labelNames: ['consumer_name'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  readonly outboxListenerConnected = this.gauge({
    name: 'tributary_outbox_listener_connected',
    help: '1 while the LISTEN connection of an outbox consumer is up, 0 otherwise.',
    labelNames: ['consumer_name'],
  });

  private readonly commandChildren = new Map<string, HistogramChild>();
  /** protocol → method → child: two lookups, no key string built per call. */
  private readonly apiChildren = new Map<string, Map<string, HistogramChild>>();

  /** The API duration histogram's child for (protocol, method), looked up once: batches call it per command. */
  apiDurationFor(protocol: string, method: string): HistogramChild {
    let byMethod = this.apiChildren.get(protocol);
    if (!byMethod) this.apiChildren.set(protocol, (byMethod = new Map()));
    let child = byMethod.get(method);
    if (!child) {
      child = this.apiCommandDuration.labels({ protocol, method });
      byMethod.set(method, child);
    }
    return child;
  }

  /** Node messages of one type (sent to / received from the engine) counted once per message: see pending-counts.ts. */
  nodeMessagesSentChild(type: string): CountChild {
    return this.nodeSentPending.child({ type });
  }
  nodeMessagesReceivedChild(type: string): CountChild {
    return this.nodeReceivedPending.child({ type });
  }

  /** The duration histogram's child for one client command, looked up once. */
  commandDurationFor(method: string): HistogramChild {
    let child = this.commandChildren.get(method);
    if (!child) {
      child = this.commandDuration.labels({ method, channel_namespace: '' });
      this.commandChildren.set(method, child);
    }
    return child;
  }

  private foldTraffic(): void {
    this.traffic.drain((transport, type, c) => {
      this.messagesSent.inc({ transport, frame_type: type }, c.messages);
      this.messagesSentSize.inc({ transport, frame_type: type }, c.bytes);
    });
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'tributary_' });
      this.sampleEventLoopDelay();
    }
  }

  /**
   * Feeds tributary_event_loop_delay_seconds: a timer's lateness is what the
   * event loop kept everything else waiting (perf_hooks.monitorEventLoopDelay
   * measures the same, but keeps percentiles only, which cannot be summed into
   * buckets). Fifty wake-ups a second; unref'd, so it never holds the process.
   */
  private sampleEventLoopDelay(): void {
    let due = performance.now() + EVENT_LOOP_SAMPLE_MS;
    setInterval(() => {
      const now = performance.now();
      this.eventLoopDelay.observe(Math.max(0, now - due) / 1000);
      due = now + EVENT_LOOP_SAMPLE_MS;
    }, EVENT_LOOP_SAMPLE_MS).unref();
  }
}
