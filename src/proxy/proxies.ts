// Every proxy of a server, built once from the config: the client-wide connect
// and refresh proxies, the channel proxies each namespace switches on (by
// name: "default" is the block in channel.proxy, others come from `proxies`),
// and the RPC proxy of a method's namespace. One endpoint (one connection pool
// or gRPC channel) per distinct name and type, shared by the namespaces that
// name it.

import type { Config } from '../config/schema.js';
import { DEFAULT_PROXY, type ChannelProxyType, type ProxyOptions } from '../config/proxies.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { ProxyEndpoint } from './endpoint.js';
import type { ProxyType } from './messages.js';
import { ProxyMetrics } from './metrics.js';

/** Where a client RPC goes (proxies.md §7). */
export type RpcRoute = { kind: 'ping' } | { kind: 'proxy'; endpoint: ProxyEndpoint<'rpc'> } | { kind: 'method not found' } | { kind: 'not available' };

/** The switches of one channel namespace (channel options carry them). */
export interface ChannelProxySwitches {
  subscribe_proxy_enabled: boolean;
  subscribe_proxy_name: string;
  publish_proxy_enabled: boolean;
  publish_proxy_name: string;
  sub_refresh_proxy_enabled: boolean;
  sub_refresh_proxy_name: string;
}

export class Proxies {
  readonly connect: ProxyEndpoint<'connect'> | null;
  readonly refresh: ProxyEndpoint<'refresh'> | null;
  /** Lower-case names of the connection headers some proxy forwards: transports keep only these. */
  readonly forwardedHeaders: ReadonlySet<string>;
  /** Whether some proxy forwards the client's emulated headers (else they are not kept). */
  readonly usesEmulatedHeaders: boolean;
  private readonly endpoints = new Map<string, ProxyEndpoint>();
  private readonly metrics: ProxyMetrics;
  private readonly named: Map<string, ProxyOptions>;

  constructor(
    private readonly config: Config,
    metrics: Metrics,
    private readonly log?: Logger,
  ) {
    this.metrics = new ProxyMetrics(metrics);
    this.named = new Map(config.proxies.map((p) => [p.name, p]));
    const client = config.client.proxy;
    this.connect = client.connect.enabled ? this.endpoint('connect', DEFAULT_PROXY, client.connect) : null;
    this.refresh = client.refresh.enabled ? this.endpoint('refresh', DEFAULT_PROXY, client.refresh) : null;
    // Build every endpoint a namespace switches on now: a bad one fails the start, not a client.
    for (const options of [config.channel.without_namespace, ...config.channel.namespaces]) {
      for (const type of ['subscribe', 'publish', 'sub_refresh'] as const) this.channel(type, options);
    }
    for (const ns of [config.rpc.without_namespace, ...config.rpc.namespaces]) if (ns.proxy_enabled) this.rpcEndpoint(ns.proxy_name);
    const all = [...this.endpoints.values()];
    this.forwardedHeaders = new Set(all.flatMap((e) => e.forwardedHeaders));
    this.usesEmulatedHeaders = all.some((e) => e.options.emulated_headers.length > 0);
  }

  /** The namespace's proxy of this type, or null when the namespace does not switch it on. */
  channel<T extends ChannelProxyType>(type: T, options: ChannelProxySwitches): ProxyEndpoint<T> | null {
    if (!options[`${type}_proxy_enabled`]) return null;
    const name = options[`${type}_proxy_name`] || DEFAULT_PROXY;
    return this.endpoint(type, name, name === DEFAULT_PROXY ? this.config.channel.proxy[type] : this.named.get(name)!);
  }

  /** Where an RPC call of `method` goes: the ping extension, a proxy, or an error (proxies.md §7). */
  rpc(method: string): RpcRoute {
    const rpc = this.config.rpc;
    if (rpc.ping.enabled && method === rpc.ping.method) return { kind: 'ping' };
    const boundary = rpc.namespace_boundary;
    const nsName = boundary !== '' && method.includes(boundary) ? method.slice(0, method.indexOf(boundary)) : '';
    const options = nsName === '' ? rpc.without_namespace : rpc.namespaces.find((n) => n.name === nsName);
    if (!this.anyRpcProxy) return { kind: rpc.ping.enabled ? 'method not found' : 'not available' };
    if (!options) return { kind: 'method not found' };
    if (!options.proxy_enabled) return { kind: 'not available' };
    return { kind: 'proxy', endpoint: this.rpcEndpoint(options.proxy_name) };
  }

  private get anyRpcProxy(): boolean {
    const rpc = this.config.rpc;
    return rpc.without_namespace.proxy_enabled || rpc.namespaces.some((n) => n.proxy_enabled);
  }

  private rpcEndpoint(name: string): ProxyEndpoint<'rpc'> {
    const n = name || DEFAULT_PROXY;
    return this.endpoint('rpc', n, n === DEFAULT_PROXY ? this.config.rpc.proxy : this.named.get(n)!);
  }

  private endpoint<T extends ProxyType>(type: T, name: string, options: ProxyOptions): ProxyEndpoint<T> {
    const key = `${type} ${name}`;
    let e = this.endpoints.get(key);
    if (!e) {
      e = new ProxyEndpoint(type, name, options, this.metrics, this.log);
      this.endpoints.set(key, e);
    }
    return e as ProxyEndpoint<T>;
  }

  close(): void {
    for (const e of this.endpoints.values()) e.close();
    this.endpoints.clear();
  }
}
