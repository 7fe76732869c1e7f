// The configuration: every option of a Centrifugo v6 config file that
// Tributary reads, with its default, doc and checks (fields.ts builds them).
// Key names are Centrifugo's, so a v6 file maps one to one; durations come
// out in milliseconds. Keys Centrifugo knows and Tributary does not implement
// are listed as `unsupported`: accepted, and warned about when switched on.

import type { z } from 'zod';
import { ADMIN } from './admin.js';
import { CHANNEL_OPTIONS, checkChannelOptions, regexProblem, UNSUPPORTED_CHANNEL_OPTIONS } from './channel-options.js';
import { CONSUMERS } from './consumers.js';
import {
  WEBSOCKET_TUNING,
  accepted,
  bool,
  duration,
  handlerPrefix,
  int,
  list,
  oneOf,
  oneOfProblem,
  section,
  str,
  strs,
  within,
  type Report,
  type Unsupported,
} from './fields.js';
import { CHANNEL_PROXY, CLIENT_PROXY, PROXIES, RPC, checkProxies } from './proxies.js';
import { NATS, checkNats, type NatsOptions } from './nats.js';
import { REDIS, redisOptions } from './redis.js';
import { SERVER_TLS } from './tls.js';
import { CONNECT_CODE_TO_UNI_DISCONNECT, TRANSPORT_SECTIONS } from './transports.js';
import { checkJwksUrl, parsePublicKey } from '../util/token-keys.js';

const q = JSON.stringify;
export const NAMESPACE_NAME_PATTERN = '^[-a-zA-Z0-9_.]{2,}$';
const port = (doc: string, def: number, flag: string | boolean) =>
  int(def, doc, { flag, check: (p) => (p < 0 || p > 65535 ? `${p} must be a port number 0..65535` : undefined) });
const nonNegative = { check: (ms: number) => (ms < 0 ? 'must not be negative' : undefined) };

// ---- engine ----------------------------------------------------------------

const ENGINE_TYPES = ['memory', 'redis'] as const;
/** Where one half of the engine (broker or presence manager) lives. */
export type EngineSpec = { type: 'memory' } | { type: 'redis'; redis: ReturnType<typeof redisOptions> };
const spec = (type: string, redis: z.output<typeof REDIS>, report: Report): EngineSpec =>
  type === 'redis' ? { type, redis: redisOptions(redis, within(report, 'redis')) } : { type: 'memory' };

/** Where the broker lives: an engine type, or NATS (PUB/SUB only). */
export type BrokerSpec = EngineSpec | { type: 'nats'; nats: NatsOptions };

/** `broker` / `presence_manager`: when enabled, replaces that half of `engine` (server-api.md §2.2). */
const override = (what: string, known: string[]) =>
  section(
    `Replaces the ${what} half of engine when enabled.`,
    { enabled: bool(false, `Use this ${what} instead of the engine's.`, { flag: true }), type: str('', 'memory or redis.', { flag: true }), redis: REDIS },
    {
      make(o, report): { enabled: false } | ({ enabled: true } & EngineSpec) {
        if (!o.enabled) return { enabled: false };
        if ((ENGINE_TYPES as readonly string[]).includes(o.type)) return { enabled: true, ...spec(o.type, o.redis, report) };
        report('type', known.includes(o.type) ? `${q(o.type)} is not supported by Tributary (memory or redis)` : oneOfProblem(o.type, known));
        return { enabled: false };
      },
    },
  );

/** `broker`: as `override`, plus type "nats" with its `nats` block. */
const BROKER = section(
  'Replaces the broker half of engine when enabled.',
  {
    enabled: bool(false, "Use this broker instead of the engine's.", { flag: true }),
    type: str('', 'memory, redis or nats.', { flag: true }),
    redis: REDIS,
    nats: NATS,
  },
  {
    make(o, report): { enabled: false } | ({ enabled: true } & BrokerSpec) {
      if (!o.enabled) return { enabled: false };
      if (o.type === 'nats') {
        checkNats(o.nats, within(report, 'nats'));
        return { enabled: true, type: 'nats', nats: o.nats };
      }
      if ((ENGINE_TYPES as readonly string[]).includes(o.type)) return { enabled: true, ...spec(o.type, o.redis, report) };
      const known = ['memory', 'redis', 'nats', 'postgres', 'redisnats'];
      report('type', known.includes(o.type) ? `${q(o.type)} is not supported by Tributary (memory, redis or nats)` : oneOfProblem(o.type, known));
      return { enabled: false };
    },
  },
);

