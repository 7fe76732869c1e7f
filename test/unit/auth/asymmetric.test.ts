import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { TokenVerifier } from '../../../src/auth/token-verifier.js';
import { nowSeconds, rejectsWith, sign, tokenConfig, unsignedToken } from './fixtures.js';

interface Pair {
  privateKey: CryptoKey;
  pem: string;
}

async function pair(alg: string): Promise<Pair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, pem: await exportSPKI(publicKey) };
}

describe('TokenVerifier with public keys', () => {
  let rsa: Pair;
  let otherRsa: Pair;
  let ec256: Pair;
  let ec384: Pair;
  before(async () => {
    [rsa, otherRsa, ec256, ec384] = await Promise.all([pair('RS256'), pair('RS256'), pair('ES256'), pair('ES384')]);
  });

  for (const alg of ['RS256', 'RS384', 'RS512']) {
    it(`accepts a valid ${alg} token`, async () => {
      // WebCrypto keys are bound to one algorithm, so each needs its own pair.
      const keys = alg === 'RS256' ? rsa : await pair(alg);
      const v = new TokenVerifier(tokenConfig({ rsa_public_key: keys.pem }));
      assert.equal((await v.verifyConnectToken(await sign({ sub: 'r' }, alg, keys.privateKey))).user, 'r');
    });
  }

  it('accepts a valid ES256 token', async () => {
    const v = new TokenVerifier(tokenConfig({ ecdsa_public_key: ec256.pem }));
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'e' }, 'ES256', ec256.privateKey))).user, 'e');
  });

  it('accepts a valid ES384 token with a P-384 key', async () => {
    const v = new TokenVerifier(tokenConfig({ ecdsa_public_key: ec384.pem }));
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'e' }, 'ES384', ec384.privateKey))).user, 'e');
  });

  it('rejects an ES256 token against a P-384 key (alg bound to curve)', async () => {
    const v = new TokenVerifier(tokenConfig({ ecdsa_public_key: ec384.pem }));
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'e' }, 'ES256', ec256.privateKey)), 'invalid', /disabled/);
  });

  it('accepts a PKCS#1 "RSA PUBLIC KEY" PEM', async () => {
    const pkcs1 = createPublicKey(rsa.pem).export({ type: 'pkcs1', format: 'pem' }).toString();
    const v = new TokenVerifier(tokenConfig({ rsa_public_key: pkcs1 }));
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'r' }, 'RS256', rsa.privateKey))).user, 'r');
  });

  it('rejects a token signed by another RSA key', async () => {
    const v = new TokenVerifier(tokenConfig({ rsa_public_key: rsa.pem }));
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'r' }, 'RS256', otherRsa.privateKey)), 'invalid', /signature/);
  });

  it('reports an expired RS256 token as expired', async () => {
    const v = new TokenVerifier(tokenConfig({ rsa_public_key: rsa.pem }));
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'r', exp: nowSeconds() - 1 }, 'RS256', rsa.privateKey)), 'expired');
  });

  it('rejects an RS256 token when only an ECDSA key is configured', async () => {
    const v = new TokenVerifier(tokenConfig({ ecdsa_public_key: ec256.pem }));
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'r' }, 'RS256', rsa.privateKey)), 'invalid', /disabled/);
  });

  it('rejects an ES256 token when only an RSA key is configured', async () => {
    const v = new TokenVerifier(tokenConfig({ rsa_public_key: rsa.pem }));
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'e' }, 'ES256', ec256.privateKey)), 'invalid', /disabled/);
  });

  it('rejects an HS256 token using the RSA public PEM as secret (only RSA configured)', async () => {
    const v = new TokenVerifier(tokenConfig({ rsa_public_key: rsa.pem }));
    const forged = await sign({ sub: 'admin' }, 'HS256', rsa.pem);
    await rejectsWith(v.verifyConnectToken(forged), 'invalid', /disabled/);
  });

  it('rejects an HS256 token using the RSA public PEM as secret (HMAC and RSA configured)', async () => {
    const v = new TokenVerifier(tokenConfig({ rsa_public_key: rsa.pem, hmac_secret_key: 'real-secret' }));
    for (const alg of ['HS256', 'HS512']) {
      await rejectsWith(v.verifyConnectToken(await sign({ sub: 'admin' }, alg, rsa.pem)), 'invalid', /signature/);
    }
    // Both families still work for honest tokens.
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'h' }, 'HS256', 'real-secret'))).user, 'h');
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'r' }, 'RS256', rsa.privateKey))).user, 'r');
  });

  it('rejects an HS256 token using the EC public PEM as secret', async () => {
    const v = new TokenVerifier(tokenConfig({ ecdsa_public_key: ec256.pem, hmac_secret_key: 'real-secret' }));
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'admin' }, 'HS256', ec256.pem)), 'invalid');
  });

  it('rejects PS256 and EdDSA tokens with static keys', async () => {
    const v = new TokenVerifier(tokenConfig({ rsa_public_key: rsa.pem, ecdsa_public_key: ec256.pem }));
    for (const alg of ['PS256', 'EdDSA']) {
      await rejectsWith(v.verifyConnectToken(unsignedToken({ alg }, { sub: 'r' }) + 'c2ln'), 'invalid', /unsupported/);
    }
  });

  it('refuses malformed or mismatched key config at construction', () => {
    assert.throws(() => new TokenVerifier(tokenConfig({ rsa_public_key: 'not a pem' })), /rsa_public_key/);
    assert.throws(() => new TokenVerifier(tokenConfig({ rsa_public_key: ec256.pem })), /rsa_public_key must be an RSA key/);
    assert.throws(() => new TokenVerifier(tokenConfig({ ecdsa_public_key: rsa.pem })), /ecdsa_public_key must be an EC key/);
  });
});
