// Domain values shared by the brokers, presence managers, the hub and the protocol codecs.
// Payloads ("raw" fields in the protocol) are kept as the exact bytes the
// publisher sent: JSON connections get them spliced verbatim, never re-serialised.

export type Raw = Buffer;

export interface ClientInfo {
  user: string;
  client: string;
  connInfo?: Raw;
  chanInfo?: Raw;
}

export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface Publication {
  data: Raw;
  info?: ClientInfo;
  /** 0 when the channel keeps no history. */
  offset: number;
  tags?: Record<string, string>;
  /** Unix ms when the publication entered the node; used for lag metrics only. */
  time?: number;
  /**
   * The concrete channel, set only when it differs from the channel the
   * subscribers subscribed to: a wildcard subscription of the Nats broker
   * (allow_wildcards), as Centrifugo's Publication.Channel.
   */
  channel?: string;
  /**
   * Set where the publish entered when `data` is known to be one JSON value in
   * UTF-8 (it arrived as raw JSON in a request): a JSON connection needs no
   * second check before splicing it. Stays in this process; never encoded.
   */
  jsonData?: true;
}

/**
 * Per-subscription overrides of namespace options, from a token's `override`
 * claim, the server API's subscribe and the by-user control messages; each is
 * written `{"presence": {"value": true}}` on the wire (Go's BoolValue).
 */
export interface SubscriptionOverride {
  presence?: boolean;
  join_leave?: boolean;
  force_push_join_leave?: boolean;
  force_positioning?: boolean;
  force_recovery?: boolean;
}
export const OVERRIDE_KEYS = [
  'presence',
  'join_leave',
  'force_push_join_leave',
  'force_positioning',
  'force_recovery',
] as const satisfies readonly (keyof SubscriptionOverride)[];
