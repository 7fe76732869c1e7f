// The loaded configuration. Key names are Centrifugo v6's, so a v6 config file
// maps one to one; after loading, every duration is a number of milliseconds.

export interface ChannelOptions {
  presence: boolean;
  join_leave: boolean;
  force_push_join_leave: boolean;
  history_size: number;
  /** ms */
  history_ttl: number;
  /** ms; 0 means channel.history_meta_ttl */
  history_meta_ttl: number;
  force_positioning: boolean;
  allow_positioning: boolean;
  force_recovery: boolean;
  allow_recovery: boolean;
  /** '' | 'stream' | 'cache' */
  force_recovery_mode: string;
  auto_cache_recover: boolean;
  allowed_delta_types: string[];
  delta_publish: boolean;
  allow_tags_filter: boolean;
  allow_subscribe_for_client: boolean;
  allow_subscribe_for_anonymous: boolean;
  allow_publish_for_client: boolean;
  allow_publish_for_subscriber: boolean;
  allow_publish_for_anonymous: boolean;
  allow_presence_for_client: boolean;
  allow_presence_for_subscriber: boolean;
  allow_presence_for_anonymous: boolean;
  allow_history_for_client: boolean;
  allow_history_for_subscriber: boolean;
  allow_history_for_anonymous: boolean;
  allow_user_limited_channels: boolean;
  channel_regex: string;
  /** '' | 'json' | 'json_object' | 'binary' */
  publication_data_format: string;
  /** '' | 'stream' (others are not supported) */
  subscription_type: string;
}

export interface NamespaceConfig extends ChannelOptions {
  name: string;
}

export interface TokenConfig {
  hmac_secret_key: string;
  hmac_previous_secret_key: string;
  /** Unix seconds; 0 = no limit */
  hmac_previous_secret_key_valid_until: number;
  rsa_public_key: string;
  ecdsa_public_key: string;
  jwks_public_endpoint: string;
  audience: string;
  audience_regex: string;
  issuer: string;
  issuer_regex: string;
  user_id_claim: string;
}

export interface SubscriptionTokenConfig extends TokenConfig {
  enabled: boolean;
}

export interface ClientConfig {
  allowed_origins: string[];
  token: TokenConfig;
  subscription_token: SubscriptionTokenConfig;
  allow_anonymous_connect_without_token: boolean;
  disallow_anonymous_connection_tokens: boolean;
  insecure: boolean;
  insecure_skip_token_signature_verify: boolean;
  user_id_http_header: string;
  /** ms */
  ping_interval: number;
  /** ms */
  pong_timeout: number;
  /** ms */
  expired_close_delay: number;
  /** ms */
  expired_sub_close_delay: number;
  /** ms */
  stale_close_delay: number;
  /** ms */
  presence_update_interval: number;
  channel_limit: number;
  queue_max_size: number;
  connection_limit: number;
  user_connection_limit: number;
  connection_rate_limit: number;
  history_max_publication_limit: number;
  recovery_max_publication_limit: number;
  connect_include_server_time: boolean;
  subscribe_to_user_personal_channel: {
    enabled: boolean;
    personal_channel_namespace: string;
    single_connection: boolean;
  };
}

export interface ChannelConfig {
  without_namespace: ChannelOptions;
  namespaces: NamespaceConfig[];
  /** ms */
  history_meta_ttl: number;
  /**
   * ms; how long a publish's idempotency_key suppresses repeats (Tributary's
   * own key: Centrifugo fixes this window at 5 minutes).
   */
  idempotent_result_ttl: number;
  publication_data_format: string;
  max_length: number;
  private_prefix: string;
  namespace_boundary: string;
  user_boundary: string;
  user_separator: string;
}

export interface HttpServerConfig {
  address: string;
  port: number;
  internal_address: string;
  internal_port: number;
}

export interface HttpApiConfig {
  disabled: boolean;
  handler_prefix: string;
  key: string;
  error_mode: string;
  external: boolean;
  insecure: boolean;
}

export interface WebsocketConfig {
  disabled: boolean;
  handler_prefix: string;
  /** ms */
  write_timeout: number;
  message_size_limit: number;
}

export interface EndpointToggle {
  enabled: boolean;
  handler_prefix: string;
}

export interface Config {
  http_server: HttpServerConfig;
  log: { level: string; file: string };
  engine: {
    type: string;
    /** The raw `engine.redis` block as written in the file; parsed by the Redis engine, not here. */
    redis?: unknown;
  };
  /** Raw `broker` / `presence_manager` override blocks; read by config/engines.ts. */
  broker?: unknown;
  presence_manager?: unknown;
  client: ClientConfig;
  channel: ChannelConfig;
  http_api: HttpApiConfig;
  websocket: WebsocketConfig;
  prometheus: EndpointToggle;
  health: EndpointToggle;
  node: { name: string };
  /** ms */
  shutdown: { timeout: number };
  /**
   * Kept as written (named objects with type-specific blocks, overridable per
   * item from the environment); typed by parseConsumers in consumers.ts.
   */
  consumers: unknown[];
}
