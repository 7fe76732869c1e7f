// Cross-checks against independent implementations:
// - protobufjs, with types parsed from a .proto written below from the field
//   tables of client-protocol.md §2 (experimental fields included, so their
//   skipping is exercised too);
// - the centrifuge SDK's own Protobuf codec (its generated client_proto code),
//   which is what real clients run.
// Plus a micro-benchmark of publication pushes (printed, not asserted).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Centrifuge } from 'centrifuge/build/protobuf';
import protobuf from 'protobufjs';
import { decodeJsonCommands } from '../../../src/protocol/json/decode.js';
import { protobufCodec as codec } from '../../../src/protocol/protobuf/codec.js';
import { Kind, MESSAGES } from '../../../src/protocol/protobuf/schema.js';

const PROTO = `
syntax = "proto3";

message Error { uint32 code = 1; string message = 2; bool temporary = 3; }
message EmulationRequest { string node = 1; string session = 2; bytes data = 3; }

message Command {
  uint32 id = 1;
  ConnectRequest connect = 4; SubscribeRequest subscribe = 5; UnsubscribeRequest unsubscribe = 6;
  PublishRequest publish = 7; PresenceRequest presence = 8; PresenceStatsRequest presence_stats = 9;
  HistoryRequest history = 10; PingRequest ping = 11; SendRequest send = 12; RPCRequest rpc = 13;
  RefreshRequest refresh = 14; SubRefreshRequest sub_refresh = 15;
}
message Reply {
  uint32 id = 1; Error error = 2; Push push = 4;
  ConnectResult connect = 5; SubscribeResult subscribe = 6; UnsubscribeResult unsubscribe = 7;
  PublishResult publish = 8; PresenceResult presence = 9; PresenceStatsResult presence_stats = 10;
  HistoryResult history = 11; PingResult ping = 12; RPCResult rpc = 13; RefreshResult refresh = 14;
  SubRefreshResult sub_refresh = 15;
}
message Push {
  int64 id = 1; string channel = 2;
  Publication pub = 4; Join join = 5; Leave leave = 6; Unsubscribe unsubscribe = 7; Message message = 8;
  Subscribe subscribe = 9; Connect connect = 10; Disconnect disconnect = 11; Refresh refresh = 12;
}

message ClientInfo { string user = 1; string client = 2; bytes conn_info = 3; bytes chan_info = 4; }
message Publication {
  bytes data = 4; ClientInfo info = 5; uint64 offset = 6; map<string, string> tags = 7; bool delta = 8;
  int64 time = 9; string channel = 10; string key = 11; bool removed = 12; sint64 score = 13;
  string epoch = 14; bytes prev_data = 15; uint64 version = 16;
}
message Join { ClientInfo info = 1; }
message Leave { ClientInfo info = 1; }
message Unsubscribe { uint32 code = 2; string reason = 3; }
message Subscribe { bool recoverable = 1; string epoch = 4; uint64 offset = 5; bool positioned = 6; bytes data = 7; }
message Message { bytes data = 1; }
message Connect {
  string client = 1; string version = 2; bytes data = 3; map<string, SubscribeResult> subs = 4;
  bool expires = 5; uint32 ttl = 6; uint32 ping = 7; bool pong = 8; string session = 9; string node = 10;
  int64 time = 11;
}
message Disconnect { uint32 code = 1; string reason = 2; bool reconnect = 3; }
message Refresh { bool expires = 1; uint32 ttl = 2; }

message ConnectRequest {
  string token = 1; bytes data = 2; map<string, SubscribeRequest> subs = 3; string name = 4;
  string version = 5; map<string, string> headers = 6; int64 flag = 7; string dict = 8; string profile = 9;
}
message ConnectResult {
  string client = 1; string version = 2; bool expires = 3; uint32 ttl = 4; bytes data = 5;
  map<string, SubscribeResult> subs = 6; uint32 ping = 7; bool pong = 8; string session = 9;
  string node = 10; int64 time = 11; int64 flag = 12;
}
message FilterNode { string op = 1; string key = 2; repeated FilterNode nodes = 6; }
message SubscribeRequest {
  string channel = 1; string token = 2; bool recover = 3; string epoch = 6; uint64 offset = 7;
  bytes data = 8; bool positioned = 9; bool recoverable = 10; bool join_leave = 11; string delta = 12;
  FilterNode tf = 13; int64 flag = 14; int32 type = 15; int32 phase = 16; string cursor = 17;
  int32 limit = 18; bool asc = 19;
}
message SubscribeResult {
  bool expires = 1; uint32 ttl = 2; bool recoverable = 3; string epoch = 6;
  repeated Publication publications = 7; bool recovered = 8; uint64 offset = 9; bool positioned = 10;
  bytes data = 11; bool was_recovering = 12; bool delta = 13; int64 id = 14; int32 type = 15;
  int32 phase = 16; string cursor = 17; repeated Publication state = 18; uint32 publish_debounce = 19;
}
message UnsubscribeRequest { string channel = 1; }
message UnsubscribeResult {}
message PublishRequest { string channel = 1; bytes data = 2; int32 type = 3; string key = 4; bool removed = 5; }
message PublishResult {}
message PresenceRequest { string channel = 1; }
message PresenceResult { map<string, ClientInfo> presence = 1; }
message PresenceStatsRequest { string channel = 1; }
message PresenceStatsResult { uint32 num_clients = 1; uint32 num_users = 2; }
message StreamPosition { uint64 offset = 1; string epoch = 2; }
message HistoryRequest { string channel = 1; int32 limit = 7; StreamPosition since = 8; bool reverse = 9; }
message HistoryResult { repeated Publication publications = 1; string epoch = 2; uint64 offset = 3; }
message PingRequest {}
message PingResult {}
message RPCRequest { bytes data = 1; string method = 2; }
message RPCResult { bytes data = 1; }
message SendRequest { bytes data = 1; }
message RefreshRequest { string token = 1; }
message RefreshResult { string client = 1; string version = 2; bool expires = 3; uint32 ttl = 4; }
message SubRefreshRequest { string channel = 1; string token = 2; int32 type = 3; repeated string untrack = 5; }
message SubRefreshResult { bool expires = 1; uint32 ttl = 2; repeated Publication items = 3; }
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const T = (name: string): protobuf.Type => root.lookupType(name);
const PbReply = T('Reply');
const PbCommand = T('Command');

/** protobufjs' own varint-delimited encoding of a plain object. */
function pbjsDelimited(type: protobuf.Type, value: object): Buffer {
  const err = type.verify(value);
  assert.equal(err, null, `protobufjs rejects the test value: ${err}`);
  return Buffer.from(type.encodeDelimited(type.fromObject(value)).finish());
}

/** protobufjs' reading of our delimited frame, as a plain object. */
function pbjsRead(frame: unknown): Record<string, unknown> {
  assert.ok(Buffer.isBuffer(frame));
  const reader = protobuf.Reader.create(frame);
  const msg = PbReply.decodeDelimited(reader);
  assert.equal(reader.pos, frame.length, 'one message per frame');
  return PbReply.toObject(msg, { longs: Number }) as Record<string, unknown>;
}

/** Comparable form: bytes as hex strings, Longs as numbers, no prototypes. */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return 'bytes:' + Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === 'object') {
    if ('low' in v && 'high' in v && 'unsigned' in v) {
      const l = v as { low: number; high: number; unsigned: boolean };
      return (l.unsigned ? l.high >>> 0 : l.high) * 2 ** 32 + (l.low >>> 0);
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = norm((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const info = { user: '42', client: 'c-1', conn_info: b('{"n":"A"}'), chan_info: b('{"r":1}') };
const pub = { data: b('{"input":"1"}'), info, offset: 2 ** 33, tags: { a: '1', b: 'ü' }, epoch: 'ep' };

/** Representative frames: what we encode, and the same Reply as a plain object for protobufjs. */
const FRAMES: Array<{ name: string; frame: Buffer; reply: Record<string, unknown> }> = [
  { name: 'ping', frame: codec.ping() as Buffer, reply: {} },
  ...(['connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history', 'ping', 'rpc', 'refresh', 'sub_refresh'] as const).map(
    (k) => ({
      name: `empty ${k} result`,
      frame: codec.encodeReply(3, k, {}) as Buffer,
      reply: { id: 3, [k]: {} },
    }),
  ),
  (() => {
    const result = {
      client: 'c0ffee',
      version: '0.1.0',
      expires: true,
      ttl: 3600,
      data: b('{"w":1}'),
      // Keys out of field order on purpose: fields are written in key order, which any parser accepts.
      subs: { '#42': { positioned: true, recoverable: true, epoch: 'ep', offset: 3, publications: [{ data: b('1'), offset: 3 }], recovered: true }, news: {} },
      ping: 25,
      pong: true,
      session: 's',
      node: 'n',
      time: 1_700_000_000_123,
    };
    return { name: 'connect result with subs', frame: codec.encodeReply(1, 'connect', result) as Buffer, reply: { id: 1, connect: result } };
  })(),
  (() => {
    const result = {
      recoverable: true,
      epoch: 'e',
      publications: [pub, { data: b('2'), offset: 2 ** 33 + 1, delta: true }],
      recovered: true,
      offset: 2 ** 33 + 1,
      positioned: true,
      was_recovering: true,
      delta: true,
    };
    return { name: 'subscribe result with publications', frame: codec.encodeReply(2, 'subscribe', result) as Buffer, reply: { id: 2, subscribe: result } };
  })(),
  { name: 'publication push with info and tags', frame: codec.encodePush('news', 'pub', pub) as Buffer, reply: { push: { channel: 'news', pub } } },
  (() => {
    const result = { presence: { 'c-1': info, 'c-2': { user: 'u2', client: 'c-2' } } };
    return { name: 'presence result map', frame: codec.encodeReply(4, 'presence', result) as Buffer, reply: { id: 4, presence: result } };
  })(),
  {
    name: 'presence stats',
    frame: codec.encodeReply(5, 'presence_stats', { num_clients: 7, num_users: 3 }) as Buffer,
    reply: { id: 5, presence_stats: { num_clients: 7, num_users: 3 } },
  },
  (() => {
    const result = { publications: [pub, { data: b('x'), offset: 2 ** 33 + 1, time: 5, score: -(2 ** 40) }], epoch: 'ep', offset: 2 ** 33 + 1 };
    return { name: 'history result', frame: codec.encodeReply(6, 'history', result) as Buffer, reply: { id: 6, history: result } };
  })(),
  {
    name: 'error reply',
    frame: codec.encodeError(7, { code: 100, message: 'internal server error', temporary: true }) as Buffer,
    reply: { id: 7, error: { code: 100, message: 'internal server error', temporary: true } },
  },
  {
    name: 'unsubscribe push',
    frame: codec.encodePush('c', 'unsubscribe', { code: 2500, reason: 'insufficient state' }) as Buffer,
    reply: { push: { channel: 'c', unsubscribe: { code: 2500, reason: 'insufficient state' } } },
  },
  { name: 'join push', frame: codec.encodePush('c', 'join', { info }) as Buffer, reply: { push: { channel: 'c', join: { info } } } },
  { name: 'empty refresh push', frame: codec.encodePush('', 'refresh', {}) as Buffer, reply: { push: { refresh: {} } } },
  {
    name: 'disconnect push',
    frame: codec.encodePush('', 'disconnect', { code: 3501, reason: 'bad request' }) as Buffer,
    reply: { push: { disconnect: { code: 3501, reason: 'bad request' } } },
  },
  {
    name: 'subscribe push',
    frame: codec.encodePush('c', 'subscribe', { recoverable: true, epoch: 'e', offset: 4, positioned: true, data: b('{}') }) as Buffer,
    reply: { push: { channel: 'c', subscribe: { recoverable: true, epoch: 'e', offset: 4, positioned: true, data: b('{}') } } },
  },
  {
    name: 'sub_refresh with a large int32/uint32',
    frame: codec.encodeReply(2 ** 32 - 1, 'sub_refresh', { expires: true, ttl: 2 ** 32 - 1 }) as Buffer,
    reply: { id: 2 ** 32 - 1, sub_refresh: { expires: true, ttl: 2 ** 32 - 1 } },
  },
];

describe('protobuf interop: schema', () => {
  it('every descriptor agrees with the .proto parsed by protobufjs (names, numbers, types)', () => {
    const scalar: Partial<Record<number, string>> = {
      [Kind.uint32]: 'uint32',
      [Kind.int32]: 'int32',
      [Kind.uint64]: 'uint64',
      [Kind.int64]: 'int64',
      [Kind.sint64]: 'sint64',
      [Kind.bool]: 'bool',
      [Kind.string]: 'string',
      [Kind.bytes]: 'bytes',
    };
    let fields = 0;
    for (const [name, desc] of Object.entries(MESSAGES)) {
      const type = T(name);
      for (const f of desc.fields) {
        const pf = type.fields[f.name];
        assert.ok(pf, `${name}.${f.name} missing in the .proto`);
        assert.equal(pf.id, f.no, `${name}.${f.name} number`);
        const where = `${name}.${f.name}`;
        if (f.kind === Kind.mapString || f.kind === Kind.mapMessage) {
          assert.ok(pf instanceof protobuf.MapField && pf.keyType === 'string', where);
          assert.equal(pf.type, f.kind === Kind.mapString ? 'string' : f.message!.name, where);
        } else if (f.kind === Kind.repeated) {
          assert.ok(pf.repeated, where);
          assert.equal(pf.type, f.message!.name, where);
        } else if (f.kind === Kind.message) {
          assert.ok(!pf.repeated && !pf.map, where);
          assert.equal(pf.type, f.message!.name, where);
        } else {
          assert.ok(!pf.repeated && !pf.map, where);
          assert.equal(pf.type, scalar[f.kind], where);
        }
        fields++;
      }
    }
    assert.ok(fields > 150, `${fields} fields compared`);
  });
});

describe('protobuf interop: our frames, read by protobufjs', () => {
  for (const c of FRAMES) {
    it(c.name, () => {
      assert.deepStrictEqual(norm(pbjsRead(c.frame)), norm(c.reply));
      // Same encodings as protobufjs, and the same field order when the value's keys are in
      // field-number order (as sessions build them): then the bytes are identical.
      if (c.name !== 'connect result with subs') {
        assert.equal(c.frame.toString('hex'), pbjsDelimited(PbReply, c.reply).toString('hex'));
      }
    });
  }
});

/** Commands as protobufjs encodes them, with the JSON line our JSON codec must agree with. */
const COMMANDS: Array<{ value: Record<string, unknown>; json: string }> = [
  {
    value: {
      id: 1,
      connect: {
        token: 't',
        data: b('{"a":1}'),
        subs: { news: { recover: true, offset: 2 ** 40, epoch: 'e' } },
        name: 'js',
        version: '5.7.4',
        headers: { h: 'v' },
        flag: 1,
        dict: 'd',
        profile: 'p',
      },
    },
    json: '{"id":1,"connect":{"token":"t","data":{"a":1},"subs":{"news":{"recover":true,"offset":1099511627776,"epoch":"e"}},"name":"js","version":"5.7.4","headers":{"h":"v"}}}',
  },
  {
    value: {
      id: 2,
      subscribe: {
        channel: 'c',
        token: 't',
        recover: true,
        epoch: 'e',
        offset: 7,
        data: b('"d"'),
        positioned: true,
        recoverable: true,
        join_leave: true,
        delta: 'fossil',
        tf: { op: 'and', nodes: [{ op: 'eq', key: 'k' }] },
        flag: 3,
        type: 2,
        phase: 1,
        cursor: 'x',
        limit: 5,
        asc: true,
      },
    },
    json: '{"id":2,"subscribe":{"channel":"c","token":"t","recover":true,"epoch":"e","offset":7,"data":"d","positioned":true,"recoverable":true,"join_leave":true,"delta":"fossil","flag":3,"type":2}}',
  },
  { value: { id: 3, unsubscribe: { channel: 'c' } }, json: '{"id":3,"unsubscribe":{"channel":"c"}}' },
  {
    value: { id: 4, publish: { channel: 'c', data: b('{"x":1}'), type: 1, key: 'k', removed: true } },
    json: '{"id":4,"publish":{"channel":"c","data":{"x":1}}}',
  },
  { value: { id: 5, presence: { channel: 'c' } }, json: '{"id":5,"presence":{"channel":"c"}}' },
  { value: { id: 6, presence_stats: { channel: 'c' } }, json: '{"id":6,"presence_stats":{"channel":"c"}}' },
  {
    value: { id: 7, history: { channel: 'c', limit: -1, since: { offset: 3, epoch: 'e' }, reverse: true } },
    json: '{"id":7,"history":{"channel":"c","limit":-1,"since":{"offset":3,"epoch":"e"},"reverse":true}}',
  },
  { value: { id: 8, ping: {} }, json: '{"id":8,"ping":{}}' },
  { value: { send: { data: b('1') } }, json: '{"send":{"data":1}}' },
  { value: { id: 9, rpc: { method: 'm', data: b('[]') } }, json: '{"id":9,"rpc":{"method":"m","data":[]}}' },
  { value: { id: 10, refresh: { token: 'r' } }, json: '{"id":10,"refresh":{"token":"r"}}' },
  { value: { id: 11, sub_refresh: { channel: 'c', token: 't', type: 2, untrack: ['a', 'b'] } }, json: '{"id":11,"sub_refresh":{"channel":"c","token":"t"}}' },
  { value: {}, json: '{}' },
];

describe('protobuf interop: commands encoded by protobufjs', () => {
  it('each kind decodes like the JSON codec decodes the same command (experimental fields skipped)', () => {
    for (const c of COMMANDS) {
      assert.deepStrictEqual(codec.decodeCommands(pbjsDelimited(PbCommand, c.value)), decodeJsonCommands(c.json), c.json);
    }
  });

  it('all of them in one frame', () => {
    const frame = Buffer.concat(COMMANDS.map((c) => pbjsDelimited(PbCommand, c.value)));
    assert.deepStrictEqual(codec.decodeCommands(frame), decodeJsonCommands(COMMANDS.map((c) => c.json).join('\n')));
  });
});

describe('protobuf interop: the centrifuge SDK’s own codec', () => {
  // The SDK keeps its codec private; creating a client does not connect.
  const sdk = (new Centrifuge('ws://127.0.0.1:1/connection/websocket', {}) as unknown as { _codec: SdkCodec })._codec;
  interface SdkCodec {
    name(): string;
    encodeCommands(cmds: object[]): Uint8Array;
    decodeReplies(data: Uint8Array): Array<Record<string, unknown>>;
  }

  it('is the protobuf one', () => assert.equal(sdk.name(), 'protobuf'));

  it('what the SDK sends on open (connect + optimistic subscribes, one frame) decodes as JSON would', () => {
    const frame = sdk.encodeCommands([
      { id: 1, connect: { name: 'js', token: 't', subs: { '#s': { recover: true, offset: 4, epoch: 'e' } } } },
      { id: 2, subscribe: { channel: 'news', flag: 1 } },
      { id: 3, subscribe: { channel: 'rec', recover: true, offset: 10, epoch: 'ep', flag: 1, delta: 'fossil' } },
      {},
    ]);
    assert.deepStrictEqual(
      codec.decodeCommands(Buffer.from(frame)),
      decodeJsonCommands(
        [
          '{"id":1,"connect":{"name":"js","token":"t","subs":{"#s":{"recover":true,"offset":4,"epoch":"e"}}}}',
          '{"id":2,"subscribe":{"channel":"news","flag":1}}',
          '{"id":3,"subscribe":{"channel":"rec","recover":true,"offset":10,"epoch":"ep","flag":1,"delta":"fossil"}}',
          '{}',
        ].join('\n'),
      ),
    );
  });

  it('reads every representative frame of ours, joined in one message', () => {
    const replies = sdk.decodeReplies(codec.join(FRAMES.map((f) => f.frame)) as Buffer);
    assert.equal(replies.length, FRAMES.length);
    for (let i = 0; i < FRAMES.length; i++) {
      const got = sdkComparable(replies[i]!);
      assert.deepStrictEqual(got, norm(FRAMES[i]!.reply), FRAMES[i]!.name);
    }
  });

  /** The SDK's messages carry constructor-initialised empty arrays/maps; drop those to compare. */
  function sdkComparable(v: unknown): unknown {
    const n = norm(v);
    const strip = (x: unknown): unknown => {
      if (Array.isArray(x)) return x.map(strip);
      if (x !== null && typeof x === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(x)) {
          if (Array.isArray(val) && val.length === 0) continue;
          if (isEmptyMap(k, val)) continue;
          out[k] = strip(val);
        }
        return out;
      }
      return x;
    };
    return strip(n);
  }
  const MAP_FIELDS = new Set(['tags', 'subs', 'presence', 'headers']);
  const isEmptyMap = (k: string, v: unknown): boolean => MAP_FIELDS.has(k) && v !== null && typeof v === 'object' && Object.keys(v).length === 0;
});

describe('protobuf micro-benchmark (informational)', () => {
  it('encodes 100k publication pushes with 100-byte data', (t) => {
    const data = Buffer.alloc(100, 0x61);
    const body = { data, offset: 12345, info: { user: 'user-1', client: 'b6f0c7a2-9d1e-4b7a-8f3c-2a1d0e9f8c7b' } };
    const plain = { data, offset: 12345 };
    const N = 100_000;
    const run = (label: string, fn: () => unknown): string => {
      for (let i = 0; i < 20_000; i++) fn(); // warm up
      const t0 = process.hrtime.bigint();
      let bytes = 0;
      for (let i = 0; i < N; i++) bytes += (fn() as Uint8Array).length;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      return `${label}: ${ms.toFixed(1)} ms for ${N} (${((ms * 1e6) / N).toFixed(0)} ns each, ${bytes / N} B/frame)`;
    };
    const PbPush = T('Push');
    const lines = [
      run('tributary pub push', () => codec.encodePush('chat:room-17', 'pub', plain)),
      run('tributary pub push + info', () => codec.encodePush('chat:room-17', 'pub', body)),
      run('protobufjs (reflection) Reply{push{pub+info}}', () =>
        PbReply.encodeDelimited(PbReply.fromObject({ push: PbPush.fromObject({ channel: 'chat:room-17', pub: body }) })).finish(),
      ),
      run('tributary empty subscribe reply', () => codec.encodeReply(7, 'subscribe', {})),
    ];
    for (const l of lines) t.diagnostic(l);
  });
});
