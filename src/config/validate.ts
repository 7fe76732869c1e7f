// Semantic checks on a loaded config, following Centrifugo's validate.go, plus
// refusals for v6 features Tributary does not implement. Every problem is
// collected so the operator fixes them all in one go.

import { parseConsumers } from './consumers.js';
import { engineLayout } from './engines.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { compileGoRegex } from './regex.js';
import type { ChannelOptions, Config, TokenConfig } from './types.js';

export { ConfigError, type ConfigProblem } from './errors.js';

export const NAMESPACE_NAME_PATTERN = '^[-a-zA-Z0-9_.]{2,}$';
export { CONSUMER_NAME_PATTERN } from './consumers.js';
const NAMESPACE_NAME = new RegExp(NAMESPACE_NAME_PATTERN);
const USER_ID_CLAIM = /^[a-zA-Z_]+$/;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'none'];
const ENGINES = ['memory', 'redis'];
const RECOVERY_MODES = ['', 'stream', 'cache'];
const DATA_FORMATS = ['', 'json', 'json_object', 'binary'];
const DELTA_TYPES = ['fossil'];
// Centrifugo accepts these; they are features of its newest releases we do not have.
const UNSUPPORTED_SUBSCRIPTION_TYPES = ['map', 'map_clients', 'map_users', 'shared_poll'];

type Report = (key: string, reason: string) => void;

const q = (s: string) => JSON.stringify(s);

function oneOf(report: Report, key: string, value: string, allowed: string[]): void {
  if (!allowed.includes(value)) report(key, `${q(value)} must be one of ${allowed.map(q).join(', ')}`);
}

function regexCompiles(report: Report, key: string, pattern: string): void {
  if (pattern === '') return;
  try {
    compileGoRegex(pattern);
  } catch (err) {
    report(key, `${q(pattern)} is not a valid regular expression: ${(err as Error).message}`);
  }
}

function nonNegativeDuration(report: Report, key: string, ms: number): void {
  if (ms < 0) report(key, `must not be negative`);
}

// History TTLs become Redis EXPIRE seconds, so Centrifugo insists on whole seconds.
function wholeSeconds(report: Report, key: string, ms: number): void {
  if (ms % 1000 !== 0) report(key, `${ms}ms must be a whole number of seconds`);
}

function validateOptions(report: Report, path: string, o: ChannelOptions, globalMetaTtl: number): void {
  const k = (name: string) => `${path}.${name}`;
  nonNegativeDuration(report, k('history_ttl'), o.history_ttl);
  nonNegativeDuration(report, k('history_meta_ttl'), o.history_meta_ttl);
  wholeSeconds(report, k('history_ttl'), o.history_ttl);
  wholeSeconds(report, k('history_meta_ttl'), o.history_meta_ttl);
  if (o.history_size < 0) report(k('history_size'), 'must not be negative');
  if ((o.history_size > 0) !== (o.history_ttl > 0)) {
    report(
      o.history_size > 0 ? k('history_ttl') : k('history_size'),
      'history_size and history_ttl must be set together (both or neither)',
    );
  }
  const metaTtl = o.history_meta_ttl || globalMetaTtl;
  if (o.history_ttl > metaTtl) {
    report(k('history_meta_ttl'), `history meta ttl (${metaTtl}ms) must be at least history_ttl (${o.history_ttl}ms)`);
  }
  if (o.force_recovery && (o.history_size <= 0 || o.history_ttl <= 0)) {
    report(k('force_recovery'), 'recovery needs history: set history_size and history_ttl');
  }
  oneOf(report, k('force_recovery_mode'), o.force_recovery_mode, RECOVERY_MODES);
  if (o.auto_cache_recover && (!o.force_recovery || o.force_recovery_mode !== 'cache')) {
    report(k('auto_cache_recover'), 'requires force_recovery: true and force_recovery_mode: "cache"');
  }
  o.allowed_delta_types.forEach((t, i) => oneOf(report, `${k('allowed_delta_types')}[${i}]`, t, DELTA_TYPES));
  oneOf(report, k('publication_data_format'), o.publication_data_format, DATA_FORMATS);
  if (UNSUPPORTED_SUBSCRIPTION_TYPES.includes(o.subscription_type)) {
    report(k('subscription_type'), `${q(o.subscription_type)} is not supported by Tributary (only "" or "stream")`);
  } else {
    oneOf(report, k('subscription_type'), o.subscription_type, ['', 'stream']);
  }
  regexCompiles(report, k('channel_regex'), o.channel_regex);
}