// ---- client ----------------------------------------------------------------

const tokenShape = () => ({
  hmac_secret_key: str('', 'HMAC secret that signs connection tokens (HS256/384/512).'),
  hmac_previous_secret_key: str('', 'The previous HMAC secret, still accepted during a key rotation.'),
  hmac_previous_secret_key_valid_until: int(0, 'Unix seconds after which the previous secret stops working; 0 = no limit.'),
  rsa_public_key: str('', 'RSA public key (PEM) for RS256/384/512 tokens.'),
  ecdsa_public_key: str('', 'ECDSA public key (PEM) for ES256/384/512 tokens.'),
  jwks_public_endpoint: str('', 'JWKS URL to fetch verification keys from (replaces the inline keys).'),
  audience: str('', 'Required aud claim.'),
  audience_regex: str('', 'Go regular expression the aud claim must match.', { check: regexProblem }),
  issuer: str('', 'Required iss claim.'),
  issuer_regex: str('', 'Go regular expression the iss claim must match.', { check: regexProblem }),
  user_id_claim: str('', 'Claim holding the user id instead of sub.', {
    check: (c) => (c === '' || /^[a-zA-Z_]+$/.test(c) ? undefined : `${q(c)} must match ^[a-zA-Z_]+$`),
  }),
});
type TokenOptions = z.output<z.ZodObject<ReturnType<typeof tokenShape>>>;

/** The checks a verifier would make at start, so checkconfig refuses what serve would. */
function checkToken(t: TokenOptions, report: Report, keysInUse: boolean): void {
  if (t.audience !== '' && t.audience_regex !== '') report('audience_regex', 'audience and audience_regex are mutually exclusive');
  if (t.issuer !== '' && t.issuer_regex !== '') report('issuer_regex', 'issuer and issuer_regex are mutually exclusive');
  if (!keysInUse) return;
  const attempt = (key: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      report(key, (err as Error).message);
    }
  };
  if (t.jwks_public_endpoint !== '') return attempt('jwks_public_endpoint', () => checkJwksUrl(t.jwks_public_endpoint));
  if (t.rsa_public_key !== '') attempt('rsa_public_key', () => parsePublicKey(t.rsa_public_key, 'rsa', 'rsa_public_key'));
  if (t.ecdsa_public_key !== '') attempt('ecdsa_public_key', () => parsePublicKey(t.ecdsa_public_key, 'ec', 'ecdsa_public_key'));
}

const JWKS_SAFETY = { insecure_skip_jwks_endpoint_safety_check: 'warn' } as const;
const SUBSCRIPTION_TOKEN = { enabled: bool(false, 'Verify subscription tokens with these keys instead of client.token.'), ...tokenShape() };

