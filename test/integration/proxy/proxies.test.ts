// The event proxies against a real backend, over HTTP and over gRPC (the same
// scenarios for both): what the backend is sent, and what the client gets for
// each answer, failure and timeout (proxies.md §4–§8). Raw WebSocket frames
// show the exact replies; the official SDK shows a proxied connect and rpc()
// work unchanged.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProxyBackend, type ProxyType } from '../../helpers/proxy-backend.js';
import { RawClient } from '../../helpers/raw-ws.js';
import { once, sdkClient } from '../../helpers/sdk.js';
import { startServer, token, type TestServer } from '../../helpers/server.js';

// Expiries are whole Unix seconds: the tests use +2 at least, as +1 can already be over when checked.
const nowSec = () => Math.floor(Date.now() / 1000);

/** A proxy block pointing at the backend's endpoint for `type`. */
function proxyBlock(backend: ProxyBackend, type: ProxyType, extra: Record<string, unknown> = {}) {
  return { endpoint: backend.endpoint(type), timeout: '300ms', ...extra };
}

function configFor(backend: ProxyBackend, extra: { refresh?: boolean } = {}) {
  return {
    client: {
      proxy: {
        connect: { enabled: true, ...proxyBlock(backend, 'connect', { http_headers: ['x-custom'], emulated_headers: ['x-emulated'] }) },
        refresh: { enabled: extra.refresh === true, ...proxyBlock(backend, 'refresh', { include_connection_meta: true }) },
      },
      expired_sub_close_delay: 100,
      expired_close_delay: 100,
    },
    channel: {
      proxy: {
        subscribe: proxyBlock(backend, 'subscribe', { include_connection_meta: true, http_headers: ['x-custom'] }),
        publish: proxyBlock(backend, 'publish', { include_connection_meta: true }),
        sub_refresh: proxyBlock(backend, 'sub_refresh'),
      },
      without_namespace: { allow_subscribe_for_client: true, allow_publish_for_client: false },
      namespaces: [
        {
          name: 'pp',
          subscribe_proxy_enabled: true,
          publish_proxy_enabled: true,
          sub_refresh_proxy_enabled: true,
          presence: true,
          allow_presence_for_subscriber: true,
          history_size: 10,
          history_ttl: 60_000,
        },
        { name: 'news', allow_subscribe_for_client: true },
        { name: 'cached', force_recovery: true, force_recovery_mode: 'cache', history_size: 1, history_ttl: 60_000 },
        { name: 'plain', allow_subscribe_for_client: true, allow_publish_for_client: true },
      ],
    },
    rpc: {
      proxy: proxyBlock(backend, 'rpc', { include_connection_meta: true }),
      without_namespace: { proxy_enabled: true },
      namespaces: [{ name: 'closed', proxy_enabled: false }],
      ping: { enabled: true },
    },
  } as any;
}

