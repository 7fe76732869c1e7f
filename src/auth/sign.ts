// HS256 token minting for the CLI's gentoken/gensubtoken and for tests. The
// server itself never signs tokens; only the application backend does.

import { SignJWT } from 'jose';

/**
 * Signs `claims` with HS256. With `ttlSeconds > 0`, `exp` is set to now + ttl
 * (replacing any `exp` in `claims`); otherwise the claims are signed as given.
 */
export async function signToken(secret: string, claims: Record<string, unknown>, ttlSeconds = 0): Promise<string> {
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (ttlSeconds > 0) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
  return jwt.sign(new TextEncoder().encode(secret));
}
