// What an application backend answers a proxied connect, refresh, subscribe,
// publish, sub_refresh or rpc: JSON from an HTTP proxy (read as Go reads it
// into the proto structs), a protobuf message from a gRPC one. A bad answer
// is BadAnswer (or DecodeError from the gRPC codec), which the endpoint turns
// into a proxy failure; the typed result must have the types sessions use.

import { answerFromJson, BadAnswer, readAnswer } from '../../../src/proxy/answer.js';
import type { ProxyAnswer, ProxyType } from '../../../src/proxy/messages.js';
import { PROTO } from '../../../src/proxy/proto.js';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { decodeMessage, encodeMessage } from '../../../src/protocol/protobuf/message.js';
import { check, jsonSeed, seed, type FuzzTarget } from '../target.js';

const TYPES = Object.keys(PROTO) as ProxyType[];
const override = { presence: { value: true }, force_recovery: { value: false } };

/** One answer per proxy type, as an HTTP backend writes it. */
const ANSWERS: Record<ProxyType, Record<string, unknown>> = {
  connect: {
    result: {
      user: 'u1',
      expire_at: 1700000000,
      info: { a: 1 },
      b64data: 'e30=',
      channels: ['news'],
      subs: { news: { info: { x: 1 }, b64data: 'AAE=', override } },
      meta: { m: 1 },
    },
  },
  refresh: { result: { expired: false, expire_at: 1700000000, b64info: 'e30=' } },
  subscribe: { result: { expire_at: 0, info: 'x', data: [1], override } },
  publish: { result: { data: { changed: true }, skip_history: true, tags: { a: 'b' }, idempotency_key: 'k', delta: true, version: 2, version_epoch: 'e' } },
  sub_refresh: { result: { expired: true } },
  rpc: { error: { code: 1000, message: 'nope', temporary: true }, disconnect: { code: 4500, reason: 'bye' } },
};

function checkAnswer(a: ProxyAnswer<unknown>): void {
  if (a.error) check(Number.isFinite(a.error.code) && typeof a.error.message === 'string', 'error of the wrong shape');
  if (a.disconnect) check(Number.isFinite(a.disconnect.code) && typeof a.disconnect.reason === 'string', 'disconnect of the wrong shape');
  const r = a.result as Record<string, unknown> | undefined;
  if (!r) return;
  for (const key of ['info', 'data', 'meta']) check(r[key] === undefined || Buffer.isBuffer(r[key]), `${key} must be bytes`);
  if ('expireAt' in r) check(Number.isSafeInteger(r.expireAt), 'expireAt must be an integer');
  if ('channels' in r) check(Array.isArray(r.channels) && (r.channels as unknown[]).every((c) => typeof c === 'string'), 'channels must be strings');
}

export const proxyHttp: FuzzTarget = {
  name: 'proxy-http',
  description: 'HTTP proxy answers, every proxy type (answerFromJson + readAnswer)',
  format: 'json',
  variants: TYPES,
  seeds: TYPES.map((t) => jsonSeed(ANSWERS[t], t)),
  run({ variant, data }) {
    const type = variant as ProxyType;
    checkAnswer(readAnswer(type, answerFromJson(data.toString('utf8'), PROTO[type].response)));
  },
  expected: (err) => err instanceof BadAnswer,
};

/** An HTTP answer as a gRPC backend sends it: raw JSON fields as their bytes. */
function grpcValue(v: unknown, key = ''): unknown {
  if (['info', 'data', 'meta'].includes(key) && typeof v !== 'string') return Buffer.from(JSON.stringify(v));
  if (Array.isArray(v)) return v.map((x) => grpcValue(x));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, grpcValue(x, k)]));
  return v;
}

export const proxyGrpc: FuzzTarget = {
  name: 'proxy-grpc',
  description: 'gRPC proxy answers, every proxy type (decodeMessage + readAnswer)',
  format: 'protobuf',
  variants: TYPES,
  seeds: TYPES.map((t) => seed(encodeMessage(PROTO[t].response, grpcValue(ANSWERS[t]) as object), t)),
  run({ variant, data }) {
    const type = variant as ProxyType;
    checkAnswer(readAnswer(type, decodeMessage(data, PROTO[type].response)));
  },
  expected: (err) => err instanceof BadAnswer || err instanceof DecodeError,
};