const CLIENT = section(
  'Client connections: tokens, origins, timings, limits.',
  {
    allowed_origins: strs('Origins allowed to connect (globs such as https://*.example.com); empty allows only requests without Origin.'),
    token: section('Connection token verification.', tokenShape(), { unsupported: JWKS_SAFETY, check: (t, report) => checkToken(t, report, true) }),
    subscription_token: section('Subscription token keys.', SUBSCRIPTION_TOKEN, { unsupported: JWKS_SAFETY, check: (t, r) => checkToken(t, r, t.enabled) }),
    allow_anonymous_connect_without_token: bool(false, 'Connections without a token are anonymous instead of refused.'),
    disallow_anonymous_connection_tokens: bool(false, 'Refuse tokens with an empty sub.'),
    insecure: bool(false, 'Every client may connect, subscribe, publish and read everything (development only).', { flag: true }),
    insecure_skip_token_signature_verify: bool(false, 'Trust token claims without checking signatures (development only).'),
    user_id_http_header: str('', 'Header that carries the user id, set by a trusted proxy in front.'),
    ping_interval: duration('25s', 'How often the server pings a client.', nonNegative),
    pong_timeout: duration('8s', 'How long a pong may take before the client is disconnected.', nonNegative),
    expired_close_delay: duration('25s', 'Grace period for refreshing an expired connection.', nonNegative),
    expired_sub_close_delay: duration('25s', 'Grace period for refreshing an expired subscription.', nonNegative),
    stale_close_delay: duration('10s', 'How long a connection may stay without a connect command.', nonNegative),
    presence_update_interval: duration('27s', 'How often a client refreshes its presence entries.', nonNegative),
    channel_limit: int(128, 'Subscriptions per connection.'),
    queue_max_size: int(1048576, 'Bytes a connection may have waiting to be written before it is disconnected (3008).'),
    connection_limit: int(0, 'Connections per node; 0 = no limit.'),
    user_connection_limit: int(0, 'Connections per user per node; 0 = no limit.'),
    connection_rate_limit: int(0, 'New connections per second per node; 0 = no limit.'),
    history_max_publication_limit: int(300, 'Most publications one history call returns to a client.'),
    recovery_max_publication_limit: int(300, 'Most publications one recovery returns.'),
    connect_include_server_time: bool(false, 'Put the server time into connect replies.'),
    subscribe_to_user_personal_channel: section("Subscribe every connection to its user's personal channel.", {
      enabled: bool(false, 'Turn it on.'),
      personal_channel_namespace: str('', 'Namespace of the personal channel; "" for channel.without_namespace.'),
      single_connection: bool(false, 'Keep one connection per user: a new one disconnects the older ones (needs presence).'),
    }),
    connect_code_to_unidirectional_disconnect: CONNECT_CODE_TO_UNI_DISCONNECT,
    proxy: CLIENT_PROXY,
  },
  {
    unsupported: {
      ...accepted('warn', 'channel_position_check_delay channel_position_max_time_lag'),
      concurrency: 'silent',
    },
    check({ ping_interval: ping, pong_timeout: pong }, report) {
      if (ping <= pong) report('ping_interval', `must be greater than client.pong_timeout (${ping}ms <= ${pong}ms)`);
    },
  },
);

// ---- channels ----------------------------------------------------------------

const NAMESPACE_SHAPE = { name: str('', `Namespace name, ${NAMESPACE_NAME_PATTERN}; channels "name:..." use it.`), ...CHANNEL_OPTIONS };
const NAMESPACE = section('', NAMESPACE_SHAPE, { item: true, unsupported: UNSUPPORTED_CHANNEL_OPTIONS });

const CHANNEL = section(
  'Channels: names, namespaces and their options.',
  {
    without_namespace: section('Options of channels without a namespace.', CHANNEL_OPTIONS, { unsupported: UNSUPPORTED_CHANNEL_OPTIONS }),
    namespaces: list('Channel namespaces, each with its own options.', NAMESPACE, { named: true }),
    history_meta_ttl: duration('720h', "How long a stream's epoch and top offset live after the last publish or read (whole seconds)."),
    idempotent_result_ttl: duration('5m', "Tributary's own: how long a publish's idempotency_key suppresses repeats.", nonNegative),
    max_publication_size: int(
      0,
      "Tributary's own: largest publication data in bytes, from any source (API, consumers, clients); larger ones get error 106. 0 = no limit, as in Centrifugo.",
      nonNegative,
    ),
    publication_data_format: oneOf(['', 'json', 'json_object', 'binary'], '', 'What publication data must be; "" accepts any JSON.'),
    max_length: int(255, 'Longest channel name in bytes; 0 = no limit.'),
    private_prefix: str('$', 'Channels starting with this need a subscription token.'),
    namespace_boundary: str(':', 'Separates the namespace from the rest of a channel name.'),
    user_boundary: str('#', 'Starts the user list of a user-limited channel.'),
    user_separator: str(',', 'Separates users in a user-limited channel.'),
    proxy: CHANNEL_PROXY,
  },
  {
    check(c, report) {
      if (c.history_meta_ttl < 0) report('history_meta_ttl', 'must not be negative');
      else if (c.history_meta_ttl % 1000 !== 0) report('history_meta_ttl', `${c.history_meta_ttl}ms must be a whole number of seconds`);
      checkChannelOptions(c.without_namespace, c.history_meta_ttl, report, ['without_namespace']);
      const seen = new Map<string, number>();
      c.namespaces.forEach((ns, i) => {
        const at = ['namespaces', i];
        if (!new RegExp(NAMESPACE_NAME_PATTERN).test(ns.name)) report([...at, 'name'], `${q(ns.name)} must match ${NAMESPACE_NAME_PATTERN}`);
        else if (seen.has(ns.name)) report([...at, 'name'], `${q(ns.name)} is already used by channel.namespaces[${seen.get(ns.name)}]`);
        else seen.set(ns.name, i);
        checkChannelOptions(ns, c.history_meta_ttl, report, at);
      });
    },
  },
);

