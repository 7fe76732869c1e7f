// The messages of the proxy protocol (proxies.md §3–§7; proxy.proto beside this
// file has the same fields for gRPC). A request is a plain object whose keys
// are the proto's snake_case names in field order; payload fields (`data`,
// `meta`) are Buffers holding the client's bytes. An answer is read into the
// typed results below, whichever transport carried it.

import type { Disconnect, ProtocolError } from '../protocol/codes.js';
import type { SubscriptionOverride } from '../protocol/types.js';

export type ProxyType = 'connect' | 'refresh' | 'subscribe' | 'publish' | 'sub_refresh' | 'rpc';

/** The fields every request starts with (proto numbers 1–4); `encoding` is the proxy's to set. */
export interface RequestCommon {
  client: string;
  transport: string;
  protocol: string;
}

/** A request as sent: common fields, then the type's own; undefined members are left out. */
export type ProxyRequest = RequestCommon & { encoding?: string } & Record<string, unknown>;

/** What the backend answered, before the type's result is read. */
export interface ProxyAnswer<R> {
  result?: R;
  error?: ProtocolError;
  disconnect?: Disconnect;
}

export interface SubscribeOptionsResult {
  info?: Buffer;
  data?: Buffer;
  override?: SubscriptionOverride;
  cacheRecover?: boolean;
}

export interface ConnectResult {
  user: string;
  /** Unix seconds; 0 = never. */
  expireAt: number;
  info?: Buffer;
  data?: Buffer;
  channels: string[];
  subs: Map<string, SubscribeOptionsResult>;
  meta?: Buffer;
}

export interface RefreshResult {
  expired: boolean;
  expireAt: number;
  info?: Buffer;
  meta?: Buffer;
}

export interface SubscribeResult {
  expireAt: number;
  info?: Buffer;
  data?: Buffer;
  override?: SubscriptionOverride;
}

export interface PublishResult {
  /** Replaces the client's data when set. */
  data?: Buffer;
  skipHistory: boolean;
  tags?: Record<string, string>;
  idempotencyKey?: string;
  delta: boolean;
  version: number;
  versionEpoch: string;
}

export interface SubRefreshResult {
  expired: boolean;
  expireAt: number;
  info?: Buffer;
}

export interface RpcResult {
  data?: Buffer;
}

export interface ResultOf {
  connect: ConnectResult;
  refresh: RefreshResult;
  subscribe: SubscribeResult;
  publish: PublishResult;
  sub_refresh: SubRefreshResult;
  rpc: RpcResult;
}

/** The gRPC method of each type (service centrifugal.centrifugo.proxy.CentrifugoProxy). */
export const GRPC_METHODS: Record<ProxyType, string> = {
  connect: 'Connect',
  refresh: 'Refresh',
  subscribe: 'Subscribe',
  publish: 'Publish',
  sub_refresh: 'SubRefresh',
  rpc: 'RPC',
};
