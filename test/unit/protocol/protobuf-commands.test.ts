// Command decoding: every command kind must come out exactly as the JSON codec
// produces it from the equivalent JSON line, plus the protobuf-only cases
// (unknown fields, zero-length pong, map entries, wire-type errors).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { decodeJsonCommands } from '../../../src/protocol/json/decode.js';
import { protobufCodec } from '../../../src/protocol/protobuf/codec.js';
import { decodeMessage, encodeDelimited, encodeMessage } from '../../../src/protocol/protobuf/message.js';
import { Command, EmulationRequest } from '../../../src/protocol/protobuf/schema.js';

const pb = (...cmds: object[]): Buffer => Buffer.concat(cmds.map((c) => encodeDelimited(Command, c)));
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decode = (b: Buffer) => protobufCodec.decodeCommands(b);
/** Frames one hand-built Command body (hex) with its length prefix. */
const frame = (body: string): Buffer => {
  const b = hex(body);
  return Buffer.concat([Buffer.from([b.length]), b]);
};
const data = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The same command as a protobuf value and as a JSON line. */
const CASES: Array<{ name: string; value: object; json: string }> = [
  {
    name: 'connect',
    value: {
      id: 1,
      connect: {
        token: 'tok',
        data: data('{"a":1}'),
        subs: { news: { recover: true, offset: 5, epoch: 'ep' }, 'chat:1': {} },
        name: 'js',
        version: '5.7.4',
        headers: { 'X-A': 'b', Empty: '' },
      },
    },
    json: '{"id":1,"connect":{"token":"tok","data":{"a":1},"subs":{"news":{"recover":true,"offset":5,"epoch":"ep"},"chat:1":{}},"name":"js","version":"5.7.4","headers":{"X-A":"b","Empty":""}}}',
  },
  {
    name: 'subscribe (all fields)',
    value: {
      id: 2,
      subscribe: {
        channel: 'news',
        token: 't',
        recover: true,
        epoch: 'xyz',
        offset: 2 ** 53 - 1,
        data: data('"hello"'),
        positioned: true,
        recoverable: true,
        join_leave: true,
        delta: 'fossil',
        flag: 3,
        type: 1,
      },
    },
    json: '{"id":2,"subscribe":{"channel":"news","token":"t","recover":true,"epoch":"xyz","offset":9007199254740991,"data":"hello","positioned":true,"recoverable":true,"join_leave":true,"delta":"fossil","flag":3,"type":1}}',
  },
  { name: 'unsubscribe', value: { id: 3, unsubscribe: { channel: 'news' } }, json: '{"id":3,"unsubscribe":{"channel":"news"}}' },
  {
    name: 'publish',
    value: { id: 4, publish: { channel: 'news', data: data('[1,2]') } },
    json: '{"id":4,"publish":{"channel":"news","data":[1,2]}}',
  },
  { name: 'presence', value: { id: 5, presence: { channel: 'p' } }, json: '{"id":5,"presence":{"channel":"p"}}' },
  { name: 'presence_stats', value: { id: 6, presence_stats: { channel: 'p' } }, json: '{"id":6,"presence_stats":{"channel":"p"}}' },
  {
    name: 'history',
    value: { id: 7, history: { channel: 'h', limit: -1, since: { offset: 10, epoch: 'e' }, reverse: true } },
    json: '{"id":7,"history":{"channel":"h","limit":-1,"since":{"offset":10,"epoch":"e"},"reverse":true}}',
  },
  { name: 'history (position only)', value: { id: 8, history: { channel: 'h', limit: 100 } }, json: '{"id":8,"history":{"channel":"h","limit":100}}' },
  { name: 'ping', value: { id: 9, ping: {} }, json: '{"id":9,"ping":{}}' },
  { name: 'send', value: { send: { data: data('{"x":true}') } }, json: '{"send":{"data":{"x":true}}}' },
  {
    name: 'rpc',
    value: { id: 10, rpc: { method: 'getUser', data: data('{"id":1}') } },
    json: '{"id":10,"rpc":{"method":"getUser","data":{"id":1}}}',
  },
  { name: 'refresh', value: { id: 11, refresh: { token: 'new' } }, json: '{"id":11,"refresh":{"token":"new"}}' },
  {
    name: 'sub_refresh',
    value: { id: 12, sub_refresh: { channel: 'c', token: 't2' } },
    json: '{"id":12,"sub_refresh":{"channel":"c","token":"t2"}}',
  },
  { name: 'pong (empty command)', value: {}, json: '{}' },
  { name: 'id only: a pong with an id', value: { id: 13 }, json: '{"id":13}' },
  { name: 'empty request message', value: { id: 14, unsubscribe: {} }, json: '{"id":14,"unsubscribe":{}}' },
];

