// Connection tokens signed ahead of a run, so a connect storm measures the
// server and not the bench signing: HS256 with the target's HMAC secret, or
// RS256 with a key of the bench's own whose public half it serves as a JWKS on
// a loopback port (the servers are configured with
// client.token.jwks_public_endpoint pointing there).

import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, type JWK } from 'jose';

export type TokenAlg = 'hs256' | 'rs256-jwks';
export const TOKEN_ALGS: readonly TokenAlg[] = ['hs256', 'rs256-jwks'];

/** Tokens stay valid for a day: no run comes near that. */
const TOKEN_TTL_SECONDS = 24 * 3600;

/** The claims of connection `index`: sub, and the channels claim for transports that subscribe through the token. */
export function tokenClaims(userPrefix: string, index: number, channel?: string): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: `${userPrefix}${index}` };
  if (channel !== undefined) claims.channels = [channel];
  return claims;
}

/** Signs HS256 tokens with `secret`. */
export function hs256Signer(secret: string): (claims: Record<string, unknown>) => Promise<string> {
  const key = new TextEncoder().encode(secret);
  return (claims) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + TOKEN_TTL_SECONDS)
      .sign(key);
}

/** The JWKS document for one RSA public key: kid and `use: "sig"`, which both servers require of a JWKS key. */
export async function jwksDocument(publicKey: KeyObject, kid: string): Promise<{ keys: JWK[] }> {
  const jwk = await exportJWK(publicKey);
  return { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] };
}

/**
 * An RSA key pair (2048 bits) and an HTTP server on 127.0.0.1 that serves its
 * public key as a JWKS at /jwks.json, counting the fetches.
 */
export class JwksIssuer {
  readonly kid = `bench-${randomBytes(4).toString('hex')}`;
  /** GET requests served (each server fetches once per kid and caches the key). */
  fetches = 0;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private server: http.Server | null = null;
  private body = '';
  url = '';

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  async start(): Promise<string> {
    this.body = JSON.stringify(await jwksDocument(this.publicKey, this.kid));
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      this.fetches++;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(this.body) }).end(this.body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.unref();
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    return this.url;
  }

  sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setExpirationTime(Math.floor(Date.now() / 1000) + TOKEN_TTL_SECONDS)
      .sign(this.privateKey);
  }

  close(): void {
    this.server?.close();
    this.server = null;
  }
}

/**
 * `count` tokens, for connections 0…count−1 (claims from `claimsOf`), signed
 * `concurrency` at a time (WebCrypto signs off the main thread).
 */
export async function signTokens(
  count: number,
  claimsOf: (i: number) => Record<string, unknown>,
  sign: (claims: Record<string, unknown>) => Promise<string>,
  concurrency = 64,
): Promise<string[]> {
  const out = new Array<string>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await sign(claimsOf(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return out;
}
