// Starts and stops a Tributary node with its HTTP endpoints: WebSocket
// connections, the server API, /health and /metrics, on the external port and,
// when configured, a separate internal port for the API and operations.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { AdminHandler } from './admin/handler.js';
import { Dispatcher } from './api/dispatcher.js';
import { ApiHttpHandler } from './api/http-handler.js';
import { createVerifiers } from './auth/verifiers.js';
import { Proxies } from './proxy/proxies.js';
import { GrpcApiServer } from './api/grpc-server.js';
import type { BrokerSpec, Config, EngineSpec } from './config/schema.js';
import type { RedisEngineOptions } from './config/redis.js';
import { createConsumers, type Consumer, type ConsumerDeps } from './consumers/index.js';
import type { Broker } from './engines/broker.js';
import { MemoryBroker } from './engines/memory/memory-broker.js';
import { MemoryPresenceManager } from './engines/memory/memory-presence-manager.js';
import { NatsBroker } from './engines/nats/nats-broker.js';
import type { PresenceManager } from './engines/presence-manager.js';
import { RedisBroker } from './engines/redis/redis-broker.js';
import { RedisMetrics } from './engines/redis/metrics.js';
import { RedisPresenceManager } from './engines/redis/redis-presence-manager.js';
import { RedisShards } from './engines/redis/shards.js';
import { handleHealth } from './health.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { engineHealth, engineName } from './engines/status.js';
import { Node, type NodeEngines } from './node/node.js';
import { Admission } from './transports/admission.js';
import { tlsServerOptions } from './util/tls.js';
import { EmulatedStreamEndpoint } from './transports/emulated-stream.js';
import { EMULATION_OP, EmulationEndpoint, emulationSurveyHandler } from './transports/emulation.js';
import { UniStreamEndpoint } from './transports/uni-stream.js';
import { UniWebsocketEndpoint } from './transports/uni-websocket.js';
import { WebsocketEndpoint } from './transports/websocket.js';
import { send } from './util/http.js';

export interface ServerOptions {
  logger?: Logger;
  metrics?: Metrics;
  /** Used instead of the one the config asks for (tests). */
  broker?: Broker;
  /** Used instead of the one the config asks for (tests). */
  presenceManager?: PresenceManager;
}

export class Server {
  readonly node: Node;
  readonly log: Logger;
  /** Enabled consumers (built by start()): started after the node, stopped before the broker and presence manager close. */
  consumers: Consumer[] = [];
  private readonly consumerDeps: ConsumerDeps;
  private readonly external: http.Server;
  private readonly internal: http.Server | null;
  private readonly api: ApiHttpHandler;
  private readonly ws: WebsocketEndpoint;
  private readonly uniWs: UniWebsocketEndpoint | null;
  private readonly admin: AdminHandler | null;
  /** The enabled HTTP connection endpoints (http_stream, sse, uni_sse, uni_http_stream) and emulation. */
  private readonly httpEndpoints: Array<{ readonly path: string; handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> }>;
  private stopping: Promise<void> | null = null;
  /** The backends client sessions ask (connect, refresh, subscribe, publish, sub_refresh, rpc). */
  private readonly proxies: Proxies;
  /** The server API over GRPC, when grpc_api.enabled. */
  private readonly grpcApi: GrpcApiServer | null;

