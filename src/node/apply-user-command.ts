// Applies the server API's by-user commands (control/user-commands.ts) to this
// node's own connections, one function per operation. The API calls the
// applier for the local node and sends the same command to every other node,
// whose control plane calls the same applier: both paths share one
// implementation. What a command does to one connection is the session's
// (NodeSession); here the matching sessions are found and the channel resolved.

import type { ChannelResolver } from '../channels/resolver.js';
import type { Logger } from '../log.js';
import { Unsubscribes } from '../protocol/codes.js';
import type { DisconnectCommand, RefreshCommand, SubscribeCommand, UnsubscribeCommand, UserCommand } from './control/user-commands.js';
import type { ConnectionSelector, NodeSession } from './session.js';

/** What applying a command needs from the node: its connections and its channel config. */
export interface UserCommandTarget {
  select(sel: ConnectionSelector): NodeSession[];
  readonly resolver: Pick<ChannelResolver, 'resolve'>;
  readonly log: Logger;
}

function selector(c: ConnectionSelector): ConnectionSelector {
  return { user: c.user, client: c.client, session: c.session };
}

/**
 * Subscribes the matching local connections. The channel is resolved here:
 * a node whose config lacks the namespace skips the command with a warning
 * (the API only checks the namespace on the node that received the call).
 */
export async function applySubscribe(node: UserCommandTarget, cmd: SubscribeCommand): Promise<void> {
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

export function applyUnsubscribe(node: UserCommandTarget, cmd: UnsubscribeCommand): void {
  for (const c of node.select(selector(cmd))) {
    if (cmd.channel === '') c.serverUnsubscribeAll(Unsubscribes.server);
    else c.serverUnsubscribe(cmd.channel, Unsubscribes.server);
  }
}

export function applyDisconnect(node: UserCommandTarget, cmd: DisconnectCommand): void {
  const keep = new Set(cmd.whitelist);
  const d = { code: cmd.code, reason: cmd.reason };
  for (const c of node.select(selector(cmd))) {
    if (!keep.has(c.id)) c.disconnect(d);
  }
}

export function applyRefresh(node: UserCommandTarget, cmd: RefreshCommand): void {
  for (const c of node.select(selector(cmd))) {
    c.serverRefresh({ expired: cmd.expired, expireAtSec: cmd.expireAtSec, info: cmd.info });
  }
}

/** Applies any by-user command to this node's connections. */
export async function applyUserCommand(node: UserCommandTarget, command: UserCommand): Promise<void> {
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
