// The admin session token, in the format of Centrifugo's (a gorilla
// securecookie value named "token" holding the string "authorized", signed
// with admin.secret), so Centrifugo and Tributary nodes sharing a secret
// accept each other's logins:
//
//   token = b64(ts "|" b64(gob("authorized")) "|" HMAC-SHA256(secret, "token|" ts "|" b64(gob)))
//
// b64 is URL-safe base64 with padding; ts is Unix seconds at login. A token is
// good for 30 days from its ts; there is no revocation but a new secret.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** encoding/gob of the Go string "authorized": length 13, type id string (6 → 0x0c), singleton 0, length 10, bytes. */
const AUTHORIZED_GOB = Buffer.from([0x0d, 0x0c, 0x00, 0x0a, ...Buffer.from('authorized')]);
const NAME = 'token';
const MAX_AGE_SECONDS = 30 * 24 * 3600;
const MAX_LENGTH = 4096;
const B64URL_PADDED = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;

/** URL-safe base64 with padding (Go's base64.URLEncoding). */
function encode(b: Buffer): string {
  return b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function decode(s: string): Buffer | null {
  return B64URL_PADDED.test(s) ? Buffer.from(s, 'base64url') : null;
}

function mac(secret: string, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

/** A token issued now (or at `nowMs`). */
export function issueAdminToken(secret: string, nowMs = Date.now()): string {
  const ts = Math.floor(nowMs / 1000);
  const value = encode(AUTHORIZED_GOB);
  return encode(Buffer.concat([Buffer.from(`${ts}|${value}|`), mac(secret, `${NAME}|${ts}|${value}`)]));
}

export type TokenProblem = 'malformed' | 'signature' | 'expired' | 'value';

/** null when `token` is one of ours, signed with `secret`, at most 30 days old; else what is wrong with it. */
export function checkAdminToken(secret: string, token: string, nowMs = Date.now()): TokenProblem | null {
  if (token.length > MAX_LENGTH) return 'malformed';
  const raw = decode(token);
  if (!raw) return 'malformed';
  const first = raw.indexOf(0x7c);
  const second = first < 0 ? -1 : raw.indexOf(0x7c, first + 1);
  if (second < 0) return 'malformed';
  const tsText = raw.subarray(0, first).toString('latin1');
  const value = raw.subarray(first + 1, second).toString('latin1');
  const expected = mac(secret, `${NAME}|${tsText}|${value}`);
  const given = raw.subarray(second + 1);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature';
  if (!/^-?\d+$/.test(tsText)) return 'malformed';
  if (Number(tsText) < Math.floor(nowMs / 1000) - MAX_AGE_SECONDS) return 'expired';
  const decoded = decode(value);
  if (!decoded || !decoded.equals(AUTHORIZED_GOB)) return 'value';
  return null;
}

/** Compares a password in constant time, whatever the lengths (both sides hashed to one length first). */
export function passwordMatches(expected: string, given: string): boolean {
  const key = 'tributary admin password';
  const a = createHmac('sha256', key).update(expected).digest();
  const b = createHmac('sha256', key).update(given).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
