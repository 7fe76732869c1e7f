import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startupWarnings } from '../../../src/cli/startup-warnings.js';
import { loadConfig } from '../../../src/config/load.js';

const warningsFor = (raw: object) => startupWarnings(loadConfig({ raw, env: {} }).config);

describe('startup warnings', () => {
  it('a complete config warns about nothing', () => {
    assert.deepEqual(warningsFor({ client: { token: { hmac_secret_key: 's' }, allowed_origins: ['http://localhost:3000'] }, http_api: { key: 'k' } }), []);
  });

  it('no connection token key: every connection will be refused', () => {
    const w = warningsFor({ client: { allowed_origins: ['*'] }, http_api: { key: 'k' } });
    assert.equal(w.length, 1);
    assert.match(w[0]!, /^no connection token key is set .*every connection will be refused/);
    const anonymous = warningsFor({ client: { allowed_origins: ['*'], allow_anonymous_connect_without_token: true }, http_api: { key: 'k' } });
    assert.match(anonymous[0]!, /only anonymous connections without a token can connect/);
    for (const token of [{ jwks_public_endpoint: 'https://id.example/jwks' }]) {
      assert.deepEqual(warningsFor({ client: { token, allowed_origins: ['*'] }, http_api: { key: 'k' } }), [], JSON.stringify(token));
    }
  });

  it('empty allowed_origins: browsers are refused, and the line says what to add', () => {
    const w = warningsFor({ client: { token: { hmac_secret_key: 's' } }, http_api: { key: 'k' } });
    assert.deepEqual(w.length, 1);
    assert.match(w[0]!, /client\.allowed_origins is empty: browsers .* are refused/);
    assert.match(w[0]!, /"allowed_origins": \["http:\/\/localhost:3000"\]/);
  });

  it('insecure modes and a missing API key', () => {
    const w = warningsFor({ client: { insecure: true, allowed_origins: ['*'] }, http_api: { insecure: true } });
    assert.deepEqual(w, [
      'client.insecure is on: every client may subscribe, publish and read everything',
      'http_api.insecure is on: the server API accepts requests without a key',
    ]);
    assert.match(warningsFor({ client: { token: { hmac_secret_key: 's' }, allowed_origins: ['*'] } })[0]!, /http_api\.key is empty/);
  });
});
