import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { JwksCache } from '../../../src/auth/jwks.js';
import { TokenVerifier } from '../../../src/auth/token-verifier.js';
import { rejectsWith, sign, tokenConfig, unsignedToken } from './fixtures.js';

/** A JWKS endpoint on 127.0.0.1 whose answer and request count the tests control. */
class JwksServer {
  requests = 0;
  keys: JWK[] = [];
  status = 200;
  hang = false;
  private server: Server = createServer((_req, res) => {
    this.requests++;
    if (this.hang) return; // never answers: exercises the client timeout
    res.writeHead(this.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: this.keys }));
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface SigningKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(alg: string, jwkFields: JWK): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), ...jwkFields } };
}

describe('TokenVerifier with a JWKS endpoint', () => {
  const server = new JwksServer();
  let rsa: SigningKey;
  let ec: SigningKey;
  let ed: SigningKey;
  let encryption: SigningKey;
  let verifier: TokenVerifier;

  before(async () => {
    await server.start();
    [rsa, ec, ed, encryption] = await Promise.all([
      signingKey('RS256', { kid: 'rsa-1', use: 'sig' }), // no alg: any RS* allowed
      signingKey('ES256', { kid: 'ec-1', use: 'sig', alg: 'ES256' }),
      signingKey('EdDSA', { kid: 'ed-1', use: 'sig' }),
      signingKey('RS256', { kid: 'enc-1', use: 'enc' }),
    ]);
  });
  after(() => server.stop());
  beforeEach(() => {
    server.keys = [rsa.jwk, ec.jwk, ed.jwk, encryption.jwk];
    server.requests = 0;
    server.status = 200;
    server.hang = false;
    verifier = new TokenVerifier(tokenConfig({ jwks_public_endpoint: server.url }));
  });

  it('verifies tokens by kid and fetches the set once', async () => {
    for (let i = 0; i < 3; i++) {
      const byRsa = await sign({ sub: `r${i}` }, 'RS256', rsa.privateKey, { kid: 'rsa-1' });
      const byEc = await sign({ sub: `e${i}` }, 'ES256', ec.privateKey, { kid: 'ec-1' });
      assert.equal((await verifier.verifyConnectToken(byRsa)).user, `r${i}`);
      assert.equal((await verifier.verifyConnectToken(byEc)).user, `e${i}`);
    }
    assert.equal(server.requests, 1);
  });

  it('shares one fetch between concurrent verifications', async () => {
    const token = await sign({ sub: 'r' }, 'RS256', rsa.privateKey, { kid: 'rsa-1' });
    await Promise.all([1, 2, 3, 4].map(() => verifier.verifyConnectToken(token)));
    assert.equal(server.requests, 1);
  });

  it('verifies EdDSA with an OKP key', async () => {
    const token = await sign({ sub: 'ed' }, 'EdDSA', ed.privateKey, { kid: 'ed-1' });
    assert.equal((await verifier.verifyConnectToken(token)).user, 'ed');
  });

  it('rejects a token without kid without fetching', async () => {
    await rejectsWith(verifier.verifyConnectToken(await sign({ sub: 'r' }, 'RS256', rsa.privateKey)), 'invalid', /kid/);
    assert.equal(server.requests, 0);
  });

  it('rejects an unknown kid', async () => {
    const token = await sign({ sub: 'r' }, 'RS256', rsa.privateKey, { kid: 'nope' });
    await rejectsWith(verifier.verifyConnectToken(token), 'invalid', /kid/);
  });

  it('does not refetch for every unknown kid', async () => {
    await verifier.verifyConnectToken(await sign({ sub: 'r' }, 'RS256', rsa.privateKey, { kid: 'rsa-1' }));
    for (const kid of ['x1', 'x2', 'x3']) {
      await rejectsWith(verifier.verifyConnectToken(await sign({}, 'RS256', rsa.privateKey, { kid })), 'invalid');
    }
    assert.equal(server.requests, 1);
  });

  it('ignores keys whose use is not "sig"', async () => {
    const token = await sign({ sub: 'r' }, 'RS256', encryption.privateKey, { kid: 'enc-1' });
    await rejectsWith(verifier.verifyConnectToken(token), 'invalid', /kid/);
  });

  it('rejects a signature by another key under a known kid', async () => {
    const token = await sign({ sub: 'r' }, 'RS256', encryption.privateKey, { kid: 'rsa-1' });
    await rejectsWith(verifier.verifyConnectToken(token), 'invalid', /signature/);
  });

  it("rejects an alg outside the key's family or its own alg", async () => {
    const esWithRsaKid = await sign({}, 'ES256', ec.privateKey, { kid: 'rsa-1' });
    await rejectsWith(verifier.verifyConnectToken(esWithRsaKid), 'invalid', /cannot verify ES256/);
    const forged = unsignedToken({ alg: 'ES384', kid: 'ec-1' }, {}) + 'c2ln';
    await rejectsWith(verifier.verifyConnectToken(forged), 'invalid', /cannot verify ES384/);
  });

  it('replaces the static keys: HS256 and alg:none are refused without a fetch', async () => {
    const v = new TokenVerifier(tokenConfig({ jwks_public_endpoint: server.url, hmac_secret_key: 'secret' }));
    await rejectsWith(v.verifyConnectToken(await sign({}, 'HS256', 'secret', { kid: 'rsa-1' })), 'invalid', /unsupported/);
    await rejectsWith(v.verifyConnectToken(unsignedToken({ alg: 'none', kid: 'rsa-1' }, {})), 'invalid', /unsupported/);
    assert.equal(server.requests, 0);
  });

  it('treats a failing endpoint as invalid after two attempts', async () => {
    server.status = 500;
    const token = await sign({ sub: 'r' }, 'RS256', rsa.privateKey, { kid: 'rsa-1' });
    await rejectsWith(verifier.verifyConnectToken(token), 'invalid', /JWKS fetch/);
    assert.equal(server.requests, 2);
    // Recovers once the endpoint does: failures are not cached.
    server.status = 200;
    assert.equal((await verifier.verifyConnectToken(token)).user, 'r');
  });

  it('gives up on a hanging endpoint after 1 s per attempt', async () => {
    server.hang = true;
    const token = await sign({ sub: 'r' }, 'RS256', rsa.privateKey, { kid: 'rsa-1' });
    const started = Date.now();
    await rejectsWith(verifier.verifyConnectToken(token), 'invalid', /JWKS fetch/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1900 && elapsed < 4000, `took ${elapsed} ms`);
    assert.equal(server.requests, 2);
  });

  it('does not fetch when signature verification is skipped', async () => {
    const v = new TokenVerifier(tokenConfig({ jwks_public_endpoint: server.url }), { skipSignature: true });
    assert.equal((await v.verifyConnectToken(unsignedToken({ alg: 'none' }, { sub: 'u' }))).user, 'u');
    assert.equal(server.requests, 0);
  });

  it('uses an injected fetch', async () => {
    let calls = 0;
    const fetchImpl: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const v = new TokenVerifier(tokenConfig({ jwks_public_endpoint: server.url }), { fetch: fetchImpl });
    await v.verifyConnectToken(await sign({}, 'RS256', rsa.privateKey, { kid: 'rsa-1' }));
    assert.equal(calls, 1);
  });

  it('refuses {{placeholder}} and non-http endpoints', () => {
    const make = (url: string) => new TokenVerifier(tokenConfig({ jwks_public_endpoint: url }));
    assert.throws(() => make('https://auth.example/{{tenant}}/jwks'), /placeholders/);
    assert.throws(() => make('file:///etc/jwks.json'), /http/);
  });
});

