// The server API's doors: a JSON body posted to /api/<method>, the legacy
// /api route's concatenated commands, and a GRPC request message. Each goes
// through the real decode and dispatch path (over a stub node, stub-node.ts);
// a request that does not decode is refused with ApiDecodeError (HTTP 400,
// INVALID_ARGUMENT), a GRPC message that is not protobuf with DecodeError
// (INTERNAL, as Go's codec). The reply must encode as the door sends it.

import { ApiDecodeError } from '../../../src/api/errors.js';
import { API_METHODS, BATCH } from '../../../src/api/grpc-proto.js';
import { handleLegacy } from '../../../src/api/legacy.js';
import { REQUESTS, type MethodName } from '../../../src/api/requests.js';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { stringifyWithRaw } from '../../../src/protocol/json/raw-json.js';
import { decodeMessage, encodeMessage } from '../../../src/protocol/protobuf/message.js';
import { isJson } from '../../../src/util/values.js';
import { stubDispatcher, takeMethodFailure } from '../stub-node.js';
import { check, jsonSeed, seed, type FuzzTarget } from '../target.js';

const target = { user: 'u', client: 'c', session: 's', label_filter: { op: 'and', nodes: [{ key: 'k', cmp: 'eq', val: 'v', vals: ['a'] }] }, all_users: false };

/** One valid request per method, JSON as posted to /api/<method>. */
const SAMPLES: Record<MethodName, Record<string, unknown>> = {
  publish: { channel: 'chat:1', data: { text: 'hi' }, skip_history: true, tags: { t: 'v' }, idempotency_key: 'k', delta: true, version: 3, version_epoch: 'e' },
  broadcast: { channels: ['a', 'chat:b'], data: [1, 2], b64data: 'AAEC' },
  subscribe: {
    channel: 'news',
    ...target,
    expire_at: 1700000000,
    info: { i: 1 },
    b64data: 'eyJ9',
    recover_since: { offset: 5, epoch: 'x' },
    override: { presence: { value: true }, join_leave: { value: false } },
  },
  unsubscribe: { channel: 'news', ...target },
  disconnect: { ...target, disconnect: { code: 4000, reason: 'bye' }, whitelist: ['c2'] },
  history: { channel: 'chat:1', limit: 10, since: { offset: 1, epoch: 'e' }, reverse: true },
  history_remove: { channel: 'chat:1' },
  presence: { channel: 'chat:1' },
  presence_stats: { channel: 'chat:1' },
  info: {},
  rpc: { method: 'm', params: { a: [1] } },
  refresh: { ...target, expired: true, expire_at: 1700000000, info: { x: 1 } },
  channels: { pattern: 'chat:*' },
  batch: {
    commands: [{ publish: { channel: 'chat:1', data: {} } }, { broadcast: { channels: ['x'], data: 1 } }, { presence: { channel: 'p' } }],
    parallel: true,
  },
};

const METHOD_NAMES = Object.keys(REQUESTS) as MethodName[];

/** A method that threw (the dispatcher answered it with an internal error) crashed on a request that decoded. */
function rethrowMethodFailure(): void {
  const err = takeMethodFailure();
  if (err !== undefined) throw err;
}

export const httpApi: FuzzTarget = {
  name: 'http-api',
  description: 'HTTP API bodies, every method (Dispatcher.dispatchJson)',
  format: 'json',
  variants: METHOD_NAMES,
  seeds: METHOD_NAMES.map((m) => jsonSeed(SAMPLES[m], m)),
  async run({ variant, data }) {
    const reply = await stubDispatcher().dispatchJson(variant, data.toString('utf8'), 'http').finally(rethrowMethodFailure);
    check(reply.result !== undefined || reply.error !== undefined, 'reply with neither result nor error');
    check(isJson(stringifyWithRaw(reply)), 'reply does not encode as JSON');
  },
  expected: (err) => err instanceof ApiDecodeError,
};

const legacy = (method: string, params: unknown) => JSON.stringify({ id: 1, method, params });

export const legacyApi: FuzzTarget = {
  name: 'legacy-api',
  description: 'legacy /api bodies: concatenated {id, method, params} (handleLegacy)',
  format: 'json',
  seeds: [
    ...['publish', 'broadcast', 'presence', 'history', 'info', 'channels', 'disconnect'].map((m) => seed(legacy(m, SAMPLES[m as MethodName]))),
    seed(legacy('publish', SAMPLES.publish) + '\n' + JSON.stringify({ method: 2, params: SAMPLES.unsubscribe }) + '\n' + JSON.stringify({ METHOD: 'Info' })),
    jsonSeed({ Id: 4294967295, Method: 'PUBLISH', Params: { channel: 'x', data: null } }),
  ],
  async run({ data }) {
    const out = await handleLegacy(stubDispatcher(), data.toString('utf8')).finally(rethrowMethodFailure);
    for (const line of out === '' ? [] : out.split('\n')) check(isJson(line), `reply line is not JSON: ${line.slice(0, 80)}`);
  },
  expected: (err) => err instanceof ApiDecodeError,
};

/** A sample as GRPC carries it: raw JSON fields (data, info, params) as their bytes. */
function grpcValue(v: unknown, key = ''): unknown {
  if (['data', 'info', 'params'].includes(key)) return Buffer.from(JSON.stringify(v));
  if (Array.isArray(v)) return v.map((x) => grpcValue(x));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, grpcValue(x, k)]));
  return v;
}

const GRPC_METHODS = Object.keys(API_METHODS) as Array<keyof typeof API_METHODS>;
const requestDesc = (method: string) => (method === 'batch' ? BATCH.request : API_METHODS[method as keyof typeof API_METHODS].request);

export const grpcApi: FuzzTarget = {
  name: 'grpc-api',
  description: 'GRPC API request messages, every method (decodeMessage + Dispatcher.dispatch)',
  format: 'protobuf',
  variants: [...GRPC_METHODS, 'batch'],
  seeds: [...GRPC_METHODS, 'batch' as const].map((m) => seed(encodeMessage(requestDesc(m), grpcValue(SAMPLES[m]) as object), m)),
  async run({ variant, data }) {
    const req = decodeMessage(data, requestDesc(variant), { strictUtf8: true });
    const reply = await stubDispatcher().dispatch(variant, req, 'grpc').finally(rethrowMethodFailure);
    // As grpc-server.ts answers: the response message, or the batch's replies.
    if (variant === 'batch') encodeMessage(BATCH.response, reply.result ?? {});
    else encodeMessage(API_METHODS[variant as keyof typeof API_METHODS].response, reply);
  },
  expected: (err) => err instanceof ApiDecodeError || err instanceof DecodeError,
};
