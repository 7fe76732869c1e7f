import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { decode } from '../../../src/api/decode.js';
import { ApiDecodeError } from '../../../src/api/errors.js';
import { bool, int64, raw, str, strMap, strs, struct } from '../../../src/api/fields.js';
import { RawJson } from '../../../src/protocol/json/raw-json.js';

/** The field `k` of a request `{"k": value}` (absent when value is undefined), as a method sees it. */
function read<T extends z.ZodType>(schema: T, value?: unknown): unknown {
  return (decode(struct({ k: schema }), value === undefined ? {} : { k: value }) as { k?: unknown }).k;
}

describe('field schemas', () => {
  it('struct: objects pass, null/absent are not set, other types are decode errors', () => {
    assert.deepEqual(read(struct({ a: raw() }), { a: 1 }), { a: 1 });
    assert.equal(read(struct({ a: raw() }), null), undefined);
    assert.equal(read(struct({ a: raw() })), undefined);
    for (const bad of [1, 'x', true, [], new RawJson('{}')]) {
      assert.throws(() => read(struct({ a: raw() }), bad), { name: 'ApiDecodeError', message: 'k must be an object' });
    }
  });

  it('str / bool / int: zero values when absent or null, decode errors on wrong types', () => {
    assert.equal(read(str()), '');
    assert.equal(read(str(), null), '');
    assert.equal(read(str(), 'v'), 'v');
    assert.throws(() => read(str(), 5), ApiDecodeError);
    assert.equal(read(bool()), false);
    assert.equal(read(bool(), true), true);
    assert.throws(() => read(bool(), 'true'), ApiDecodeError);
    assert.equal(read(int64()), 0);
    assert.equal(read(int64(), -1), -1);
    assert.throws(() => read(int64(), 1.5), ApiDecodeError);
    assert.throws(() => read(int64(), '1'), ApiDecodeError);
    assert.throws(() => read(int64(), 2 ** 60), ApiDecodeError);
  });

  it('strs and strMap', () => {
    assert.equal(read(strs()), undefined);
    assert.deepEqual(read(strs(), ['a', 'b']), ['a', 'b']);
    assert.throws(() => read(strs(), 'a'), ApiDecodeError);
    assert.throws(() => read(strs(), ['a', 1]), ApiDecodeError);
    assert.equal(read(strMap()), undefined);
    assert.deepEqual(read(strMap(), { a: 'b' }), { a: 'b' });
    assert.throws(() => read(strMap(), { a: 1 }), ApiDecodeError);
    assert.throws(() => read(strMap(), ['a']), ApiDecodeError);
  });

  it('raw: any JSON value kept as given, null included', () => {
    const v = new RawJson('{"a": 1}');
    assert.equal(read(raw(), v), v);
    assert.equal(read(raw(), null), null);
    assert.equal(read(raw()), undefined);
  });
});
