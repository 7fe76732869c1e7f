// The shape the loader walks. It is derived from the defaults, so a field added
// to types.ts and defaults.ts becomes loadable from file, env and flags without
// touching this file; only durations and string lists need naming here, because
// a default of `25000` or `[]` does not say what kind of value it is.

import { defaultChannelOptions, defaultConfig } from './defaults.js';

export type LeafKind = 'bool' | 'int' | 'string' | 'strings' | 'duration';

/** What to do with a key Centrifugo v6 knows but Tributary does not implement. */
export type Unsupported = 'warn' | 'silent';

export interface LeafNode {
  kind: LeafKind;
}
export interface SectionNode {
  kind: 'section';
  children: Map<string, SchemaNode>;
  unsupported: Map<string, Unsupported>;
}
/** `channel.namespaces`: a list of named channel-option objects. */
export interface NamespacesNode {
  kind: 'namespaces';
  item: SectionNode;
}
/** Kept exactly as written, for a later capability to interpret (consumers, engine.redis). */
export interface RawNode {
  kind: 'raw';
  /** True for lists of named objects, whose env form may be space-separated names. */
  namedList: boolean;
}
export type SchemaNode = LeafNode | SectionNode | NamespacesNode | RawNode;

const DURATIONS = new Set([
  'client.ping_interval',
  'client.pong_timeout',
  'client.expired_close_delay',
  'client.expired_sub_close_delay',
  'client.stale_close_delay',
  'client.presence_update_interval',
  'channel.history_meta_ttl',
  'channel.idempotent_result_ttl',
  'websocket.write_timeout',
  'shutdown.timeout',
]);
const OPTION_DURATIONS = new Set(['history_ttl', 'history_meta_ttl']);
const STRING_LISTS = new Set(['client.allowed_origins']);
const OPTION_STRING_LISTS = new Set(['allowed_delta_types']);

// Centrifugo v6 keys we accept without implementing. 'warn' ones change
// behaviour when turned on, so the operator must hear that they are ignored;
// 'silent' ones are tuning knobs with no observable effect here.
const UNSUPPORTED_ROOT: Record<string, Unsupported> = {
  map_broker: 'warn',
  controller: 'warn',
  shared_poll: 'warn',
  rpc: 'warn',
  proxies: 'warn',
  grpc_api: 'warn',
  admin: 'warn',
  sse: 'warn',
  http_stream: 'warn',
  uni_sse: 'warn',
  uni_http_stream: 'warn',
  uni_websocket: 'warn',
  uni_grpc: 'warn',
  webtransport: 'warn',
  emulation: 'silent', // only used by sse/http_stream, which warn themselves
  opentelemetry: 'warn',
  graphite: 'warn',
  usage_stats: 'silent', // we never send usage stats, whatever it says
  swagger: 'warn',
  debug: 'warn',
  init: 'warn',
  pid_file: 'warn',
  enable_unreleased_features: 'warn',
  'http_server.tls': 'warn',
  'http_server.tls_autocert': 'warn',
  'http_server.tls_external': 'warn',
  'http_server.internal_tls': 'warn',
  'http_server.http3': 'warn',
  'http_server.h2c_external': 'warn',
  'http_server.external_http2_extended_connect': 'warn',
  'client.proxy': 'warn',
  'client.concurrency': 'silent',
  'client.channel_position_check_delay': 'warn',
  'client.channel_position_max_time_lag': 'warn',
  'client.connect_code_to_unidirectional_disconnect': 'warn',
  'client.token.insecure_skip_jwks_endpoint_safety_check': 'warn',
  'client.subscription_token.insecure_skip_jwks_endpoint_safety_check': 'warn',
  'channel.proxy': 'warn',
  'websocket.compression': 'warn',
  'websocket.compression_min_size': 'silent',
  'websocket.compression_level': 'silent',
  'websocket.read_buffer_size': 'silent',
  'websocket.use_write_buffer_pool': 'silent',
  'websocket.write_buffer_size': 'silent',
  'websocket.decompressed_message_size_limit': 'silent',
  'prometheus.instrument_http_handlers': 'warn',
  'prometheus.recovered_publications_histogram': 'warn',
  'prometheus.native_histograms': 'warn',
  'node.info_metrics_aggregate_interval': 'silent',
};

