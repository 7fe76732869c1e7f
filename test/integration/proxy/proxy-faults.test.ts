// Proxies under faults and in their other forms: a backend that hangs must not
// hold up anyone else (1,000 other clients publish meanwhile); unidirectional
// clients get a connect failure as a disconnect; HTTP statuses transformed into
// errors and disconnects; static headers; binary encoding.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProxyBackend } from '../../helpers/proxy-backend.js';
import { RawClient } from '../../helpers/raw-ws.js';
import { RawStream } from '../../helpers/raw-stream.js';
import { startServer, token, type TestServer } from '../../helpers/server.js';

const replyOf = (c: RawClient, id: number) => c.messages.find((m) => m.id === id);

describe('a hanging backend', () => {
  let backend: ProxyBackend;
  let server: TestServer;
  before(async () => {
    backend = await ProxyBackend.http();
    server = await startServer({
      client: { proxy: { connect: { enabled: true, endpoint: backend.endpoint('connect'), timeout: 4000 } } },
      channel: { namespaces: [{ name: 'room', allow_subscribe_for_client: true, allow_publish_for_client: true, history_size: 2000, history_ttl: 60_000 }] },
      rpc: { proxy: { endpoint: backend.endpoint('rpc'), timeout: 4000 }, without_namespace: { proxy_enabled: true } },
    } as any);
  });
  after(async () => {
    await server.stop();
    await backend.stop();
  });

  it('holds up only its own caller: 1,000 other clients publish meanwhile, then the caller gets 100', async () => {
    backend.on('connect', { json: { result: { user: 'waiting' } } });
    backend.on('rpc', { hang: true });
    const waiting = await RawClient.open(server.wsUrl);
    waiting.send({ id: 1, connect: {} });
    await waiting.until(() => !!replyOf(waiting, 1));

    const others: RawClient[] = [];
    try {
      for (let i = 0; i < 1000; i++) {
        const c = await RawClient.open(server.wsUrl);
        c.send({ id: 1, connect: { token: await token(`u${i}`) } });
        others.push(c);
      }
      await Promise.all(others.map((c) => c.until(() => !!replyOf(c, 1), 10_000)));
      const rpcSent = Date.now();
      waiting.send({ id: 2, rpc: { method: 'slow' } });
      others.forEach((c, i) => c.send({ id: 2, publish: { channel: 'room:all', data: { i } } }));
      await Promise.all(others.map((c) => c.until(() => !!replyOf(c, 2), 10_000)));
      const published = Date.now();
      assert.ok(published - rpcSent < 4000, `all 1,000 published while the backend hung (${published - rpcSent} ms)`);
      assert.ok(
        others.every((c) => replyOf(c, 2).publish),
        'every publish succeeded',
      );
      const history = await server.api('history', { channel: 'room:all', limit: -1 });
      assert.equal(history.json.result.publications.length, 1000, 'nothing lost');
      assert.equal(replyOf(waiting, 2), undefined, 'the hanging call has no answer yet');
      await waiting.until(() => !!replyOf(waiting, 2), 5000);
      assert.deepEqual(replyOf(waiting, 2).error, { code: 100, message: 'internal server error', temporary: true });
      assert.ok(Date.now() - rpcSent >= 3900, 'after the proxy timeout');
    } finally {
      for (const c of others) c.close();
      waiting.close();
    }
  });
});

