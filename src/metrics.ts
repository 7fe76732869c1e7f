// Prometheus metrics. Names follow Centrifugo's (`centrifugo_<subsystem>_<name>`)
// so existing dashboards and alerts keep working when Tributary replaces it.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly connectionsAccepted = new Counter({
    name: 'centrifugo_client_connections_accepted',
    help: 'Connections accepted (connect command succeeded).',
    labelNames: ['transport', 'accept_protocol', 'client_name', 'client_version'],
    registers: [this.registry],
  });
  readonly connectionsInflight = new Gauge({
    name: 'centrifugo_client_connections_inflight',
    help: 'Connections currently open (connected).',
    labelNames: ['transport', 'accept_protocol'],
    registers: [this.registry],
  });
  readonly subscriptionsAccepted = new Counter({
    name: 'centrifugo_client_subscriptions_accepted',
    help: 'Subscriptions accepted.',
    labelNames: ['client_name', 'channel_namespace'],
    registers: [this.registry],
  });
  readonly subscriptionsInflight = new Gauge({
    name: 'centrifugo_client_subscriptions_inflight',
    help: 'Subscriptions currently active.',
    labelNames: ['client_name', 'channel_namespace'],
    registers: [this.registry],
  });
  readonly commandDuration = new Histogram({
    name: 'centrifugo_client_command_duration_seconds',
    help: 'Client command processing time.',
    labelNames: ['method', 'channel_namespace'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly replyErrors = new Counter({
    name: 'centrifugo_client_num_reply_errors',
    help: 'Error replies sent to clients.',
    labelNames: ['method', 'code', 'channel_namespace'],
    registers: [this.registry],
  });
  readonly serverUnsubscribes = new Counter({
    name: 'centrifugo_client_num_server_unsubscribes',
    help: 'Server-initiated unsubscribes.',
    labelNames: ['code', 'channel_namespace'],
    registers: [this.registry],
  });
  readonly serverDisconnects = new Counter({
    name: 'centrifugo_client_num_server_disconnects',
    help: 'Server-initiated disconnects by code.',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly recover = new Counter({
    name: 'centrifugo_client_recover',
    help: 'Recovery attempts.',
    labelNames: ['recovered', 'channel_namespace', 'has_recovered_publications'],
    registers: [this.registry],
  });
  readonly messagesSent = new Counter({
    name: 'centrifugo_transport_messages_sent',
    help: 'Protocol messages sent to clients.',
    labelNames: ['transport', 'frame_type'],
    registers: [this.registry],
  });
  readonly messagesSentSize = new Counter({
    name: 'centrifugo_transport_messages_sent_size',
    help: 'Bytes of protocol messages sent to clients.',
    labelNames: ['transport', 'frame_type'],
    registers: [this.registry],
  });
  readonly messagesReceived = new Counter({
    name: 'centrifugo_transport_messages_received',
    help: 'Protocol messages received from clients.',
    labelNames: ['transport', 'frame_type'],
    registers: [this.registry],
  });
  readonly messagesReceivedSize = new Counter({
    name: 'centrifugo_transport_messages_received_size',
    help: 'Bytes received from clients.',
    labelNames: ['transport', 'frame_type'],
    registers: [this.registry],
  });
  readonly nodeMessagesSent = new Counter({
    name: 'centrifugo_node_messages_sent_count',
    help: 'Messages the node handed to the engine, by type.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly nodeMessagesReceived = new Counter({
    name: 'centrifugo_node_messages_received_count',
    help: 'Messages the node received from the engine, by type.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly publishSuppressed = new Counter({
    name: 'centrifugo_broker_publish_suppressed_count',
    help: 'Publishes dropped by idempotency key or version.',
    registers: [this.registry],
  });
  readonly numClients = new Gauge({ name: 'centrifugo_node_num_clients', help: 'Connected clients.', registers: [this.registry] });
  readonly numUsers = new Gauge({ name: 'centrifugo_node_num_users', help: 'Distinct connected users.', registers: [this.registry] });
  readonly numChannels = new Gauge({ name: 'centrifugo_node_num_channels', help: 'Channels with local subscribers.', registers: [this.registry] });
  readonly numSubscriptions = new Gauge({ name: 'centrifugo_node_num_subscriptions', help: 'Local subscriptions.', registers: [this.registry] });
  readonly build = new Gauge({ name: 'centrifugo_node_build', help: 'Build information.', labelNames: ['version'], registers: [this.registry] });
  readonly apiCommandDuration = new Histogram({
    name: 'centrifugo_api_command_duration_seconds',
    help: 'Server API command duration.',
    labelNames: ['protocol', 'method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly apiCommandErrors = new Counter({
    name: 'centrifugo_api_command_errors_total',
    help: 'Server API command errors by code.',
    labelNames: ['protocol', 'method', 'error'],
    registers: [this.registry],
  });
  readonly connectionLimit = new Counter({
    name: 'centrifugo_node_client_connection_limit',
    help: 'Connections refused by client.connection_limit.',
    registers: [this.registry],
  });


  // ---- consumers (Centrifugo's names), then the outbox consumer's own ----------
  readonly consumerMessagesProcessed = new Counter({
    name: 'centrifugo_consumers_messages_processed_total',
    help: 'Messages a consumer processed (outbox: rows published and deleted).',
    labelNames: ['consumer_name'],
    registers: [this.registry],
  });
  readonly consumerErrors = new Counter({
    name: 'centrifugo_consumers_errors_total',
    help: 'Consumer processing errors (outbox: failed passes over a partition).',
    labelNames: ['consumer_name'],
    registers: [this.registry],
  });
  readonly outboxRowsProcessed = new Counter({
    name: 'tributary_outbox_rows_processed_total',
    help: 'Outbox rows dispatched successfully and deleted, by partition.',
    labelNames: ['consumer_name', 'partition'],
    registers: [this.registry],
  });
  readonly outboxRowsFailed = new Counter({
    name: 'tributary_outbox_rows_failed_total',
    help: 'Failed dispatch attempts of outbox rows (retryable or not), by partition.',
    labelNames: ['consumer_name', 'partition'],
    registers: [this.registry],
  });
  readonly outboxRowsDeadLettered = new Counter({
    name: 'tributary_outbox_rows_dead_lettered_total',
    help: 'Outbox rows moved to the dead-letter table, by partition and reason.',
    labelNames: ['consumer_name', 'partition', 'reason'],
    registers: [this.registry],
  });
  readonly outboxBatchDuration = new Histogram({
    name: 'tributary_outbox_batch_duration_seconds',
    help: 'One pass over a partition: lock, select, dispatch, delete, commit.',
    labelNames: ['consumer_name'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly outboxLag = new Gauge({
    name: 'tributary_outbox_lag_seconds',
    help: 'Age of the oldest unprocessed outbox row, by partition (0 when the partition is empty).',
    labelNames: ['consumer_name', 'partition'],
    registers: [this.registry],
  });
  readonly outboxPublishLatency = new Histogram({
    name: 'tributary_outbox_publish_latency_seconds',
    help: "From an outbox row's created_at to its publication by the dispatcher.",
    labelNames: ['consumer_name'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly outboxListenerConnected = new Gauge({
    name: 'tributary_outbox_listener_connected',
    help: '1 while the LISTEN connection of an outbox consumer is up, 0 otherwise.',
    labelNames: ['consumer_name'],
    registers: [this.registry],
  });

  private readonly commandChildren = new Map<string, { observe(v: number): void }>();
  private readonly apiChildren = new Map<string, { observe(v: number): void }>();

  /** The API duration histogram's child for (protocol, method), looked up once: batches call it per command. */
  apiDurationFor(protocol: string, method: string): { observe(v: number): void } {
    const key = protocol + ' ' + method;
    let child = this.apiChildren.get(key);
    if (!child) {
      child = this.apiCommandDuration.labels({ protocol, method });
      this.apiChildren.set(key, child);
    }
    return child;
  }

  /** The duration histogram's child for one client command, looked up once. */
  commandDurationFor(method: string): { observe(v: number): void } {
    let child = this.commandChildren.get(method);
    if (!child) {
      child = this.commandDuration.labels({ method, channel_namespace: '' });
      this.commandChildren.set(method, child);
    }
    return child;
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'tributary_' });
  }
}