const UNSUPPORTED_OPTIONS: Record<string, Unsupported> = {
  subscribe_proxy_enabled: 'warn',
  publish_proxy_enabled: 'warn',
  sub_refresh_proxy_enabled: 'warn',
  subscribe_stream_proxy_enabled: 'warn',
  subscribe_stream_proxy_bidirectional: 'warn',
  // Proxy names only matter when the matching *_enabled is on, which warns.
  subscribe_proxy_name: 'silent',
  publish_proxy_name: 'silent',
  sub_refresh_proxy_name: 'silent',
  subscribe_stream_proxy_name: 'silent',
  map: 'warn',
  shared_poll: 'warn',
  map_clients_presence_channel_prefix: 'warn',
  map_users_presence_channel_prefix: 'warn',
};

/** Pre-v6 flat keys people carry over; the warning says where they moved. */
export const V5_KEY_HINTS: Record<string, string> = {
  log_level: 'log.level',
  port: 'http_server.port',
  address: 'http_server.address',
  internal_port: 'http_server.internal_port',
  token_hmac_secret_key: 'client.token.hmac_secret_key',
  api_key: 'http_api.key',
  allowed_origins: 'client.allowed_origins',
  namespaces: 'channel.namespaces',
  client_insecure: 'client.insecure',
  api_insecure: 'http_api.insecure',
};

function section(): SectionNode {
  return { kind: 'section', children: new Map(), unsupported: new Map() };
}

function leafKind(value: unknown, isDuration: boolean, isStringList: boolean): LeafKind {
  if (isDuration) return 'duration';
  if (isStringList) return 'strings';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'int';
    case 'string':
      return 'string';
    default:
      throw new Error(`config schema: cannot infer the kind of ${JSON.stringify(value)}`);
  }
}

function optionsSection(withName: boolean): SectionNode {
  const node = section();
  if (withName) node.children.set('name', { kind: 'string' });
  for (const [key, value] of Object.entries(defaultChannelOptions())) {
    node.children.set(key, { kind: leafKind(value, OPTION_DURATIONS.has(key), OPTION_STRING_LISTS.has(key)) });
  }
  for (const [key, mode] of Object.entries(UNSUPPORTED_OPTIONS)) node.unsupported.set(key, mode);
  return node;
}

function build(obj: Record<string, unknown>, path: string): SectionNode {
  const node = section();
  for (const [key, value] of Object.entries(obj)) {
    const p = path ? `${path}.${key}` : key;
    if (p === 'channel.without_namespace') node.children.set(key, optionsSection(false));
    else if (p === 'channel.namespaces') node.children.set(key, { kind: 'namespaces', item: optionsSection(true) });
    else if (p === 'consumers') node.children.set(key, { kind: 'raw', namedList: true });
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      node.children.set(key, build(value as Record<string, unknown>, p));
    } else node.children.set(key, { kind: leafKind(value, DURATIONS.has(p), STRING_LISTS.has(p)) });
  }
  return node;
}

function lookupSection(root: SectionNode, path: string[]): SectionNode {
  let node: SchemaNode = root;
  for (const key of path) {
    const next: SchemaNode | undefined = node.kind === 'section' ? node.children.get(key) : undefined;
    if (!next || next.kind !== 'section') throw new Error(`config schema: ${path.join('.')} is not a section`);
    node = next;
  }
  return node as SectionNode;
}

function buildRoot(): SectionNode {
  const root = build(defaultConfig() as unknown as Record<string, unknown>, '');
  // Not in the defaults (it has none of its own) but kept raw for the Redis engine.
  lookupSection(root, ['engine']).children.set('redis', { kind: 'raw', namedList: false });
  // Override blocks for one half of the engine, read by config/engines.ts.
  root.children.set('broker', { kind: 'raw', namedList: false });
  root.children.set('presence_manager', { kind: 'raw', namedList: false });
  for (const [dotted, mode] of Object.entries(UNSUPPORTED_ROOT)) {
    const parts = dotted.split('.');
    const key = parts.pop()!;
    lookupSection(root, parts).unsupported.set(key, mode);
  }
  return root;
}

/** The schema of the whole config. Built once; treat as read-only. */
export const CONFIG_SCHEMA: SectionNode = buildRoot();

/** Whether a value written for an unsupported key would change behaviour if we implemented it. */
export function isActive(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // Centrifugo sections are switched by `enabled`; settings under a disabled switch do nothing.
    if ('enabled' in obj) return isActive(obj['enabled']);
    return Object.values(obj).some(isActive);
  }
  return false;
}
