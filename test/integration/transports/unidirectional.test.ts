// The unidirectional transports (uni_http_stream, uni_sse, uni_websocket) as
// a client with no SDK sees them: a bare connect request in, bare pushes out
// (connect first), server-side subscriptions from the token, the personal
// channel and the API, join/leave, pings, and every way a connection ends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { RawStream } from '../../helpers/raw-stream.js';
import { startServer, token, type TestServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/sdk.js';

const expiredToken = (user: string) => token(user, { exp: Math.floor(Date.now() / 1000) - 60 }, 0);

const CHANNELS: Record<string, unknown> = {
  without_namespace: { allow_subscribe_for_client: true },
  namespaces: [
    { name: 'chat', join_leave: true, force_push_join_leave: true, presence: true, history_size: 10, history_ttl: 60_000, force_recovery: true },
    { name: 'personal' },
  ],
};

describe('unidirectional HTTP transports', () => {
  let ts: TestServer;
  const streams: RawStream[] = [];
  const open = async (path: string, opts: Parameters<typeof RawStream.open>[1] = {}) => {
    const s = await RawStream.open(`${ts.httpUrl}${path}`, opts);
    streams.push(s);
    return s;
  };
  const body = async (user: string, claims: Record<string, unknown> = {}) => JSON.stringify({ token: await token(user, claims) });

  before(async () => {
    ts = await startServer({
      client: { subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal' } },
      channel: CHANNELS as never,
      uni_http_stream: { enabled: true, max_request_body_size: 1024 },
      uni_sse: { enabled: true },
    });
  });
  after(async () => {
    for (const s of streams) s.close();
    await ts.stop();
  });

  it('uni_http_stream: the connect push first (session, no pong, no node), then bare pushes, one per line', async () => {
    const s = await open('/connection/uni_http_stream', { body: await body('alice', { channels: ['news'] }) });
    assert.equal(s.status, 200);
    assert.equal(s.headers['x-accel-buffering'], 'no');
    assert.equal(s.headers['cache-control'], 'private, no-cache, no-store, must-revalidate, max-age=0');
    const { connect } = await s.wait((m) => m.connect);
    assert.deepEqual(Object.keys(connect.subs).sort(), ['news', 'personal:#alice']);
    assert.match(connect.session, /^[0-9a-f-]{36}$/);
    assert.equal(connect.pong, undefined);
    assert.equal(connect.node, undefined);
    await ts.api('publish', { channel: 'news', data: { n: 1 } });
    assert.deepEqual(await s.wait((m) => m.pub), { channel: 'news', pub: { data: { n: 1 } } });
    await ts.api('publish', { channel: 'personal:#alice', data: 'hi' });
    assert.deepEqual(await s.wait((m) => m.channel === 'personal:#alice'), { channel: 'personal:#alice', pub: { data: 'hi' } });
  });

  it('API subscribe, join/leave pushes, unsubscribe and a disconnect that ends the stream', async () => {
    const s = await open('/connection/uni_http_stream', { body: await body('bob') });
    await s.wait((m) => m.connect);
    await ts.api('subscribe', { user: 'bob', channel: 'chat:room' });
    const sub = await s.wait((m) => m.subscribe);
    assert.equal(sub.channel, 'chat:room');
    const other = await open('/connection/uni_http_stream', { body: await body('carol', { channels: ['chat:room'] }) });
    await other.wait((m) => m.connect);
    await s.wait((m) => m.join?.info.user === 'carol', 'carol joins');
    other.close();
    await s.wait((m) => m.leave?.info.user === 'carol', 'carol leaves');
    await ts.api('unsubscribe', { user: 'bob', channel: 'chat:room' });
    assert.equal((await s.wait((m) => m.unsubscribe)).channel, 'chat:room');
    await ts.api('disconnect', { user: 'bob', disconnect: { code: 4502, reason: 'bye' } });
    await s.until(() => s.ended, 3000, 'stream end');
    assert.deepEqual(s.messages.at(-1), { disconnect: { code: 4502, reason: 'bye' } });
  });

  it('a bad token ends the stream with {"disconnect":{"code":3500,...}}; an expired one with 3005', async () => {
    const bad = await open('/connection/uni_http_stream', { body: JSON.stringify({ token: 'not-a-jwt' }) });
    assert.equal(bad.status, 200);
    await bad.until(() => bad.ended, 3000, 'end');
    assert.deepEqual(bad.messages, [{ disconnect: { code: 3500, reason: 'invalid token' } }]);
    const expired = await open('/connection/uni_http_stream', { body: JSON.stringify({ token: await expiredToken('dave') }) });
    await expired.until(() => expired.ended, 3000, 'end');
    assert.deepEqual(expired.messages, [{ disconnect: { code: 3005, reason: 'connection expired' } }]);
  });

  it('uni_http_stream: 400 for a body that is no connect request, 405 but POST, 204 preflight, 413 over the limit', async () => {
    for (const bad of ['', '{', '[]', '{"token":5}', '{"subs":[]}']) {
      assert.equal((await fetch(`${ts.httpUrl}/connection/uni_http_stream`, { method: 'POST', body: bad })).status, 400, bad);
    }
    assert.equal((await fetch(`${ts.httpUrl}/connection/uni_http_stream`)).status, 405);
    const pre = await fetch(`${ts.httpUrl}/connection/uni_http_stream`, { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal((await fetch(`${ts.httpUrl}/connection/uni_http_stream`, { method: 'POST', body: 'x'.repeat(2000) })).status, 413);
  });

  it('uni_sse: GET with cf_connect, or POST; events with an empty line first; a null request is an empty one', async () => {
    const connect = encodeURIComponent(await body('erin', { channels: ['news'] }));
    const s = await open(`/connection/uni_sse?cf_connect=${connect}`, { method: 'GET', format: 'sse' });
    assert.equal(s.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.ok((await s.wait((m) => m.connect)).connect.subs.news);
    assert.ok(s.text.startsWith('\r\ndata: {"connect":'));
    await ts.api('publish', { channel: 'news', data: { sse: true } });
    assert.deepEqual((await s.wait((m) => m.pub)).pub.data, { sse: true });
    const post = await open('/connection/uni_sse', { body: await body('frank'), format: 'sse' });
    await post.wait((m) => m.connect);
    // No token and no anonymous access: the empty request is refused like a bare connect.
    for (const path of ['/connection/uni_sse', '/connection/uni_sse?cf_connect=null']) {
      const anon = await open(path, { method: 'GET', format: 'sse' });
      await anon.until(() => anon.ended, 3000, 'end');
      assert.deepEqual(anon.messages, [{ disconnect: { code: 3501, reason: 'bad request' } }], path);
    }
    assert.equal((await fetch(`${ts.httpUrl}/connection/uni_sse?cf_connect=%7B`)).status, 400);
    assert.equal((await fetch(`${ts.httpUrl}/connection/uni_sse`, { method: 'PUT' })).status, 405);
  });

  it('recovers a server-side subscription from the token (since)', async () => {
    for (let i = 1; i <= 3; i++) await ts.api('publish', { channel: 'chat:history', data: { i } });
    const top = (await ts.api('history', { channel: 'chat:history', limit: 0 })).json.result;
    const req = {
      token: await token('grace', { channels: ['chat:history'] }),
      subs: { 'chat:history': { recover: true, offset: top.offset - 2, epoch: top.epoch } },
    };
    const s = await open('/connection/uni_http_stream', { body: JSON.stringify(req) });
    const sub = (await s.wait((m) => m.connect)).connect.subs['chat:history'];
    assert.equal(sub.recovered, true);
    assert.deepEqual(
      sub.publications.map((p: any) => p.data),
      [{ i: 2 }, { i: 3 }],
    );
  });
});

describe('unidirectional connect failures, mapped', () => {
  it('connect_code_to_http_response answers a failed connect with the mapped status (500 when unmapped); connect_code_to_unidirectional_disconnect picks the disconnect', async () => {
    const ts = await startServer({
      client: { connect_code_to_unidirectional_disconnect: { enabled: true, transforms: [{ code: 109, to: { code: 4109, reason: 'log in again' } }] } },
      uni_http_stream: { enabled: true, connect_code_to_http_response: { enabled: true, transforms: [{ code: 3500, to: { status_code: 401, body: '' } }] } },
      uni_sse: { enabled: true },
    });
    try {
      const bad = await fetch(`${ts.httpUrl}/connection/uni_http_stream`, { method: 'POST', body: '{"token":"nope"}' });
      assert.deepEqual([bad.status, await bad.text()], [401, 'invalid token']);
      const expired = await fetch(`${ts.httpUrl}/connection/uni_http_stream`, { method: 'POST', body: JSON.stringify({ token: await expiredToken('x') }) });
      assert.deepEqual([expired.status, await expired.text()], [500, 'Internal Server Error']);
      const s = await RawStream.open(`${ts.httpUrl}/connection/uni_sse`, { body: JSON.stringify({ token: await expiredToken('x') }), format: 'sse' });
      await s.until(() => s.ended, 3000, 'end');
      assert.deepEqual(s.messages, [{ disconnect: { code: 4109, reason: 'log in again' } }]);
      const info = (await ts.api('info', {})).json.result.nodes[0];
      assert.equal(info.num_clients, 0);
    } finally {
      await ts.stop();
    }
  });
});

/** A raw uni_websocket client: every frame as received, and the close. */
async function uniSocket(url: string) {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  const pings: number[] = [];
  let close: { code: number; reason: string } | null = null;
  ws.on('message', (d: Buffer) => frames.push(d.toString()));
  ws.on('ping', () => pings.push(Date.now()));
  ws.on('close', (code, reason) => (close = { code, reason: reason.toString() }));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    pings,
    get messages() {
      return frames.flatMap((f) => f.split('\n')).map((l) => JSON.parse(l));
    },
    get close() {
      return close as { code: number; reason: string } | null;
    },
  };
}

describe('uni_websocket', () => {
  let ts: TestServer;
  let base: string;
  before(async () => {
    ts = await startServer({
      client: { ping_interval: 600, pong_timeout: 300, stale_close_delay: 500 },
      channel: CHANNELS as never,
      uni_websocket: { enabled: true },
    });
    base = `ws://127.0.0.1:${ts.server.port}/connection/uni_websocket`;
  });
  after(() => ts.stop());

  it('takes the connect request from cf_connect; one push per frame; a close frame and a disconnect push on disconnect', async () => {
    const c = await uniSocket(`${base}?cf_connect=${encodeURIComponent(JSON.stringify({ token: await token('ann', { channels: ['news'] }) }))}`);
    await waitFor(() => c.messages.some((m) => m.connect));
    await ts.api('batch', { commands: [{ publish: { channel: 'news', data: 1 } }, { publish: { channel: 'news', data: 2 } }] });
    await waitFor(() => c.messages.filter((m) => m.pub).length === 2);
    assert.ok(c.frames.every((f) => !f.includes('\n')));
    await ts.api('disconnect', { user: 'ann', disconnect: { code: 4600, reason: 'done' } });
    await waitFor(() => c.close !== null);
    assert.deepEqual(c.close, { code: 4600, reason: 'done' });
    assert.deepEqual(c.messages.at(-1), { disconnect: { code: 4600, reason: 'done' } });
  });

  it('takes it from the first message otherwise, and pings with ping frames and {} pushes', async () => {
    const c = await uniSocket(base);
    c.ws.send(JSON.stringify({ token: await token('ben') }));
    await waitFor(() => c.messages.some((m) => m.connect));
    await waitFor(() => c.pings.length > 0 && c.frames.includes('{}'), 3000, 'a ping frame and a {} push');
    // Still connected after the pong timeout: ws answers ping frames, and {} pushes need no answer.
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(c.close, null);
    c.ws.send('anything after the connect is ignored');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.close, null);
    c.ws.close();
  });

  it('a plain GET without an upgrade is 400, as on the bidirectional endpoint', async () => {
    const res = await fetch(base.replace('ws://', 'http://'));
    assert.equal(res.status, 400);
    await res.arrayBuffer();
  });

  it('a bad first message closes with 3501; a bad cf_connect is 400 "invalid connect request"; no connect request is stale (3502)', async () => {
    const c = await uniSocket(base);
    c.ws.send('{"token":');
    await waitFor(() => c.close !== null);
    assert.deepEqual(c.close, { code: 3501, reason: 'bad request' });
    const refused = await new Promise<[number, string]>((resolve, reject) => {
      const ws = new WebSocket(`${base}?cf_connect=%7B`);
      ws.once('open', () => reject(new Error('upgraded')));
      ws.once('error', () => undefined);
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve([res.statusCode ?? 0, text]));
      });
    });
    assert.deepEqual(refused, [400, 'invalid connect request\n']);
    const silent = await uniSocket(base);
    await waitFor(() => silent.close !== null, 3000, 'stale close');
    assert.deepEqual(silent.close, { code: 3502, reason: 'stale' });
  });
});

describe('uni_websocket options', () => {
  it('join_push_messages joins a write into one frame; disable_disconnect_push leaves the close frame alone', async () => {
    const ts = await startServer({ uni_websocket: { enabled: true, join_push_messages: true, disable_disconnect_push: true } });
    try {
      const url = `ws://127.0.0.1:${ts.server.port}/connection/uni_websocket`;
      const c = await uniSocket(`${url}?cf_connect=${encodeURIComponent(JSON.stringify({ token: await token('cy', { channels: ['news'] }) }))}`);
      await waitFor(() => c.messages.some((m) => m.connect));
      await ts.api('batch', { commands: [{ publish: { channel: 'news', data: 1 } }, { publish: { channel: 'news', data: 2 } }] });
      await waitFor(() => c.messages.filter((m) => m.pub).length === 2);
      assert.ok(c.frames.some((f) => f.split('\n').length === 2));
      await ts.api('disconnect', { user: 'cy' });
      await waitFor(() => c.close !== null);
      assert.equal(
        c.messages.some((m) => m.disconnect),
        false,
      );
    } finally {
      await ts.stop();
    }
  });
});
