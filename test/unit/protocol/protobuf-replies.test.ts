// Reply, error and push encoding, read back with the schema's own decoder
// (the protobufjs/SDK cross-checks live in protobuf-interop.test.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonStringData, type PushKind, type ReplyKind } from '../../../src/protocol/codec.js';
import { protobufCodec as codec } from '../../../src/protocol/protobuf/codec.js';
import { decodeDelimited } from '../../../src/protocol/protobuf/message.js';
import { Reply } from '../../../src/protocol/protobuf/schema.js';
import { RawJson } from '../../../src/protocol/json/raw-json.js';

const replies = (frame: unknown) => {
  assert.ok(Buffer.isBuffer(frame));
  return decodeDelimited(frame, Reply);
};
const one = (frame: unknown) => {
  const list = replies(frame);
  assert.equal(list.length, 1);
  return list[0]!;
};
const b = (s: string): Buffer => Buffer.from(s, 'utf8');

const REPLY_KINDS: Array<[ReplyKind, number]> = [
  ['connect', 5],
  ['subscribe', 6],
  ['unsubscribe', 7],
  ['publish', 8],
  ['presence', 9],
  ['presence_stats', 10],
  ['history', 11],
  ['ping', 12],
  ['rpc', 13],
  ['refresh', 14],
  ['sub_refresh', 15],
];

const PUSH_KINDS: Array<[PushKind, number]> = [
  ['pub', 4],
  ['join', 5],
  ['leave', 6],
  ['unsubscribe', 7],
  ['message', 8],
  ['subscribe', 9],
  ['connect', 10],
  ['disconnect', 11],
  ['refresh', 12],
];

const pub = {
  data: b('{"input":"1"}'),
  info: { user: '42', client: 'c-1', conn_info: b('{"name":"A"}'), chan_info: b('{"role":"x"}') },
  offset: 17,
  tags: { a: '1', 'b-c': 'ü' },
  delta: true,
  epoch: 'abcd',
};

