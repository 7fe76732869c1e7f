// The admin endpoints and UI under admin.handler_prefix (P), as Centrifugo
// serves them (internal/admin/handlers.go), so its own UI could talk to us:
//
//   <P>/admin/init   any    {"authenticated","edition":"oss","insecure"}
//   <P>/admin/auth   POST   form `password` → {"token"}; 400 wrong or unset; 429 (ours) after repeated failures
//   <P>/admin/api    POST   the legacy API command stream, with Authorization: token <t>
//   <P>/...                 the UI's files
//
// and, for our UI, with the same token: admin/stats (every node's recent
// samples), admin/tail (a channel's publications, streamed), admin/consumers
// and admin/dead_letters[/retry|/delete] (the outbox's dead letters). Every answer
// carries a CSP with no inline script and is never cached.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from '../api/dispatcher.js';
import { ApiDecodeError } from '../api/errors.js';
import { handleLegacy } from '../api/legacy.js';
import type { AdminConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Node } from '../node/node.js';
import { BodyTooLarge, readBody, send, sendJson } from '../util/http.js';
import type { Consumer } from '../consumers/consumer.js';
import { ConsumersView, parseIds } from './consumers-view.js';
import { LoginThrottle } from './login-throttle.js';
import { StaticFiles, BUILT_UI_DIR } from './static-files.js';
import { StatsRecorder, SAMPLE_INTERVAL_MS } from './stats.js';
import { parseTailRequest, sendError, serveTail } from './tail.js';
import { checkAdminToken, issueAdminToken, passwordMatches } from './token.js';

const MAX_BODY = 1024 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

