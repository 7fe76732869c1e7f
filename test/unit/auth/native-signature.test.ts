// The HMAC fast path agrees with jose: tokens jose signs check out for each
// HS algorithm, a changed byte or another secret does not, and what the path
// does not take (another alg, a signature that is not base64url) goes to jose.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { hmacSignatureMatches } from '../../../src/auth/hmac-signature.js';

const secret = new TextEncoder().encode('a-secret-for-the-hmac-test');
const other = new TextEncoder().encode('another-secret');

const sign = (alg: string, key = secret) => new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg }).sign(key);

describe('hmacSignatureMatches', () => {
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    it(`${alg}: true for jose's token, false for another secret or a changed signature`, async () => {
      const token = await sign(alg);
      assert.equal(hmacSignatureMatches(token, alg, secret), true);
      assert.equal(hmacSignatureMatches(token, alg, other), false);
      const last = token.at(-2) === 'A' ? 'B' : 'A';
      assert.equal(hmacSignatureMatches(token.slice(0, -2) + last + token.at(-1), alg, secret), false);
      assert.equal(hmacSignatureMatches(token.slice(0, -4), alg, secret), false, 'a shorter signature');
    });
  }

  it('leaves to jose what it does not take', async () => {
    const token = await sign('HS256');
    assert.equal(hmacSignatureMatches(token, 'RS256', secret), null);
    assert.equal(hmacSignatureMatches(token + '=', 'HS256', secret), null);
    assert.equal(hmacSignatureMatches(token.slice(0, token.lastIndexOf('.') + 1), 'HS256', secret), null, 'no signature');
    assert.equal(hmacSignatureMatches('nodots', 'HS256', secret), null);
  });

  it('a token signed for HS384 does not pass as HS256', async () => {
    assert.equal(hmacSignatureMatches(await sign('HS384'), 'HS256', secret), false);
  });
});
