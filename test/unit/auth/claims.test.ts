import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenVerifier, connectionExpiry } from '../../../src/auth/token-verifier.js';
import { nowSeconds, rejectsWith, sign, tokenConfig } from './fixtures.js';

const SECRET = 'claims-secret';
const verifier = new TokenVerifier(tokenConfig({ hmac_secret_key: SECRET }));
const connect = async (claims: Record<string, unknown>) => verifier.verifyConnectToken(await sign(claims, 'HS256', SECRET));
const subscribe = async (claims: Record<string, unknown>) => verifier.verifySubscribeToken(await sign(claims, 'HS256', SECRET));
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('connection token claims', () => {
  it('returns only the given fields for a minimal token', async () => {
    assert.deepEqual(await connect({ sub: 'u' }), { user: 'u', channels: [], subs: {} });
  });

  it('serialises info as JSON bytes', async () => {
    const claims = await connect({ sub: 'u', info: { name: 'Alice', tags: [1, 2] } });
    assert.equal(claims.info?.toString(), '{"name":"Alice","tags":[1,2]}');
    assert.equal((await connect({ sub: 'u', info: 'text' })).info?.toString(), '"text"');
    assert.equal((await connect({ sub: 'u', info: null })).info, undefined);
  });

  it('prefers b64info over info', async () => {
    const claims = await connect({ sub: 'u', info: { a: 1 }, b64info: b64('\x00binary') });
    assert.deepEqual(claims.info, Buffer.from('\x00binary'));
  });

  it('ignores an empty b64info', async () => {
    assert.equal((await connect({ sub: 'u', info: { a: 1 }, b64info: '' })).info?.toString(), '{"a":1}');
  });

  it('rejects b64info that is not standard base64', async () => {
    await rejectsWith(connect({ sub: 'u', b64info: 'not base64!' }), 'invalid', /b64info/);
    await rejectsWith(connect({ sub: 'u', b64info: b64('abcd').replace(/=+$/, '') + 'x' }), 'invalid');
    await rejectsWith(connect({ sub: 'u', b64info: Buffer.from('\xff\xfe').toString('base64url') }), 'invalid');
  });

  it('reads channels', async () => {
    assert.deepEqual((await connect({ sub: 'u', channels: ['news', 'chat:1'] })).channels, ['news', 'chat:1']);
    await rejectsWith(connect({ sub: 'u', channels: ['ok', 3] }), 'invalid', /channels/);
    await rejectsWith(connect({ sub: 'u', channels: 'news' }), 'invalid', /channels/);
  });

  it('reads subs with info, data and override', async () => {
    const claims = await connect({
      sub: 'u',
      subs: {
        news: { info: { role: 'reader' }, data: [1], override: { presence: { value: true }, join_leave: { value: false } } },
        raw: { b64info: b64('i'), b64data: b64('d'), info: 'ignored', data: 'ignored' },
        plain: {},
        nothing: null,
        ['__proto__']: { info: 1 }, // computed key: an own property, as JSON.parse makes it
      },
    });
    assert.deepEqual(Object.keys(claims.subs), ['news', 'raw', 'plain', 'nothing', '__proto__']);
    assert.equal(Object.getPrototypeOf(claims.subs), Object.prototype);
    const { news, raw, plain, nothing } = claims.subs;
    assert.equal(news?.info?.toString(), '{"role":"reader"}');
    assert.equal(news?.data?.toString(), '[1]');
    assert.deepEqual(news?.override, { presence: true, join_leave: false });
    assert.deepEqual(raw, { info: Buffer.from('i'), data: Buffer.from('d') });
    assert.deepEqual(plain, {});
    assert.deepEqual(nothing, {});
    assert.equal(Object.getOwnPropertyDescriptor(claims.subs, '__proto__')?.value.info?.toString(), '1');
  });

  it('parses every override flag and treats {} as false', async () => {
    const override = {
      presence: { value: true },
      join_leave: { value: true },
      force_push_join_leave: {},
      force_positioning: { value: true },
      force_recovery: { value: false },
      unknown_flag: { value: true },
    };
    const claims = await connect({ sub: 'u', subs: { c: { override } } });
    assert.deepEqual(claims.subs.c?.override, {
      presence: true,
      join_leave: true,
      force_push_join_leave: false,
      force_positioning: true,
      force_recovery: false,
    });
  });

  it('rejects malformed subs and overrides', async () => {
    await rejectsWith(connect({ sub: 'u', subs: ['news'] }), 'invalid', /subs/);
    await rejectsWith(connect({ sub: 'u', subs: { c: 'x' } }), 'invalid', /subs/);
    await rejectsWith(connect({ sub: 'u', subs: { c: { override: { presence: true } } } }), 'invalid', /override/);
    await rejectsWith(connect({ sub: 'u', subs: { c: { override: { presence: { value: 'yes' } } } } }), 'invalid');
  });

  it('keeps meta as parsed JSON', async () => {
    assert.deepEqual((await connect({ sub: 'u', meta: { plan: 'pro' } })).meta, { plan: 'pro' });
  });

  it('rejects a connection token that carries a channel', async () => {
    await rejectsWith(connect({ sub: 'u', channel: 'news' }), 'invalid', /channel/);
    // An empty channel counts as absent, as upstream.
    assert.equal((await connect({ sub: 'u', channel: '' })).user, 'u');
  });

  it('reads exp and expire_at', async () => {
    const exp = nowSeconds() + 600;
    assert.deepEqual(await connect({ sub: 'u', exp }), { user: 'u', exp, channels: [], subs: {} });
    const claims = await connect({ sub: 'u', exp, expire_at: exp + 100 });
    assert.equal(claims.expireAt, exp + 100);
    assert.equal((await connect({ sub: 'u', exp, expire_at: 0 })).expireAt, 0);
    assert.equal((await connect({ sub: 'u', expire_at: null })).expireAt, undefined);
    await rejectsWith(connect({ sub: 'u', expire_at: 1.5 }), 'invalid', /expire_at/);
    await rejectsWith(connect({ sub: 'u', expire_at: '100' }), 'invalid', /expire_at/);
  });

  it('truncates a fractional exp', async () => {
    const exp = nowSeconds() + 600.75;
    assert.equal((await connect({ sub: 'u', exp })).exp, Math.floor(exp));
  });
});

