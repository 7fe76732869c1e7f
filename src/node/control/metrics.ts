// Metrics of the cross-node control plane. Centrifugo counts every control
// message as node_messages_{sent,received}_count{type="control"}; that is kept
// for dashboards, and Tributary adds per-kind counters so a flood of one kind
// (or of malformed messages) can be told apart.

import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../../metrics.js';
import type { DecodeFailure } from './wire.js';
import type { ControlType } from './messages.js';

type Labelled = { inc(): void };

export class ControlMetrics {
  private readonly sentByType: Counter<'type'>;
  private readonly receivedByType: Counter<'type'>;
  private readonly invalid: Counter<'reason'>;
  private readonly surveyDuration: Histogram<'op'>;
  private readonly numNodes: Gauge;
  private readonly sentControl: Labelled;
  private readonly receivedControl: Labelled;

  constructor(metrics: Metrics) {
    this.sentByType = metrics.counter({
      name: 'tributary_node_control_messages_sent_total',
      help: 'Control messages this node published, by kind.',
      labelNames: ['type'],
    });
    this.receivedByType = metrics.counter({
      name: 'tributary_node_control_messages_received_total',
      help: 'Control messages received from other nodes, by kind (own broadcasts excluded).',
      labelNames: ['type'],
    });
    this.invalid = metrics.counter({
      name: 'tributary_node_control_messages_invalid_total',
      help: 'Control messages ignored because they could not be decoded, by reason.',
      labelNames: ['reason'],
    });
    this.surveyDuration = metrics.histogram({
      name: 'centrifugo_node_survey_duration_seconds',
      help: 'Duration of cluster-wide surveys, by op.',
      labelNames: ['op'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.numNodes = metrics.gauge({ name: 'centrifugo_node_num_nodes', help: 'Live nodes in the cluster, this one included.' });
    this.sentControl = metrics.nodeMessagesSent.labels({ type: 'control' });
    this.receivedControl = metrics.nodeMessagesReceived.labels({ type: 'control' });
  }

  sent(type: ControlType): void {
    this.sentControl.inc();
    this.sentByType.inc({ type });
  }

  received(type: ControlType): void {
    this.receivedControl.inc();
    this.receivedByType.inc({ type });
  }

  rejected(reason: DecodeFailure): void {
    this.invalid.inc({ reason });
  }

  surveyDone(op: string, seconds: number): void {
    this.surveyDuration.observe({ op }, seconds);
  }

  nodes(n: number): void {
    this.numNodes.set(n);
  }
}