// ---- GRPC API --------------------------------------------------------------------

const GRPC_API = section(
  'The server API over GRPC (service centrifugal.centrifugo.api.CentrifugoApi), on a port of its own.',
  {
    enabled: bool(false, 'Serve the GRPC API.', { flag: true }),
    address: str('', 'Address to listen on; "" listens on every interface.', { flag: true }),
    port: port('Port of the GRPC API.', 10000, true),
    key: str('', 'API key: every call must carry the metadata authorization: apikey <key>.'),
    insecure: bool(false, "Tributary's own: serve the GRPC API without a key (development only); without it an empty key refuses to start.", {
      flag: true,
    }),
    error_mode: oneOf(['', 'transport'], '', '"transport": errors as GRPC status codes instead of the error field.'),
    max_receive_message_size: int(0, 'Largest request in bytes; 0 = the GRPC default (4 MiB).', nonNegative),
    reflection: bool(false, 'Serve GRPC server reflection (for grpcurl and the like); it needs no key, as in Centrifugo.'),
    tls: SERVER_TLS('Server TLS of the GRPC API; client_ca_pem makes client certificates required (mTLS).'),
  },
  {
    unsupported: accepted('silent', 'jwks'),
    check(g, report) {
      if (!g.enabled) return;
      if (g.key === '' && !g.insecure) {
        report('key', 'the GRPC API needs a key (clients send authorization: apikey <key>), or grpc_api.insecure: true to serve it without one');
      }
    },
  },
);

// ---- the whole file ------------------------------------------------------------

const toggle = (what: string, prefix: string, unsupported: Record<string, Unsupported> = {}) =>
  section(
    `The ${what} endpoint (on the internal port when one is set).`,
    {
      // Deliberate deviation: Centrifugo ships metrics and health off. They are on
      // here so every deployment has scraping and liveness probes from day one.
      enabled: bool(true, `Serve ${what}.`, { flag: true }),
      handler_prefix: handlerPrefix(prefix, `Path of the ${what} endpoint.`),
    },
    { unsupported },
  );