function validateToken(report: Report, path: string, t: TokenConfig): void {
  if (t.audience !== '' && t.audience_regex !== '') {
    report(`${path}.audience_regex`, 'audience and audience_regex are mutually exclusive');
  }
  if (t.issuer !== '' && t.issuer_regex !== '') {
    report(`${path}.issuer_regex`, 'issuer and issuer_regex are mutually exclusive');
  }
  regexCompiles(report, `${path}.audience_regex`, t.audience_regex);
  regexCompiles(report, `${path}.issuer_regex`, t.issuer_regex);
  if (t.user_id_claim !== '' && !USER_ID_CLAIM.test(t.user_id_claim)) {
    report(`${path}.user_id_claim`, `${q(t.user_id_claim)} must match ${USER_ID_CLAIM.source}`);
  }
}

function validatePort(report: Report, key: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) report(key, `${port} must be a port number 0..65535`);
}

function validateNamespaces(report: Report, config: Config): void {
  const seen = new Map<string, number>();
  config.channel.namespaces.forEach((ns, i) => {
    const path = `channel.namespaces[${i}]`;
    if (!NAMESPACE_NAME.test(ns.name)) {
      report(`${path}.name`, `${q(ns.name)} must match ${NAMESPACE_NAME_PATTERN}`);
    } else if (seen.has(ns.name)) {
      report(`${path}.name`, `${q(ns.name)} is already used by channel.namespaces[${seen.get(ns.name)}]`);
    } else {
      seen.set(ns.name, i);
    }
    validateOptions(report, path, ns, config.channel.history_meta_ttl);
  });
}

function validatePersonalChannel(report: Report, config: Config): void {
  const personal = config.client.subscribe_to_user_personal_channel;
  const key = 'client.subscribe_to_user_personal_channel';
  const nsName = personal.personal_channel_namespace;
  const ns = config.channel.namespaces.find((n) => n.name === nsName);
  // As in Centrifugo: the namespace only has to exist when the feature is on.
  if (personal.enabled && nsName !== '' && !ns) {
    report(`${key}.personal_channel_namespace`, `namespace ${q(nsName)} is not defined in channel.namespaces`);
  }
  if (personal.single_connection) {
    // single_connection counts the user's connections via presence on the personal channel.
    const options = nsName === '' ? config.channel.without_namespace : ns;
    if (options && !options.presence) {
      const where = nsName === '' ? 'channel.without_namespace' : `namespace ${q(nsName)}`;
      report(`${key}.single_connection`, `requires presence to be enabled on ${where}`);
    }
  }
}

function validateConsumers(report: Report, config: Config): void {
  for (const p of parseConsumers(config.consumers).problems) report(p.key, p.reason);
}

/** Throws one ConfigError listing every problem (`key: reason` per line). */
export function validateConfig(config: Config): void {
  const problems: ConfigProblem[] = [];
  const report: Report = (key, reason) => problems.push({ key, reason });

  validatePort(report, 'http_server.port', config.http_server.port);
  validatePort(report, 'http_server.internal_port', config.http_server.internal_port);
  oneOf(report, 'log.level', config.log.level, LOG_LEVELS);
  oneOf(report, 'engine.type', config.engine.type, ENGINES);
  for (const p of engineLayout(config).problems) report(p.key, p.reason);

  const client = config.client;
  for (const name of [
    'ping_interval',
    'pong_timeout',
    'expired_close_delay',
    'expired_sub_close_delay',
    'stale_close_delay',
    'presence_update_interval',
  ] as const) {
    nonNegativeDuration(report, `client.${name}`, client[name]);
  }
  if (client.ping_interval <= client.pong_timeout) {
    report(
      'client.ping_interval',
      `must be greater than client.pong_timeout (${client.ping_interval}ms <= ${client.pong_timeout}ms)`,
    );
  }
  validateToken(report, 'client.token', client.token);
  validateToken(report, 'client.subscription_token', client.subscription_token);

  nonNegativeDuration(report, 'channel.history_meta_ttl', config.channel.history_meta_ttl);
  wholeSeconds(report, 'channel.history_meta_ttl', config.channel.history_meta_ttl);
  nonNegativeDuration(report, 'channel.idempotent_result_ttl', config.channel.idempotent_result_ttl);
  oneOf(report, 'channel.publication_data_format', config.channel.publication_data_format, DATA_FORMATS);
  validateOptions(report, 'channel.without_namespace', config.channel.without_namespace, config.channel.history_meta_ttl);
  validateNamespaces(report, config);
  validatePersonalChannel(report, config);

  nonNegativeDuration(report, 'websocket.write_timeout', config.websocket.write_timeout);
  nonNegativeDuration(report, 'shutdown.timeout', config.shutdown.timeout);
  validateConsumers(report, config);

  if (problems.length > 0) throw new ConfigError(problems);
}