describe('protobuf commands: same shapes as the JSON codec', () => {
  for (const c of CASES) {
    it(c.name, () => {
      assert.deepStrictEqual(decode(pb(c.value)), decodeJsonCommands(c.json));
    });
  }

  it('a frame of many commands, in order', () => {
    const got = decode(pb(...CASES.map((c) => c.value)));
    assert.deepStrictEqual(got, decodeJsonCommands(CASES.map((c) => c.json).join('\n')));
  });

  it('connect.subs values become SubscribeRequests named by their key', () => {
    const [cmd] = decode(pb({ id: 1, connect: { subs: { a: { channel: 'other', recover: true }, b: {} } } }));
    assert.deepStrictEqual(cmd, { id: 1, kind: 'connect', req: { subs: { a: { channel: 'a', recover: true }, b: { channel: 'b' } } } });
  });

  it('a "__proto__" map key is an own entry, never a prototype swap', () => {
    const [cmd] = decode(pb({ id: 1, connect: { subs: { ['__proto__']: { recover: true } }, headers: { ['__proto__']: 'x' } } }));
    const req = cmd!.req as { subs: Record<string, unknown>; headers: Record<string, string> };
    assert.equal(Object.getPrototypeOf(req.subs), Object.prototype);
    assert.deepEqual(Object.keys(req.subs), ['__proto__']);
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(req.subs, '__proto__')!.value, { channel: '__proto__', recover: true });
    assert.equal(Object.getOwnPropertyDescriptor(req.headers, '__proto__')!.value, 'x');
  });

  it('the first request in Go’s dispatch order wins', () => {
    const [cmd] = decode(pb({ id: 1, publish: { channel: 'p' }, subscribe: { channel: 's' } }));
    assert.equal(cmd!.kind, 'subscribe');
    assert.deepStrictEqual(
      decode(pb({ id: 1, publish: { channel: 'p' }, subscribe: { channel: 's' } })),
      decodeJsonCommands('{"id":1,"publish":{"channel":"p"},"subscribe":{"channel":"s"}}'),
    );
  });
});

