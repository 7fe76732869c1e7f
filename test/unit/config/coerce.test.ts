import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coerceLeaf, parseGoBool, parseGoInt } from '../../../src/config/coerce.js';

describe('parseGoBool (strconv.ParseBool)', () => {
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True']) it(`${s} → true`, () => assert.equal(parseGoBool(s), true));
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False']) it(`${s} → false`, () => assert.equal(parseGoBool(s), false));
  for (const s of ['yes', 'on', 'tRUE', '2', '']) {
    it(`rejects ${JSON.stringify(s)}`, () => assert.throws(() => parseGoBool(s), /is not a boolean/));
  }
});

describe('parseGoInt (strconv.ParseInt base 0)', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['8000', 8000],
    ['-5', -5],
    ['+7', 7],
    ['0x1F', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['010', 8],
    ['0x_ff', 255],
  ];
  for (const [s, n] of cases) it(`${s} → ${n}`, () => assert.equal(parseGoInt(s), n));
  for (const s of ['', '1.5', '1e3', '08', '1_000', 'abc', '0x', ' 1']) {
    it(`rejects ${JSON.stringify(s)}`, () => assert.throws(() => parseGoInt(s), /not an integer/));
  }
});

describe('coerceLeaf', () => {
  it('decodes file values weakly, like mapstructure', () => {
    assert.equal(coerceLeaf('int', '8000', 'file'), 8000);
    assert.equal(coerceLeaf('bool', 'true', 'file'), true);
    assert.equal(coerceLeaf('bool', 1, 'file'), true);
    assert.equal(coerceLeaf('string', 42, 'file'), '42');
    assert.deepEqual(coerceLeaf('strings', '*', 'file'), ['*']);
  });
  it('splits env and flag lists on spaces', () => {
    assert.deepEqual(coerceLeaf('strings', 'http://a.com  http://b.com', 'env'), ['http://a.com', 'http://b.com']);
    assert.deepEqual(coerceLeaf('strings', 'fossil', 'flag'), ['fossil']);
  });
  it('rejects wrong types with a reason', () => {
    assert.throws(() => coerceLeaf('int', 1.5, 'file'), /1.5 is not an integer/);
    assert.throws(() => coerceLeaf('int', true, 'file'), /not an integer/);
    assert.throws(() => coerceLeaf('string', {}, 'file'), /an object is not a string/);
    assert.throws(() => coerceLeaf('strings', [{}], 'file'), /list item an object/);
    assert.throws(() => coerceLeaf('bool', 'yes', 'env'), /not a boolean/);
  });
});
