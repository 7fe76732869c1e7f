import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ApiErrors,
  DisconnectError,
  Disconnects,
  Errors,
  ReplyError,
  Unsubscribes,
  WS_CLOSE_MESSAGE_TOO_BIG,
  isTerminalDisconnect,
} from '../../../src/protocol/codes.js';

describe('codes', () => {
  it('reply errors match client-protocol.md §3.1 (code, message, temporary)', () => {
    const expected: Array<[number, string, boolean]> = [
      [100, 'internal server error', true],
      [101, 'unauthorized', false],
      [102, 'unknown channel', false],
      [103, 'permission denied', false],
      [104, 'method not found', false],
      [105, 'already subscribed', false],
      [106, 'limit exceeded', false],
      [107, 'bad request', false],
      [108, 'not available', false],
      [109, 'token expired', false],
      [110, 'expired', false],
      [111, 'too many requests', true],
      [112, 'unrecoverable position', false],
    ];
    const got = Object.values(Errors).map((e) => [e.code, e.message, e.temporary === true]);
    assert.deepEqual(got, expected);
    // Non-temporary errors carry no `temporary` key at all (JSON omits false).
    assert.equal('temporary' in Errors.permissionDenied, false);
    assert.equal(JSON.stringify(Errors.badRequest), '{"code":107,"message":"bad request"}');
  });

  it('disconnect codes match client-protocol.md §3.2', () => {
    const expected: Record<number, string> = {
      3000: 'connection closed',
      3001: 'shutdown',
      3004: 'internal server error',
      3005: 'connection expired',
      3006: 'subscription expired',
      3008: 'slow',
      3009: 'write error',
      3010: 'insufficient state',
      3011: 'force reconnect',
      3012: 'no pong',
      3013: 'too many requests',
      3014: 'state invalidated',
      3500: 'invalid token',
      3501: 'bad request',
      3502: 'stale',
      3503: 'force disconnect',
      3504: 'connection limit',
      3505: 'channel limit',
      3506: 'inappropriate protocol',
      3507: 'permission denied',
      3508: 'not available',
      3509: 'too many errors',
    };
    const got = Object.fromEntries(Object.values(Disconnects).map((d) => [d.code, d.reason]));
    assert.deepEqual(got, expected);
  });

  it('disconnect reasons are never valid JSON and fit a close frame', () => {
    for (const d of Object.values(Disconnects)) {
      assert.throws(() => JSON.parse(d.reason), SyntaxError, d.reason);
      assert.ok(Buffer.byteLength(d.reason) <= 123, d.reason);
    }
  });

  it('unsubscribe codes match §3.3 and are in 2000–2999', () => {
    assert.deepEqual(
      Object.values(Unsubscribes).map((u) => [u.code, u.reason]),
      [
        [2000, 'server unsubscribe'],
        [2500, 'insufficient state'],
        [2501, 'subscription expired'],
        [2502, 'state invalidated'],
      ],
    );
  });

  it('message size close code is 1009', () => {
    assert.equal(WS_CLOSE_MESSAGE_TOO_BIG, 1009);
  });

  it('server API error names', () => {
    assert.equal(ApiErrors.notFound.code, 104);
    assert.equal(ApiErrors.notFound.message, 'not found');
    assert.equal(ApiErrors.unrecoverablePosition.code, 112);
  });

  it('isTerminalDisconnect: exactly 3500–3999 and 4500–4999', () => {
    const terminal = [3500, 3501, 3507, 3999, 4500, 4999];
    const reconnect = [0, 1000, 1009, 2999, 3000, 3001, 3012, 3014, 3499, 4000, 4499, 5000, 65535];
    for (const c of terminal) assert.equal(isTerminalDisconnect(c), true, String(c));
    for (const c of reconnect) assert.equal(isTerminalDisconnect(c), false, String(c));
    for (const d of Object.values(Disconnects)) assert.equal(isTerminalDisconnect(d.code), d.code >= 3500, String(d.code));
  });

  it('ReplyError and DisconnectError carry their payload', () => {
    const r = new ReplyError(Errors.alreadySubscribed);
    assert.equal(r.error.code, 105);
    assert.equal(r.message, 'already subscribed');
    assert.ok(r instanceof Error);
    const d = new DisconnectError(Disconnects.noPong);
    assert.equal(d.disconnect.code, 3012);
    assert.equal(d.message, 'no pong');
  });
});
