import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { apiKeyAuthorized } from '../../../src/api/auth.js';

const KEY = 's3cret-key';

function check(headers: Record<string, string>, query = '', key = KEY): boolean {
  const req = { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) } as unknown as IncomingMessage;
  return apiKeyAuthorized(req, new URL(`http://localhost/api/info${query}`), key);
}

describe('apiKeyAuthorized', () => {
  it('refuses everything when no key is configured', () => {
    assert.equal(check({ 'X-API-Key': '' }, '', ''), false);
    assert.equal(check({}, '?api_key=', ''), false);
    assert.equal(check({ Authorization: 'apikey ' }, '', ''), false);
  });

  it('accepts the key in X-API-Key', () => {
    assert.equal(check({ 'X-API-Key': KEY }), true);
    assert.equal(check({ 'X-API-Key': KEY + 'x' }), false);
    assert.equal(check({ 'X-API-Key': KEY.slice(1) }), false);
  });

  it('accepts `Authorization: apikey KEY` with any case of the scheme and any whitespace', () => {
    assert.equal(check({ Authorization: `apikey ${KEY}` }), true);
    assert.equal(check({ Authorization: `APIKEY ${KEY}` }), true);
    assert.equal(check({ Authorization: `ApiKey \t ${KEY}  ` }), true);
  });

  it('refuses other Authorization shapes', () => {
    assert.equal(check({ Authorization: `Bearer ${KEY}` }), false);
    assert.equal(check({ Authorization: KEY }), false);
    assert.equal(check({ Authorization: `apikey ${KEY} extra` }), false);
    assert.equal(check({ Authorization: `apikey wrong` }), false);
  });

  it('ignores Authorization when X-API-Key is set, even to a wrong key', () => {
    assert.equal(check({ 'X-API-Key': 'wrong', Authorization: `apikey ${KEY}` }), false);
  });

  it('falls back to the api_key query parameter, also after a wrong header', () => {
    assert.equal(check({}, `?api_key=${KEY}`), true);
    assert.equal(check({ 'X-API-Key': 'wrong' }, `?api_key=${KEY}`), true);
    assert.equal(check({ Authorization: 'apikey wrong' }, `?x=1&api_key=${encodeURIComponent(KEY)}`), true);
    assert.equal(check({}, '?api_key=wrong'), false);
    assert.equal(check({}, '?other=1'), false);
  });
});
