import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiDecodeError } from '../../../src/api/errors.js';
import {
  asFields,
  bool,
  decodeRequest,
  int,
  position,
  str,
  strList,
  strMap,
} from '../../../src/api/fields.js';
import { RawJson } from '../../../src/protocol/raw-json.js';

describe('field readers', () => {
  it('asFields: objects pass, null/undefined are empty, other types are decode errors', () => {
    const o = { a: 1 };
    assert.equal(asFields(o), o);
    assert.deepEqual(asFields(null), {});
    assert.deepEqual(asFields(undefined), {});
    for (const bad of [1, 'x', true, [], new RawJson('{}')]) assert.throws(() => asFields(bad), ApiDecodeError);
  });

  it('str / bool / int: zero values when absent or null, decode errors on wrong types', () => {
    assert.equal(str({}, 'k'), '');
    assert.equal(str({ k: null }, 'k'), '');
    assert.equal(str({ k: 'v' }, 'k'), 'v');
    assert.throws(() => str({ k: 5 }, 'k'), ApiDecodeError);
    assert.equal(bool({}, 'k'), false);
    assert.equal(bool({ k: true }, 'k'), true);
    assert.throws(() => bool({ k: 'true' }, 'k'), ApiDecodeError);
    assert.equal(int({}, 'k'), 0);
    assert.equal(int({ k: -1 }, 'k'), -1);
    assert.throws(() => int({ k: 1.5 }, 'k'), ApiDecodeError);
    assert.throws(() => int({ k: '1' }, 'k'), ApiDecodeError);
    assert.throws(() => int({ k: 2 ** 60 }, 'k'), ApiDecodeError);
  });

  it('strList and strMap', () => {
    assert.deepEqual(strList({}, 'k'), []);
    assert.deepEqual(strList({ k: ['a', 'b'] }, 'k'), ['a', 'b']);
    assert.throws(() => strList({ k: 'a' }, 'k'), ApiDecodeError);
    assert.throws(() => strList({ k: ['a', 1] }, 'k'), ApiDecodeError);
    assert.equal(strMap({}, 'k'), undefined);
    assert.deepEqual(strMap({ k: { a: 'b' } }, 'k'), { a: 'b' });
    assert.throws(() => strMap({ k: { a: 1 } }, 'k'), ApiDecodeError);
    assert.throws(() => strMap({ k: ['a'] }, 'k'), ApiDecodeError);
  });

  it('position', () => {
    assert.equal(position({}, 'since'), undefined);
    assert.deepEqual(position({ since: { offset: 3, epoch: 'e' } }, 'since'), { offset: 3, epoch: 'e' });
    assert.deepEqual(position({ since: {} }, 'since'), { offset: 0, epoch: '' });
    assert.throws(() => position({ since: 5 }, 'since'), ApiDecodeError);
  });
});

describe('decodeRequest', () => {
  it('keeps known fields, drops unknown ones and treats null as empty', () => {
    assert.deepEqual(decodeRequest('publish', { channel: 'c', data: new RawJson('1'), whatever: [1] }), {
      channel: 'c',
      data: new RawJson('1'),
    });
    assert.deepEqual(decodeRequest('publish', null), {});
    assert.deepEqual(decodeRequest('info', { anything: 1 }), {});
  });

  it('matches keys case-insensitively; the last one set wins and null sets nothing', () => {
    assert.deepEqual(decodeRequest('publish', { Channel: 'a' }), { channel: 'a' });
    assert.deepEqual(decodeRequest('publish', { channel: 'a', CHANNEL: 'b' }), { channel: 'b' });
    assert.deepEqual(decodeRequest('publish', { channel: 'a', CHANNEL: null }), { channel: 'a' });
    assert.deepEqual(decodeRequest('history', { Since: { OFFSET: 2, Epoch: 'e' } }), { since: { offset: 2, epoch: 'e' } });
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
    const bad: Array<[string, unknown]> = [
      ['publish', 5],
      ['publish', []],
      ['publish', 'x'],
      ['publish', { channel: 5 }],
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
    assert.deepEqual(out, { commands: [{ publish: { channel: 'c' } }], parallel: true });
  });

  it('only needs an object for a method without a schema', () => {
    assert.deepEqual(decodeRequest('nope', { a: 1 }), { a: 1 });
    assert.throws(() => decodeRequest('nope', 1), ApiDecodeError);
  });
});