async function connected(server: TestServer, connect: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<RawClient> {
  const c = await RawClient.open(server.wsUrl, { headers });
  c.send({ id: 1, connect });
  await c.until(() => c.messages.some((m) => m.id === 1) || c.closeCode !== null, 3000, 'connect reply');
  return c;
}

const replyOf = (c: RawClient, id: number) => c.messages.find((m) => m.id === id);

for (const kind of ['http', 'grpc'] as const) {
  describe(`proxies over ${kind}`, () => {
    let backend: ProxyBackend;
    let server: TestServer;

    before(async () => {
      backend = kind === 'http' ? await ProxyBackend.http() : await ProxyBackend.grpc();
      server = await startServer(configFor(backend));
    });
    after(async () => {
      await server.stop();
      await backend.stop();
    });

    describe('connect', () => {
      it('asks the backend for a connection without a token, and applies its answer', async () => {
        backend.on('connect', {
          json: { result: { user: '56', expire_at: nowSec() + 3600, info: { n: 1 }, data: { d: 1 }, channels: ['news:a'], meta: { m: 1 } } },
        });
        const c = await connected(server, { data: { app: 'web' }, name: 'js', version: '1.0' }, { 'x-custom': 'v1', 'x-other': 'no' });
        const reply = replyOf(c, 1);
        assert.equal(reply.connect.client.length, 36);
        assert.deepEqual(reply.connect.data, { d: 1 });
        assert.ok(reply.connect.subs['news:a'], 'the backend’s channel is server-side subscribed');
        assert.equal(reply.connect.expires, true, 'without a refresh proxy the client refreshes');
        const req = backend.of('connect').at(-1)!;
        if (kind === 'http') {
          assert.deepEqual(JSON.parse(req.text), {
            client: reply.connect.client,
            transport: 'websocket',
            protocol: 'json',
            encoding: 'json',
            data: { app: 'web' },
            name: 'js',
            version: '1.0',
          });
          assert.equal(req.headers['content-type'], 'application/json');
        } else {
          assert.equal(req.body.client, reply.connect.client);
          assert.equal(req.body.transport, 'websocket');
          assert.deepEqual(JSON.parse(req.body.data.toString()), { app: 'web' });
        }
        assert.equal(req.headers['x-custom'], 'v1', 'a listed header is forwarded');
        assert.equal(req.headers['x-other'], undefined, 'others are not');

        // The connection meta goes to later proxies that include it, never to connect.
        backend.on('rpc', { json: { result: { data: { ok: true } } } });
        c.send({ id: 2, rpc: { method: 'calc', data: { a: 1 } } });
        await c.until(() => !!replyOf(c, 2));
        assert.deepEqual(replyOf(c, 2).rpc, { data: { ok: true } });
        const rpcReq = backend.of('rpc').at(-1)!;
        const rpcBody = kind === 'http' ? JSON.parse(rpcReq.text) : { ...rpcReq.body, meta: JSON.parse(rpcReq.body.meta), data: JSON.parse(rpcReq.body.data) };
        assert.equal(rpcBody.user, '56');
        assert.equal(rpcBody.method, 'calc');
        assert.deepEqual(rpcBody.data, { a: 1 });
        assert.deepEqual(rpcBody.meta, { m: 1 });
      });

      it('the backend’s error is the connect error; its disconnect closes; an empty result is 3501', async () => {
        backend.on('connect', { json: { error: { code: 1001, message: 'custom', temporary: true } } });
        let c = await connected(server);
        assert.deepEqual(replyOf(c, 1).error, { code: 1001, message: 'custom', temporary: true });

        backend.on('connect', { json: { disconnect: { code: 4501, reason: 'unauthorized' } } });
        c = await connected(server);
        await c.until(() => c.closeCode !== null);
        assert.equal(c.closeCode, 4501);
        assert.equal(c.closeReason, 'unauthorized');

        backend.on('connect', { json: { result: null } });
        c = await connected(server);
        await c.until(() => c.closeCode !== null);
        assert.equal(c.closeCode, 3501);
      });

      it('a backend that fails, hangs past its timeout or answers garbage is error 100 (temporary)', async () => {
        const failures: Array<[string, Parameters<ProxyBackend['on']>[1]]> =
          kind === 'http'
            ? [
                ['500', { status: 500 }],
                ['hang', { hang: true }],
                ['not JSON', { raw: 'not json' }],
                ['wrong type', { json: { result: { user: 5 } } }],
                ['bad base64', { json: { result: { user: 'u', b64info: '!!notbase64' } } }],
              ]
            : [
                ['unimplemented', { grpcError: 12 }],
                ['hang', { hang: true }],
                ['bad base64', { json: { result: { user: 'u', b64info: '!!notbase64' } } }],
              ];
        for (const [what, reply] of failures) {
          backend.on('connect', reply);
          const c = await connected(server);
          assert.deepEqual(replyOf(c, 1)?.error, { code: 100, message: 'internal server error', temporary: true }, what);
        }
        const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
        assert.match(metrics, new RegExp(`centrifugo_proxy_errors\\{protocol="${kind}",type="connect",name="default"\\} [1-9]`));
        assert.match(metrics, new RegExp(`centrifugo_proxy_duration_seconds_histogram_count\\{protocol="${kind}",type="connect",name="default"\\} [1-9]`));
        assert.match(metrics, new RegExp(`centrifugo_proxy_duration_seconds\\{quantile="0.99",protocol="${kind}",type="connect",name="default"\\} `));
      });

      it('a connection with a token never asks the connect proxy', async () => {
        const before = backend.of('connect').length;
        const c = await connected(server, { token: await token('jwt-user') });
        assert.ok(replyOf(c, 1).connect);
        assert.equal(backend.of('connect').length, before);
      });

      it('subs from the backend: data and info per channel, and cache_recover delivers the latest publication', async () => {
        await server.api('publish', { channel: 'cached:x', data: { latest: true } });
        backend.on('connect', {
          json: { result: { user: 'u5', subs: { 'cached:x': { cache_recover: true, data: { sd: 1 } }, 'news:b': { info: { ci: 2 } } } } },
        });
        const c = await connected(server);
        const subs = replyOf(c, 1).connect.subs;
        assert.deepEqual(subs['cached:x'].data, { sd: 1 });
        assert.equal(subs['cached:x'].recovered, true);
        assert.deepEqual(
          subs['cached:x'].publications.map((p: any) => p.data),
          [{ latest: true }],
        );
        assert.ok(subs['news:b']);
        assert.equal(subs['news:b'].publications, undefined, 'no cache_recover, no recovery');
      });

      it('a channel of the backend in an unknown namespace is error 102', async () => {
        backend.on('connect', { json: { result: { user: 'u', channels: ['nosuch:x'] } } });
        const c = await connected(server);
        assert.equal(replyOf(c, 1).error.code, 102);
      });
    });

    describe('subscribe, publish, rpc', () => {
      it('subscribe: the backend allows with info and data, refuses with its error, fails with 100', async () => {
        backend.on('connect', { json: { result: { user: 'u1', meta: { tenant: 't' } } } });
        const c = await connected(server, {}, { 'x-custom': 'sub-header' });
        backend.on('subscribe', { json: { result: { info: { ci: 1 }, data: { sd: 1 } } } });
        c.send({ id: 2, subscribe: { channel: 'pp:room', data: { s: 1 } } });
        await c.until(() => !!replyOf(c, 2));
        assert.deepEqual(replyOf(c, 2).subscribe.data, { sd: 1 });
        const req = backend.of('subscribe').at(-1)!;
        const body = kind === 'http' ? JSON.parse(req.text) : { ...req.body, meta: JSON.parse(req.body.meta), data: JSON.parse(req.body.data) };
        assert.equal(body.user, 'u1');
        assert.equal(body.channel, 'pp:room');
        assert.deepEqual(body.data, { s: 1 });
        assert.deepEqual(body.meta, { tenant: 't' });
        assert.equal(req.headers['x-custom'], 'sub-header', 'headers of the connection reach later proxies too');
        // The channel info the backend gave shows in presence.
        c.send({ id: 3, presence: { channel: 'pp:room' } });
        await c.until(() => !!replyOf(c, 3));
        const entry: any = Object.values(replyOf(c, 3).presence.presence)[0];
        assert.deepEqual(entry.chan_info, { ci: 1 });

        backend.on('subscribe', { json: { error: { code: 1002, message: 'nope' } } });
        c.send({ id: 4, subscribe: { channel: 'pp:other' } });
        await c.until(() => !!replyOf(c, 4));
        assert.deepEqual(replyOf(c, 4).error, { code: 1002, message: 'nope' });

        backend.on('subscribe', kind === 'http' ? { status: 503 } : { grpcError: 14 });
        c.send({ id: 5, subscribe: { channel: 'pp:third' } });
        await c.until(() => !!replyOf(c, 5));
        assert.deepEqual(replyOf(c, 5).error, { code: 100, message: 'internal server error', temporary: true });

        // A namespace without the proxy keeps its allow_* rules and never asks.
        const asked = backend.of('subscribe').length;
        c.send({ id: 6, subscribe: { channel: 'plain:x' } });
        await c.until(() => !!replyOf(c, 6));
        assert.ok(replyOf(c, 6).subscribe);
        assert.equal(backend.of('subscribe').length, asked);
      });

      it('publish: the backend may replace the data and skip history, or refuse', async () => {
        backend.on('connect', { json: { result: { user: 'u2' } } });
        backend.on('subscribe', { json: { result: {} } });
        const c = await connected(server);
        c.send({ id: 2, subscribe: { channel: 'pp:pub' } });
        await c.until(() => !!replyOf(c, 2));

        backend.on('publish', { json: { result: { data: { y: 2 } } } });
        c.send({ id: 3, publish: { channel: 'pp:pub', data: { x: 1 } } });
        await c.until(() => !!replyOf(c, 3) && c.messages.some((m) => m.push?.pub));
        assert.deepEqual(replyOf(c, 3).publish, {});
        assert.deepEqual(c.messages.find((m) => m.push?.pub).push.pub.data, { y: 2 }, 'subscribers get the backend’s data');
        const req = backend.of('publish').at(-1)!;
        const data = kind === 'http' ? JSON.parse(req.text).data : JSON.parse(req.body.data);
        assert.deepEqual(data, { x: 1 });

        backend.on('publish', { json: { result: { skip_history: true } } });
        c.send({ id: 4, publish: { channel: 'pp:pub', data: { x: 2 } } });
        await c.until(() => !!replyOf(c, 4));
        const history = await server.api('history', { channel: 'pp:pub', limit: -1 });
        assert.deepEqual(
          history.json.result.publications.map((p: any) => p.data),
          [{ y: 2 }],
          'the skipped one is not in history',
        );

        backend.on('publish', { json: { error: { code: 1003, message: 'refused' } } });
        c.send({ id: 5, publish: { channel: 'pp:pub', data: { x: 3 } } });
        await c.until(() => !!replyOf(c, 5));
        assert.deepEqual(replyOf(c, 5).error, { code: 1003, message: 'refused' });

        // Without the proxy a namespace's rules still apply: no allow_publish_for_client here.
        c.send({ id: 6, publish: { channel: 'nopub', data: {} } });
        await c.until(() => !!replyOf(c, 6));
        assert.equal(replyOf(c, 6).error.code, 103);
      });

      it('rpc: ping answers without the backend, unknown namespaces are 104, a namespace without the proxy 108, backend errors pass through', async () => {
        backend.on('connect', { json: { result: { user: 'u3' } } });
        const c = await connected(server);
        c.send({ id: 2, rpc: { method: 'ping' } });
        c.send({ id: 3, rpc: { method: 'nosuch:x' } });
        c.send({ id: 4, rpc: { method: 'closed:x' } });
        backend.on('rpc', { json: { error: { code: 1004, message: 'custom' } } });
        c.send({ id: 5, rpc: { method: 'calc' } });
        await c.until(() => [2, 3, 4, 5].every((id) => replyOf(c, id)));
        assert.deepEqual(replyOf(c, 2).rpc, {});
        assert.deepEqual(replyOf(c, 3).error, { code: 104, message: 'method not found' });
        assert.deepEqual(replyOf(c, 4).error, { code: 108, message: 'not available' });
        assert.deepEqual(replyOf(c, 5).error, { code: 1004, message: 'custom' });

        backend.on('rpc', { json: { result: { b64data: Buffer.from('{"r":3}').toString('base64') } } });
        c.send({ id: 6, rpc: { method: 'calc' } });
        await c.until(() => !!replyOf(c, 6));
        assert.deepEqual(replyOf(c, 6).rpc, { data: { r: 3 } });

        backend.on('rpc', { json: { disconnect: { code: 4502, reason: 'bye' } } });
        c.send({ id: 7, rpc: { method: 'calc' } });
        await c.until(() => c.closeCode !== null);
        assert.equal(c.closeCode, 4502);
      });

      it('the official SDK connects through the proxy and calls rpc()', async () => {
        backend.on('connect', { json: { result: { user: 'sdk-user' } } });
        backend.on('rpc', (req) => ({ json: { result: { data: { echo: kind === 'http' ? req.body.data : JSON.parse(req.body.data) } } } }));
        const client = sdkClient(server.wsUrl);
        try {
          client.connect();
          await once(client, 'connected');
          const res = await client.rpc('echo', { hello: 'world' });
          assert.deepEqual(res.data, { echo: { hello: 'world' } });
        } finally {
          client.disconnect();
        }
      });
    });

    describe('refresh and sub_refresh', () => {
      it('sub_refresh: an expiring proxied subscription is extended by the backend, then ends when it says expired', async () => {
        backend.on('connect', { json: { result: { user: 'u4' } } });
        backend.on('subscribe', { json: { result: { expire_at: nowSec() + 2 } } });
        let calls = 0;
        backend.on('sub_refresh', () => (++calls === 1 ? { json: { result: { expire_at: nowSec() + 2 } } } : { json: { result: { expired: true } } }));
        const c = await connected(server);
        c.send({ id: 2, subscribe: { channel: 'pp:expiring' } });
        await c.until(() => !!replyOf(c, 2));
        assert.equal(replyOf(c, 2).subscribe.expires, undefined, 'refreshed server-side: the client is not told');
        await c.until(() => c.messages.some((m) => m.push?.unsubscribe), 9000, 'unsubscribe push');
        assert.equal(calls, 2);
        assert.deepEqual(c.messages.find((m) => m.push?.unsubscribe).push, {
          channel: 'pp:expiring',
          unsubscribe: { code: 2501, reason: 'subscription expired' },
        });
        const req = backend.of('sub_refresh').at(-1)!;
        const body = kind === 'http' ? JSON.parse(req.text) : req.body;
        assert.equal(body.user, 'u4');
        assert.equal(body.channel, 'pp:expiring');
      });
    });
  });
}

describe('refresh proxy', () => {
  for (const kind of ['http', 'grpc'] as const) {
    it(`over ${kind}: extends a proxied connection server-side, retries after a failure, and closes with 3005 when expired`, async () => {
      const backend = kind === 'http' ? await ProxyBackend.http() : await ProxyBackend.grpc();
      const server = await startServer(configFor(backend, { refresh: true }));
      try {
        backend.on('connect', { json: { result: { user: 'r1', expire_at: nowSec() + 2, meta: { v: 1 } } } });
        let calls = 0;
        backend.on('refresh', () =>
          ++calls === 1 ? { json: { result: { expire_at: nowSec() + 2, meta: { v: 2 } } } } : { json: { result: { expired: true } } },
        );
        const c = await connected(server);
        assert.equal(replyOf(c, 1).connect.expires, undefined, 'the server refreshes, so the client is not told');
        await c.until(() => c.closeCode !== null, 9000, 'close');
        assert.equal(c.closeCode, 3005);
        assert.equal(calls, 2);
        const bodies = backend.of('refresh').map((r) => (kind === 'http' ? JSON.parse(r.text) : { ...r.body, meta: JSON.parse(r.body.meta) }));
        assert.equal(bodies[0].user, 'r1');
        assert.deepEqual(bodies[0].meta, { v: 1 });
        assert.deepEqual(bodies[1].meta, { v: 2 }, 'the meta the refresh returned is the one sent next');

        // An answer that does not decode ends the connection with 3004.
        backend.on('connect', { json: { result: { user: 'r2', expire_at: nowSec() + 2 } } });
        backend.on('refresh', { json: { result: { expire_at: nowSec() + 60, b64info: '!!notbase64' } } });
        const broken = await connected(server);
        await broken.until(() => broken.closeCode !== null, 9000, 'close');
        assert.equal(broken.closeCode, 3004);
      } finally {
        await server.stop();
        await backend.stop();
      }
    });
  }
});
