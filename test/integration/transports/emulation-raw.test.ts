// The bidirectional-emulation transports byte by byte: /connection/http_stream
// (JSON lines, varint-delimited Protobuf), /connection/sse and /emulation, as
// Centrifugo answers them: headers, framing, CORS, and every bad request.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeDelimited, encodeDelimited, encodeMessage } from '../../../src/protocol/protobuf/message.js';
import { Command, EmulationRequest, Reply } from '../../../src/protocol/protobuf/schema.js';
import { RawStream } from '../../helpers/raw-stream.js';
import { waitFor } from '../../helpers/process.js';
import { startServer, token, type TestServer } from '../../helpers/server.js';

/** A raw HTTP exchange over one socket: every byte the server sends, and whether it closed. */
function rawExchange(port: number, request: string): { bytes: () => string; closed: () => boolean; socket: net.Socket } {
  let received = '';
  let closed = false;
  const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  return { bytes: () => received, closed: () => closed, socket };
}

/** The payload of a chunked body, checking each chunk's size line; `complete` when the last chunk was seen. */
function dechunk(body: string): { payload: string; complete: boolean } {
  let payload = '';
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.slice(at, eol), 16);
    assert.ok(Number.isFinite(size), `chunk size line at ${at}: ${JSON.stringify(body.slice(at, eol))}`);
    if (size === 0) return { payload, complete: body.slice(eol, eol + 4) === '\r\n\r\n' };
    payload += body.slice(eol + 2, eol + 2 + size);
    assert.equal(body.slice(eol + 2 + size, eol + 4 + size), '\r\n');
    at = eol + 4 + size;
  }
  return { payload, complete: false };
}

const ORIGIN = 'http://app.example';

