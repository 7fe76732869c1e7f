// The server API's by-user operations (subscribe, unsubscribe, disconnect,
// refresh) as plain data, and the one function per operation that applies it
// to this node's own connections. The API calls the applier for the local
// node and sends the same command to every other node, whose control plane
// calls the same applier: both paths share one implementation.

import type { SubscriptionOverride } from '../auth/token-verifier.js';
import { Unsubscribes } from '../protocol/codes.js';
import type { StreamPosition } from '../protocol/types.js';
import type { Node } from './node.js';
import type { ConnectionSelector } from './session.js';

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

function selector(c: ConnectionSelector): ConnectionSelector {
  return { user: c.user, client: c.client, session: c.session };
}

/**
 * Subscribes the matching local connections. The channel is resolved here:
 * a node whose config lacks the namespace skips the command with a warning
 * (the API only checks the namespace on the node that received the call).
 */
export async function applySubscribe(node: Node, cmd: SubscribeCommand): Promise<void> {
  const targets = node.select(selector(cmd));
  if (targets.length === 0) return;
  const resolved = node.resolver.resolve(cmd.channel);
  if (!resolved) {
    node.log.warn({ channel: cmd.channel }, 'subscribe command for a channel this node cannot resolve');
    return;
  }
  const sub = { chanInfo: cmd.chanInfo, data: cmd.data, override: cmd.override, expireAtSec: cmd.expireAtSec, recoverSince: cmd.recoverSince };
  await Promise.all(targets.map((c) => c.serverSubscribe(resolved, sub)));
}

export function applyUnsubscribe(node: Node, cmd: UnsubscribeCommand): void {
  for (const c of node.select(selector(cmd))) {
    if (cmd.channel === '') c.serverUnsubscribeAll(Unsubscribes.server);
    else c.serverUnsubscribe(cmd.channel, Unsubscribes.server);
  }
}

export function applyDisconnect(node: Node, cmd: DisconnectCommand): void {
  const keep = new Set(cmd.whitelist);
  const d = { code: cmd.code, reason: cmd.reason };
  for (const c of node.select(selector(cmd))) {
    if (!keep.has(c.id)) c.disconnect(d);
  }
}

export function applyRefresh(node: Node, cmd: RefreshCommand): void {
  for (const c of node.select(selector(cmd))) {
    c.serverRefresh({ expired: cmd.expired, expireAtSec: cmd.expireAtSec, info: cmd.info });
  }
}

/** Applies any by-user command to this node's connections. */
export async function applyUserCommand(node: Node, command: UserCommand): Promise<void> {
  switch (command.kind) {
    case 'subscribe':
      return applySubscribe(node, command.cmd);
    case 'unsubscribe':
      return applyUnsubscribe(node, command.cmd);
    case 'disconnect':
      return applyDisconnect(node, command.cmd);
    case 'refresh':
      return applyRefresh(node, command.cmd);
  }
}
