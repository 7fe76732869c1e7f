// http_server.tls: the HTTP server speaks TLS with a certificate from a
// throwaway CA: WebSocket connections (wss), the API and health over https;
// plain HTTP is refused; with client_ca_pem a client certificate is required.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { API_KEY, startServer, token, type TestServer } from '../helpers/server.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';

let certs: TestCerts;
const file = (name: string) => join(certs.dir, name);

before(() => {
  certs = makeTestCerts('tributary-http-tls');
});

function get(url: string, opts: https.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, opts, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

function post(url: string, body: string, opts: https.RequestOptions): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...opts, method: 'POST', headers: { 'X-API-Key': API_KEY } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('http_server.tls', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      http_server: { tls: { enabled: true, cert_pem: file(certs.serverCert), key_pem: file(certs.serverKey) } },
      uni_http_stream: { enabled: true },
    } as any);
  });
  after(() => server.stop());

  it('streams over TLS too (uni_http_stream, whose socket the server takes over)', async () => {
    const ca = readFileSync(file(certs.ca));
    const body = JSON.stringify({ token: await token('stream-user', { channels: ['tls-stream'] }) });
    const lines: any[] = [];
    const req = https.request(`https://127.0.0.1:${server.server.port}/connection/uni_http_stream`, { method: 'POST', ca });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body);
    });
    let pending = '';
    res.on('data', (c: Buffer) => {
      pending += c.toString();
      for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
        lines.push(JSON.parse(pending.slice(0, at)));
        pending = pending.slice(at + 1);
      }
    });
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 30));
      assert.ok(pred(), JSON.stringify(lines));
    };
    await until(() => lines.some((l) => l.connect));
    await post(`https://127.0.0.1:${server.server.port}/api/publish`, JSON.stringify({ channel: 'tls-stream', data: { over: 'tls' } }), { ca });
    await until(() => lines.some((l) => l.pub?.data?.over === 'tls'));
    req.destroy();
  });

  it('serves health, the API and wss:// to clients that trust its CA; plain HTTP gets nothing', async () => {
    const ca = readFileSync(file(certs.ca));
    const base = `https://127.0.0.1:${server.server.port}`;
    assert.equal(await get(`${base}/health`, { ca }), 200);
    const published = await post(`${base}/api/publish`, JSON.stringify({ channel: 'tls', data: {} }), { ca });
    assert.equal(published.status, 200, published.text);
    const ws = new WebSocket(`wss://127.0.0.1:${server.server.port}/connection/websocket`, { ca });
    const reply = await new Promise<any>((resolve, reject) => {
      ws.once('open', async () => ws.send(JSON.stringify({ id: 1, connect: { token: await token('tls-user') } })));
      ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString())));
      ws.once('error', reject);
    });
    ws.close();
    assert.ok(reply.connect, JSON.stringify(reply));
    await assert.rejects(get(`${base}/health`, { ca: readFileSync(file(certs.otherCa)) }));
    await assert.rejects(fetch(`http://127.0.0.1:${server.server.port}/health`));
  });
});

describe('http_server.tls with client_ca_pem', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      http_server: { tls: { enabled: true, cert_pem: file(certs.serverCert), key_pem: file(certs.serverKey), client_ca_pem: file(certs.ca) } },
    } as any);
  });
  after(() => server.stop());

  it('requires a client certificate signed by that CA', async () => {
    const ca = readFileSync(file(certs.ca));
    const base = `https://127.0.0.1:${server.server.port}`;
    assert.equal(await get(`${base}/health`, { ca, cert: readFileSync(file(certs.serverCert)), key: readFileSync(file(certs.serverKey)) }), 200);
    await assert.rejects(get(`${base}/health`, { ca }));
  });
});
