// The options of a channel namespace (and of channel.without_namespace):
// Centrifugo v6 names, everything off by default. Namespaces do not inherit
// from without_namespace, as in Centrifugo.

import type { z } from 'zod';
import { compileGoRegex } from '../util/go-syntax.js';
import { accepted, bool, duration, int, oneOf, oneOfProblem, str, strs, type Report } from './fields.js';
import { CHANNEL_PROXY_OPTIONS } from './proxies.js';

const q = JSON.stringify;

const refused = (t: string) => [t, `${q(t)} is not supported by Tributary (only "" or "stream")`];
const REFUSED_TYPES = Object.fromEntries(['map', 'map_clients', 'map_users', 'shared_poll'].map(refused));

export const CHANNEL_OPTIONS = {
  presence: bool(false, 'Keep who is subscribed (presence) and let clients and the API ask for it.'),
  join_leave: bool(false, 'Send join and leave messages when clients subscribe and unsubscribe.'),
  force_push_join_leave: bool(false, 'Push join/leave to every subscriber without them asking for it.'),
  history_size: int(0, 'Publications kept in history (needs history_ttl too); 0 keeps none.', { check: (n) => (n < 0 ? 'must not be negative' : undefined) }),
  history_ttl: duration('0s', 'How long publications stay in history after the last publish (whole seconds).'),
  history_meta_ttl: duration('0s', "How long the stream's epoch and top offset live; 0 means channel.history_meta_ttl."),
  force_positioning: bool(false, 'Make every subscriber track its stream position.'),
  allow_positioning: bool(false, 'Let subscribers ask for positioning.'),
  force_recovery: bool(false, 'Recover missed publications for every subscriber after a reconnect.'),
  allow_recovery: bool(false, 'Let subscribers ask for recovery.'),
  force_recovery_mode: oneOf(['', 'stream', 'cache'], '', 'Recovery mode forced on subscribers: "stream" or "cache".'),
  auto_cache_recover: bool(false, 'In cache mode, recover the latest publication on every subscribe.'),
  allowed_delta_types: strs('Delta compressions subscribers may negotiate ("fossil").'),
  delta_publish: bool(false, 'Publish with delta by default.'),
  allow_tags_filter: bool(false, 'Let subscribers filter publications by tags.'),
  allow_subscribe_for_client: bool(false, 'Any authenticated client may subscribe without a subscription token.'),
  allow_subscribe_for_anonymous: bool(false, 'Anonymous clients may subscribe too.'),
  allow_publish_for_client: bool(false, 'Any authenticated client may publish.'),
  allow_publish_for_subscriber: bool(false, 'Subscribers may publish.'),
  allow_publish_for_anonymous: bool(false, 'Anonymous clients may publish too.'),
  allow_presence_for_client: bool(false, 'Any authenticated client may read presence.'),
  allow_presence_for_subscriber: bool(false, 'Subscribers may read presence.'),
  allow_presence_for_anonymous: bool(false, 'Anonymous clients may read presence too.'),
  allow_history_for_client: bool(false, 'Any authenticated client may read history.'),
  allow_history_for_subscriber: bool(false, 'Subscribers may read history.'),
  allow_history_for_anonymous: bool(false, 'Anonymous clients may read history too.'),
  allow_user_limited_channels: bool(false, 'Channels ending in #user1,user2 admit only those users.'),
  channel_regex: str('', 'Go regular expression the part after the namespace must match (client subscribe and publish).', { check: regexProblem }),
  publication_data_format: oneOf(['', 'json', 'json_object', 'binary'], '', 'What publication data must be; "" means channel.publication_data_format.'),
  subscription_type: oneOf(['', 'stream'], '', 'Only stream subscriptions exist here.', { refused: REFUSED_TYPES }),
  ...CHANNEL_PROXY_OPTIONS,
};

/** Centrifugo options not implemented here; the stream proxy's name only matters when it is enabled, which warns. */
export const UNSUPPORTED_CHANNEL_OPTIONS = {
  ...accepted('warn', 'subscribe_stream_proxy_enabled subscribe_stream_proxy_bidirectional'),
  ...accepted('warn', 'map shared_poll map_clients_presence_channel_prefix map_users_presence_channel_prefix'),
  ...accepted('silent', 'subscribe_stream_proxy_name'),
};

export function regexProblem(pattern: string): string | undefined {
  if (pattern === '') return undefined;
  try {
    compileGoRegex(pattern);
    return undefined;
  } catch (err) {
    return `${q(pattern)} is not a valid regular expression: ${(err as Error).message}`;
  }
}

type Options = { [K in keyof typeof CHANNEL_OPTIONS]: z.output<(typeof CHANNEL_OPTIONS)[K]> };

/** Checks that need several options at once (Centrifugo's validate.go); `globalMetaTtl` is channel.history_meta_ttl. */
export function checkChannelOptions(o: Options, globalMetaTtl: number, report: Report, at: (string | number)[]): void {
  const k = (name: string) => [...at, name];
  // History TTLs become Redis EXPIRE seconds, so Centrifugo insists on whole seconds.
  for (const name of ['history_ttl', 'history_meta_ttl'] as const) {
    if (o[name] < 0) report(k(name), 'must not be negative');
    else if (o[name] % 1000 !== 0) report(k(name), `${o[name]}ms must be a whole number of seconds`);
  }
  if (o.history_size > 0 !== o.history_ttl > 0) {
    report(k(o.history_size > 0 ? 'history_ttl' : 'history_size'), 'history_size and history_ttl must be set together (both or neither)');
  }
  const metaTtl = o.history_meta_ttl || globalMetaTtl;
  if (o.history_ttl > metaTtl) report(k('history_meta_ttl'), `history meta ttl (${metaTtl}ms) must be at least history_ttl (${o.history_ttl}ms)`);
  const history = o.history_size > 0 && o.history_ttl > 0;
  if (o.force_recovery && !history) report(k('force_recovery'), 'recovery needs history: set history_size and history_ttl');
  if (o.auto_cache_recover && (!o.force_recovery || o.force_recovery_mode !== 'cache')) {
    report(k('auto_cache_recover'), 'requires force_recovery: true and force_recovery_mode: "cache"');
  }
  o.allowed_delta_types.forEach((t, i) => t !== 'fossil' && report([...k('allowed_delta_types'), i], oneOfProblem(t, ['fossil'])));
}
