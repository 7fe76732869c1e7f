// The admin token against one gorilla/securecookie made (Go, v1.1.2,
// hash key "admin-secret-for-tests", Encode("token", "authorized") at Unix
// second 1796639001): byte for byte the same, and accepted both ways.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAdminToken, issueAdminToken, passwordMatches } from '../../../src/admin/token.js';
import { LoginThrottle } from '../../../src/admin/login-throttle.js';

const SECRET = 'admin-secret-for-tests';
const GO_TOKEN = 'MTc5NjYzOTAwMXxEUXdBQ21GMWRHaHZjbWw2WldRPXy30Go8a7NXpoEUh9HBd74KvEljrKjZnkI9QlgEcnLwoQ==';
const GO_AT = 1796639001 * 1000;
const DAY = 24 * 3600 * 1000;

describe('admin token', () => {
  it('is what Go’s securecookie makes, and takes its tokens', () => {
    assert.equal(issueAdminToken(SECRET, GO_AT + 400), GO_TOKEN);
    assert.equal(checkAdminToken(SECRET, GO_TOKEN, GO_AT + DAY), null);
  });

  it('expires after 30 days; refuses another secret, a changed byte and garbage', () => {
    assert.equal(checkAdminToken(SECRET, GO_TOKEN, GO_AT + 30 * DAY), null);
    assert.equal(checkAdminToken(SECRET, GO_TOKEN, GO_AT + 30 * DAY + 2000), 'expired');
    assert.equal(checkAdminToken('other', GO_TOKEN, GO_AT), 'signature');
    const raw = Buffer.from(GO_TOKEN, 'base64');
    raw[3] = raw[3]! ^ 1; // the timestamp
    assert.equal(checkAdminToken(SECRET, raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'), GO_AT), 'signature');
    for (const bad of ['', 'x', 'not base64!', GO_TOKEN.replace(/=+$/, ''), 'a'.repeat(5000)])
      assert.equal(checkAdminToken(SECRET, bad, GO_AT), 'malformed', bad);
  });

  it('compares passwords whatever their lengths, and never matches an empty one', () => {
    assert.equal(passwordMatches('secret', 'secret'), true);
    assert.equal(passwordMatches('secret', 'secret2'), false);
    assert.equal(passwordMatches('secret', ''), false);
    assert.equal(passwordMatches('', ''), false);
  });
});

describe('login throttle', () => {
  it('refuses an address after 5 failures in a minute until the oldest ages out; a success forgets', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 5; i++) t.failed('a', 1000 + i);
    assert.equal(t.retryAfter('b', 2000), 0);
    assert.equal(t.retryAfter('a', 2000), 59_000);
    assert.equal(t.retryAfter('a', 61_001), 0);
    t.succeeded('a');
    assert.equal(t.retryAfter('a', 2000), 0);
  });
});
