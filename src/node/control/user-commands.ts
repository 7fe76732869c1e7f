// The server API's by-user operations (subscribe, unsubscribe, disconnect,
// refresh) as plain data: what the API hands the control plane, and what the
// control plane sends to every other node (messages.ts encodes them). Each
// node applies them to its own connections with node/apply-user-command.ts.

import type { SubscriptionOverride } from '../../protocol/types.js';
import type { StreamPosition } from '../../protocol/types.js';
import type { ConnectionSelector } from '../session.js';

export interface SubscribeCommand extends ConnectionSelector {
  channel: string;
  /** Unix seconds; 0 = the subscription never expires. */
  expireAtSec: number;
  /** Becomes the subscription's chan_info; exact bytes as the API received them. */
  chanInfo?: Buffer;
  /** Sent to the client in the subscribe push; exact bytes. */
  data?: Buffer;
  override?: SubscriptionOverride;
  recoverSince?: StreamPosition;
}

export interface UnsubscribeCommand extends ConnectionSelector {
  /** '' unsubscribes every channel of the matching connections. */
  channel: string;
}

export interface DisconnectCommand extends ConnectionSelector {
  code: number;
  reason: string;
  /** Client IDs to keep. */
  whitelist: string[];
}

export interface RefreshCommand extends ConnectionSelector {
  expired: boolean;
  /** Unix seconds; 0 = the connection stops expiring. */
  expireAtSec: number;
  /** Replaces the connection info; exact bytes. */
  info?: Buffer;
}

export type UserCommand =
  | { kind: 'subscribe'; cmd: SubscribeCommand }
  | { kind: 'unsubscribe'; cmd: UnsubscribeCommand }
  | { kind: 'disconnect'; cmd: DisconnectCommand }
  | { kind: 'refresh'; cmd: RefreshCommand };
