import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenVerifier } from '../../../src/auth/token-verifier.js';
import { nowSeconds, rejectsWith, sign, tokenConfig, unsignedToken } from './fixtures.js';

const SECRET = 'current-secret';
const verifier = (overrides = {}) => new TokenVerifier(tokenConfig({ hmac_secret_key: SECRET, ...overrides }));

describe('TokenVerifier with an HMAC secret', () => {
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    it(`accepts a valid ${alg} token`, async () => {
      const claims = await verifier().verifyConnectToken(await sign({ sub: 'alice' }, alg, SECRET));
      assert.equal(claims.user, 'alice');
    });
  }

  it('accepts a token without sub as anonymous', async () => {
    const claims = await verifier().verifyConnectToken(await sign({}, 'HS256', SECRET));
    assert.equal(claims.user, '');
  });

  it('rejects a token signed with another secret as invalid', async () => {
    await rejectsWith(verifier().verifyConnectToken(await sign({ sub: 'a' }, 'HS256', 'other')), 'invalid', /signature/);
  });

  it('rejects a tampered payload as invalid', async () => {
    const [header, , signature] = (await sign({ sub: 'alice' }, 'HS256', SECRET)).split('.');
    const forged = `${header}.${Buffer.from('{"sub":"admin"}').toString('base64url')}.${signature}`;
    await rejectsWith(verifier().verifyConnectToken(forged), 'invalid');
  });

  it('reports an exp in the past as expired', async () => {
    const token = await sign({ sub: 'a', exp: nowSeconds() - 10 }, 'HS256', SECRET);
    await rejectsWith(verifier().verifyConnectToken(token), 'expired');
  });

  it('reports an nbf in the future as expired', async () => {
    const token = await sign({ sub: 'a', nbf: nowSeconds() + 60 }, 'HS256', SECRET);
    await rejectsWith(verifier().verifyConnectToken(token), 'expired');
  });

  it('accepts exp in the future and nbf in the past', async () => {
    // One clock reading: two could straddle a second and disagree.
    const now = nowSeconds();
    const token = await sign({ sub: 'a', exp: now + 60, nbf: now - 60 }, 'HS256', SECRET);
    assert.equal((await verifier().verifyConnectToken(token)).exp, now + 60);
  });

  it('rejects a non-numeric exp as invalid', async () => {
    const token = await sign({ sub: 'a', exp: 'tomorrow' as unknown as number }, 'HS256', SECRET);
    await rejectsWith(verifier().verifyConnectToken(token), 'invalid');
  });

  it('checks the signature before expiry', async () => {
    const token = await sign({ sub: 'a', exp: nowSeconds() - 10 }, 'HS256', 'other');
    await rejectsWith(verifier().verifyConnectToken(token), 'invalid');
  });

  it('rejects an alg:none token', async () => {
    await rejectsWith(verifier().verifyConnectToken(unsignedToken({ alg: 'none' }, { sub: 'a' })), 'invalid', /unsupported/);
    await rejectsWith(verifier().verifyConnectToken(unsignedToken({ alg: 'None', typ: 'JWT' }, { sub: 'a' })), 'invalid');
  });

  it('rejects an RS256 token when no RSA key is configured', async () => {
    const token = unsignedToken({ alg: 'RS256' }, { sub: 'a' }) + 'c2ln';
    await rejectsWith(verifier().verifyConnectToken(token), 'invalid', /disabled algorithm/);
  });

  it('rejects malformed tokens', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c', 'a.b.c.d.e', '...']) {
      await rejectsWith(verifier().verifyConnectToken(token), 'invalid');
    }
  });

  it('rejects the b64 header parameter', async () => {
    const token = await sign({ sub: 'a' }, 'HS256', SECRET, { b64: true, crit: ['b64'] });
    await rejectsWith(verifier().verifyConnectToken(token), 'invalid', /b64/);
  });

  it('rejects an unknown crit header parameter', async () => {
    const token = unsignedToken({ alg: 'HS256', crit: ['exp'], exp: 1 }, { sub: 'a' }) + 'x';
    await rejectsWith(verifier().verifyConnectToken(token), 'invalid');
  });
});