describe('protobuf commands: wire-level cases', () => {
  it('0x00 is an empty Command: a pong', () => {
    assert.deepStrictEqual(decode(hex('00')), [{ id: 0, kind: 'pong', req: null }]);
    assert.deepStrictEqual(decode(hex('00 00 02 08 07')), [
      { id: 0, kind: 'pong', req: null },
      { id: 0, kind: 'pong', req: null },
      { id: 7, kind: 'pong', req: null },
    ]);
  });

  it('hand-built bytes: subscribe {channel "ch"} with id 2', () => {
    assert.deepStrictEqual(decode(frame('08 02 2a 04 0a 02 63 68')), [{ id: 2, kind: 'subscribe', req: { channel: 'ch' } }]);
  });

  it('skips unknown fields of every wire type: SDK 5.5+ flag=14, tf=13, field 99…', () => {
    const sub =
      '0a 02 63 68' + // channel "ch"
      '6a 0a 0a 03 61 6e 64 32 03 0a 01 78' + // tf=13: FilterNode{op "and", nodes [{op "x"}]}
      '70 01' + // flag=14: 1 (channel compaction offered)
      '78 00' + // type=15: 0
      '80 01 02' + // phase=16 (map only): 2
      '8a 01 01 63' + // cursor=17: "c"
      '98 06 2a' + // field 99 varint
      '99 06 01 02 03 04 05 06 07 08' + // field 99 fixed64
      'a5 06 01 02 03 04' + // field 100 fixed32
      'ab 06 08 01 ac 06'; // field 101 group { 1: 1 }
    const subLen = hex(sub).length.toString(16).padStart(2, '0');
    const body = '08 02 2a ' + subLen + sub + '98 06 05'; // plus field 99 on the Command itself
    const [cmd] = decode(frame(body));
    assert.deepStrictEqual(cmd, { id: 2, kind: 'subscribe', req: { channel: 'ch', flag: 1, type: 0 } });
  });

  it('a command with only unknown request fields is a pong, like unknown JSON keys', () => {
    const [cmd] = decode(frame('08 05 f2 06 00')); // id 5, field 110 (len 0)
    assert.deepStrictEqual(cmd, { id: 5, kind: 'pong', req: null });
    assert.deepStrictEqual([cmd], decodeJsonCommands('{"id":5,"future":{}}'));
  });

  it('history limit -1 arrives as a 10-byte varint', () => {
    const [cmd] = decode(frame('08 01 52 0e 0a 01 68 38 ff ff ff ff ff ff ff ff ff 01'));
    assert.deepStrictEqual(cmd, { id: 1, kind: 'history', req: { channel: 'h', limit: -1 } });
  });

  it('a repeated message field merges, as protobuf says', () => {
    const [cmd] = decode(frame('08 01 2a 03 0a 01 61 2a 03 12 01 74'));
    assert.deepStrictEqual(cmd, { id: 1, kind: 'subscribe', req: { channel: 'a', token: 't' } });
  });

  it('map entries with a missing key or value get protobuf defaults', () => {
    // connect { subs: [entry{value {recover}}, entry{key "k"}], headers: [entry{key "h"}] }
    const [cmd] = decode(frame('08 01 22 10 1a 04 12 02 18 01 1a 03 0a 01 6b 32 03 0a 01 68'));
    assert.deepStrictEqual(cmd!.req, { subs: { '': { channel: '', recover: true }, k: { channel: 'k' } }, headers: { h: '' } });
  });

  it('payload bytes are arbitrary binary, kept exactly', () => {
    const bin = Buffer.from([0, 1, 0xff, 0xfe, 10, 13, 0x80]);
    const [cmd] = decode(pb({ id: 1, publish: { channel: 'b', data: bin } }));
    assert.deepStrictEqual(cmd, { id: 1, kind: 'publish', req: { channel: 'b', data: bin } });
  });

  it('an EmulationRequest carries delimited commands in data (for the /emulation endpoint)', () => {
    const body = encodeMessage(EmulationRequest, { node: 'n1', session: 's1', data: pb({ id: 3, subscribe: { channel: 'c' } }, {}) });
    const req = decodeMessage(body, EmulationRequest);
    assert.equal(req.node, 'n1');
    assert.equal(req.session, 's1');
    assert.deepStrictEqual(decode(req.data as Buffer), [
      { id: 3, kind: 'subscribe', req: { channel: 'c' } },
      { id: 0, kind: 'pong', req: null },
    ]);
  });

  it('a string message is taken as its UTF-8 bytes', () => {
    assert.deepStrictEqual(protobufCodec.decodeCommands('\u0002\b\u0007'), [{ id: 7, kind: 'pong', req: null }]);
  });
});

describe('protobuf commands: malformed input is a DecodeError', () => {
  const bad: Array<[string, Buffer | string]> = [
    ['empty frame', Buffer.alloc(0)],
    ['empty string', ''],
    ['truncated length prefix', hex('80')],
    ['length prefix past the end', hex('05 08 01')],
    ['a good command, then a partial one', Buffer.concat([pb({ id: 1 }), hex('04 08 02')])],
    ['nested length past its message', frame('08 01 2a 05 0a 02 63 68')],
    ['nested length past the frame', hex('04 08 01 2a 7f')],
    ['id with wire type LEN', frame('0a 01 00')],
    ['subscribe as a varint', frame('28 01')],
    ['channel as a varint', frame('2a 02 08 01')],
    ['offset as fixed64', frame('2a 09 39 01 00 00 00 00 00 00 00')],
    ['offset beyond 2^53-1', frame('2a 09 38 80 80 80 80 80 80 80 10')],
    ['subs entry value as a varint', frame('22 06 1a 04 0a 00 10 01')],
    ['headers entry key as a varint', frame('22 04 32 02 08 01')],
    ['field number 0', frame('00 01')],
    ['wire type 6', frame('a6 01')],
    ['wire type 7', frame('a7 01')],
    ['stray end-group', frame('a4 01')],
    ['unclosed group', frame('a3 01 08 01')],
    ['truncated fixed64', frame('99 06 01 02 03')],
    ['truncated fixed32', frame('a5 06 01')],
    ['varint of 11 bytes', frame('08 ff ff ff ff ff ff ff ff ff ff 01')],
  ];
  for (const [name, input] of bad) {
    it(name, () => assert.throws(() => decode(input as Buffer), DecodeError));
  }
});
