// The node:crypto signature path agrees with jose: tokens jose signs check out
// for each algorithm we serve (HMAC, RSA, ECDSA by curve, EdDSA; KeyObjects
// and JWKs), a changed byte or another key does not, and what jose must judge
// (another family, a weak RSA key, a curve that does not match, a signature
// that is not base64url) is left to it (null).

import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { nativeSignatureMatches } from '../../../src/auth/native-signature.js';

const secret = new TextEncoder().encode('a-secret-for-the-signature-test');
const other = new TextEncoder().encode('another-secret');

const sign = (alg: string, key: Uint8Array | KeyObject = secret) => new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg }).sign(key);
const flipLast = (token: string) => token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaOther = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
};
const ed = generateKeyPairSync('ed25519');

describe('nativeSignatureMatches', () => {
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    it(`${alg}: true for jose's token, false for another secret or a changed signature`, async () => {
      const token = await sign(alg);
      assert.equal(nativeSignatureMatches(token, alg, secret), true);
      assert.equal(nativeSignatureMatches(token, alg, other), false);
      assert.equal(nativeSignatureMatches(flipLast(token), alg, secret), false);
      assert.equal(nativeSignatureMatches(token.slice(0, -4), alg, secret), false, 'a shorter signature');
    });
  }

  for (const alg of ['RS256', 'RS384', 'RS512']) {
    it(`${alg}: a KeyObject and its JWK both verify; another key and a changed byte do not`, async () => {
      const token = await sign(alg, rsa.privateKey);
      assert.equal(nativeSignatureMatches(token, alg, rsa.publicKey), true);
      assert.equal(nativeSignatureMatches(token, alg, { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }), true);
      assert.equal(nativeSignatureMatches(token, alg, rsaOther.publicKey), false);
      assert.equal(nativeSignatureMatches(flipLast(token), alg, rsa.publicKey), false);
    });
  }

  for (const [alg, pair] of Object.entries(ec)) {
    it(`${alg}: verifies on its curve; another curve goes to jose`, async () => {
      const token = await sign(alg, pair.privateKey);
      assert.equal(nativeSignatureMatches(token, alg, pair.publicKey), true);
      assert.equal(nativeSignatureMatches(token, alg, pair.publicKey.export({ format: 'jwk' })), true);
      assert.equal(nativeSignatureMatches(flipLast(token), alg, pair.publicKey), false);
      const wrongCurve = alg === 'ES256' ? ec.ES384 : ec.ES256;
      assert.equal(nativeSignatureMatches(token, alg, wrongCurve.publicKey), null);
    });
  }

  it('EdDSA (Ed25519) verifies', async () => {
    const token = await sign('EdDSA', ed.privateKey);
    assert.equal(nativeSignatureMatches(token, 'EdDSA', ed.publicKey), true);
    assert.equal(nativeSignatureMatches(flipLast(token), 'EdDSA', ed.publicKey), false);
  });

  it('leaves to jose what it does not take', async () => {
    const token = await sign('HS256');
    assert.equal(nativeSignatureMatches(token, 'HS256', rsa.publicKey), null, 'an HMAC alg with a public key');
    assert.equal(nativeSignatureMatches(token, 'RS256', secret), null, 'an RSA alg with a secret');
    assert.equal(nativeSignatureMatches(token, 'RS256', ec.ES256.publicKey), null, 'an RSA alg with an EC key');
    assert.equal(nativeSignatureMatches(token, 'PS256', rsa.publicKey), null, 'an algorithm we do not serve');
    assert.equal(nativeSignatureMatches(token + '=', 'HS256', secret), null);
    assert.equal(nativeSignatureMatches(token.slice(0, token.lastIndexOf('.') + 1), 'HS256', secret), null, 'no signature');
    assert.equal(nativeSignatureMatches('nodots', 'HS256', secret), null);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.equal(nativeSignatureMatches(token, 'RS256', weak.publicKey), null, 'jose refuses keys under 2048 bits');
    assert.equal(nativeSignatureMatches(token, 'RS256', rsa.privateKey), null, 'never a private key');
  });

  it('a token signed for HS384 does not pass as HS256', async () => {
    assert.equal(nativeSignatureMatches(await sign('HS384'), 'HS256', secret), false);
  });
});