describe('JwksCache expiry', () => {
  const server = new JwksServer();
  let rsa: SigningKey;
  let next: SigningKey;
  before(async () => {
    await server.start();
    [rsa, next] = await Promise.all([signingKey('RS256', { kid: 'k1', use: 'sig' }), signingKey('RS256', { kid: 'k2', use: 'sig' })]);
  });
  after(() => server.stop());

  it('refetches a key once its TTL has passed', async () => {
    server.keys = [rsa.jwk];
    server.requests = 0;
    const cache = new JwksCache(server.url, { keyTtlMs: 30, missRefetchIntervalMs: 0 });
    await cache.key('k1', 'RS256');
    await cache.key('k1', 'RS256');
    assert.equal(server.requests, 1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    await cache.key('k1', 'RS256');
    assert.equal(server.requests, 2);
  });

  it('picks up a rotated-in key on the next miss', async () => {
    server.keys = [rsa.jwk];
    server.requests = 0;
    const cache = new JwksCache(server.url, { missRefetchIntervalMs: 0 });
    await cache.key('k1', 'RS256');
    server.keys = [next.jwk];
    assert.deepEqual((await cache.key('k2', 'RS256')).algorithms, ['RS256', 'RS384', 'RS512']);
    // k1 left the set but stays cached until its TTL.
    await cache.key('k1', 'RS256');
    assert.equal(server.requests, 2);
  });
});
