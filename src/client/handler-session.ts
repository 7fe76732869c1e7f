// The session as the command handlers (handlers.ts) and the subscribe flow
// (subscribe.ts) work on it: its connection state and the few operations they
// call back. ClientSession (client.ts) implements it and runs both, so they
// depend on this interface rather than on the class, and no import circle
// runs through client/.

import type { Verifiers } from '../auth/verifiers.js';
import type { Proxies } from '../proxy/proxies.js';
import type { ProtocolName } from '../protocol/codec.js';
import type { Node } from '../node/node.js';
import type { ReplyKind } from '../protocol/codec.js';
import type { Unsubscribe } from '../protocol/codes.js';
import type { ClientInfo } from '../protocol/types.js';
import type { ClientSubscription, SubscriptionOwner } from './subscription.js';
import type { TransportMode } from './transport.js';
import type { SubscribingChannels } from './subscribing-channels.js';

/** What the transport learnt about the connection before any command arrived. */
export interface ConnectionContext {
  /** Value of client.user_id_http_header on the upgrade request, if configured and present. */
  userFromHeader?: string;
  /** Headers of the request that opened the connection which some proxy forwards (names lower-case). */
  headers?: Record<string, string | string[] | undefined>;
  /** The `headers` map of the connect command, kept when some proxy forwards emulated headers. */
  emulatedHeaders?: Record<string, string>;
}

export interface HandlerSession extends SubscriptionOwner {
  readonly id: string;
  readonly node: Node;
  readonly verifiers: Verifiers;
  /** The backend endpoints this server asks (connect, subscribe, publish, rpc, refresh). */
  readonly proxies: Proxies;
  readonly context: ConnectionContext;
  /** Aborted when the connection closes: proxy calls made for it are dropped. */
  readonly closedSignal: AbortSignal;
  /** Session id of an emulation or unidirectional connection; '' on WebSocket. */
  readonly session: string;
  readonly transport: { readonly mode: TransportMode; readonly name: string; readonly protocol: ProtocolName };
  /** Set by the connect handler. */
  user: string;
  name: string;
  clientVersion: string;
  connInfo: Buffer | undefined;
  /** Connection meta (token `meta` claim or connect proxy result): never shown to clients, sent to proxies that include it. */
  meta: Buffer | undefined;
  /** Unix ms when the connection's credentials expire; 0 = never. */
  expireAt: number;
  /** The connection was accepted by the connect proxy and the refresh proxy extends it, not the client. */
  refreshByProxy: boolean;
  /** Channels granted by the connection token (`channels`/`subs`); a refresh must not change them. */
  tokenChannels: ReadonlySet<string> | null;
  readonly subs: Map<string, ClientSubscription>;
  /** Channels with a subscribe in flight: a second subscribe gets 105. */
  readonly subscribing: SubscribingChannels;
  isClosed(): boolean;
  clientInfo(chanInfo?: Buffer): ClientInfo;
  /** Registers the connection once credentials are settled; false when it went away meanwhile. */
  markConnected(): boolean;
  /** Re-computes the connection's next timer deadline after expiry or subscriptions changed. */
  rearm(): void;
  reply(id: number, kind: ReplyKind, result: Record<string, unknown>): void;
  /** Forgets a subscription: hub, presence, leave. Safe to call twice. */
  removeSubscription(channel: string): Promise<void>;
  /** Removes a subscription and tells the client with an unsubscribe push. */
  serverUnsubscribe(channel: string, why: Unsubscribe): void;
}
