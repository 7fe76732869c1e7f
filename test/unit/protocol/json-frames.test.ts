import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PublicationFrames, joinLeaveFrame } from '../../../src/hub/frames.js';
import { Errors } from '../../../src/protocol/codes.js';
import { jsonCodec } from '../../../src/protocol/json/codec.js';
import { JSON_PING, encodeErrorReply, encodePush, encodeReply } from '../../../src/protocol/json/frames.js';
import { stringifyWithRaw } from '../../../src/protocol/json/raw-json.js';
import type { Publication } from '../../../src/protocol/types.js';
import { clientInfoValue, publicationValue } from '../../../src/protocol/values.js';

const data = Buffer.from('{"text" : "hi"}');

/** Every frame must be one line of valid JSON. */
function parse(frame: string | Buffer): any {
  const text = frame.toString();
  assert.ok(!text.includes('\n'), `raw newline in ${text}`);
  return JSON.parse(text);
}

/** The publication push a JSON subscriber gets, as the hub builds it. */
const pubPush = (channel: string, pub: Publication, epoch: string) => new PublicationFrames(channel, pub, epoch, undefined).plain.for(jsonCodec)!;

describe('json-frames', () => {
  it('ping is an empty object', () => {
    assert.equal(JSON_PING, '{}');
  });

  it('ClientInfo always carries user and client, even empty', () => {
    assert.deepEqual(JSON.parse(stringifyWithRaw(clientInfoValue({ user: '', client: '' }))), { user: '', client: '' });
    assert.equal(stringifyWithRaw(clientInfoValue({ user: '', client: 'c1' })), '{"user":"","client":"c1"}');
  });

  it('ClientInfo splices conn_info/chan_info raw and omits them when empty', () => {
    const info = clientInfoValue({ user: 'u', client: 'c', connInfo: Buffer.from('{"n" :1}'), chanInfo: Buffer.alloc(0) });
    assert.equal(stringifyWithRaw(info), '{"user":"u","client":"c","conn_info":{"n" :1}}');
    const both = clientInfoValue({ user: 'u', client: 'c', connInfo: Buffer.from('1'), chanInfo: Buffer.from('"x"') });
    assert.equal(stringifyWithRaw(both), '{"user":"u","client":"c","conn_info":1,"chan_info":"x"}');
  });

  it('publication: data raw, offset/tags/info only when set', () => {
    const bare: Publication = { data, offset: 0 };
    assert.equal(stringifyWithRaw(publicationValue(bare)), '{"data":{"text" : "hi"}}');
    const full: Publication = { data, offset: 7, tags: { a: 'b' }, info: { user: '', client: 'c' }, time: 123 };
    assert.deepEqual(parse(stringifyWithRaw(publicationValue(full))), {
      data: { text: 'hi' },
      info: { user: '', client: 'c' },
      offset: 7,
      tags: { a: 'b' },
    });
    const noTags: Publication = { data, offset: 2, tags: {} };
    assert.deepEqual(Object.keys(parse(stringifyWithRaw(publicationValue(noTags)))), ['data', 'offset']);
  });

  it('publication push: epoch only on offset 1', () => {
    const first = parse(pubPush('ch', { data, offset: 1 }, 'EPOCH'));
    assert.deepEqual(first, { push: { channel: 'ch', pub: { data: { text: 'hi' }, offset: 1, epoch: 'EPOCH' } } });
    const second = parse(pubPush('ch', { data, offset: 2 }, 'EPOCH'));
    assert.deepEqual(second, { push: { channel: 'ch', pub: { data: { text: 'hi' }, offset: 2 } } });
    const unpositioned = parse(pubPush('ch', { data, offset: 0 }, ''));
    assert.deepEqual(unpositioned, { push: { channel: 'ch', pub: { data: { text: 'hi' } } } });
  });

  it('publication push keeps data bytes verbatim and strips raw newlines', () => {
    const frame = pubPush('c"h', { data: Buffer.from('{\n"a" :  1}'), offset: 0 }, '');
    assert.equal(frame.toString(), '{"push":{"channel":"c\\"h","pub":{"data":{"a" :  1}}}}');
  });

  it('replies carry the id and the result object, even empty', () => {
    assert.deepEqual(parse(encodeReply(3, 'subscribe', {})), { id: 3, subscribe: {} });
    const r = parse(encodeReply(1, 'connect', { client: 'c', version: '0.1.0', ping: 25, pong: true }));
    assert.deepEqual(r, { id: 1, connect: { client: 'c', version: '0.1.0', ping: 25, pong: true } });
    assert.deepEqual(parse(encodeReply(9, 'presence', { presence: {} })), { id: 9, presence: { presence: {} } });
  });

  it('error replies', () => {
    assert.deepEqual(parse(encodeErrorReply(4, Errors.permissionDenied)), { id: 4, error: { code: 103, message: 'permission denied' } });
    assert.deepEqual(parse(encodeErrorReply(5, Errors.internal)), {
      id: 5,
      error: { code: 100, message: 'internal server error', temporary: true },
    });
  });

  it('join/leave pushes carry ClientInfo', () => {
    const info = { user: 'u', client: 'c', connInfo: Buffer.from('{"a":1}') };
    assert.deepEqual(parse(joinLeaveFrame('ch', 'join', info).for(jsonCodec)!), {
      push: { channel: 'ch', join: { info: { user: 'u', client: 'c', conn_info: { a: 1 } } } },
    });
    assert.deepEqual(parse(joinLeaveFrame('ch', 'leave', { user: '', client: 'c' }).for(jsonCodec)!), {
      push: { channel: 'ch', leave: { info: { user: '', client: 'c' } } },
    });
  });

  it('unsubscribe, subscribe, message, disconnect and refresh pushes', () => {
    assert.deepEqual(parse(encodePush('ch', 'unsubscribe', { code: 2500, reason: 'insufficient state' })), {
      push: { channel: 'ch', unsubscribe: { code: 2500, reason: 'insufficient state' } },
    });
    assert.deepEqual(parse(encodePush('ch', 'subscribe', { recoverable: true, epoch: 'e', offset: 0 })), {
      push: { channel: 'ch', subscribe: { recoverable: true, epoch: 'e', offset: 0 } },
    });
    assert.deepEqual(parse(encodePush('', 'message', { data: Buffer.from('{"m":1}') })), { push: { message: { data: { m: 1 } } } });
    assert.deepEqual(parse(encodePush('', 'disconnect', { code: 3001, reason: 'shutdown' })), { push: { disconnect: { code: 3001, reason: 'shutdown' } } });
    assert.deepEqual(parse(encodePush('', 'refresh', { expires: true, ttl: 60 })), { push: { refresh: { expires: true, ttl: 60 } } });
    assert.deepEqual(parse(encodePush('', 'refresh', {})), { push: { refresh: {} } });
  });

  it('message push strips raw newlines from its payload', () => {
    assert.deepEqual(parse(encodePush('', 'message', { data: Buffer.from('{\n"m":\n1}') })), { push: { message: { data: { m: 1 } } } });
  });
});
