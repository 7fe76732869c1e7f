// /health tells the truth: 200 only while the engine is healthy and the node
// is not shutting down; otherwise 503 with the reason. (Centrifugo always
// answers 200 {}, which hides a dead engine from load balancers.)

import type { ServerResponse } from 'node:http';
import type { Node } from './node/node.js';
import { sendJson } from './util/http.js';

export function healthReport(node: Node): { healthy: boolean; body: Record<string, unknown> } {
  const engine = node.engine.health();
  const healthy = engine.healthy && !node.shuttingDown;
  const body: Record<string, unknown> = {};
  if (!healthy) {
    body.status = node.shuttingDown ? 'shutting down' : 'unhealthy';
    body.engine = { name: node.engine.name, ...engine };
  }
  return { healthy, body };
}

export function handleHealth(node: Node, res: ServerResponse): void {
  const { healthy, body } = healthReport(node);
  sendJson(res, healthy ? 200 : 503, JSON.stringify(body));
}
