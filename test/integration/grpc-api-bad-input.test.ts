// Bad input on the GRPC API: requests that do not decode, unknown fields,
// invalid UTF-8, and a client that opens 1,000 streams and never finishes
// them. Each gets a clear status (or is served), nothing crashes, and other
// callers keep being served.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ApiGrpcClient } from '../helpers/grpc-api-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const KEY = 'bad-input-key';
const PUBLISH = '/centrifugal.centrifugo.api.CentrifugoApi/Publish';

/** One unary call with a hand-made request body (no protobuf encoder in between). */
function rawCall(port: number, body: Buffer): Promise<{ status: number; message: string; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': PUBLISH, 'content-type': 'application/grpc', te: 'trailers', authorization: `apikey ${KEY}` });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    let status = -1;
    let message = '';
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('end', () => {
      session.close();
      resolve({ status, message, payload: Buffer.concat(chunks) });
    });
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    req.end(frame);
  });
}

describe('GRPC API: bad input', () => {
  let server: TestServer;
  let client: ApiGrpcClient;
  before(async () => {
    server = await startServer({ grpc_api: { enabled: true, port: 0, key: KEY } } as any);
    client = await ApiGrpcClient.open(`127.0.0.1:${server.server.grpcPort}`, { key: KEY });
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  const stillServes = async () => assert.equal((await client.call('Publish', { channel: 'after', data: Buffer.from('{}') })).error, undefined);

  it('a field of the wrong wire type does not decode: INTERNAL, as a codec failure is in Go', async () => {
    // channel (field 1, a string) sent as a varint.
    const r = await rawCall(server.server.grpcPort, Buffer.from([0x08, 0x01]));
    assert.equal(r.status, grpc.status.INTERNAL);
    // A length running past the end.
    const cut = await rawCall(server.server.grpcPort, Buffer.from([0x0a, 0x7f, 0x61]));
    assert.equal(cut.status, grpc.status.INTERNAL);
    await stillServes();
  });

  it('unknown fields are skipped, as protobuf says', async () => {
    // channel "news" (field 1), data "{}" (field 2), and field 99 (varint) the API does not have.
    const body = Buffer.concat([Buffer.from([0x0a, 4]), Buffer.from('news'), Buffer.from([0x12, 2]), Buffer.from('{}'), Buffer.from([0x98, 0x06, 0x01])]);
    const r = await rawCall(server.server.grpcPort, body);
    assert.equal(r.status, grpc.status.OK);
    await stillServes();
  });

  it('invalid UTF-8 in a string is refused (INTERNAL, as Go refuses to unmarshal it); valid U+FFFD is fine', async () => {
    const body = Buffer.concat([Buffer.from([0x0a, 3, 0x6e, 0xff, 0x73]), Buffer.from([0x12, 2]), Buffer.from('{}')]);
    const r = await rawCall(server.server.grpcPort, body);
    assert.equal(r.status, grpc.status.INTERNAL);
    assert.match(r.message, /invalid UTF-8/);
    const replacement = Buffer.from('n\uFFFDs');
    const ok = await rawCall(
      server.server.grpcPort,
      Buffer.concat([Buffer.from([0x0a, replacement.length]), replacement, Buffer.from([0x12, 2]), Buffer.from('{}')]),
    );
    assert.equal(ok.status, grpc.status.OK);
    await stillServes();
  });

  it('1,000 streams that never finish their request do not hold up other callers', async () => {
    const session = http2.connect(`http://127.0.0.1:${server.server.grpcPort}`);
    session.on('error', () => undefined);
    const streams: http2.ClientHttp2Stream[] = [];
    try {
      for (let i = 0; i < 1000; i++) {
        const s = session.request({ ':method': 'POST', ':path': PUBLISH, 'content-type': 'application/grpc', te: 'trailers', authorization: `apikey ${KEY}` });
        s.on('error', () => undefined);
        s.write(Buffer.from([0, 0, 0, 0, 10])); // announces 10 bytes that never come
        streams.push(s);
      }
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await stillServes();
      assert.ok(Date.now() - started < 2000, 'served at once');
    } finally {
      for (const s of streams) s.close();
      session.destroy();
    }
    await stillServes();
  });
});