describe('HMAC secret rotation', () => {
  const rotated = (validUntil: number) => verifier({ hmac_previous_secret_key: 'old-secret', hmac_previous_secret_key_valid_until: validUntil });

  it('accepts the previous secret when no deadline is set', async () => {
    const claims = await rotated(0).verifyConnectToken(await sign({ sub: 'a' }, 'HS256', 'old-secret'));
    assert.equal(claims.user, 'a');
  });

  it('accepts the previous secret before its deadline', async () => {
    const token = await sign({ sub: 'a' }, 'HS384', 'old-secret');
    assert.equal((await rotated(nowSeconds() + 3600).verifyConnectToken(token)).user, 'a');
  });

  it('rejects the previous secret after its deadline', async () => {
    const token = await sign({ sub: 'a' }, 'HS256', 'old-secret');
    await rejectsWith(rotated(nowSeconds() - 1).verifyConnectToken(token), 'invalid');
  });

  it('still accepts the current secret', async () => {
    const token = await sign({ sub: 'a' }, 'HS256', SECRET);
    assert.equal((await rotated(nowSeconds() - 1).verifyConnectToken(token)).user, 'a');
  });

  it('rejects a token signed with neither secret', async () => {
    await rejectsWith(rotated(0).verifyConnectToken(await sign({ sub: 'a' }, 'HS256', 'third')), 'invalid');
  });

  it('ignores a previous secret without a current one', async () => {
    const v = new TokenVerifier(tokenConfig({ hmac_previous_secret_key: 'old-secret' }));
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'a' }, 'HS256', 'old-secret')), 'invalid', /disabled/);
  });
});

describe('audience and issuer', () => {
  it('accepts a token whose aud contains the audience', async () => {
    const v = verifier({ audience: 'app' });
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'a', aud: 'app' }, 'HS256', SECRET))).user, 'a');
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'a', aud: ['x', 'app'] }, 'HS256', SECRET))).user, 'a');
  });

  it('rejects a wrong or missing audience as invalid', async () => {
    const v = verifier({ audience: 'app' });
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'a', aud: 'other' }, 'HS256', SECRET)), 'invalid', /audience/);
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'a' }, 'HS256', SECRET)), 'invalid', /audience/);
  });

  it('reports a wrong audience as invalid even when also expired', async () => {
    const token = await sign({ sub: 'a', aud: 'other', exp: nowSeconds() - 5 }, 'HS256', SECRET);
    await rejectsWith(verifier({ audience: 'app' }).verifyConnectToken(token), 'invalid');
  });

  it('matches audience_regex against any aud entry', async () => {
    const v = verifier({ audience_regex: '^tenant-(?P<id>[a-z]+)$' });
    const ok = await sign({ sub: 'a', aud: ['foo', 'tenant-acme'] }, 'HS256', SECRET);
    assert.equal((await v.verifyConnectToken(ok)).user, 'a');
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'a', aud: 'tenant-42' }, 'HS256', SECRET)), 'invalid');
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'a' }, 'HS256', SECRET)), 'invalid');
  });

  it('checks the exact issuer', async () => {
    const v = verifier({ issuer: 'https://auth.example' });
    const ok = await sign({ sub: 'a', iss: 'https://auth.example' }, 'HS256', SECRET);
    assert.equal((await v.verifyConnectToken(ok)).user, 'a');
    const bad = await sign({ sub: 'a', iss: 'https://evil.example' }, 'HS256', SECRET);
    await rejectsWith(v.verifyConnectToken(bad), 'invalid', /issuer/);
  });

  it('matches issuer_regex', async () => {
    const v = verifier({ issuer_regex: '^https://[a-z]+\\.example$' });
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'a', iss: 'https://x.example' }, 'HS256', SECRET))).user, 'a');
    await rejectsWith(v.verifyConnectToken(await sign({ sub: 'a', iss: 'https://x.evil' }, 'HS256', SECRET)), 'invalid');
  });

  it('rejects a malformed aud claim', async () => {
    const token = await sign({ sub: 'a', aud: 42 as unknown as string }, 'HS256', SECRET);
    await rejectsWith(verifier({ audience: 'app' }).verifyConnectToken(token), 'invalid');
  });

  it('refuses a config regex that does not compile', () => {
    assert.throws(() => verifier({ issuer_regex: '(' }), /issuer_regex/);
  });
});

describe('user id', () => {
  it('reads the claim named by user_id_claim instead of sub', async () => {
    const v = verifier({ user_id_claim: 'user_id' });
    const token = await sign({ sub: 'from-sub', user_id: 'from-claim' }, 'HS256', SECRET);
    assert.equal((await v.verifyConnectToken(token)).user, 'from-claim');
    assert.equal((await v.verifyConnectToken(await sign({ sub: 'from-sub' }, 'HS256', SECRET))).user, '');
  });

  it('rejects a non-string sub', async () => {
    const token = await sign({ sub: 42 as unknown as string }, 'HS256', SECRET);
    await rejectsWith(verifier().verifyConnectToken(token), 'invalid');
  });
});