describe('protobuf replies', () => {
  it('ping is the single byte 0x00', () => {
    assert.deepEqual(codec.ping(), Buffer.from([0]));
    assert.deepStrictEqual(one(codec.ping()), {});
  });

  for (const [kind, no] of REPLY_KINDS) {
    it(`an empty ${kind} result still carries its field (tag ${no}, length 0)`, () => {
      const frame = codec.encodeReply(9, kind, {});
      assert.equal((frame as Buffer).toString('hex'), Buffer.from([4, 0x08, 9, (no << 3) | 2, 0]).toString('hex'));
      assert.deepStrictEqual(one(frame), { id: 9, [kind]: {} });
    });
  }

  it('zero values are left out, the result field is not', () => {
    const frame = codec.encodeReply(1, 'connect', { client: '', expires: false, ttl: 0, data: Buffer.alloc(0), subs: {}, time: undefined, node: null });
    assert.deepStrictEqual(one(frame), { id: 1, connect: {} });
  });

  it('connect result with everything, server-side subs included', () => {
    const result = {
      client: 'c0ffee',
      version: '0.1.0',
      expires: true,
      ttl: 3600,
      data: b('{"welcome":true}'),
      subs: {
        '#42': {
          recoverable: true,
          positioned: true,
          epoch: 'ep',
          offset: 3,
          publications: [{ data: b('1'), offset: 3 }],
          recovered: true,
          was_recovering: true,
        },
        news: {},
      },
      ping: 25,
      pong: true,
      session: 'sess',
      node: 'node-1',
      time: 1_700_000_000_123,
    };
    assert.deepStrictEqual(one(codec.encodeReply(1, 'connect', result)), { id: 1, connect: result });
  });

  it('subscribe result with publications; JsonStringData sends its bytes as they are', () => {
    const result = {
      recoverable: true,
      positioned: true,
      epoch: 'e1',
      offset: 2 ** 40,
      publications: [pub, { data: new JsonStringData(b('{"x":1}')), offset: 18 }],
      recovered: true,
      was_recovering: true,
      delta: true,
      data: b('"sub data"'),
      expires: true,
      ttl: 60,
    };
    const got = one(codec.encodeReply(2, 'subscribe', result));
    assert.deepStrictEqual(got, { id: 2, subscribe: { ...result, publications: [pub, { data: b('{"x":1}'), offset: 18 }] } });
  });

  it('presence, presence_stats, history, rpc, refresh, sub_refresh', () => {
    const presence = {
      presence: {
        'c-1': { user: '42', client: 'c-1', conn_info: b('{}') },
        'c-2': { user: '', client: 'c-2' },
      },
    };
    // user '' is left out on the wire; a protobuf reader fills in the default.
    assert.deepStrictEqual(one(codec.encodeReply(3, 'presence', presence)), {
      id: 3,
      presence: { presence: { 'c-1': presence.presence['c-1'], 'c-2': { client: 'c-2' } } },
    });
    assert.deepStrictEqual(one(codec.encodeReply(4, 'presence_stats', { num_clients: 3, num_users: 2 })), {
      id: 4,
      presence_stats: { num_clients: 3, num_users: 2 },
    });
    const history = { publications: [pub, { data: b('2'), offset: 18 }], epoch: 'ep', offset: 18 };
    assert.deepStrictEqual(one(codec.encodeReply(5, 'history', history)), { id: 5, history });
    assert.deepStrictEqual(one(codec.encodeReply(5, 'history', { publications: [], epoch: 'ep', offset: 0 })), { id: 5, history: { epoch: 'ep' } });
    assert.deepStrictEqual(one(codec.encodeReply(6, 'rpc', { data: b('{"ok":1}') })), { id: 6, rpc: { data: b('{"ok":1}') } });
    assert.deepStrictEqual(one(codec.encodeReply(7, 'refresh', { expires: true, ttl: 10 })), { id: 7, refresh: { expires: true, ttl: 10 } });
    assert.deepStrictEqual(one(codec.encodeReply(8, 'sub_refresh', { expires: true, ttl: 20 })), { id: 8, sub_refresh: { expires: true, ttl: 20 } });
  });

  it('error replies', () => {
    assert.deepStrictEqual(one(codec.encodeError(3, { code: 103, message: 'permission denied' })), {
      id: 3,
      error: { code: 103, message: 'permission denied' },
    });
    assert.deepStrictEqual(one(codec.encodeError(4, { code: 100, message: 'internal server error', temporary: true })), {
      id: 4,
      error: { code: 100, message: 'internal server error', temporary: true },
    });
  });

  it('a Map works where an object map is expected; RawJson and strings work for bytes', () => {
    const got = one(codec.encodeReply(1, 'presence', { presence: new Map([['c', { user: 'u', client: 'c', conn_info: new RawJson('{"a":1}') }]]) }));
    assert.deepStrictEqual(got, { id: 1, presence: { presence: { c: { user: 'u', client: 'c', conn_info: b('{"a":1}') } } } });
    assert.deepStrictEqual(one(codec.encodeReply(1, 'rpc', { data: 'text' })), { id: 1, rpc: { data: b('text') } });
  });

  it('big values: multi-byte lengths at every level', () => {
    const big = Buffer.alloc(70_000, 7);
    const many = Array.from({ length: 2000 }, (_, i) => ({ data: Buffer.alloc(100, i & 0xff), offset: i + 1, info: { user: 'u' + i, client: 'c' } }));
    const result = { publications: [{ data: big, offset: 1 }, ...many], epoch: 'x'.repeat(300), offset: 2001 };
    assert.deepStrictEqual(one(codec.encodeReply(77, 'history', result)), { id: 77, history: result });
    // And the shared writer is fine for the next, small frame.
    assert.deepStrictEqual(one(codec.encodeReply(1, 'publish', {})), { id: 1, publish: {} });
  });

  it('non-ASCII strings', () => {
    const result = { client: 'клиент', version: '日本', session: '😀'.repeat(30), node: 'é'.repeat(100) };
    assert.deepStrictEqual(one(codec.encodeReply(1, 'connect', result)), { id: 1, connect: result });
  });

  it('wrong value types are server bugs: TypeError, and the next encode still works', () => {
    const bad: Array<[ReplyKind, Record<string, unknown>]> = [
      ['connect', { ttl: -1 }],
      ['connect', { ttl: 2 ** 32 }],
      ['connect', { ttl: '5' }],
      ['connect', { expires: 1 }],
      ['connect', { client: 5 }],
      ['connect', { data: 5 }],
      ['connect', { time: 1.5 }],
      ['connect', { subs: 'x' }],
      ['connect', { subs: { a: 'not an object' } }],
      ['subscribe', { offset: 2 ** 53 }],
      ['subscribe', { publications: {} }],
      ['history', { publications: [{ tags: { a: 1 } }] }],
    ];
    for (const [kind, result] of bad) assert.throws(() => codec.encodeReply(1, kind, result), TypeError, JSON.stringify(result));
    assert.throws(() => codec.encodeReply(1, 'nope' as ReplyKind, {}), TypeError);
    assert.throws(() => codec.encodeReply(1, 'toString' as ReplyKind, {}), TypeError);
    assert.throws(() => codec.encodePush('c', 'constructor' as PushKind, {}), TypeError);
    for (const id of [-1, 1.5, 2 ** 32, NaN]) assert.throws(() => codec.encodeReply(id, 'ping', {}), TypeError, String(id));
    assert.deepStrictEqual(one(codec.encodeReply(2, 'ping', {})), { id: 2, ping: {} });
  });
});