  constructor(
    readonly config: Config,
    opts: ServerOptions = {},
  ) {
    this.log = opts.logger ?? createLogger(config.log.level, config.log.file);
    const metrics = opts.metrics ?? new Metrics();
    const engines = createEngines(config, this.log, metrics, { broker: opts.broker, presenceManager: opts.presenceManager });
    // Built here, not by the node: only client sessions check tokens. Before the
    // node, so an unusable token config (bad PEM, regex, JWKS URL) throws before
    // the node registers anything, as when the node built them.
    const verifiers = createVerifiers(config.client);
    this.node = new Node(config, engines, this.log, metrics);
    this.api = new ApiHttpHandler(this.node, config.http_api);
    // The GRPC API shares the HTTP API's dispatcher: one implementation of every method.
    this.grpcApi = config.grpc_api.enabled ? new GrpcApiServer(config.grpc_api, this.api.dispatcher, this.log) : null;
    this.proxies = new Proxies(config, metrics, this.log);
    const sessions = { node: this.node, verifiers, proxies: this.proxies };
    // One admission for every transport: the connection limit and rate are per node, not per endpoint.
    const admission = new Admission(this.node, this.proxies);
    this.ws = new WebsocketEndpoint(sessions, admission);
    this.uniWs = config.uni_websocket.enabled ? new UniWebsocketEndpoint(sessions, admission) : null;
    this.httpEndpoints = [];
    for (const kind of ['http_stream', 'sse'] as const) {
      if (config[kind].enabled) this.httpEndpoints.push(new EmulatedStreamEndpoint(sessions, admission, kind));
    }
    for (const kind of ['uni_sse', 'uni_http_stream'] as const) {
      if (config[kind].enabled) this.httpEndpoints.push(new UniStreamEndpoint(sessions, admission, kind));
    }
    if (config.http_stream.enabled || config.sse.enabled) {
      this.httpEndpoints.push(new EmulationEndpoint(this.node, admission.origins));
      this.node.control.registerSurveyHandler(EMULATION_OP, emulationSurveyHandler(this.node));
    }
    const dispatcher = new Dispatcher(this.node);
    this.admin = config.admin.enabled
      ? new AdminHandler(config.admin, this.node, dispatcher, this.log.child({ component: 'admin' }), () => this.consumers)
      : null;
    this.consumerDeps = {
      dispatcher,
      log: this.log,
      metrics,
      engineHealthy: () => engineHealth(engines).healthy,
      sharedIdempotency: engines.broker.idempotencyScope === 'shared',
    };

    const separateInternal = config.http_server.internal_port > 0 && config.http_server.internal_port !== config.http_server.port;
    const onExternal = (req: http.IncomingMessage, res: http.ServerResponse) => this.route(req, res, !separateInternal);
    this.external = config.http_server.tls.enabled ? https.createServer(tlsServerOptions(config.http_server.tls), onExternal) : http.createServer(onExternal);
    this.external.on('upgrade', (req, socket, head) => {
      const url = parseRequestUrl(req.url);
      if (url && !config.websocket.disabled && url.pathname === this.ws.path) this.ws.handleUpgrade(req, socket, head);
      else if (url && this.uniWs && url.pathname === this.uniWs.path) this.uniWs.handleUpgrade(req, socket, head, url);
      else {
        socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        socket.destroy();
      }
    });
    this.internal = separateInternal ? http.createServer((req, res) => this.route(req, res, true, true)) : null;
    // Idle keep-alive connections stay open past a ping and its pong: an
    // HTTP-streaming or SSE client answers each ping with a POST to /emulation,
    // and with Node's 5 s default that POST would open a new connection every
    // time, which a node busy broadcasting accepts slowly (one per turn of its
    // event loop) while the pong deadline runs. Go's server, and so
    // Centrifugo, keeps idle connections open without a limit.
    const keepAlive = Math.max(5000, config.client.ping_interval + config.client.pong_timeout + 5000);
    for (const s of [this.external, this.internal]) {
      if (!s) continue;
      s.headersTimeout = 10_000;
      s.requestTimeout = 30_000;
      s.keepAliveTimeout = keepAlive;
    }
  }

  /** Addresses actually bound (port 0 in config picks a free port). */
  get port(): number {
    return (this.external.address() as AddressInfo).port;
  }

  /** The GRPC API's bound port; 0 when it is off. */
  get grpcPort(): number {
    return this.grpcApi?.port ?? 0;
  }

  get internalPort(): number {
    return this.internal ? (this.internal.address() as AddressInfo).port : this.port;
  }

  /**
   * Builds the consumers, starts the node, checks every consumer's backend (a consumer that cannot
   * start fails the whole start, naming itself and the cause), listens, then
   * lets the consumers run.
   */
  async start(): Promise<void> {
    // Built first: a consumer kind that cannot load stops the start before any engine connects.
    this.consumers = await createConsumers(this.config.consumers, this.consumerDeps);
    await this.node.start();
    // Every init settles before the first failure is reported, so a stop() after it finds no init half done.
    const inits = await Promise.allSettled(this.consumers.map((c) => c.init()));
    const failed = inits.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const hs = this.config.http_server;
    await listen(this.external, hs.port, hs.address);
    if (this.internal) await listen(this.internal, hs.internal_port, hs.internal_address || hs.address);
    await this.grpcApi?.start();
    this.admin?.start();
    for (const c of this.consumers) c.run();
    this.log.info(
      { port: this.port, internal_port: this.internalPort, engine: engineName(this.node), version: this.node.version, node: this.node.name },
      'tributary started',
    );
  }

