import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/api/errors.js';
import { payloadBytes } from '../../../src/api/payload.js';
import { RawJson } from '../../../src/protocol/json/raw-json.js';

describe('payloadBytes', () => {
  it('raw bytes verbatim, base64 wins when non-empty, bad base64 is a bad request (107)', () => {
    assert.equal(payloadBytes(undefined, ''), undefined);
    assert.equal(payloadBytes(new RawJson('{"a": 1}'), '')!.toString(), '{"a": 1}');
    assert.equal(payloadBytes({ a: 1 }, '')!.toString(), '{"a":1}');
    assert.equal(payloadBytes(null, '')!.toString(), 'null');
    assert.equal(payloadBytes(new RawJson('1'), 'eyJiIjoyfQ==')!.toString(), '{"b":2}');
    assert.equal(payloadBytes(new RawJson('1'), '')!.toString(), '1');
    assert.deepEqual(payloadBytes(undefined, 'AAEC/w=='), Buffer.from([0, 1, 2, 255]));
    for (const bad of ['abc', 'ab=c', '****', 'YQ', 'YQ===']) {
      assert.throws(
        () => payloadBytes(undefined, bad),
        (err) => err instanceof ApiError && err.code === 107,
        bad,
      );
    }
  });
});
