// Event proxies (proxies.md §1): the proxy object, where proxies live
// (client.proxy, channel.proxy, rpc, the named `proxies` list) and the checks
// Centrifugo's validate.go makes on them. Key names and defaults are
// Centrifugo v6's; a proxy is HTTP when its endpoint starts with http:// or
// https://, gRPC otherwise.

import type { z } from 'zod';
import { accepted, bool, duration, int, list, section, str, strMap, strs, type Report } from './fields.js';
import { TLS } from './tls.js';

const q = JSON.stringify;
export const PROXY_NAME_PATTERN = '^[-a-zA-Z0-9_.]{2,}$';
/** The name every `*_proxy_name` defaults to: the proxy block beside the option (channel.proxy.<type>, rpc.proxy). */
export const DEFAULT_PROXY = 'default';

const asciiUpTo123 = (what: string) => (s: string) =>
  s.length > 123 ? `${what} must be at most 123 characters` : /^[\x20-\x7e]*$/.test(s) ? undefined : `${what} must be ASCII`;

const STATUS_TRANSFORM = section(
  '',
  {
    status_code: int(0, 'HTTP status of the backend answer.'),
    to_error: section('The error the client gets.', {
      code: int(0, 'Error code.'),
      message: str('', 'Error message.', { check: asciiUpTo123('to_error.message') }),
      temporary: bool(false, 'Whether the client may retry.'),
    }),
    to_disconnect: section('The disconnect the client gets.', {
      code: int(0, 'Disconnect code.'),
      reason: str('', 'Disconnect reason.', { check: asciiUpTo123('to_disconnect.reason') }),
    }),
  },
  {
    item: true,
    check(t, report) {
      if (t.status_code === 0) report('status_code', 'status_code is required');
      if ((t.to_error.code === 0) === (t.to_disconnect.code === 0)) report([], 'exactly one of to_error.code and to_disconnect.code must be set');
    },
  },
);

const proxyShape = () => ({
  endpoint: str('', 'http(s)://… for an HTTP proxy; grpc://host:port (or host:port) for a gRPC one.'),
  // As in Centrifugo, 0 means the default.
  timeout: duration('1s', 'Hard limit for one call, connection included; 0 = 1s.', { orDefault: 'nonPositive' }),
  http_headers: strs('Headers of the connection’s HTTP request to forward (case-insensitive).'),
  grpc_metadata: strs('Incoming gRPC metadata keys to forward (uni_grpc connections only, which Tributary has not).'),
  emulated_headers: strs('Keys of the headers map a client sends with connect to forward as headers.'),
  binary_encoding: bool(false, 'Send client payloads as base64 (b64data) with encoding "binary".'),
  include_connection_meta: bool(false, 'Add the connection meta to every request but connect.'),
  http: section('Options of an HTTP proxy.', {
    tls: TLS,
    static_headers: strMap('Headers added to every request (forwarded ones win).'),
    status_to_code_transforms: list('Non-200 statuses turned into an error or a disconnect for the client.', STATUS_TRANSFORM),
  }),
  grpc: section('Options of a gRPC proxy.', {
    tls: TLS,
    credentials_key: str('', 'Metadata key added to every call (per-RPC credentials).'),
    credentials_value: str('', 'Its value.'),
    compression: bool(false, 'gzip every call.'),
    static_metadata: strMap('Metadata added to every call (forwarded keys win).'),
  }),
});

const PROXY_DOC = 'A backend endpoint Tributary asks.';
const proxy = (doc = PROXY_DOC) => section(doc, proxyShape());
export type ProxyOptions = z.output<ReturnType<typeof proxy>>;

const switched = (what: string) => section(`The ${what} proxy.`, { enabled: bool(false, `Ask the backend on ${what}.`), ...proxyShape() });

/** client.proxy */
export const CLIENT_PROXY = section('Client-wide proxies: connect (connections without a token) and refresh.', {
  connect: switched('connect'),
  refresh: switched('refresh'),
});

/** channel.proxy: the proxies named "default", switched on per namespace. */
export const CHANNEL_PROXY = section(
  'The channel proxies named "default", switched on per namespace with <type>_proxy_enabled.',
  {
    subscribe: proxy('The default subscribe proxy.'),
    publish: proxy('The default publish proxy.'),
    sub_refresh: proxy('The default subscription refresh proxy.'),
  },
  { unsupported: accepted('warn', 'subscribe_stream map_publish map_remove shared_poll_refresh') },
);

/** Per-namespace switches of the channel proxies (in channel options). */
export const CHANNEL_PROXY_OPTIONS = {
  subscribe_proxy_enabled: bool(false, 'Ask the subscribe proxy whether a client may subscribe (instead of the allow_* rules).'),
  subscribe_proxy_name: str(DEFAULT_PROXY, 'Which subscribe proxy: "default" (channel.proxy.subscribe) or a name in proxies.'),
  publish_proxy_enabled: bool(false, 'Ask the publish proxy about every client publish (instead of the allow_* rules).'),
  publish_proxy_name: str(DEFAULT_PROXY, 'Which publish proxy: "default" (channel.proxy.publish) or a name in proxies.'),
  sub_refresh_proxy_enabled: bool(false, 'Refresh expiring proxied subscriptions through the sub_refresh proxy.'),
  sub_refresh_proxy_name: str(DEFAULT_PROXY, 'Which sub_refresh proxy: "default" (channel.proxy.sub_refresh) or a name in proxies.'),
};
export const CHANNEL_PROXY_TYPES = ['subscribe', 'publish', 'sub_refresh'] as const;
export type ChannelProxyType = (typeof CHANNEL_PROXY_TYPES)[number];