describe('emulation transports, raw', () => {
  let ts: TestServer;
  let nodeId: string;
  const streams: RawStream[] = [];
  const open = async (path: string, opts: Parameters<typeof RawStream.open>[1] = {}) => {
    const s = await RawStream.open(`${ts.httpUrl}${path}`, opts);
    streams.push(s);
    return s;
  };
  const emulate = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${ts.httpUrl}/emulation`, { method: 'POST', headers, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) });
  const connectLine = async (user: string, id = 1) => JSON.stringify({ id, connect: { token: await token(user) } });

  before(async () => {
    ts = await startServer({
      client: { allowed_origins: [ORIGIN] },
      channel: { without_namespace: { allow_subscribe_for_client: true, history_size: 10, history_ttl: 60_000 } },
      http_stream: { max_request_body_size: 1024 },
      emulation: { max_request_body_size: 2048 },
    });
    nodeId = (await ts.api('info', {})).json.result.nodes[0].uid;
  });
  after(async () => {
    for (const s of streams) s.close();
    await ts.stop();
  });

  it('http_stream (JSON): the connect reply carries session and node; /emulation carries later commands; pushes and replies are lines', async () => {
    const s = await open('/connection/http_stream', { body: await connectLine('alice') });
    assert.equal(s.status, 200);
    assert.equal(s.headers['x-accel-buffering'], 'no');
    assert.equal(s.headers['cache-control'], 'private, no-cache, no-store, must-revalidate, max-age=0');
    assert.equal(s.headers['pragma'], 'no-cache');
    assert.equal(s.headers['expire'], '0');
    assert.equal(s.headers['connection'], 'keep-alive');
    const connect = (await s.wait((m) => m.id === 1)).connect;
    assert.equal(connect.node, nodeId);
    assert.match(connect.session, /^[0-9a-f-]{36}$/);
    assert.equal(connect.pong, true);
    const r = await emulate({ node: nodeId, session: connect.session, data: JSON.stringify({ id: 2, subscribe: { channel: 'news' } }) });
    assert.equal(r.status, 204);
    // Answered once the command has run: its reply is already on the stream (or about to be flushed).
    await s.wait((m) => m.id === 2);
    await ts.api('publish', { channel: 'news', data: { n: 1 } });
    const { push } = await s.wait((m) => m.push?.pub);
    assert.equal(push.channel, 'news');
    assert.deepEqual([push.pub.data, push.pub.offset], [{ n: 1 }, 1]);
    assert.match(s.text, /\n$/);
  });

  it('a server disconnect is a disconnect push, then the end of the stream', async () => {
    const s = await open('/connection/http_stream', { body: await connectLine('bob') });
    await s.wait((m) => m.id === 1);
    await ts.api('disconnect', { user: 'bob', disconnect: { code: 4501, reason: 'go away' } });
    await s.until(() => s.ended, 3000, 'stream end');
    assert.deepEqual(s.messages.at(-1), { push: { disconnect: { code: 4501, reason: 'go away' } } });
  });

  it('HTTP/1.1: the body is well-formed chunks; a disconnect ends it with the last chunk; a client that hangs up ends the session', async () => {
    const body = await connectLine('frank');
    const x = rawExchange(
      ts.server.port,
      `POST /connection/http_stream HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await waitFor(() => x.bytes().includes('"connect"'), 3000, 'connect reply');
    const [head, rest] = x.bytes().split('\r\n\r\n', 2) as [string, string];
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nTransfer-Encoding: chunked/i);
    assert.equal(JSON.parse(dechunk(rest).payload.trim()).id, 1);
    await ts.api('publish', { channel: 'frank-news', data: { n: 1 } });
    await ts.api('disconnect', { user: 'frank', disconnect: { code: 4502, reason: 'bye' } });
    await waitFor(() => dechunk(x.bytes().split('\r\n\r\n').slice(1).join('\r\n\r\n')).complete, 3000, 'last chunk');
    const lines = dechunk(x.bytes().slice(x.bytes().indexOf('\r\n\r\n') + 4))
      .payload.trim()
      .split('\n');
    assert.deepEqual(JSON.parse(lines.at(-1)!), { push: { disconnect: { code: 4502, reason: 'bye' } } });
    await waitFor(() => x.closed(), 3000, 'socket closed by the server');

    const y = rawExchange(ts.server.port, `GET /connection/sse?cf_connect=${encodeURIComponent(await connectLine('gina'))} HTTP/1.1\r\nHost: t\r\n\r\n`);
    await waitFor(() => y.bytes().includes('"connect"'), 3000, 'connect reply');
    const before = ts.server.node.numClients();
    y.socket.end();
    await waitFor(() => ts.server.node.numClients() === before - 1, 3000, 'session gone with its socket');
  });

  it('HTTP/1.0: the response writes a close-delimited stream, and a disconnect closes it', async () => {
    const x = rawExchange(ts.server.port, `GET /connection/sse?cf_connect=${encodeURIComponent(await connectLine('hank'))} HTTP/1.0\r\nHost: t\r\n\r\n`);
    await waitFor(() => x.bytes().includes('"connect"'), 3000, 'connect reply');
    const [head, rest] = x.bytes().split('\r\n\r\n', 2) as [string, string];
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(head, /Transfer-Encoding/i);
    assert.ok(rest.startsWith('\r\ndata: {"id":1,'), rest);
    await ts.api('disconnect', { user: 'hank', disconnect: { code: 4503, reason: 'bye' } });
    await waitFor(() => x.closed(), 3000, 'closed');
    assert.match(x.bytes(), /data: \{"push":\{"disconnect":\{"code":4503,"reason":"bye"\}\}\}\n\n$/);
  });

  it('http_stream (Protobuf): Content-Type application/octet-stream gets varint-delimited replies; emulation takes an EmulationRequest', async () => {
    const connect = encodeDelimited(Command, { id: 1, connect: { token: await token('carol') } });
    const chunks: Buffer[] = [];
    const res = await fetch(`${ts.httpUrl}/connection/http_stream`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: connect });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const next = async () => {
      const { value } = await reader.read();
      chunks.push(Buffer.from(value!));
      return decodeDelimited(Buffer.concat(chunks), Reply);
    };
    let replies = await next();
    const session = (replies[0]!.connect as any).session as string;
    const emulation = encodeMessage(EmulationRequest, { node: nodeId, session, data: encodeDelimited(Command, { id: 2, subscribe: { channel: 'proto' } }) });
    const r = await emulate(emulation, { 'Content-Type': 'application/octet-stream' });
    assert.equal(r.status, 204);
    while (!replies.some((m) => m.id === 2)) replies = await next();
    await reader.cancel();
  });

  it('sse: GET with cf_connect, an empty line first, each reply one event', async () => {
    const connect = encodeURIComponent(await connectLine('dave'));
    const s = await open(`/connection/sse?cf_connect=${connect}`, { method: 'GET', format: 'sse' });
    assert.equal(s.status, 200);
    assert.equal(s.headers['content-type'], 'text/event-stream; charset=utf-8');
    const reply = await s.wait((m) => m.id === 1);
    assert.ok(s.text.startsWith('\r\ndata: {"id":1,'));
    const r = await emulate({ node: nodeId, session: reply.connect.session, data: '{"id":2,"history":{"channel":"news","limit":-1}}' });
    assert.equal(r.status, 204);
    // Not subscribed: the same answer a WebSocket client gets, proof the command ran in this session.
    assert.deepEqual(await s.wait((m) => m.id === 2), { id: 2, error: { code: 103, message: 'permission denied' } });
  });

  it('sse: also POST; GET without cf_connect is 400; other methods 405', async () => {
    const s = await open('/connection/sse', { body: await connectLine('erin'), format: 'sse' });
    assert.equal((await s.wait((m) => m.id === 1)).connect.user, undefined);
    assert.equal((await fetch(`${ts.httpUrl}/connection/sse`)).status, 400);
    assert.equal((await fetch(`${ts.httpUrl}/connection/sse`, { method: 'PUT' })).status, 405);
  });

  it('http_stream: POST only (405), preflight 204, a body over max_request_body_size 413, undecodable commands end with 3501', async () => {
    assert.equal((await fetch(`${ts.httpUrl}/connection/http_stream`)).status, 405);
    const pre = await fetch(`${ts.httpUrl}/connection/http_stream`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-max-age'), '300');
    assert.equal(pre.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type');
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    assert.equal((await fetch(`${ts.httpUrl}/connection/http_stream`, { method: 'POST', body: 'x'.repeat(2000) })).status, 413);
    for (const body of ['', 'not json', '{"id":1,"connect":[]}']) {
      const s = await open('/connection/http_stream', { body });
      await s.until(() => s.ended, 3000, `end after ${JSON.stringify(body)}`);
      assert.deepEqual(s.messages, [{ push: { disconnect: { code: 3501, reason: 'bad request' } } }], body);
    }
  });

  it('CORS: an allowed Origin gets the CORS headers, any other is still served without them', async () => {
    const ok = await open('/connection/http_stream', { body: await connectLine('frank'), headers: { Origin: ORIGIN } });
    assert.equal(ok.headers['access-control-allow-origin'], ORIGIN);
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    const other = await open('/connection/http_stream', { body: await connectLine('grace'), headers: { Origin: 'http://evil.example' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    await other.wait((m) => m.id === 1);
  });

  it('emulation: 405 but POST, 400 undecodable, 404 unknown node, 413 too large, 204 for a session that is gone', async () => {
    assert.equal((await fetch(`${ts.httpUrl}/emulation`)).status, 405);
    assert.equal((await fetch(`${ts.httpUrl}/emulation`, { method: 'OPTIONS' })).status, 204);
    for (const bad of ['{', '[]', '{"node":1}', '"x"']) assert.equal((await emulate(bad)).status, 400, bad);
    assert.equal((await emulate({ node: 'no-such-node', session: 's', data: '"{}"' })).status, 404);
    assert.equal((await emulate({ node: nodeId, session: 'x'.repeat(3000), data: '"{}"' })).status, 413);
    assert.equal((await emulate({ node: nodeId, session: 'gone', data: JSON.stringify('{"id":2,"ping":{}}') })).status, 204);
    assert.equal((await emulate({ node: nodeId, session: 'gone', data: 42 })).status, 204);
  });

  it('a bad command through emulation disconnects the session (3501), as on WebSocket', async () => {
    const s = await open('/connection/http_stream', { body: await connectLine('heidi') });
    const { session } = (await s.wait((m) => m.id === 1)).connect;
    assert.equal((await emulate({ node: nodeId, session, data: JSON.stringify('garbage') })).status, 204);
    await s.until(() => s.ended, 3000, 'stream end');
    assert.deepEqual(s.messages.at(-1), { push: { disconnect: { code: 3501, reason: 'bad request' } } });
  });

  it('metrics carry the transport label', async () => {
    const text = await (await fetch(`${ts.httpUrl}/metrics`)).text();
    assert.match(text, /centrifugo_client_connections_accepted\{transport="http_stream",accept_protocol="json"/);
    assert.match(text, /centrifugo_client_connections_accepted\{transport="http_stream",accept_protocol="protobuf"/);
    assert.match(text, /centrifugo_client_connections_accepted\{transport="sse"/);
  });
});

describe('emulation transports are off by default', () => {
  it('answers 404 on their paths', async () => {
    const ts = await startServer({ http_stream: { enabled: false }, sse: { enabled: false } });
    try {
      for (const p of ['/connection/http_stream', '/connection/sse', '/emulation']) {
        assert.equal((await fetch(`${ts.httpUrl}${p}`, { method: 'POST', body: '{}' })).status, 404, p);
      }
    } finally {
      await ts.stop();
    }
  });
});
