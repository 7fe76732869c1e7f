// Whether a new connection may be opened, whatever its transport: a node that
// is shutting down, over client.connection_limit or over
// client.connection_rate_limit answers 503, as Centrifugo's connection-limit
// middleware does for every connection endpoint. The origin check is here too,
// but each transport decides what a refused origin means: WebSocket upgrades
// are refused (403); HTTP transports are served without CORS headers.

import type { IncomingMessage } from 'node:http';
import type { ConnectionContext } from '../client/handler-session.js';
import type { Node } from '../node/node.js';
import type { Proxies } from '../proxy/proxies.js';
import { TokenBucket } from '../util/rate-limiter.js';
import { OriginCheck } from './origin.js';

export class Admission {
  readonly origins: OriginCheck;
  private readonly rate: TokenBucket | null;

  constructor(
    private readonly node: Node,
    private readonly proxies?: Proxies,
  ) {
    const cfg = node.config.client;
    this.origins = new OriginCheck(cfg.allowed_origins);
    this.rate = cfg.connection_rate_limit > 0 ? new TokenBucket(cfg.connection_rate_limit) : null;
  }

  /** True when the request's Origin passes client.allowed_origins; a refusal is logged with why. */
  originAllowed(req: IncomingMessage): boolean {
    if (this.origins.allowed(req.headers.origin)) return true;
    const empty = this.node.config.client.allowed_origins.length === 0;
    this.node.log.info(
      { origin: req.headers.origin },
      empty ? 'request origin is not allowed: client.allowed_origins is empty' : 'request origin is not allowed',
    );
    return false;
  }

  /** False (answer 503) when the node is stopping or a connection limit is reached. */
  admit(): boolean {
    if (this.node.shuttingDown) return false;
    const limit = this.node.config.client.connection_limit;
    if ((limit > 0 && this.node.numConnectionsTotal() >= limit) || (this.rate !== null && !this.rate.take())) {
      this.node.metrics.connectionLimit.inc();
      return false;
    }
    return true;
  }

  /**
   * What a session keeps of the request that opened its connection: the user id
   * of client.user_id_http_header, and the headers some proxy forwards (only
   * those, and only when one does).
   */
  connectionContext(req: IncomingMessage): ConnectionContext {
    const context: ConnectionContext = { userFromHeader: this.userFromHeader(req) };
    const forwarded = this.proxies?.forwardedHeaders;
    if (forwarded && forwarded.size > 0) {
      const headers: Record<string, string | string[] | undefined> = {};
      for (const name of forwarded) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
      context.headers = headers;
    }
    return context;
  }

  /** The user id a trusted proxy put into client.user_id_http_header, if configured and present. */
  private userFromHeader(req: IncomingMessage): string | undefined {
    const name = this.node.config.client.user_id_http_header.toLowerCase();
    const value = name ? req.headers[name] : undefined;
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
}