describe('proxy forms', () => {
  let backend: ProxyBackend;
  let server: TestServer;
  before(async () => {
    backend = await ProxyBackend.http();
    server = await startServer({
      client: {
        proxy: {
          connect: {
            enabled: true,
            endpoint: backend.endpoint('connect'),
            binary_encoding: true,
            http: { static_headers: { 'X-Static': 's', 'X-Custom': 'static-loses' } },
            http_headers: ['x-custom'],
          },
        },
      },
      channel: { namespaces: [{ name: 'news', allow_subscribe_for_client: true }] },
      proxies: [
        {
          name: 'transformed',
          endpoint: backend.endpoint('rpc'),
          http: {
            status_to_code_transforms: [
              { status_code: 403, to_error: { code: 403, message: 'forbidden', temporary: false } },
              { status_code: 401, to_disconnect: { code: 4501, reason: 'unauthorized' } },
            ],
          },
        },
      ],
      rpc: { without_namespace: { proxy_enabled: true, proxy_name: 'transformed' } },
      uni_http_stream: { enabled: true },
    } as any);
  });
  after(async () => {
    await server.stop();
    await backend.stop();
  });

  it('an answer over 16 MiB fails the call (100); an error code outside 400–1999 passes through as the backend gave it', async () => {
    backend.on('connect', { raw: Buffer.alloc(17 * 1024 * 1024, 0x20) });
    const c = await RawClient.open(server.wsUrl);
    c.send({ id: 1, connect: {} });
    await c.until(() => !!replyOf(c, 1), 10_000);
    assert.deepEqual(replyOf(c, 1).error, { code: 100, message: 'internal server error', temporary: true });
    c.close();
    // Centrifugo does not police the backend's codes: 100 or 3000 arrive as sent.
    backend.on('connect', { json: { error: { code: 100, message: 'backend says so' } } });
    const d = await RawClient.open(server.wsUrl);
    d.send({ id: 1, connect: {} });
    await d.until(() => !!replyOf(d, 1));
    assert.deepEqual(replyOf(d, 1).error, { code: 100, message: 'backend says so' });
    d.close();
  });

  it('binary_encoding sends payloads as base64; static headers lose to forwarded ones', async () => {
    backend.on('connect', { json: { result: { user: 'b1' } } });
    const c = await RawClient.open(server.wsUrl, { headers: { 'x-custom': 'from-client' } });
    c.send({ id: 1, connect: { data: { a: 1 } } });
    await c.until(() => !!replyOf(c, 1));
    const req = backend.of('connect').at(-1)!;
    assert.equal(req.body.encoding, 'binary');
    assert.equal(req.body.data, undefined);
    assert.equal(Buffer.from(req.body.b64data, 'base64').toString(), '{"a":1}');
    assert.equal(req.headers['x-static'], 's');
    assert.equal(req.headers['x-custom'], 'from-client');
    c.close();
  });

  it('status_to_code_transforms: 403 becomes the error, 401 the disconnect, others 100', async () => {
    backend.on('connect', { json: { result: { user: 't1' } } });
    const c = await RawClient.open(server.wsUrl);
    c.send({ id: 1, connect: {} });
    await c.until(() => !!replyOf(c, 1));
    backend.on('rpc', { status: 403 });
    c.send({ id: 2, rpc: { method: 'x' } });
    await c.until(() => !!replyOf(c, 2));
    assert.deepEqual(replyOf(c, 2).error, { code: 403, message: 'forbidden' });
    backend.on('rpc', { status: 502 });
    c.send({ id: 3, rpc: { method: 'x' } });
    await c.until(() => !!replyOf(c, 3));
    assert.equal(replyOf(c, 3).error.code, 100);
    backend.on('rpc', { status: 401 });
    c.send({ id: 4, rpc: { method: 'x' } });
    await c.until(() => c.closeCode !== null);
    assert.equal(c.closeCode, 4501);
    // A transformed answer is the backend speaking, not a failure: only the 502 counts as an error.
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /centrifugo_proxy_errors\{protocol="http",type="rpc",name="transformed"\} 1\n/);
  });

  it('uni_http_stream: the connect proxy accepts with channels, or its error becomes a disconnect', async () => {
    backend.on('connect', { json: { result: { user: 'uni', channels: ['news:a'] } } });
    const ok = await RawStream.open(`${server.httpUrl}/connection/uni_http_stream`, { body: '{}' });
    const { connect } = await ok.wait((m: any) => m.connect);
    assert.deepEqual(Object.keys(connect.subs), ['news:a']);
    assert.equal(backend.of('connect').at(-1)!.body.transport, 'uni_http_stream');
    ok.close();

    backend.on('connect', { json: { error: { code: 1001, message: 'custom' } } });
    const refused = await RawStream.open(`${server.httpUrl}/connection/uni_http_stream`, { body: '{}' });
    await refused.until(() => refused.ended, 3000, 'end');
    assert.deepEqual(refused.messages, [{ disconnect: { code: 3004, reason: 'internal server error' } }]);

    backend.on('connect', { json: { disconnect: { code: 4503, reason: 'go away' } } });
    const dropped = await RawStream.open(`${server.httpUrl}/connection/uni_http_stream`, { body: '{}' });
    await dropped.until(() => dropped.ended, 3000, 'end');
    assert.deepEqual(dropped.messages, [{ disconnect: { code: 4503, reason: 'go away' } }]);
  });
});