const rpcOptions = () => ({
  proxy_enabled: bool(false, 'Send client RPC calls of this namespace to the RPC proxy.'),
  proxy_name: str(DEFAULT_PROXY, 'Which RPC proxy: "default" (rpc.proxy) or a name in proxies.'),
});

/** rpc */
export const RPC = section('Client RPC calls: the proxy they go to, by method namespace, and the built-in ping.', {
  proxy: proxy('The default RPC proxy.'),
  without_namespace: section('RPC methods without a namespace.', rpcOptions()),
  namespaces: list(
    'RPC namespaces: "name:method" calls use their options.',
    section('', { name: str('', 'Namespace name.'), ...rpcOptions() }, { item: true }),
    { named: true },
  ),
  namespace_boundary: str(':', 'Separates the namespace from the method.'),
  ping: section('A built-in method that answers at once, without a proxy.', {
    enabled: bool(false, 'Register it.'),
    method: str('ping', 'Its name.'),
  }),
});

/** proxies: named proxies, shared by any namespace that names them. */
export const PROXIES = list(
  'Named proxies, referred to by *_proxy_name and rpc proxy_name.',
  section('', { name: str('', `Proxy name, ${PROXY_NAME_PATTERN}; "default" is reserved.`), ...proxyShape() }, { item: true }),
  { named: true },
);

type Proxy = ProxyOptions;
export const isHttpEndpoint = (endpoint: string) => endpoint.startsWith('http://') || endpoint.startsWith('https://');

/** A proxy in use must say where it is (Centrifugo's validateProxy; a zero timeout already became the default). */
export function checkProxy(p: Proxy, report: Report, at: (string | number)[]): void {
  if (p.endpoint === '') return report([...at, 'endpoint'], 'endpoint is required');
  if (!isHttpEndpoint(p.endpoint) && p.http.status_to_code_transforms.length > 0) {
    report([...at, 'http', 'status_to_code_transforms'], 'applies to HTTP proxies only');
  }
}

interface ProxyConfigView {
  client: { proxy: z.output<typeof CLIENT_PROXY> };
  channel: {
    proxy: z.output<typeof CHANNEL_PROXY>;
    without_namespace: Record<string, unknown>;
    namespaces: Array<Record<string, unknown> & { name: string }>;
  };
  rpc: z.output<typeof RPC>;
  proxies: z.output<typeof PROXIES>;
}

/** Cross-section checks (Centrifugo's validateProxy and the name lookups of buildProxyMap). */
export function checkProxies(c: ProxyConfigView, report: Report): void {
  const named = new Map<string, number>();
  c.proxies.forEach((p, i) => {
    const at = ['proxies', i];
    if (!new RegExp(PROXY_NAME_PATTERN).test(p.name)) report([...at, 'name'], `${q(p.name)} must match ${PROXY_NAME_PATTERN}`);
    else if (p.name === DEFAULT_PROXY) report([...at, 'name'], `${q(DEFAULT_PROXY)} is reserved for the proxy blocks beside the options`);
    else if (named.has(p.name)) report([...at, 'name'], `${q(p.name)} is already used by proxies[${named.get(p.name)}]`);
    else named.set(p.name, i);
    checkProxy(p, report, at);
  });
  for (const type of ['connect', 'refresh'] as const) {
    if (c.client.proxy[type].enabled) checkProxy(c.client.proxy[type], report, ['client', 'proxy', type]);
  }
  // Names must exist whether or not the proxy is switched on; a default block
  // is checked once, where a namespace first switches it on. The default RPC
  // block is not checked: Centrifugo starts without its endpoint, and calls fail.
  const checkedDefaults = new Set<string>();
  const nameKnown = (name: string, at: (string | number)[]) => {
    if (name === DEFAULT_PROXY || name === '' || named.has(name)) return true;
    report(at, `proxy ${q(name)} is not defined in proxies`);
    return false;
  };
  const scopes: Array<[(string | number)[], Record<string, unknown>]> = [
    [['channel', 'without_namespace'], c.channel.without_namespace],
    ...c.channel.namespaces.map((ns, i): [(string | number)[], Record<string, unknown>] => [['channel', 'namespaces', i], ns]),
  ];
  for (const [at, options] of scopes) {
    for (const type of CHANNEL_PROXY_TYPES) {
      const name = String(options[`${type}_proxy_name`]);
      if (!nameKnown(name, [...at, `${type}_proxy_name`]) || options[`${type}_proxy_enabled`] !== true || named.has(name)) continue;
      if (!checkedDefaults.has(type)) checkProxy(c.channel.proxy[type], report, ['channel', 'proxy', type]);
      checkedDefaults.add(type);
    }
  }
  const rpcNames = new Map<string, number>();
  c.rpc.namespaces.forEach((ns, i) => {
    const at = ['rpc', 'namespaces', i];
    if (!new RegExp(PROXY_NAME_PATTERN).test(ns.name)) report([...at, 'name'], `${q(ns.name)} must match ${PROXY_NAME_PATTERN}`);
    else if (rpcNames.has(ns.name)) report([...at, 'name'], `${q(ns.name)} is already used by rpc.namespaces[${rpcNames.get(ns.name)}]`);
    else rpcNames.set(ns.name, i);
    nameKnown(ns.proxy_name, [...at, 'proxy_name']);
  });
  nameKnown(c.rpc.without_namespace.proxy_name, ['rpc', 'without_namespace', 'proxy_name']);
  if (c.rpc.ping.enabled && c.rpc.ping.method === '') report(['rpc', 'ping', 'method'], 'method must not be empty');
}
