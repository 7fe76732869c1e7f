import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { ClientConfig } from '../../../src/config/schema.js';
import { signToken } from '../../../src/auth/sign.js';
import { createVerifiers, hasAnyKey } from '../../../src/auth/verifiers.js';
import { nowSeconds, rejectsWith, tokenConfig, unsignedToken } from './fixtures.js';

// createVerifiers reads only the token-related fields.
function clientConfig(overrides: Partial<ClientConfig>): ClientConfig {
  return {
    token: tokenConfig(),
    subscription_token: { ...tokenConfig(), enabled: false },
    insecure_skip_token_signature_verify: false,
    ...overrides,
  } as ClientConfig;
}

describe('createVerifiers', () => {
  it('uses the connection config for subscription tokens unless enabled', async () => {
    const { connection, subscription } = createVerifiers(
      clientConfig({
        token: tokenConfig({ hmac_secret_key: 'conn' }),
        subscription_token: { ...tokenConfig({ hmac_secret_key: 'sub' }), enabled: false },
      }),
    );
    assert.equal(subscription, connection);
    const claims = await subscription.verifySubscribeToken(await signToken('conn', { sub: 'u', channel: 'c' }));
    assert.equal(claims.channel, 'c');
  });

  it('uses subscription_token when enabled', async () => {
    const { connection, subscription } = createVerifiers(
      clientConfig({
        token: tokenConfig({ hmac_secret_key: 'conn' }),
        subscription_token: { ...tokenConfig({ hmac_secret_key: 'sub' }), enabled: true },
      }),
    );
    assert.notEqual(subscription, connection);
    assert.equal((await subscription.verifySubscribeToken(await signToken('sub', { channel: 'c' }))).channel, 'c');
    await rejectsWith(subscription.verifySubscribeToken(await signToken('conn', { channel: 'c' })), 'invalid');
  });

  it('skips signatures when insecure_skip_token_signature_verify is on, but still checks claims', async () => {
    const { connection } = createVerifiers(clientConfig({ token: tokenConfig({ audience: 'app' }), insecure_skip_token_signature_verify: true }));
    const ok = unsignedToken({ alg: 'none' }, { sub: 'u', aud: 'app' });
    assert.equal((await connection.verifyConnectToken(ok)).user, 'u');
    await rejectsWith(connection.verifyConnectToken(unsignedToken({ alg: 'none' }, { sub: 'u', aud: 'x' })), 'invalid');
    const expired = unsignedToken({ alg: 'HS256' }, { sub: 'u', aud: 'app', exp: nowSeconds() - 1 });
    await rejectsWith(connection.verifyConnectToken(expired), 'expired');
  });
});

describe('hasAnyKey', () => {
  it('is true for any key source', () => {
    assert.equal(hasAnyKey(tokenConfig()), false);
    assert.equal(hasAnyKey(tokenConfig({ audience: 'app', hmac_previous_secret_key: 'old' })), false);
    assert.equal(hasAnyKey(tokenConfig({ hmac_secret_key: 's' })), true);
    assert.equal(hasAnyKey(tokenConfig({ rsa_public_key: 'pem' })), true);
    assert.equal(hasAnyKey(tokenConfig({ ecdsa_public_key: 'pem' })), true);
    assert.equal(hasAnyKey(tokenConfig({ jwks_public_endpoint: 'https://x' })), true);
  });
});

describe('signToken', () => {
  it('signs HS256 with exp = now + ttl', async () => {
    const token = await signToken('secret', { sub: 'u', channel: 'c' }, 3600);
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    assert.equal(claims.sub, 'u');
    assert.ok(Math.abs((claims.exp ?? 0) - (nowSeconds() + 3600)) <= 1);
  });

  it('sets no exp without a ttl', async () => {
    assert.equal(decodeJwt(await signToken('secret', { sub: 'u' })).exp, undefined);
    assert.equal(decodeJwt(await signToken('secret', { sub: 'u' }, 0)).exp, undefined);
  });

  it('round-trips through the verifier', async () => {
    const { connection } = createVerifiers(clientConfig({ token: tokenConfig({ hmac_secret_key: 'secret' }) }));
    const claims = await connection.verifyConnectToken(await signToken('secret', { sub: 'u', info: { a: 1 } }, 60));
    assert.equal(claims.user, 'u');
    assert.equal(claims.info?.toString(), '{"a":1}');
  });
});
