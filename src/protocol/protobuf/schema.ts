// The client protocol's messages as descriptors, written from the field tables
// of client-protocol.md §2 (field numbers as in client.proto). Field names are
// the snake_case JSON names, so decoded values and the values sessions hand to
// the codec look the same in both protocols.
//
// A field the spec says to ignore (experimental map/shared-poll/dictionary/
// tags-filter fields) is left out on purpose: the decoder then skips it as an
// unknown field whatever its content, which is what the spec asks for, and the
// encoder never sends it. Those are listed per message as "skipped".

import { WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire.js';

/** How a field's value is written; numeric so the codec's hot loops switch on small integers. */
export const Kind = {
  uint32: 0,
  int32: 1,
  uint64: 2,
  int64: 3,
  sint64: 4,
  bool: 5,
  string: 6,
  bytes: 7,
  message: 8,
  repeated: 9,
  mapString: 10,
  mapMessage: 11,
  /** repeated string */
  strings: 12,
  double: 13,
  mapDouble: 14,
  /** repeated bytes */
  bytesList: 15,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface FieldDesc {
  readonly name: string;
  readonly no: number;
  readonly kind: Kind;
  readonly wire: number;
  /** The field's tag, (no << 3) | wire. */
  readonly tag: number;
  /** The message type of message, repeated and map<string, message> fields. */
  readonly message: MessageDesc | undefined;
}

export interface MessageDesc {
  readonly name: string;
  /** In field-number order (the encoder follows the value's key order instead, see message.ts). */
  readonly fields: readonly FieldDesc[];
  /** Field by number (sparse), for the decoder. */
  readonly byNo: readonly (FieldDesc | undefined)[];
  readonly byName: ReadonlyMap<string, FieldDesc>;
}

type Scalar = 'uint32' | 'int32' | 'uint64' | 'int64' | 'sint64' | 'bool' | 'string' | 'bytes' | 'strings' | 'double' | 'bytesList';
export type FieldSpec =
  | readonly [no: number, type: Scalar]
  | readonly [no: number, type: 'message' | 'repeated', of: MessageDesc]
  | readonly [no: number, type: 'map', value: 'string' | 'double' | MessageDesc];

/** Every message by its client.proto name (tests compare them with an independent parser). */
export const MESSAGES: Record<string, MessageDesc> = {};

function message(name: string, spec: Record<string, FieldSpec>): MessageDesc {
  const desc = defineMessage(name, spec);
  MESSAGES[name] = desc;
  return desc;
}

/** A message descriptor from field specs, for other .proto schemas (the proxy protocol) than client.proto. */
export function defineMessage(name: string, spec: Record<string, FieldSpec>): MessageDesc {
  const fields: FieldDesc[] = [];
  for (const [fieldName, s] of Object.entries(spec)) {
    const no = s[0];
    let kind: Kind;
    let of: MessageDesc | undefined;
    if (s[1] === 'map') {
      kind = s[2] === 'string' ? Kind.mapString : s[2] === 'double' ? Kind.mapDouble : Kind.mapMessage;
      of = typeof s[2] === 'string' ? undefined : s[2];
    } else if (s[1] === 'message' || s[1] === 'repeated') {
      kind = Kind[s[1]];
      of = s[2];
    } else {
      kind = Kind[s[1]];
    }
    const wire = kind <= Kind.bool ? WIRE_VARINT : kind === Kind.double ? WIRE_I64 : WIRE_LEN;
    fields.push({ name: fieldName, no, kind, wire, tag: (no << 3) | wire, message: of });
  }
  fields.sort((a, b) => a.no - b.no);
  const byNo: (FieldDesc | undefined)[] = [];
  for (const f of fields) byNo[f.no] = f;
  return { name, fields, byNo, byName: new Map(fields.map((f) => [f.name, f])) };
}

// ---- shared (§2.1, §2.5) ----------------------------------------------------

/** Named so as not to shadow the global Error. */
export const ErrorMessage = message('Error', {
  code: [1, 'uint32'],
  message: [2, 'string'],
  temporary: [3, 'bool'],
});

export const ClientInfo = message('ClientInfo', {
  user: [1, 'string'],
  client: [2, 'string'],
  conn_info: [3, 'bytes'],
  chan_info: [4, 'bytes'],
});

export const StreamPosition = message('StreamPosition', {
  offset: [1, 'uint64'],
  epoch: [2, 'string'],
});

/** 1–3 reserved; skipped: prev_data=15 (broker internal, never to clients). */
export const Publication = message('Publication', {
  data: [4, 'bytes'],
  info: [5, 'message', ClientInfo],
  offset: [6, 'uint64'],
  tags: [7, 'map', 'string'],
  delta: [8, 'bool'],
  time: [9, 'int64'],
  channel: [10, 'string'],
  key: [11, 'string'],
  removed: [12, 'bool'],
  score: [13, 'sint64'],
  epoch: [14, 'string'],
  version: [16, 'uint64'],
});

/** Emulation (§7): `data` holds varint-delimited Commands. */
export const EmulationRequest = message('EmulationRequest', {
  node: [1, 'string'],
  session: [2, 'string'],
  data: [3, 'bytes'],
});

// ---- requests (§2.4) --------------------------------------------------------

/** Skipped: tf=13 (FilterNode), phase=16, cursor=17, limit=18, asc=19 (map subscriptions). */
export const SubscribeRequest = message('SubscribeRequest', {
  channel: [1, 'string'],
  token: [2, 'string'],
  recover: [3, 'bool'],
  epoch: [6, 'string'],
  offset: [7, 'uint64'],
  data: [8, 'bytes'],
  positioned: [9, 'bool'],
  recoverable: [10, 'bool'],
  join_leave: [11, 'bool'],
  delta: [12, 'string'],
  flag: [14, 'int64'],
  type: [15, 'int32'],
});

/** Skipped: flag=7, dict=8, profile=9 (dictionary compression, never sent by the SDK). */
export const ConnectRequest = message('ConnectRequest', {
  token: [1, 'string'],
  data: [2, 'bytes'],
  subs: [3, 'map', SubscribeRequest],
  name: [4, 'string'],
  version: [5, 'string'],
  headers: [6, 'map', 'string'],
});

export const UnsubscribeRequest = message('UnsubscribeRequest', { channel: [1, 'string'] });

/** Skipped: type=3, key=4, removed=5 (map publish). */
export const PublishRequest = message('PublishRequest', {
  channel: [1, 'string'],
  data: [2, 'bytes'],
});

export const PresenceRequest = message('PresenceRequest', { channel: [1, 'string'] });
export const PresenceStatsRequest = message('PresenceStatsRequest', { channel: [1, 'string'] });

/** 2–6 reserved. */
export const HistoryRequest = message('HistoryRequest', {
  channel: [1, 'string'],
  limit: [7, 'int32'],
  since: [8, 'message', StreamPosition],
  reverse: [9, 'bool'],
});

export const PingRequest = message('PingRequest', {});
export const SendRequest = message('SendRequest', { data: [1, 'bytes'] });

export const RPCRequest = message('RPCRequest', {
  data: [1, 'bytes'],
  method: [2, 'string'],
});

export const RefreshRequest = message('RefreshRequest', { token: [1, 'string'] });

/** Skipped: type=3, track=4, untrack=5 (shared poll). */
export const SubRefreshRequest = message('SubRefreshRequest', {
  channel: [1, 'string'],
  token: [2, 'string'],
});

/** 2 and 3 reserved. Field names are the Command kinds of commands.ts. */
export const Command = message('Command', {
  id: [1, 'uint32'],
  connect: [4, 'message', ConnectRequest],
  subscribe: [5, 'message', SubscribeRequest],
  unsubscribe: [6, 'message', UnsubscribeRequest],
  publish: [7, 'message', PublishRequest],
  presence: [8, 'message', PresenceRequest],
  presence_stats: [9, 'message', PresenceStatsRequest],
  history: [10, 'message', HistoryRequest],
  ping: [11, 'message', PingRequest],
  send: [12, 'message', SendRequest],
  rpc: [13, 'message', RPCRequest],
  refresh: [14, 'message', RefreshRequest],
  sub_refresh: [15, 'message', SubRefreshRequest],
});

// ---- results (§2.4) ---------------------------------------------------------

/** 4–5 reserved; skipped: phase=16, cursor=17, state=18 (map subscriptions). */
export const SubscribeResult = message('SubscribeResult', {
  expires: [1, 'bool'],
  ttl: [2, 'uint32'],
  recoverable: [3, 'bool'],
  epoch: [6, 'string'],
  publications: [7, 'repeated', Publication],
  recovered: [8, 'bool'],
  offset: [9, 'uint64'],
  positioned: [10, 'bool'],
  data: [11, 'bytes'],
  was_recovering: [12, 'bool'],
  delta: [13, 'bool'],
  id: [14, 'int64'],
  type: [15, 'int32'],
  publish_debounce: [19, 'uint32'],
});

/** Skipped: flag=12, dict=13 (dictionary compression). */
export const ConnectResult = message('ConnectResult', {
  client: [1, 'string'],
  version: [2, 'string'],
  expires: [3, 'bool'],
  ttl: [4, 'uint32'],
  data: [5, 'bytes'],
  subs: [6, 'map', SubscribeResult],
  ping: [7, 'uint32'],
  pong: [8, 'bool'],
  session: [9, 'string'],
  node: [10, 'string'],
  time: [11, 'int64'],
});

export const UnsubscribeResult = message('UnsubscribeResult', {});
export const PublishResult = message('PublishResult', {});

export const PresenceResult = message('PresenceResult', {
  presence: [1, 'map', ClientInfo],
});

export const PresenceStatsResult = message('PresenceStatsResult', {
  num_clients: [1, 'uint32'],
  num_users: [2, 'uint32'],
});

export const HistoryResult = message('HistoryResult', {
  publications: [1, 'repeated', Publication],
  epoch: [2, 'string'],
  offset: [3, 'uint64'],
});

export const PingResult = message('PingResult', {});
export const RPCResult = message('RPCResult', { data: [1, 'bytes'] });

export const RefreshResult = message('RefreshResult', {
  client: [1, 'string'],
  version: [2, 'string'],
  expires: [3, 'bool'],
  ttl: [4, 'uint32'],
});

/** Skipped: items=3 (shared poll). */
export const SubRefreshResult = message('SubRefreshResult', {
  expires: [1, 'bool'],
  ttl: [2, 'uint32'],
});

// ---- pushes (§2.6) ----------------------------------------------------------

export const Join = message('Join', { info: [1, 'message', ClientInfo] });
export const Leave = message('Leave', { info: [1, 'message', ClientInfo] });

/** 1 reserved. */
export const Unsubscribe = message('Unsubscribe', {
  code: [2, 'uint32'],
  reason: [3, 'string'],
});

/** 2–3 reserved. */
export const Subscribe = message('Subscribe', {
  recoverable: [1, 'bool'],
  epoch: [4, 'string'],
  offset: [5, 'uint64'],
  positioned: [6, 'bool'],
  data: [7, 'bytes'],
});

export const Message = message('Message', { data: [1, 'bytes'] });

/** The unidirectional connect push: ConnectResult's fields, numbered differently. */
export const Connect = message('Connect', {
  client: [1, 'string'],
  version: [2, 'string'],
  data: [3, 'bytes'],
  subs: [4, 'map', SubscribeResult],
  expires: [5, 'bool'],
  ttl: [6, 'uint32'],
  ping: [7, 'uint32'],
  pong: [8, 'bool'],
  session: [9, 'string'],
  node: [10, 'string'],
  time: [11, 'int64'],
});

/** `reconnect` is legacy; the SDK ignores it. */
export const Disconnect = message('Disconnect', {
  code: [1, 'uint32'],
  reason: [2, 'string'],
  reconnect: [3, 'bool'],
});

export const Refresh = message('Refresh', {
  expires: [1, 'bool'],
  ttl: [2, 'uint32'],
});

/** 3 reserved. `id` is the channel-compaction id, which Tributary never uses (§2.6). Field names are the PushKinds. */
export const Push = message('Push', {
  id: [1, 'int64'],
  channel: [2, 'string'],
  pub: [4, 'message', Publication],
  join: [5, 'message', Join],
  leave: [6, 'message', Leave],
  unsubscribe: [7, 'message', Unsubscribe],
  message: [8, 'message', Message],
  subscribe: [9, 'message', Subscribe],
  connect: [10, 'message', Connect],
  disconnect: [11, 'message', Disconnect],
  refresh: [12, 'message', Refresh],
});

/** 3 reserved. Field names are the ReplyKinds (plus error and push). */
export const Reply = message('Reply', {
  id: [1, 'uint32'],
  error: [2, 'message', ErrorMessage],
  push: [4, 'message', Push],
  connect: [5, 'message', ConnectResult],
  subscribe: [6, 'message', SubscribeResult],
  unsubscribe: [7, 'message', UnsubscribeResult],
  publish: [8, 'message', PublishResult],
  presence: [9, 'message', PresenceResult],
  presence_stats: [10, 'message', PresenceStatsResult],
  history: [11, 'message', HistoryResult],
  ping: [12, 'message', PingResult],
  rpc: [13, 'message', RPCResult],
  refresh: [14, 'message', RefreshResult],
  sub_refresh: [15, 'message', SubRefreshResult],
});
