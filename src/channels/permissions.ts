// Who may do what on a channel, as Centrifugo decides it for client commands
// (server-api.md §2.4), and whether a channel keeps history. Pure functions
// over the channel options so every rule is unit-tested without a socket; they
// live beside the channel config so the node (gap checks), the server API and
// client sessions all read the same rules without depending on each other.

import type { ChannelOptions } from '../config/schema.js';

export interface Actor {
  user: string;
  insecure: boolean;
}

/** Subscribe without a subscription token: rules (b), (e) and (f). */
export function canSubscribeWithoutToken(opts: ChannelOptions, actor: Actor, userLimitedUsers: string[] | null): boolean {
  if (userLimitedUsers !== null) {
    // A user-limited channel admits exactly its listed users (and insecure mode).
    return (actor.user !== '' && userLimitedUsers.includes(actor.user)) || actor.insecure;
  }
  if (opts.allow_subscribe_for_client && (actor.user !== '' || opts.allow_subscribe_for_anonymous)) return true;
  return actor.insecure;
}

export function canPublish(opts: ChannelOptions, actor: Actor, subscribed: boolean): boolean {
  if (actor.insecure) return true;
  if (actor.user === '' && !opts.allow_publish_for_anonymous) return false;
  return opts.allow_publish_for_client || (opts.allow_publish_for_subscriber && subscribed);
}

export function canReadPresence(opts: ChannelOptions, actor: Actor, subscribed: boolean): boolean {
  if (actor.insecure) return true;
  if (actor.user === '' && !opts.allow_presence_for_anonymous) return false;
  return opts.allow_presence_for_client || (opts.allow_presence_for_subscriber && subscribed);
}

export function canReadHistory(opts: ChannelOptions, actor: Actor, subscribed: boolean): boolean {
  if (actor.insecure) return true;
  if (actor.user === '' && !opts.allow_history_for_anonymous) return false;
  return opts.allow_history_for_client || (opts.allow_history_for_subscriber && subscribed);
}

export function historyEnabled(opts: ChannelOptions): boolean {
  return opts.history_size > 0 && opts.history_ttl > 0;
}