describe('protobuf pushes', () => {
  for (const [kind, no] of PUSH_KINDS) {
    it(`an empty ${kind} push still carries its field (tag ${no}) inside Reply.push`, () => {
      const frame = codec.encodePush('ch', kind, {}) as Buffer;
      // [len] push(4){ channel(2) "ch", kind{} }
      assert.equal(frame.toString('hex'), Buffer.from([8, 0x22, 6, 0x12, 2, 0x63, 0x68, (no << 3) | 2, 0]).toString('hex'));
      assert.deepStrictEqual(one(frame), { push: { channel: 'ch', [kind]: {} } });
    });
  }

  it('publication push with info, tags, delta and epoch', () => {
    assert.deepStrictEqual(one(codec.encodePush('news', 'pub', pub)), { push: { channel: 'news', pub } });
  });

  it('channel is left out when empty', () => {
    assert.deepStrictEqual(one(codec.encodePush('', 'message', { data: b('{"m":1}') })), { push: { message: { data: b('{"m":1}') } } });
    assert.deepStrictEqual(one(codec.encodePush('', 'disconnect', { code: 3001, reason: 'shutdown', reconnect: true })), {
      push: { disconnect: { code: 3001, reason: 'shutdown', reconnect: true } },
    });
    assert.deepStrictEqual(one(codec.encodePush('', 'refresh', { expires: true, ttl: 5 })), { push: { refresh: { expires: true, ttl: 5 } } });
  });

  it('join, leave, unsubscribe, subscribe and connect bodies', () => {
    const info = { user: 'u', client: 'c', chan_info: b('{"c":1}') };
    assert.deepStrictEqual(one(codec.encodePush('ch', 'join', { info })), { push: { channel: 'ch', join: { info } } });
    assert.deepStrictEqual(one(codec.encodePush('ch', 'leave', { info })), { push: { channel: 'ch', leave: { info } } });
    assert.deepStrictEqual(one(codec.encodePush('ch', 'unsubscribe', { code: 2500, reason: 'insufficient state' })), {
      push: { channel: 'ch', unsubscribe: { code: 2500, reason: 'insufficient state' } },
    });
    const sub = { recoverable: true, epoch: 'e', offset: 9, positioned: true, data: b('{"s":1}') };
    assert.deepStrictEqual(one(codec.encodePush('ch', 'subscribe', sub)), { push: { channel: 'ch', subscribe: sub } });
    const connect = {
      client: 'c',
      version: 'v',
      data: b('1'),
      subs: { ch: { recoverable: true, offset: 1 } },
      expires: true,
      ttl: 5,
      ping: 25,
      session: 's',
      node: 'n',
      time: 5,
    };
    assert.deepStrictEqual(one(codec.encodePush('', 'connect', connect)), { push: { connect } });
  });

  it('join concatenates frames; one frame passes through', () => {
    const frames = [codec.encodeReply(1, 'subscribe', {}), codec.encodePush('ch', 'pub', { data: b('1') }), codec.ping()];
    assert.deepStrictEqual(replies(codec.join(frames)), [{ id: 1, subscribe: {} }, { push: { channel: 'ch', pub: { data: b('1') } } }, {}]);
    assert.equal(codec.join([frames[0]!]), frames[0]);
  });
});
