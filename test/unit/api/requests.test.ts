import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiDecodeError } from '../../../src/api/errors.js';
import { decodeRequest, type MethodName } from '../../../src/api/requests.js';
import { RawJson } from '../../../src/protocol/json/raw-json.js';

/** A publish request's scalar fields at Go's zero values. */
const PUBLISH_ZERO = { channel: '', b64data: '', skip_history: false, idempotency_key: '', delta: false, version: 0, version_epoch: '' };

describe('decodeRequest', () => {
  it('keeps known fields, drops unknown ones and treats null as empty', () => {
    assert.deepEqual(decodeRequest('publish', { channel: 'c', data: new RawJson('1'), whatever: [1] }), {
      ...PUBLISH_ZERO,
      channel: 'c',
      data: new RawJson('1'),
    });
    assert.deepEqual(decodeRequest('publish', null), PUBLISH_ZERO);
    assert.deepEqual(decodeRequest('info', { anything: 1 }), {});
  });

  it('matches keys case-insensitively; the last one set wins and null sets nothing', () => {
    assert.deepEqual(decodeRequest('publish', { Channel: 'a' }), { ...PUBLISH_ZERO, channel: 'a' });
    assert.deepEqual(decodeRequest('publish', { channel: 'a', CHANNEL: 'b' }), { ...PUBLISH_ZERO, channel: 'b' });
    assert.deepEqual(decodeRequest('publish', { channel: 'a', CHANNEL: null }), { ...PUBLISH_ZERO, channel: 'a' });
    assert.deepEqual(decodeRequest('publish', { data: 1, DATA: null }).data, null);
    assert.deepEqual(decodeRequest('history', { Since: { OFFSET: 2, Epoch: 'e' } }).since, { offset: 2, epoch: 'e' });
  });

  it('fills in a position with zero values, and leaves one not set undefined', () => {
    assert.equal(decodeRequest('history', {}).since, undefined);
    assert.equal(decodeRequest('history', { since: null }).since, undefined);
    assert.deepEqual(decodeRequest('history', { since: { offset: 3, epoch: 'e' } }).since, { offset: 3, epoch: 'e' });
    assert.deepEqual(decodeRequest('history', { since: {} }).since, { offset: 0, epoch: '' });
    assert.throws(() => decodeRequest('history', { since: 5 }), ApiDecodeError);
  });

  it('does not fold tag keys', () => {
    const out = decodeRequest('publish', { tags: { Key: 'v', __proto__x: 'y' } });
    assert.deepEqual(out.tags, { Key: 'v', __proto__x: 'y' });
    const proto = JSON.parse('{"tags":{"__proto__":"p"}}') as unknown;
    const tags = decodeRequest('publish', proto).tags as Record<string, string>;
    assert.equal(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value, 'p');
    assert.equal(Object.getPrototypeOf(tags), Object.prototype);
  });

  it('refuses wrong types anywhere in the request', () => {
    const bad: Array<[MethodName, unknown]> = [
      ['publish', 5],
      ['publish', []],
      ['publish', 'x'],
      ['publish', { channel: 5 }],
      ['publish', { b64data: 5 }],
      ['publish', { skip_history: 'yes' }],
      ['publish', { tags: { a: 1 } }],
      ['publish', { version: -1 }],
      ['publish', { version: 1.5 }],
      ['broadcast', { channels: 'a' }],
      ['broadcast', { channels: [1] }],
      ['history', { limit: 2 ** 31 }],
      ['history', { since: { offset: -1 } }],
      ['history', { since: [] }],
      ['disconnect', { disconnect: { code: -5 } }],
      ['disconnect', { whitelist: [true] }],
      ['subscribe', { override: { presence: true } }],
      ['subscribe', { override: { presence: { value: 1 } } }],
      ['subscribe', { expire_at: '1' }],
      ['subscribe', { label_filter: { nodes: [{ vals: [1] }] } }],
      ['refresh', { expired: 1 }],
      ['channels', { pattern: [] }],
      ['rpc', { method: {} }],
      ['batch', { commands: {} }],
      ['batch', { commands: [5] }],
      ['batch', { commands: [{ publish: { channel: 'ok' } }, { history: { limit: 'x' } }] }],
      ['batch', { parallel: 'true' }],
    ];
    for (const [method, req] of bad) {
      assert.throws(() => decodeRequest(method, req), ApiDecodeError, `${method} ${JSON.stringify(req)}`);
    }
  });

  it('accepts null list elements and raw values of any type', () => {
    assert.deepEqual(decodeRequest('broadcast', { channels: ['a', null] }).channels, ['a', '']);
    assert.deepEqual(decodeRequest('batch', { commands: [null, { info: {} }] }).commands, [null, { info: {} }]);
    for (const data of [1, 'x', null, [1], true]) assert.equal(decodeRequest('publish', { data }).data, data);
  });

  it('decodes batch commands with their own schemas', () => {
    const out = decodeRequest('batch', { Commands: [{ Publish: { Channel: 'c' } }], parallel: true });
    assert.deepEqual(out, { commands: [{ publish: { ...PUBLISH_ZERO, channel: 'c' } }], parallel: true });
  });

  it('names the path of the first bad value, in the order the request has them (Go stops at the first)', () => {
    const message = (method: 'publish' | 'batch' | 'subscribe', req: unknown) => {
      try {
        decodeRequest(method, req);
      } catch (err) {
        assert.ok(err instanceof ApiDecodeError);
        return err.message;
      }
      assert.fail('decoded');
    };
    assert.equal(message('publish', 5), 'request must be an object');
    assert.equal(message('publish', { channel: true }), 'channel must be a string');
    assert.equal(message('publish', { version: 1.5 }), 'version must be an uint64');
    assert.equal(message('publish', { tags: { a: 'x', b: 1 } }), 'tags.b must be a string');
    assert.equal(message('batch', { commands: [{ publish: { channel: 'ok' } }, { publish: { channel: 1 } }] }), 'commands[1].publish.channel must be a string');
    assert.equal(message('subscribe', { label_filter: { nodes: [{ vals: [1] }] } }), 'label_filter.nodes[0].vals[0] must be a string');
    // Input order, not the schema's: skip_history comes after channel in the schema.
    assert.equal(message('publish', { skip_history: 'x', channel: 5 }), 'skip_history must be a boolean');
    assert.equal(message('batch', { commands: [{ publish: { version: -1, channel: 5 } }] }), 'commands[0].publish.version must be an uint64');
    // Every spelling of a key is decoded in turn: an earlier bad one fails even when a later one is fine...
    assert.equal(message('publish', { channel: 5, skip_history: 'x', CHANNEL: 'ok' }), 'channel must be a string');
    // ...and a later bad one fails where it stands.
    assert.equal(message('publish', { channel: 'ok', skip_history: 'x', CHANNEL: 5 }), 'skip_history must be a boolean');
    assert.equal(message('publish', { Channel: 5, channel: 'ok' }), 'channel must be a string');
  });

  it('refuses a label filter nested too deeply for the stack as undecodable', () => {
    let node: unknown = { op: 'x' };
    for (let i = 0; i < 5000; i++) node = { nodes: [node] };
    assert.throws(() => decodeRequest('subscribe', { label_filter: node }), { name: 'ApiDecodeError', message: 'request is nested too deeply' });
  });
});
