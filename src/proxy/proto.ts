// The gRPC proxy protocol's messages as descriptors for our protobuf codec:
// package centrifugal.centrifugo.proxy, service CentrifugoProxy, written from
// the field tables of proxies.md §3–§7 (numbers as in Centrifugo's
// proxyproto, so a backend generated from that schema talks to us). Only the
// unary methods Tributary calls are here; PRO-only fields (labels, caps,
// allow, server_tags_filter) are left out, so the decoder skips them.

import { defineMessage, type FieldSpec, type MessageDesc } from '../protocol/protobuf/schema.js';
import type { ProxyType } from './messages.js';

export const GRPC_SERVICE = 'centrifugal.centrifugo.proxy.CentrifugoProxy';

const COMMON: Record<string, FieldSpec> = {
  client: [1, 'string'],
  transport: [2, 'string'],
  protocol: [3, 'string'],
  encoding: [4, 'string'],
};

const Error = defineMessage('Error', { code: [1, 'uint32'], message: [2, 'string'], temporary: [3, 'bool'] });
const Disconnect = defineMessage('Disconnect', { code: [1, 'uint32'], reason: [2, 'string'] });
const BoolValue = defineMessage('BoolValue', { value: [1, 'bool'] });
const Override = defineMessage('SubscribeOptionOverride', {
  presence: [1, 'message', BoolValue],
  join_leave: [2, 'message', BoolValue],
  force_recovery: [3, 'message', BoolValue],
  force_positioning: [4, 'message', BoolValue],
  force_push_join_leave: [5, 'message', BoolValue],
});
const SubscribeOptions = defineMessage('SubscribeOptions', {
  expire_at: [1, 'int64'],
  info: [2, 'bytes'],
  b64info: [3, 'string'],
  data: [4, 'bytes'],
  b64data: [5, 'string'],
  override: [6, 'message', Override],
  cache_recover: [8, 'bool'],
});

const response = (name: string, result: MessageDesc) =>
  defineMessage(`${name}Response`, { result: [1, 'message', result], error: [2, 'message', Error], disconnect: [3, 'message', Disconnect] });

interface MethodDescs {
  request: MessageDesc;
  response: MessageDesc;
}

export const PROTO: Record<ProxyType, MethodDescs> = {
  connect: {
    request: defineMessage('ConnectRequest', {
      ...COMMON,
      data: [10, 'bytes'],
      b64data: [11, 'string'],
      name: [12, 'string'],
      version: [13, 'string'],
      channels: [14, 'strings'],
    }),
    response: response(
      'Connect',
      defineMessage('ConnectResult', {
        user: [1, 'string'],
        expire_at: [2, 'int64'],
        info: [3, 'bytes'],
        b64info: [4, 'string'],
        data: [5, 'bytes'],
        b64data: [6, 'string'],
        channels: [7, 'strings'],
        subs: [8, 'map', SubscribeOptions],
        meta: [9, 'bytes'],
      }),
    ),
  },
  refresh: {
    request: defineMessage('RefreshRequest', { ...COMMON, user: [10, 'string'], meta: [11, 'bytes'] }),
    response: response(
      'Refresh',
      defineMessage('RefreshResult', { expired: [1, 'bool'], expire_at: [2, 'int64'], info: [3, 'bytes'], b64info: [4, 'string'], meta: [5, 'bytes'] }),
    ),
  },
  subscribe: {
    request: defineMessage('SubscribeRequest', {
      ...COMMON,
      user: [10, 'string'],
      channel: [11, 'string'],
      token: [12, 'string'],
      meta: [13, 'bytes'],
      data: [14, 'bytes'],
      b64data: [15, 'string'],
    }),
    response: response(
      'Subscribe',
      defineMessage('SubscribeResult', {
        expire_at: [1, 'int64'],
        info: [2, 'bytes'],
        b64info: [3, 'string'],
        data: [4, 'bytes'],
        b64data: [5, 'string'],
        override: [6, 'message', Override],
      }),
    ),
  },
  publish: {
    request: defineMessage('PublishRequest', {
      ...COMMON,
      user: [10, 'string'],
      channel: [11, 'string'],
      data: [12, 'bytes'],
      b64data: [13, 'string'],
      meta: [14, 'bytes'],
    }),
    response: response(
      'Publish',
      defineMessage('PublishResult', {
        data: [1, 'bytes'],
        b64data: [2, 'string'],
        skip_history: [3, 'bool'],
        tags: [4, 'map', 'string'],
        idempotency_key: [5, 'string'],
        delta: [6, 'bool'],
        version: [7, 'uint64'],
        version_epoch: [8, 'string'],
      }),
    ),
  },
  rpc: {
    request: defineMessage('RPCRequest', {
      ...COMMON,
      user: [10, 'string'],
      method: [11, 'string'],
      data: [12, 'bytes'],
      b64data: [13, 'string'],
      meta: [14, 'bytes'],
    }),
    response: response('RPC', defineMessage('RPCResult', { data: [1, 'bytes'], b64data: [2, 'string'] })),
  },
  sub_refresh: {
    request: defineMessage('SubRefreshRequest', { ...COMMON, user: [10, 'string'], channel: [11, 'string'], meta: [12, 'bytes'] }),
    response: response(
      'SubRefresh',
      defineMessage('SubRefreshResult', { expired: [1, 'bool'], expire_at: [2, 'int64'], info: [3, 'bytes'], b64info: [4, 'string'] }),
    ),
  },
};