  /**
   * Graceful stop: refuse new work, let the consumers finish the batches in
   * hand (their publications still reach connected clients), disconnect
   * clients with 3001, close the broker, the presence manager and listeners.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.external.close();
      this.internal?.close();
      await Promise.all(this.consumers.map((c) => c.stop()));
      await this.grpcApi?.stop();
      this.admin?.stop();
      await this.node.shutdown();
      this.proxies.close();
      this.ws.close();
      this.uniWs?.close();
      this.external.closeAllConnections();
      this.internal?.closeAllConnections();
      this.log.info('tributary stopped');
    })();
    return this.stopping;
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, withInternal: boolean, internalOnly = false): void {
    const url = parseRequestUrl(req.url);
    if (!url) return send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
    const cfg = this.config;
    const path = url.pathname;
    const apiHere = !cfg.http_api.disabled && (withInternal || cfg.http_api.external);
    if (apiHere && this.api.matches(path)) {
      this.api.handle(req, res, url).catch((err) => {
        this.log.error({ err }, 'api handler crashed');
        send(res, 500);
      });
      return;
    }
    if (withInternal && cfg.health.enabled && path === cfg.health.handler_prefix) return handleHealth(this.node, res, this.consumers);
    if (withInternal && cfg.prometheus.enabled && path === cfg.prometheus.handler_prefix) {
      this.node.refreshGauges();
      this.node.metrics.registry
        .metrics()
        .then((text) => send(res, 200, text, this.node.metrics.registry.contentType))
        .catch((err) => {
          this.log.error({ err }, 'metrics failed');
          send(res, 500);
        });
      return;
    }
    // A WebSocket endpoint reached without an upgrade: 400, as Centrifugo's upgrader answers.
    if (!internalOnly && (path === this.ws.path || (this.uniWs && path === this.uniWs.path))) return send(res, 400, 'Bad Request', 'text/plain; charset=utf-8');
    const endpoint = internalOnly ? undefined : this.httpEndpoints.find((e) => e.path === path);
    if (endpoint) {
      endpoint.handle(req, res, url).catch((err) => {
        this.log.error({ err, path }, 'connection endpoint crashed');
        send(res, 500);
      });
      return;
    }
    // Last, as Centrifugo mounts it: at <prefix>/ it takes every path nobody else claimed.
    if (this.admin && (cfg.admin.external ? !internalOnly : withInternal) && this.admin.matches(path)) {
      this.admin.handle(req, res, url).catch((err) => {
        this.log.error({ err, path }, 'admin handler crashed');
        send(res, 500);
      });
      return;
    }
    send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
  }
}

/** The request target as a URL, or null for a target WHATWG URL refuses (e.g. `//a:b`). */
function parseRequestUrl(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

function listen(server: http.Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The broker and the presence manager the config asks for (an enabled broker or
 * presence_manager block replaces that half of the engine); a half given in
 * `given` is used as it is. When the engine block configures both halves, a
 * Redis pair shares its shards' command connections, as Centrifugo's broker
 * and presence manager do.
 */
export function createEngines(config: Config, log: Logger, metrics?: Metrics, given: Partial<NodeEngines> = {}): NodeEngines {
  const split = config.broker.enabled || config.presence_manager.enabled;
  if (given.broker && given.presenceManager) return { broker: given.broker, presenceManager: given.presenceManager, split };
  const b: BrokerSpec = config.broker.enabled ? config.broker : config.engine;
  const p: EngineSpec = config.presence_manager.enabled ? config.presence_manager : config.engine;
  // The Redis metrics are the broker's: link and PUB/SUB state are what they
  // report, so a presence manager on a Redis of its own has none.
  const brokerShards = (options: RedisEngineOptions) => new RedisShards(options, log, metrics && new RedisMetrics(metrics));
  if (!given.broker && !given.presenceManager && b === p && b.type === 'redis') {
    const shards = brokerShards(b.redis);
    return { broker: new RedisBroker(shards), presenceManager: new RedisPresenceManager(shards) };
  }
  return {
    split,
    broker:
      given.broker ??
      (b.type === 'redis' ? new RedisBroker(brokerShards(b.redis)) : b.type === 'nats' ? new NatsBroker(b.nats, log, metrics) : new MemoryBroker()),
    presenceManager: given.presenceManager ?? (p.type === 'redis' ? new RedisPresenceManager(new RedisShards(p.redis, log)) : new MemoryPresenceManager()),
  };
}
