// The server API's messages for GRPC, as descriptors for our protobuf codec:
// package centrifugal.centrifugo.api, service CentrifugoApi, written from the
// field tables of grpc-api.md §5.2 (numbers as in Centrifugo's api.proto, so
// clients generated from that file talk to us). Field names are the HTTP
// API's JSON keys, so a decoded request is what the HTTP API decodes from JSON
// and a method's result encodes as it is.

import { defineMessage, type FieldSpec, type MessageDesc } from '../protocol/protobuf/schema.js';
import type { CommandName } from './requests.js';

export const API_SERVICE = 'centrifugal.centrifugo.api.CentrifugoApi';

const m = (name: string, spec: Record<string, FieldSpec>) => defineMessage(name, spec);

export const ErrorMessage = m('Error', { code: [1, 'uint32'], message: [2, 'string'] });
const StreamPosition = m('StreamPosition', { offset: [1, 'uint64'], epoch: [2, 'string'] });
const ClientInfo = m('ClientInfo', { user: [1, 'string'], client: [2, 'string'], conn_info: [3, 'bytes'], chan_info: [4, 'bytes'] });
const Publication = m('Publication', { data: [2, 'bytes'], info: [3, 'message', ClientInfo], offset: [4, 'uint64'], tags: [5, 'map', 'string'] });
const BoolValue = m('BoolValue', { value: [1, 'bool'] });
const Override = m('SubscribeOptionOverride', {
  presence: [1, 'message', BoolValue],
  join_leave: [2, 'message', BoolValue],
  force_recovery: [3, 'message', BoolValue],
  force_positioning: [4, 'message', BoolValue],
  force_push_join_leave: [5, 'message', BoolValue],
});
const Disconnect = m('Disconnect', { code: [1, 'uint32'], reason: [2, 'string'] });
const FilterNodeSpec: Record<string, FieldSpec> = { op: [1, 'string'], key: [2, 'string'], cmp: [3, 'string'], val: [4, 'string'], vals: [5, 'strings'] };
// Nested filters (nodes = 6) are left to the decoder's skip: the label filter is PRO and ignored.
const FilterNode = m('FilterNode', FilterNodeSpec);

const publishFields: Record<string, FieldSpec> = {
  data: [2, 'bytes'],
  b64data: [3, 'string'],
  skip_history: [4, 'bool'],
  tags: [5, 'map', 'string'],
  idempotency_key: [6, 'string'],
  delta: [7, 'bool'],
  version: [8, 'uint64'],
  version_epoch: [9, 'string'],
};

const response = (name: string, result: MessageDesc) => m(`${name}Response`, { error: [1, 'message', ErrorMessage], result: [2, 'message', result] });

const PublishResult = m('PublishResult', { offset: [1, 'uint64'], epoch: [2, 'string'] });
const PublishResponse = response('Publish', PublishResult);
const NodeResult = m('NodeResult', {
  uid: [1, 'string'],
  name: [2, 'string'],
  version: [3, 'string'],
  num_clients: [4, 'uint32'],
  num_users: [5, 'uint32'],
  num_channels: [6, 'uint32'],
  uptime: [7, 'uint32'],
  metrics: [8, 'message', m('Metrics', { interval: [1, 'double'], items: [2, 'map', 'double'] })],
  num_subs: [10, 'uint32'],
});

interface MethodDescs {
  /** The GRPC method name (CentrifugoApi/<name>). */
  name: string;
  request: MessageDesc;
  result: MessageDesc;
  response: MessageDesc;
}

function method(name: string, request: Record<string, FieldSpec>, result: MessageDesc | Record<string, FieldSpec>): MethodDescs {
  const res = 'byNo' in result ? (result as MessageDesc) : m(`${name}Result`, result as Record<string, FieldSpec>);
  return { name, request: m(`${name}Request`, request), result: res, response: response(name, res) };
}

