// What the node needs from one client connection, as an interface the node
// owns: client/ implements it (ClientSession), node/ never imports client/.
// The node keeps its index of connections by these fields, applies the server
// API's by-user commands through these methods, and disconnects every session
// on shutdown. A subscription reaches the node as the hub's ChannelSubscriber.

import type { ResolvedChannel } from '../channels/resolver.js';
import type { ProtocolName } from '../protocol/codec.js';
import type { Disconnect, Unsubscribe } from '../protocol/codes.js';
import type { StreamPosition, SubscriptionOverride } from '../protocol/types.js';

/** Which connections a by-user server operation targets. */
export interface ConnectionSelector {
  user: string;
  client?: string;
  session?: string;
}

/** A subscription the server API adds to a connected session. */
export interface ServerSubscription {
  /** Becomes the subscription's chan_info; exact bytes. */
  chanInfo?: Buffer;
  /** Sent to the client in the subscribe push; exact bytes. */
  data?: Buffer;
  override?: SubscriptionOverride;
  /** Unix seconds; 0 = the subscription never expires. */
  expireAtSec: number;
  /** Recover from here instead of starting at the stream top. */
  recoverSince?: StreamPosition;
}

/** A server API change of a connection's expiry and info. */
export interface ServerRefresh {
  /** The connection's credentials are over: it is closed. */
  expired: boolean;
  /** Unix seconds; 0 = the connection stops expiring. */
  expireAtSec: number;
  /** Replaces the connection info; exact bytes. */
  info?: Buffer;
}

export interface NodeSession {
  /** The client ID. */
  readonly id: string;
  /** '' until connected, and for anonymous connections. */
  readonly user: string;
  /** Set for emulation / unidirectional transports; '' on WebSocket. */
  readonly session: string;
  /** The protocol the connection speaks: an emulation request's data is decoded by it. */
  readonly codec: { readonly name: ProtocolName };
  /** Handles one emulation request's commands; settles once they are processed. */
  process(message: Buffer): Promise<void>;
  /** Adds a server-side subscription; a no-op when the session is not connected or already has the channel. */
  serverSubscribe(resolved: ResolvedChannel, sub: ServerSubscription): Promise<void>;
  /** Removes one subscription and tells the client why. */
  serverUnsubscribe(channel: string, why: Unsubscribe): void;
  /** Removes every subscription, telling the client why for each. */
  serverUnsubscribeAll(why: Unsubscribe): void;
  /** Closes the connection with this code and reason. */
  disconnect(d: Disconnect): void;
  serverRefresh(refresh: ServerRefresh): void;
  /** Node shutdown: disconnects (3001) and settles once in-flight commands have. */
  shutdown(): Promise<void>;
}
