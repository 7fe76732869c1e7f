// The admin endpoints over real HTTP (spec admin.md §3–§7): init, login and
// its throttle, the legacy API behind the token, security headers, the
// token's checks (tampered, expired, other secret), stats, the channel tail,
// and the prefix and port it is mounted on.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { issueAdminToken } from '../../../src/admin/token.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const PASSWORD = 'admin-password-for-tests';
const SECRET = 'admin-secret-for-tests';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function login(base: string, password: string): Promise<Response> {
  const form = new FormData();
  form.set('password', password);
  return fetch(`${base}/admin/auth`, { method: 'POST', body: form });
}

describe('admin endpoints', () => {
  let s: TestServer;
  let base: string;
  let token: string;
  const auth = () => ({ Authorization: `token ${token}` });

  before(async () => {
    s = await startServer({
      admin: { enabled: true, password: PASSWORD, secret: SECRET },
      channel: { without_namespace: { history_size: 10, history_ttl: 60_000 } },
    });
    base = s.httpUrl;
  });
  after(() => s.stop());

  it('init says not authenticated without a token, authenticated with one', async () => {
    const r = await fetch(`${base}/admin/init`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '{"authenticated":false,"edition":"oss","insecure":false}\n');
    assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const ok = await login(base, PASSWORD);
    assert.equal(ok.status, 200);
    token = ((await ok.json()) as { token: string }).token;
    const again = await fetch(`${base}/admin/init`, { headers: auth() });
    assert.deepEqual(await again.json(), { authenticated: true, edition: 'oss', insecure: false });
  });

  it('login takes an urlencoded body too, refuses a wrong password with 400, and GET with 405', async () => {
    const r = await fetch(`${base}/admin/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `password=${encodeURIComponent(PASSWORD)}`,
    });
    assert.equal(r.status, 200);
    assert.equal((await login(base, 'wrong')).status, 400);
    assert.equal((await fetch(`${base}/admin/auth`)).status, 405);
  });

  it('the API runs commands with a token, and refuses without one or with a bad one', async () => {
    const body = JSON.stringify({ method: 'publish', params: { channel: 'news', data: { text: 'hi' } } });
    const r = await fetch(`${base}/admin/api`, { method: 'POST', headers: auth(), body });
    assert.equal(r.status, 200);
    const reply = (await r.json()) as { result: { offset: number } };
    assert.equal(reply.result.offset, 1);
    assert.equal((await fetch(`${base}/admin/api`, { method: 'POST', body })).status, 401);
    assert.equal((await fetch(`${base}/admin/api`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body })).status, 401);
    // One byte of the signature changed.
    const raw = Buffer.from(token, 'base64url');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    const tampered = raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    assert.equal((await fetch(`${base}/admin/api`, { method: 'POST', headers: { Authorization: `token ${tampered}` }, body })).status, 401);
    const expired = issueAdminToken(SECRET, Date.now() - 31 * 24 * 3600 * 1000);
    assert.equal((await fetch(`${base}/admin/api`, { method: 'POST', headers: { Authorization: `token ${expired}` }, body })).status, 401);
    const foreign = issueAdminToken('another-secret');
    assert.equal((await fetch(`${base}/admin/api`, { method: 'POST', headers: { Authorization: `token ${foreign}` }, body })).status, 401);
    assert.equal((await fetch(`${base}/admin/api`, { headers: auth() })).status, 405);
    assert.equal((await fetch(`${base}/admin/api`, { method: 'POST', headers: auth(), body: '' })).status, 400);
    assert.equal((await fetch(`${base}/admin/api`, { method: 'POST', headers: auth(), body: '{"method":' })).status, 400);
    const unknown = await fetch(`${base}/admin/api`, { method: 'POST', headers: auth(), body: '{"method":"publish","params":{"channel":"nope:x","data":{}}}' });
    assert.deepEqual(await unknown.json(), { error: { code: 102, message: 'unknown channel' } });
  });

  it('stats lists this node with samples; refuses without a token', async () => {
    assert.equal((await fetch(`${base}/admin/stats`)).status, 401);
    await new Promise((r) => setTimeout(r, 2500));
    const r = await fetch(`${base}/admin/stats`, { headers: auth() });
    const body = (await r.json()) as { interval_ms: number; nodes: Array<{ name: string; samples: Array<Record<string, number>> }> };
    assert.equal(body.interval_ms, 2000);
    assert.equal(body.nodes.length, 1);
    assert.ok(body.nodes[0]!.samples.length >= 1);
    assert.equal(typeof body.nodes[0]!.samples[0]!.deliveries_per_sec, 'number');
  });

  it('tail streams history from the last N, then live publications', async () => {
    const ctrl = new AbortController();
    const r = await fetch(`${base}/admin/tail`, { method: 'POST', headers: auth(), body: JSON.stringify({ channel: 'news', limit: 5 }), signal: ctrl.signal });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/x-ndjson');
    const reader = r.body!.getReader();
    const lines: Array<Record<string, any>> = [];
    let buf = '';
    const next = async () => {
      while (!buf.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) throw new Error('tail ended');
        buf += Buffer.from(value).toString('utf8');
      }
      const i = buf.indexOf('\n');
      const line = JSON.parse(buf.slice(0, i)) as Record<string, any>;
      buf = buf.slice(i + 1);
      lines.push(line);
      return line;
    };
    assert.deepEqual(await next(), { type: 'history', publication: { offset: 1, data: { text: 'hi' } } });
    const live = await next();
    assert.equal(live.type, 'live');
    assert.equal(live.offset, 1);
    assert.equal(typeof live.epoch, 'string');
    await s.api('publish', { channel: 'news', data: { n: 2 } });
    assert.deepEqual(await next(), { type: 'publication', publication: { offset: 2, data: { n: 2 } } });
    ctrl.abort();
    const bad = await fetch(`${base}/admin/tail`, { method: 'POST', headers: auth(), body: JSON.stringify({ channel: '' }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, 107);
    assert.equal((await fetch(`${base}/admin/tail`, { method: 'POST', body: '{"channel":"news"}' })).status, 401);
  });

  it('serves the UI at the root without a fallback: an unknown file is 404, traversal goes nowhere', async () => {
    assert.equal((await fetch(`${base}/nope.js`)).status, 404);
    assert.equal((await fetch(`${base}/nope.js`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${base}/..%2f..%2fpackage.json`)).status, 404);
    assert.equal((await fetch(`${base}/admin/whatever`)).status, 404);
  });

  it('throttles an address after five failed logins with 429 and Retry-After', async () => {
    // Earlier tests failed once from this address.
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) last = await login(base, 'wrong');
    assert.equal(last!.status, 429);
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
    assert.equal((await login(base, PASSWORD)).status, 429, 'even the right password waits');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /tributary_admin_logins_total\{result="ok"\} 2/);
    assert.match(metrics, /tributary_admin_logins_total\{result="wrong_password"\} 5/);
    assert.match(metrics, /tributary_admin_logins_total\{result="throttled"\} 2/);
    assert.match(metrics, /tributary_delivery_latency_seconds_count \d+/);
  });
});

