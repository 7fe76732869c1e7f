// Starts a real Tributary server on a random port for integration tests.

import type { Config } from '../../src/config/schema.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { Server } from '../../src/server.js';
import { signToken } from '../../src/auth/sign.js';
import { configOf } from './config.js';

export const SECRET = 'test-secret-not-for-production';
export const API_KEY = 'test-api-key';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<infer U> ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    const t = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object' && !Array.isArray(t)) {
      merge(t as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

/** A loaded config for a test server: a free port on 127.0.0.1, no logs, the test secrets, then `overrides` (durations in ms). */
export function testConfig(overrides: DeepPartial<Config> | Record<string, unknown> = {}): Config {
  const raw: Record<string, unknown> = {
    http_server: { port: 0, address: '127.0.0.1' },
    log: { level: 'none' },
    client: { token: { hmac_secret_key: SECRET } },
    http_api: { key: API_KEY },
    // The emulation transports are on, so every SDK suite can run over them too (test/integration/transports/).
    http_stream: { enabled: true },
    sse: { enabled: true },
  };
  merge(raw, overrides as Record<string, unknown>);
  return configOf(raw);
}

export interface TestServer {
  server: Server;
  wsUrl: string;
  httpUrl: string;
  api(method: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string }>;
  stop(): Promise<void>;
}

export async function startServer(overrides: DeepPartial<Config> = {}): Promise<TestServer> {
  const config = testConfig(overrides);
  const server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }) });
  await server.start();
  const httpUrl = `http://127.0.0.1:${server.port}`;
  return {
    server,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${server.port}/connection/websocket`,
    async api(method, body, headers = {}) {
      const res = await fetch(`${httpUrl}/api/${method}`, {
        method: 'POST',
        headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown = undefined;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, json, text };
    },
    stop: () => server.stop(),
  };
}

export function token(user: string, claims: Record<string, unknown> = {}, ttl = 3600): Promise<string> {
  return signToken(SECRET, { sub: user, ...claims }, ttl);
}
