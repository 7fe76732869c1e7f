// Channel names → namespace options (server-api.md §2.3), shared by the client
// protocol, the server API and token checks. Resolution runs on every
// publish/subscribe, so results are cached per channel name.

import { compileGoRegex } from '../util/go-syntax.js';
import type { ChannelOptions, Config } from '../config/schema.js';

export interface ResolvedChannel {
  name: string;
  /** '' for channel.without_namespace. */
  namespace: string;
  /** Shared and frozen: do not mutate. publication_data_format falls back to channel.publication_data_format. */
  options: ChannelOptions;
  /** Starts with channel.private_prefix ($): clients need a subscription token. */
  isPrivate: boolean;
  /** Text after the namespace boundary; the whole channel name when there is no namespace (as in Centrifugo). */
  rest: string;
  /** Users allowed by a `#user1,user2` suffix; non-null only when the namespace allows user-limited channels. */
  userLimitedUsers: string[] | null;
  /** Compiled options.channel_regex, or null when unset. */
  channelRegex: RegExp | null;
}

interface NamespaceEntry {
  options: ChannelOptions;
  channelRegex: RegExp | null;
}

const CACHE_LIMIT = 10_000;
// Longer names (only the server API accepts them) are resolved but not cached,
// so a burst of huge names cannot pin memory.
const CACHE_MAX_NAME_LENGTH = 1024;

function entryFor(options: ChannelOptions, config: Config): NamespaceEntry {
  const copy: ChannelOptions = {
    ...options,
    allowed_delta_types: Object.freeze([...options.allowed_delta_types]) as string[],
    publication_data_format: options.publication_data_format || config.channel.publication_data_format,
  };
  return {
    options: Object.freeze(copy),
    channelRegex: options.channel_regex ? compileGoRegex(options.channel_regex) : null,
  };
}

export class ChannelResolver {
  private readonly config: Config;
  private readonly withoutNamespace: NamespaceEntry;
  private readonly namespaces = new Map<string, NamespaceEntry>();
  private readonly cache = new Map<string, ResolvedChannel | null>();

  /** Expects a validated config (an invalid channel_regex throws here). */
  constructor(config: Config) {
    this.config = config;
    this.withoutNamespace = entryFor(config.channel.without_namespace, config);
    for (const ns of config.channel.namespaces) {
      const { name: _name, ...options } = ns;
      this.namespaces.set(ns.name, entryFor(options, config));
    }
  }

  /** null means the namespace is not configured: "unknown channel" (102). */
  resolve(channel: string): ResolvedChannel | null {
    const cached = this.cache.get(channel);
    if (cached !== undefined || this.cache.has(channel)) return cached ?? null;
    const resolved = this.compute(channel);
    if (channel.length <= CACHE_MAX_NAME_LENGTH) {
      // Clearing beats LRU bookkeeping here: the working set of live channels
      // refills the cache quickly and the hot path stays a single Map lookup.
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(channel, resolved);
    }
    return resolved;
  }

  private compute(channel: string): ResolvedChannel | null {
    const { private_prefix, namespace_boundary, user_boundary, user_separator } = this.config.channel;
    const isPrivate = private_prefix !== '' && channel.startsWith(private_prefix);
    const trimmed = isPrivate ? channel.slice(private_prefix.length) : channel;

    let namespace = '';
    let rest = channel;
    const at = namespace_boundary === '' ? -1 : trimmed.indexOf(namespace_boundary);
    if (at >= 0) {
      namespace = trimmed.slice(0, at);
      rest = trimmed.slice(at + namespace_boundary.length);
    }
    // ":room" has an empty namespace name, which Centrifugo maps to without_namespace.
    const entry = namespace === '' ? this.withoutNamespace : this.namespaces.get(namespace);
    if (!entry) return null;

    let userLimitedUsers: string[] | null = null;
    if (entry.options.allow_user_limited_channels && user_boundary !== '' && channel.includes(user_boundary)) {
      const last = channel.slice(channel.lastIndexOf(user_boundary) + user_boundary.length);
      userLimitedUsers = user_separator === '' ? [last] : last.split(user_separator);
    }
    return Object.freeze({
      name: channel,
      namespace,
      options: entry.options,
      isPrivate,
      rest,
      userLimitedUsers: userLimitedUsers && (Object.freeze(userLimitedUsers) as string[]),
      channelRegex: entry.channelRegex,
    });
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** channel.max_length is in bytes of UTF-8; 0 disables the check. */
export function channelTooLong(name: string, config: Config): boolean {
  const max = config.channel.max_length;
  if (max <= 0) return false;
  // A UTF-16 unit is at least one UTF-8 byte and at most three, so most names
  // are decided without encoding.
  if (name.length > max) return true;
  if (name.length * 3 <= max) return false;
  return Buffer.byteLength(name, 'utf8') > max;
}

/**
 * Name check for client subscribe/publish (the server API skips it): channel_regex
 * must match `rest`, or without a regex the whole name must be ASCII; and the
 * name must fit channel.max_length. A false result is "bad request" (107).
 */
export function validClientChannelName(resolved: ResolvedChannel, config: Config): boolean {
  if (resolved.channelRegex) {
    if (!resolved.channelRegex.test(resolved.rest)) return false;
  } else if (!isAscii(resolved.name)) {
    return false;
  }
  return !channelTooLong(resolved.name, config);
}

/** The channel a user is auto-subscribed to with client.subscribe_to_user_personal_channel. */
export function personalChannel(user: string, config: Config): string {
  const ns = config.client.subscribe_to_user_personal_channel.personal_channel_namespace;
  const personal = `${config.channel.user_boundary}${user}`;
  return ns === '' ? personal : `${ns}${config.channel.namespace_boundary}${personal}`;
}

/** The history meta TTL in ms: the option's own, else channel.history_meta_ttl. */
export function effectiveHistoryMetaTtl(options: ChannelOptions, config: Config): number {
  return options.history_meta_ttl || config.channel.history_meta_ttl;
}
