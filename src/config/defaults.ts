// Centrifugo v6 defaults (the `default:` tags of its config structs), with
// durations already in milliseconds. Every call returns a fresh object, so
// callers may mutate what they get.

import type { ChannelOptions, Config } from './types.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

/** Options of a channel namespace: all off, as in Centrifugo. Namespaces start from this, not from without_namespace. */
export function defaultChannelOptions(): ChannelOptions {
  return {
    presence: false,
    join_leave: false,
    force_push_join_leave: false,
    history_size: 0,
    history_ttl: 0,
    history_meta_ttl: 0,
    force_positioning: false,
    allow_positioning: false,
    force_recovery: false,
    allow_recovery: false,
    force_recovery_mode: '',
    auto_cache_recover: false,
    allowed_delta_types: [],
    delta_publish: false,
    allow_tags_filter: false,
    allow_subscribe_for_client: false,
    allow_subscribe_for_anonymous: false,
    allow_publish_for_client: false,
    allow_publish_for_subscriber: false,
    allow_publish_for_anonymous: false,
    allow_presence_for_client: false,
    allow_presence_for_subscriber: false,
    allow_presence_for_anonymous: false,
    allow_history_for_client: false,
    allow_history_for_subscriber: false,
    allow_history_for_anonymous: false,
    allow_user_limited_channels: false,
    channel_regex: '',
    publication_data_format: '',
    subscription_type: '',
  };
}

function defaultToken() {
  return {
    hmac_secret_key: '',
    hmac_previous_secret_key: '',
    hmac_previous_secret_key_valid_until: 0,
    rsa_public_key: '',
    ecdsa_public_key: '',
    jwks_public_endpoint: '',
    audience: '',
    audience_regex: '',
    issuer: '',
    issuer_regex: '',
    user_id_claim: '',
  };
}

export function defaultConfig(): Config {
  return {
    http_server: { address: '', port: 8000, internal_address: '', internal_port: 0 },
    log: { level: 'info', file: '' },
    engine: { type: 'memory' },
    client: {
      allowed_origins: [],
      token: defaultToken(),
      subscription_token: { enabled: false, ...defaultToken() },
      allow_anonymous_connect_without_token: false,
      disallow_anonymous_connection_tokens: false,
      insecure: false,
      insecure_skip_token_signature_verify: false,
      user_id_http_header: '',
      ping_interval: 25 * SECOND,
      pong_timeout: 8 * SECOND,
      expired_close_delay: 25 * SECOND,
      expired_sub_close_delay: 25 * SECOND,
      stale_close_delay: 10 * SECOND,
      presence_update_interval: 27 * SECOND,
      channel_limit: 128,
      queue_max_size: 1048576,
      connection_limit: 0,
      user_connection_limit: 0,
      connection_rate_limit: 0,
      history_max_publication_limit: 300,
      recovery_max_publication_limit: 300,
      connect_include_server_time: false,
      subscribe_to_user_personal_channel: {
        enabled: false,
        personal_channel_namespace: '',
        single_connection: false,
      },
    },
    channel: {
      without_namespace: defaultChannelOptions(),
      namespaces: [],
      history_meta_ttl: 720 * HOUR,
      idempotent_result_ttl: 5 * 60 * 1000,
      publication_data_format: '',
      max_length: 255,
      private_prefix: '$',
      namespace_boundary: ':',
      user_boundary: '#',
      user_separator: ',',
    },
    http_api: {
      disabled: false,
      handler_prefix: '/api',
      key: '',
      error_mode: '',
      external: false,
      insecure: false,
    },
    websocket: {
      disabled: false,
      handler_prefix: '/connection/websocket',
      write_timeout: 1000,
      message_size_limit: 65536,
    },
    // Deliberate deviation: Centrifugo ships metrics and health off. We turn them
    // on so every deployment has operations (scraping, liveness probes) from day
    // one; they are served with the other internal endpoints (on internal_port
    // when one is set), and `enabled: false` turns them off.
    prometheus: { enabled: true, handler_prefix: '/metrics' },
    health: { enabled: true, handler_prefix: '/health' },
    node: { name: '' },
    shutdown: { timeout: 30 * SECOND },
    consumers: [],
  };
}