describe('connectionExpiry', () => {
  it('uses expire_at first, 0 meaning never', () => {
    assert.equal(connectionExpiry({ exp: 100, expireAt: 200 }), 200);
    assert.equal(connectionExpiry({ exp: 100, expireAt: 0 }), 0);
  });

  it('falls back to exp, then to never', () => {
    assert.equal(connectionExpiry({ exp: 100 }), 100);
    assert.equal(connectionExpiry({}), 0);
  });
});

describe('subscription token claims', () => {
  it('reads a full token', async () => {
    const exp = nowSeconds() + 60;
    const claims = await subscribe({
      sub: 'u',
      channel: '$private',
      client: 'client-id',
      exp,
      expire_at: 0,
      info: { n: 1 },
      b64data: b64('bytes'),
      override: { force_recovery: { value: true } },
    });
    assert.deepEqual(claims, {
      user: 'u',
      channel: '$private',
      client: 'client-id',
      exp,
      expireAt: 0,
      info: Buffer.from('{"n":1}'),
      data: Buffer.from('bytes'),
      override: { force_recovery: true },
    });
  });

  it('returns only the given fields for a minimal token', async () => {
    assert.deepEqual(await subscribe({ sub: 'u', channel: 'c', client: '' }), { user: 'u', channel: 'c' });
  });

  it('requires a channel', async () => {
    await rejectsWith(subscribe({ sub: 'u' }), 'invalid', /channel/);
    await rejectsWith(subscribe({ sub: 'u', channel: '' }), 'invalid', /channel/);
    await rejectsWith(subscribe({ sub: 'u', channel: 5 }), 'invalid', /channel/);
  });

  it('reports an expired subscription token as expired', async () => {
    await rejectsWith(subscribe({ sub: 'u', channel: 'c', exp: nowSeconds() - 1 }), 'expired');
  });

  it('uses user_id_claim too', async () => {
    const v = new TokenVerifier(tokenConfig({ hmac_secret_key: SECRET, user_id_claim: 'uid' }));
    const claims = await v.verifySubscribeToken(await sign({ uid: 'x', channel: 'c' }, 'HS256', SECRET));
    assert.equal(claims.user, 'x');
  });
});
