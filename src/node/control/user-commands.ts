// The server API's by-user operations (subscribe, unsubscribe, disconnect,
// refresh) as plain data: what the API hands the control plane, and what the
// control plane sends to every other node (messages.ts encodes them). Each
// node applies them to its own connections with node/apply-user-command.ts.

import type { ConnectionSelector, ServerRefresh, ServerSubscription } from '../session.js';

/** Adds the subscription to every matching connection (the fields a session applies are ServerSubscription's). */
export interface SubscribeCommand extends ConnectionSelector, ServerSubscription {
  channel: string;
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

export type RefreshCommand = ConnectionSelector & ServerRefresh;

export type UserCommand =
  | { kind: 'subscribe'; cmd: SubscribeCommand }
  | { kind: 'unsubscribe'; cmd: UnsubscribeCommand }
  | { kind: 'disconnect'; cmd: DisconnectCommand }
  | { kind: 'refresh'; cmd: RefreshCommand };
