// /health tells the truth: 200 only while the broker, the presence manager
// and every consumer are healthy and the node is not shutting down; otherwise
// 503 with the reason. (Centrifugo always answers 200 {}, which hides a dead
// engine from load balancers.) A consumer is unhealthy once its backend has
// been unreachable for a while, not on a single failed query.

import type { ServerResponse } from 'node:http';
import type { ConsumerHealth } from './consumers/consumer.js';
import { engineHealth, engineName } from './engines/status.js';
import type { Node } from './node/node.js';
import { sendJson } from './util/http.js';

export interface HealthSource {
  readonly name: string;
  health(): ConsumerHealth;
}

export function healthReport(node: Node, consumers: readonly HealthSource[] = []): { healthy: boolean; body: Record<string, unknown> } {
  const engine = engineHealth(node);
  const sick = consumers.map((c) => ({ name: c.name, ...c.health() })).filter((c) => !c.healthy);
  const healthy = engine.healthy && sick.length === 0 && !node.shuttingDown;
  const body: Record<string, unknown> = {};
  if (!healthy) {
    body.status = node.shuttingDown ? 'shutting down' : 'unhealthy';
    body.engine = { name: engineName(node), ...engine };
    if (sick.length > 0) body.consumers = Object.fromEntries(sick.map(({ name, ...h }) => [name, h]));
  }
  return { healthy, body };
}

export function handleHealth(node: Node, res: ServerResponse, consumers: readonly HealthSource[] = []): void {
  const { healthy, body } = healthReport(node, consumers);
  sendJson(res, healthy ? 200 : 503, JSON.stringify(body));
}