/** The OSS methods, by the HTTP API's method names. */
export const API_METHODS: Record<CommandName, MethodDescs> = {
  publish: { name: 'Publish', request: m('PublishRequest', { channel: [1, 'string'], ...publishFields }), result: PublishResult, response: PublishResponse },
  broadcast: method('Broadcast', { channels: [1, 'strings'], ...publishFields }, { responses: [1, 'repeated', PublishResponse] }),
  subscribe: method(
    'Subscribe',
    {
      channel: [1, 'string'],
      user: [2, 'string'],
      expire_at: [3, 'int64'],
      info: [4, 'bytes'],
      b64info: [5, 'string'],
      client: [6, 'string'],
      data: [7, 'bytes'],
      b64data: [8, 'string'],
      recover_since: [9, 'message', StreamPosition],
      override: [10, 'message', Override],
      session: [11, 'string'],
      label_filter: [12, 'message', FilterNode],
      all_users: [13, 'bool'],
    },
    {},
  ),
  unsubscribe: method(
    'Unsubscribe',
    {
      channel: [1, 'string'],
      user: [2, 'string'],
      client: [3, 'string'],
      session: [4, 'string'],
      label_filter: [5, 'message', FilterNode],
      all_users: [6, 'bool'],
    },
    {},
  ),
  disconnect: method(
    'Disconnect',
    {
      user: [1, 'string'],
      disconnect: [2, 'message', Disconnect],
      client: [3, 'string'],
      whitelist: [4, 'strings'],
      session: [5, 'string'],
      label_filter: [6, 'message', FilterNode],
      all_users: [7, 'bool'],
    },
    {},
  ),
  refresh: method(
    'Refresh',
    {
      user: [1, 'string'],
      client: [2, 'string'],
      expired: [3, 'bool'],
      expire_at: [4, 'int64'],
      info: [5, 'bytes'],
      session: [6, 'string'],
      label_filter: [7, 'message', FilterNode],
      all_users: [8, 'bool'],
    },
    {},
  ),
  presence: method('Presence', { channel: [1, 'string'] }, { presence: [1, 'map', ClientInfo] }),
  presence_stats: method('PresenceStats', { channel: [1, 'string'] }, { num_clients: [1, 'uint32'], num_users: [2, 'uint32'] }),
  history: method(
    'History',
    { channel: [1, 'string'], limit: [2, 'int32'], since: [3, 'message', StreamPosition], reverse: [4, 'bool'] },
    { publications: [1, 'repeated', Publication], epoch: [2, 'string'], offset: [3, 'uint64'] },
  ),
  history_remove: method('HistoryRemove', { channel: [1, 'string'] }, {}),
  info: method('Info', {}, { nodes: [1, 'repeated', NodeResult] }),
  rpc: method('RPC', { method: [1, 'string'], params: [2, 'bytes'] }, { data: [1, 'bytes'] }),
  channels: method('Channels', { pattern: [1, 'string'] }, { channels: [1, 'map', m('ChannelInfo', { num_clients: [1, 'uint32'] })] }),
};

/** Batch: Command and Reply carry one field per method, at the same numbers (4–16 for the OSS ones). */
const BATCH_NUMBERS: Record<CommandName, number> = {
  publish: 4,
  broadcast: 5,
  subscribe: 6,
  unsubscribe: 7,
  disconnect: 8,
  presence: 9,
  presence_stats: 10,
  history: 11,
  history_remove: 12,
  info: 13,
  rpc: 14,
  refresh: 15,
  channels: 16,
};
const entries = Object.entries(BATCH_NUMBERS) as Array<[CommandName, number]>;
const Command = m('Command', Object.fromEntries(entries.map(([k, no]) => [k, [no, 'message', API_METHODS[k].request]])));
const Reply = m('Reply', { error: [2, 'message', ErrorMessage], ...Object.fromEntries(entries.map(([k, no]) => [k, [no, 'message', API_METHODS[k].result]])) });

export const BATCH = {
  name: 'Batch',
  request: m('BatchRequest', { commands: [1, 'repeated', Command], parallel: [2, 'bool'] }),
  response: m('BatchResponse', { replies: [1, 'repeated', Reply] }),
};

/**
 * Methods of api.proto that only Centrifugo PRO serves (and the experimental
 * map and shared-poll ones Tributary has not): registered so that clients
 * generated from the official file get UNIMPLEMENTED with the method's name.
 */
export const UNIMPLEMENTED_METHODS = [
  'Connections',
  'UpdateUserStatus',
  'GetUserStatus',
  'DeleteUserStatus',
  'BlockUser',
  'UnblockUser',
  'RevokeToken',
  'InvalidateUserTokens',
  'DeviceRegister',
  'DeviceUpdate',
  'DeviceRemove',
  'DeviceList',
  'DeviceTopicList',
  'DeviceTopicUpdate',
  'UserTopicList',
  'UserTopicUpdate',
  'SendPushNotification',
  'UpdatePushStatus',
  'CancelPush',
  'MapPublish',
  'MapRemove',
  'MapReadState',
  'MapReadStream',
  'MapStats',
  'MapClear',
  'SharedPollPublish',
];
