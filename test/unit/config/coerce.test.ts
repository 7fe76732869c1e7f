import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DECODERS } from '../../../src/config/fields.js';
import { parseGoBool, parseGoInt } from '../../../src/util/go-syntax.js';
import { loadConfig } from '../../../src/config/load.js';

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

describe('decoding a file value', () => {
  it('is weak, like mapstructure', () => {
    assert.equal(DECODERS.int('8000'), 8000);
    assert.equal(DECODERS.bool('true'), true);
    assert.equal(DECODERS.bool(1), true);
    assert.equal(DECODERS.string(42), '42');
    assert.deepEqual(DECODERS.strings('*'), ['*']);
  });
  it('splits env and flag lists on spaces', () => {
    const { config } = loadConfig({
      raw: {},
      env: { TRIBUTARY_CLIENT_ALLOWED_ORIGINS: 'http://a.com  http://b.com' },
      flags: { 'channel.without_namespace.allowed_delta_types': 'fossil' },
    });
    assert.deepEqual(config.client.allowed_origins, ['http://a.com', 'http://b.com']);
    assert.deepEqual(config.channel.without_namespace.allowed_delta_types, ['fossil']);
  });
  it('rejects wrong types with a reason', () => {
    assert.throws(() => DECODERS.int(1.5), /1.5 is not an integer/);
    assert.throws(() => DECODERS.int(true), /not an integer/);
    assert.throws(() => DECODERS.string({}), /an object is not a string/);
    assert.throws(() => DECODERS.strings([{}]), /list item an object/);
    assert.throws(() => DECODERS.bool('yes'), /not a boolean/);
  });
});