interface Route {
  method?: 'POST';
  token: boolean;
  run(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export class AdminHandler {
  private readonly prefix: string;
  private readonly files: StaticFiles;
  private readonly throttle = new LoginThrottle();
  readonly stats: StatsRecorder;
  private readonly consumerView: ConsumersView;
  private readonly logins: Metrics['adminLogins'];

  constructor(
    private readonly config: AdminConfig,
    private readonly node: Node,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    consumers: () => readonly Consumer[],
  ) {
    this.consumerView = new ConsumersView(consumers);
    this.logins = node.metrics.adminLogins;
    this.prefix = config.handler_prefix;
    this.files = new StaticFiles(config.web_path || BUILT_UI_DIR);
    this.stats = new StatsRecorder(node);
  }

  /** The endpoints under <P>/: the method they take (any when unset) and whether they need the token. */
  private readonly routes: Record<string, Route> = {
    'admin/init': { token: false, run: (req, res) => this.init(req, res) },
    'admin/auth': { method: 'POST', token: false, run: (req, res) => this.login(req, res) },
    'admin/api': { method: 'POST', token: true, run: (req, res) => this.api(req, res) },
    'admin/stats': { token: true, run: (_req, res, url) => this.statsAnswer(res, url) },
    'admin/tail': { method: 'POST', token: true, run: (req, res) => this.tail(req, res) },
    'admin/consumers': { token: true, run: async (_req, res) => sendJson(res, 200, JSON.stringify({ consumers: await this.consumerView.list() })) },
    'admin/dead_letters': { token: true, run: (_req, res, url) => this.listDeadLetters(res, url) },
    'admin/dead_letters/retry': { method: 'POST', token: true, run: (req, res) => this.changeDeadLetters(req, res, 'retry') },
    'admin/dead_letters/delete': { method: 'POST', token: true, run: (req, res) => this.changeDeadLetters(req, res, 'delete') },
  };

  start(): void {
    if (this.config.insecure) {
      this.log.warn('INSECURE admin mode enabled: anyone who reaches the admin UI can run every API method without a password; keep it behind a firewall');
    } else if (!this.config.password || !this.config.secret) {
      this.log.warn('admin is enabled without admin.password and admin.secret: every login will be refused');
    }
    this.stats.start();
  }

  stop(): void {
    this.stats.stop();
  }

  /** Whether `path` is under the admin tree (with an empty prefix: every path). */
  matches(path: string): boolean {
    return this.prefix === '' || path === this.prefix || path.startsWith(this.prefix + '/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const path = url.pathname;
    if (path === this.prefix) {
      res.writeHead(301, { Location: this.prefix + '/' + url.search });
      return void res.end();
    }
    const sub = path.slice(this.prefix.length + 1);
    const route = Object.hasOwn(this.routes, sub) ? this.routes[sub] : undefined;
    if (route) {
      res.setHeader('Cache-Control', 'no-store');
      // Method first, then the token, as Centrifugo checks admin/api.
      if (route.method && req.method !== route.method) return send(res, 405);
      if (route.token && !this.authorized(req)) return send(res, 401);
      return route.run(req, res, url);
    }
    // Any method, as Go's file server (a POST to an unknown path is 404 there too, not 405).
    return this.files.serve(sub, res);
  }

  private init(req: IncomingMessage, res: ServerResponse): void {
    const authenticated = this.config.insecure || this.authorized(req);
    sendJson(res, 200, JSON.stringify({ authenticated, edition: 'oss', insecure: this.config.insecure }) + '\n');
  }

  /** A token from the Authorization header ("token <t>") that checks out, or insecure mode. */
  private authorized(req: IncomingMessage): boolean {
    if (this.config.insecure) return true;
    if (!this.config.secret) return false;
    const fields = (req.headers.authorization ?? '').trim().split(/\s+/);
    if (fields.length !== 2 || fields[0]!.toLowerCase() !== 'token') return false;
    return checkAdminToken(this.config.secret, fields[1]!) === null;
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = req.socket.remoteAddress ?? '';
    const wait = this.throttle.retryAfter(address);
    if (wait > 0) {
      this.logins.inc({ result: 'throttled' });
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      return send(res, 429, 'Too Many Requests\n', 'text/plain; charset=utf-8');
    }
    if (!this.config.password || !this.config.secret) {
      this.logins.inc({ result: 'not_configured' });
      this.log.error('admin login refused: admin.password and admin.secret must both be set');
      return send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
    }
    const password = await readPassword(req, new URL(req.url ?? '/', 'http://localhost'));
    if (password === null || !passwordMatches(this.config.password, password)) {
      this.throttle.failed(address);
      this.logins.inc({ result: 'wrong_password' });
      this.log.warn({ address }, 'admin login failed: wrong password');
      return send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
    }
    this.throttle.succeeded(address);
    this.logins.inc({ result: 'ok' });
    this.log.info({ address }, 'admin login');
    sendJson(res, 200, JSON.stringify({ token: issueAdminToken(this.config.secret) }) + '\n');
  }

  private async api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.node.shuttingDown) return send(res, 503);
    const body = await readJsonBody(req, res);
    if (body === null) return;
    if (body.length === 0) return send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
    try {
      sendJson(res, 200, await handleLegacy(this.dispatcher, body.toString('utf8')));
    } catch (err) {
      if (err instanceof ApiDecodeError) return send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
      this.log.error({ err }, 'admin api call failed');
      send(res, 500, 'Internal Server Error\n', 'text/plain; charset=utf-8');
    }
  }

  private async statsAnswer(res: ServerResponse, url: URL): Promise<void> {
    const since = Number(url.searchParams.get('since') ?? '0');
    const nodes = await this.stats.all(Number.isFinite(since) ? since : 0);
    sendJson(res, 200, JSON.stringify({ interval_ms: SAMPLE_INTERVAL_MS, nodes }));
  }

  private async listDeadLetters(res: ServerResponse, url: URL): Promise<void> {
    const name = url.searchParams.get('consumer') ?? '';
    const store = this.consumerView.deadLetters(name);
    if (!store) return sendError(res, 404, 102, `no consumer ${JSON.stringify(name)} with dead letters`);
    const limit = Math.min(500, Math.max(1, Number(url.searchParams.get('limit') ?? '50') || 50));
    const before = Number(url.searchParams.get('before') ?? '');
    try {
      const page = await store.list(limit, Number.isSafeInteger(before) && before > 0 ? before : undefined);
      sendJson(res, 200, JSON.stringify(page));
    } catch (err) {
      this.log.error({ err: (err as Error).message, consumer: name }, 'cannot list dead letters');
      sendError(res, 503, 100, `cannot read the dead letters: ${(err as Error).message}`);
    }
  }

  private async changeDeadLetters(req: IncomingMessage, res: ServerResponse, action: 'retry' | 'delete'): Promise<void> {
    const body = await readJsonBody(req, res);
    if (body === null) return;
    let parsed: { consumer?: unknown } | null;
    try {
      parsed = JSON.parse(body.toString('utf8')) as { consumer?: unknown } | null;
    } catch {
      return sendError(res, 400, 107, 'the body is not JSON');
    }
    const name = typeof parsed?.consumer === 'string' ? parsed.consumer : '';
    const store = this.consumerView.deadLetters(name);
    if (!store) return sendError(res, 404, 102, `no consumer ${JSON.stringify(name)} with dead letters`);
    const ids = parseIds(parsed);
    if (typeof ids === 'string') return sendError(res, 400, 107, ids);
    try {
      const n = action === 'retry' ? await store.retry(ids) : await store.remove(ids);
      this.log.info({ consumer: name, ids: ids.length, done: n }, action === 'retry' ? 'dead letters sent back to the outbox' : 'dead letters deleted');
      sendJson(res, 200, JSON.stringify(action === 'retry' ? { retried: n } : { deleted: n }));
    } catch (err) {
      this.log.error({ err: (err as Error).message, consumer: name }, `cannot ${action} dead letters`);
      sendError(res, 503, 100, `cannot ${action} the dead letters: ${(err as Error).message}`);
    }
  }

  private async tail(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, res);
    if (body === null) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(res, 400, 107, 'the body is not JSON');
    }
    const tail = parseTailRequest(parsed);
    if (typeof tail === 'string') return sendError(res, 400, 107, tail);
    await serveTail(this.node, req, res, tail);
  }
}

/** The body, or null when it was refused (413 written). */
async function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
  try {
    return await readBody(req, MAX_BODY);
  } catch (err) {
    if (err instanceof BodyTooLarge) send(res, 413, 'Request Entity Too Large\n', 'text/plain; charset=utf-8');
    else send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
    return null;
  }
}

/**
 * The `password` form value as Go's FormValue finds it: an urlencoded or
 * multipart body (what the UI sends), else the query string. null when the
 * body is too large or does not parse.
 */
async function readPassword(req: IncomingMessage, url: URL): Promise<string | null> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY);
  } catch {
    return null;
  }
  const type = req.headers['content-type'] ?? '';
  let fromBody: string | null = null;
  try {
    if (type.startsWith('application/x-www-form-urlencoded')) fromBody = new URLSearchParams(body.toString('utf8')).get('password');
    else if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
      const v = form.get('password');
      fromBody = typeof v === 'string' ? v : null;
    }
  } catch {
    return null;
  }
  return fromBody ?? url.searchParams.get('password');
}