export const CONFIG = section(
  'A Tributary (Centrifugo v6) configuration.',
  {
    http_server: section(
      'The HTTP server: WebSocket connections, and by default the API, health and metrics.',
      {
        address: str('', 'Address to listen on; "" listens on every interface.', { flag: 'a' }),
        port: port('Port to listen on.', 8000, 'p'),
        internal_address: str('', 'Address of the internal port.', { flag: true }),
        internal_port: port('A separate port for the API, health and metrics; 0 serves them on port.', 0, true),
        tls: SERVER_TLS('TLS on port (connections, and the API, health and metrics when they share it); client_ca_pem requires client certificates.'),
      },
      { unsupported: accepted('warn', 'tls_autocert tls_external internal_tls http3 h2c_external external_http2_extended_connect') },
    ),
    log: section('Logs: JSON lines on stdout.', {
      level: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'none'], 'info', 'Least severe level logged.', { flag: true }),
      file: str('', 'Write logs to this file instead of stdout.', { flag: true }),
    }),
    engine: section(
      'Where publications, history and presence live: memory (one process) or redis (many).',
      { type: oneOf(ENGINE_TYPES, 'memory', 'memory or redis.', { flag: true }), redis: REDIS },
      { make: (o, report) => spec(o.type, o.redis, report) },
    ),
    broker: BROKER,
    presence_manager: override('presence manager', ['memory', 'redis']),
    client: CLIENT,
    channel: CHANNEL,
    http_api: section('The server HTTP API.', {
      disabled: bool(false, 'Turn the API off.'),
      handler_prefix: handlerPrefix('/api', 'Path prefix of the API.'),
      key: str('', 'API key (X-API-Key header or Authorization: apikey <key>).'),
      error_mode: str('', '"transport": errors as HTTP status codes.'),
      external: bool(false, 'Serve the API on the external port even when an internal port is set.', { flag: true }),
      insecure: bool(false, 'No API key check (development only).', { flag: true }),
    }),
    grpc_api: GRPC_API,
    websocket: section(
      'The WebSocket transport.',
      {
        disabled: bool(false, 'Turn WebSocket connections off.'),
        handler_prefix: handlerPrefix('/connection/websocket', 'Path of WebSocket connections.'),
        write_timeout: duration('1000ms', 'A socket that takes no write for this long is disconnected (3009).', nonNegative),
        message_size_limit: int(65536, 'Largest message a client may send, in bytes.'),
      },
      { unsupported: { compression: 'warn', ...accepted('silent', WEBSOCKET_TUNING) } },
    ),
    ...TRANSPORT_SECTIONS,
    prometheus: toggle('metrics', '/metrics', accepted('warn', 'instrument_http_handlers recovered_publications_histogram native_histograms')),
    health: toggle('health', '/health'),
    node: section('This node.', {
      name: str('', 'Node name in info and logs; default host_port.'),
      info_metrics_aggregate_interval: duration(
        '60s',
        "How often the node snapshots its metrics for the info method's metrics.items; 0 leaves them out.",
        nonNegative,
      ),
    }),
    shutdown: section('Graceful shutdown.', { timeout: duration('30s', 'Hard deadline for a graceful shutdown.', nonNegative) }),
    consumers: CONSUMERS,
    rpc: RPC,
    proxies: PROXIES,
    admin: ADMIN,
  },
  {
    unsupported: {
      ...accepted('warn', 'map_broker controller shared_poll'),
      ...accepted('warn', 'uni_grpc webtransport'),
      ...accepted('warn', 'opentelemetry graphite swagger debug init pid_file enable_unreleased_features'),
      $schema: 'silent', // editors read it (tributary config schema)
      usage_stats: 'silent', // never sent, whatever it says
    },
    check(c, report) {
      checkProxies(c, report);
      const personal = c.client.subscribe_to_user_personal_channel;
      const key = ['client', 'subscribe_to_user_personal_channel'];
      const name = personal.personal_channel_namespace;
      const ns = c.channel.namespaces.find((n) => n.name === name);
      // As in Centrifugo: the namespace only has to exist when the feature is on.
      if (personal.enabled && name !== '' && !ns) report([...key, 'personal_channel_namespace'], `namespace ${q(name)} is not defined in channel.namespaces`);
      // single_connection counts the user's connections through presence on the personal channel.
      const options = name === '' ? c.channel.without_namespace : ns;
      if (personal.single_connection && options && !options.presence) {
        report([...key, 'single_connection'], `requires presence to be enabled on ${name === '' ? 'channel.without_namespace' : `namespace ${q(name)}`}`);
      }
    },
  },
);

/** Pre-v6 flat keys people carry over; the warning says where they moved. */
export const V5_KEY_HINTS: Record<string, string> = {
  ...{ log_level: 'log.level', port: 'http_server.port', address: 'http_server.address', internal_port: 'http_server.internal_port' },
  ...{ token_hmac_secret_key: 'client.token.hmac_secret_key', api_key: 'http_api.key', allowed_origins: 'client.allowed_origins' },
  ...{ namespaces: 'channel.namespaces', client_insecure: 'client.insecure', api_insecure: 'http_api.insecure' },
};

export type Config = z.output<typeof CONFIG>;
export type ClientConfig = Config['client'];
export type TokenConfig = Config['client']['token'];
export type ChannelConfig = Config['channel'];
export type ChannelOptions = Config['channel']['without_namespace'];
export type NamespaceConfig = Config['channel']['namespaces'][number];
export type HttpApiConfig = Config['http_api'];
export type GrpcApiConfig = Config['grpc_api'];
export type AdminConfig = Config['admin'];

/** The built-in defaults (every call a fresh object). */
export const defaultConfig = (): Config => CONFIG.parse({});
export const defaultChannelOptions = (): ChannelOptions => defaultConfig().channel.without_namespace;