describe('admin configuration', () => {
  it('insecure: init says so and the API needs no token', async () => {
    const s = await startServer({ admin: { enabled: true, insecure: true } });
    try {
      assert.deepEqual(await (await fetch(`${s.httpUrl}/admin/init`)).json(), { authenticated: true, edition: 'oss', insecure: true });
      const r = await fetch(`${s.httpUrl}/admin/api`, { method: 'POST', body: '{"method":"info","params":{}}' });
      assert.equal(r.status, 200);
    } finally {
      await s.stop();
    }
  });

  it('no password or secret: login 400 and the API 401 (fail-closed)', async () => {
    const s = await startServer({ admin: { enabled: true } });
    try {
      assert.equal((await login(s.httpUrl, '')).status, 400);
      assert.equal((await fetch(`${s.httpUrl}/admin/api`, { method: 'POST', body: '{"method":"info"}' })).status, 401);
    } finally {
      await s.stop();
    }
  });

  it('a prefix: the tree moves under it, the bare prefix redirects, other paths stay 404', async () => {
    const s = await startServer({ admin: { enabled: true, insecure: true, handler_prefix: '/ops/' } });
    try {
      const init = await fetch(`${s.httpUrl}/ops/admin/init`);
      assert.equal(init.status, 200);
      const bare = await fetch(`${s.httpUrl}/ops`, { redirect: 'manual' });
      assert.equal(bare.status, 301);
      assert.equal(bare.headers.get('location'), '/ops/');
      assert.equal((await fetch(`${s.httpUrl}/admin/init`)).status, 404);
    } finally {
      await s.stop();
    }
  });

  it('with an internal port the admin lives there only, unless admin.external', async () => {
    for (const external of [false, true]) {
      const internal = await freePort();
      const s = await startServer({ admin: { enabled: true, insecure: true, external }, http_server: { internal_port: internal } });
      try {
        assert.equal((await fetch(`http://127.0.0.1:${internal}/admin/init`)).status, external ? 404 : 200);
        assert.equal((await fetch(`${s.httpUrl}/admin/init`)).status, external ? 200 : 404);
      } finally {
        await s.stop();
      }
    }
  });
});
