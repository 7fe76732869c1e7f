// Small clusters in one process, linked through test/helpers/linked-brokers.ts:
// bare Nodes (no HTTP) for control-plane tests, or full Servers with
// WebSocket endpoints for by-user commands that must reach real clients.

import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { ControlOptions } from '../../src/node/control/control-plane.js';
import { Node } from '../../src/node/node.js';
import { Server } from '../../src/server.js';
import { MemoryPresenceManager } from '../../src/engines/memory/memory-presence-manager.js';
import { BrokerLink, type LinkedBroker } from './linked-brokers.js';
import { API_KEY, testConfig } from './server.js';

type Overrides = Parameters<typeof testConfig>[0];

export interface NodeCluster {
  link: BrokerLink;
  nodes: Node[];
  brokers: LinkedBroker[];
  /** Adds and starts one more node. */
  add(name?: string): Promise<Node>;
  /** Shuts down every node still running. */
  stop(): Promise<void>;
}

/** `n` started Nodes on one link, named node-0..node-(n-1), each with its own Metrics. */
export async function linkedNodes(n: number, opts: { control?: Partial<ControlOptions>; config?: Overrides } = {}): Promise<NodeCluster> {
  const link = new BrokerLink();
  const nodes: Node[] = [];
  const brokers: LinkedBroker[] = [];
  const add = async (name = `node-${nodes.length}`): Promise<Node> => {
    const broker = link.broker();
    const node = new Node(
      testConfig({ ...opts.config, node: { name } }),
      { broker, presenceManager: new MemoryPresenceManager() },
      silentLogger(),
      new Metrics({ defaultMetrics: false }),
      {
        control: opts.control,
      },
    );
    await node.start();
    nodes.push(node);
    brokers.push(broker);
    return node;
  };
  for (let i = 0; i < n; i++) await add();
  return {
    link,
    nodes,
    brokers,
    add,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.shutdown()));
    },
  };
}

export interface LinkedServer {
  server: Server;
  wsUrl: string;
  api(method: string, body: unknown): Promise<{ status: number; json: any; text: string }>;
}

/** `n` started Servers (random ports) whose nodes share one link. */
export async function linkedServers(n: number, overrides: Overrides = {}): Promise<{ link: BrokerLink; servers: LinkedServer[]; stop(): Promise<void> }> {
  const link = new BrokerLink();
  const servers: LinkedServer[] = [];
  for (let i = 0; i < n; i++) {
    const config: Config = testConfig({ ...overrides, node: { name: `server-${i}` } });
    const server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }), broker: link.broker() });
    await server.start();
    const httpUrl = `http://127.0.0.1:${server.port}`;
    servers.push({
      server,
      wsUrl: `ws://127.0.0.1:${server.port}/connection/websocket`,
      async api(method, body) {
        const res = await fetch(`${httpUrl}/api/${method}`, {
          method: 'POST',
          headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        return { status: res.status, json, text };
      },
    });
  }
  return { link, servers, stop: async () => void (await Promise.all(servers.map((s) => s.server.stop()))) };
}

/** Resolves once `pred` holds, polling; fails after `ms`. */
export async function eventually(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets queued link deliveries (setImmediate) and their follow-ups run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
