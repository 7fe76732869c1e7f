// The session as the command handlers (handlers.ts) and the subscribe flow
// (subscribe.ts) work on it: its connection state and the few operations they
// call back. ClientSession (client.ts) implements it and runs both, so they
// depend on this interface rather than on the class, and no import circle
// runs through client/.

import type { Verifiers } from '../auth/verifiers.js';
import type { Node } from '../node/node.js';
import type { ReplyKind } from '../protocol/codec.js';
import type { Unsubscribe } from '../protocol/codes.js';
import type { ClientInfo } from '../protocol/types.js';
import type { ClientSubscription, SubscriptionOwner } from './subscription.js';
import type { TransportMode } from './transport.js';

/** What the transport learnt about the connection before any command arrived. */
export interface ConnectionContext {
  /** Value of client.user_id_http_header on the upgrade request, if configured and present. */
  userFromHeader?: string;
}

export interface HandlerSession extends SubscriptionOwner {
  readonly id: string;
  readonly node: Node;
  readonly verifiers: Verifiers;
  readonly context: ConnectionContext;
  /** Session id of an emulation or unidirectional connection; '' on WebSocket. */
  readonly session: string;
  readonly transport: { readonly mode: TransportMode };
  /** Set by the connect handler. */
  user: string;
  name: string;
  clientVersion: string;
  connInfo: Buffer | undefined;
  /** Unix ms when the connection's credentials expire; 0 = never. */
  expireAt: number;
  /** Channels granted by the connection token (`channels`/`subs`); a refresh must not change them. */
  tokenChannels: ReadonlySet<string> | null;
  readonly subs: Map<string, ClientSubscription>;
  /** Channels with a subscribe in flight: a second subscribe gets 105. */
  readonly subscribing: Set<string>;
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
