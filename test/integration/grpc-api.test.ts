// The server API over GRPC, with a grpc-js client on the API's proto
// (protobufjs on the API's .proto text): every OSS method, the key, both
// error modes, PRO methods, oversized requests, and a differential test that
// sends the same requests over HTTP and GRPC and compares the replies field by
// field.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { ApiGrpcClient, asJson, withoutZeros } from '../helpers/grpc-api-client.js';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer, testConfig, token, type TestServer } from '../helpers/server.js';
import { Server } from '../../src/server.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';

const KEY = 'grpc-test-key';
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('GRPC API', () => {
  let server: TestServer;
  let client: ApiGrpcClient;
  let subscriber: RawClient;

  before(async () => {
    server = await startServer({
      grpc_api: { enabled: true, port: 0, key: KEY, max_receive_message_size: 64 * 1024 },
      channel: {
        namespaces: [
          { name: 'room', presence: true, history_size: 10, history_ttl: 60_000, allow_subscribe_for_client: true },
          { name: 'jsonly', publication_data_format: 'json_object' },
        ],
      },
    } as any);
    client = await ApiGrpcClient.open(`127.0.0.1:${server.server.grpcPort}`, { key: KEY });
    // Someone to be present, subscribed to and disconnected.
    subscriber = await RawClient.open(server.wsUrl);
    subscriber.send({ id: 1, connect: { token: await token('alice', { info: { role: 'x' } }) } });
    subscriber.send({ id: 2, subscribe: { channel: 'room:a' } });
    await subscriber.until(() => subscriber.messages.some((m) => m.id === 2));
  });
  after(async () => {
    subscriber.close();
    client.close();
    await server.stop();
  });

  it('needs the key: none or a wrong one is UNAUTHENTICATED', async () => {
    const anonymous = await ApiGrpcClient.open(`127.0.0.1:${server.server.grpcPort}`);
    const wrong = await ApiGrpcClient.open(`127.0.0.1:${server.server.grpcPort}`, { key: 'nope' });
    try {
      for (const c of [anonymous, wrong]) {
        await assert.rejects(c.call('Publish', { channel: 'room:a', data: json({}) }), (err: grpc.ServiceError) => {
          assert.equal(err.code, grpc.status.UNAUTHENTICATED);
          assert.equal(err.details, 'unauthenticated');
          return true;
        });
      }
    } finally {
      anonymous.close();
      wrong.close();
    }
  });

  it('publish reaches subscribers; history, presence, presence_stats, channels and info answer', async () => {
    const res = await client.call('Publish', { channel: 'room:a', data: json({ via: 'grpc' }), tags: { t: '1' } });
    assert.equal(res.error, undefined);
    assert.ok(res.result.offset >= 1);
    assert.ok(res.result.epoch);
    await subscriber.until(() => subscriber.messages.some((m) => m.push?.pub?.data?.via === 'grpc'));

    const history = await client.call('History', { channel: 'room:a', limit: -1 });
    assert.deepEqual(JSON.parse(history.result.publications.at(-1).data.toString()), { via: 'grpc' });
    assert.deepEqual(history.result.publications.at(-1).tags, { t: '1' });

    const presence = await client.call('Presence', { channel: 'room:a' });
    const entry: any = Object.values(presence.result.presence)[0];
    assert.equal(entry.user, 'alice');
    assert.deepEqual(JSON.parse(entry.conn_info.toString()), { role: 'x' });
    assert.deepEqual((await client.call('PresenceStats', { channel: 'room:a' })).result, { num_clients: 1, num_users: 1 });
    assert.deepEqual((await client.call('Channels', {})).result.channels['room:a'], { num_clients: 1 });
    const info = await client.call('Info', {});
    assert.equal(info.result.nodes.length, 1);
    assert.ok(info.result.nodes[0].uid);
  });

  it('data need not be JSON over GRPC, unless the namespace says so (107)', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const ok = await client.call('Publish', { channel: 'plainbytes', data: bytes });
    assert.equal(ok.error, undefined);
    const history = await client.call('History', { channel: 'plainbytes', limit: -1 });
    assert.equal(history.error?.code, 108, 'no history here: not available');
    const refused = await client.call('Publish', { channel: 'jsonly:x', data: bytes });
    assert.deepEqual(refused.error, { code: 107, message: 'bad request' });
  });

  it('subscribe, refresh, unsubscribe and disconnect act on live connections', async () => {
    await client.call('Subscribe', { channel: 'room:b', user: 'alice' });
    await subscriber.until(() => subscriber.messages.some((m) => m.push?.channel === 'room:b' && m.push.subscribe));
    await client.call('Unsubscribe', { channel: 'room:b', user: 'alice' });
    await subscriber.until(() => subscriber.messages.some((m) => m.push?.channel === 'room:b' && m.push.unsubscribe));
    const refresh = await client.call('Refresh', { user: 'alice', expire_at: Math.floor(Date.now() / 1000) + 3600 });
    assert.equal(refresh.error, undefined);
    await client.call('HistoryRemove', { channel: 'room:a' });
    assert.equal((await client.call('History', { channel: 'room:a', limit: -1 })).result.publications, undefined);
  });

  it('errors: in the error field by default; as GRPC statuses with the Error in the details in transport mode', async () => {
    const res = await client.call('Publish', { channel: 'nosuch:x', data: json({}) });
    assert.deepEqual(res.error, { code: 102, message: 'unknown channel' });
    await assert.rejects(
      client.call('Publish', { channel: 'nosuch:x', data: json({}) }, { 'x-centrifugo-error-mode': 'transport' }),
      (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.NOT_FOUND);
        assert.equal(err.details, 'unknown channel');
        const raw = err.metadata.get('grpc-status-details-bin')[0] as Buffer;
        const status = protobuf.Root.fromJSON({
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'Any', id: 3 } } },
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
          },
        }).lookupType('Status');
        const decoded: any = status.toObject(status.decode(raw));
        assert.equal(decoded.details[0].type_url, 'type.googleapis.com/centrifugal.centrifugo.api.Error');
        assert.deepEqual(client.type('Error').toObject(client.type('Error').decode(decoded.details[0].value)), { code: 102, message: 'unknown channel' });
        return true;
      },
    );
    await assert.rejects(client.call('RPC', { method: 'x' }, { 'x-centrifugo-error-mode': 'transport' }), { code: grpc.status.NOT_FOUND });
    await assert.rejects(client.call('Publish', { channel: '', data: json({}) }, { 'x-centrifugo-error-mode': 'transport' }), {
      code: grpc.status.INVALID_ARGUMENT,
    });
  });

  it('batch: replies in order, errors per command, never a transport error', async () => {
    const res = await client.call(
      'Batch',
      {
        commands: [
          { publish: { channel: 'room:a', data: json({ n: 1 }) } },
          { publish: { channel: 'nosuch:x', data: json({}) } },
          { presence_stats: { channel: 'room:a' } },
          {},
        ],
      },
      { 'x-centrifugo-error-mode': 'transport' },
    );
    assert.equal(res.replies.length, 4);
    assert.ok(res.replies[0].publish.offset >= 1);
    assert.deepEqual(res.replies[1].error, { code: 102, message: 'unknown channel' });
    assert.equal(res.replies[2].presence_stats.num_clients, 1);
    assert.deepEqual(res.replies[3].error, { code: 104, message: 'not found' });
  });

  it('a PRO method is UNIMPLEMENTED; a request over max_receive_message_size is RESOURCE_EXHAUSTED; the server keeps serving', async () => {
    await assert.rejects(client.call('BlockUser', { user: 'x' }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.UNIMPLEMENTED);
      assert.equal(err.details, 'method BlockUser not implemented');
      return true;
    });
    await assert.rejects(client.call('Publish', { channel: 'room:a', data: Buffer.alloc(100 * 1024, 0x61) }), { code: grpc.status.RESOURCE_EXHAUSTED });
    assert.equal((await client.call('PresenceStats', { channel: 'room:a' })).error, undefined);
  });

  it('gzip-compressed requests are read', async () => {
    const gz = await ApiGrpcClient.open(`127.0.0.1:${server.server.grpcPort}`, { key: KEY, options: { 'grpc.default_compression_algorithm': 2 } });
    try {
      const res = await gz.call('Publish', { channel: 'room:gz', data: Buffer.from(JSON.stringify({ big: 'x'.repeat(2000) })) });
      assert.equal(res.error, undefined);
      assert.equal((await client.call('History', { channel: 'room:gz', limit: 1, reverse: true })).result.publications[0].data.length, 2010);
    } finally {
      gz.close();
    }
  });

  it('differential: the same requests over HTTP and GRPC get the same replies, field by field', async () => {
    const requests: Array<[string, string, Record<string, unknown>, Record<string, unknown>]> = [
      // Publishing twice: an idempotency key makes the second a repeat with the first one's result.
      [
        'publish',
        'Publish',
        { channel: 'room:d', data: { a: 1 }, idempotency_key: 'same' },
        { channel: 'room:d', data: json({ a: 1 }), idempotency_key: 'same' },
      ],
      ['publish', 'Publish', { channel: 'nosuch:x', data: {} }, { channel: 'nosuch:x', data: json({}) }],
      [
        'broadcast',
        'Broadcast',
        { channels: ['room:d', 'nosuch:y'], data: { b: 2 }, idempotency_key: 'b' },
        { channels: ['room:d', 'nosuch:y'], data: json({ b: 2 }), idempotency_key: 'b' },
      ],
      ['history', 'History', { channel: 'room:d', limit: -1 }, { channel: 'room:d', limit: -1 }],
      ['history', 'History', { channel: 'room:d', limit: 1, reverse: true }, { channel: 'room:d', limit: 1, reverse: true }],
      ['history', 'History', { channel: 'room:d', since: { offset: 1, epoch: 'wrong' } }, { channel: 'room:d', since: { offset: 1, epoch: 'wrong' } }],
      ['presence', 'Presence', { channel: 'room:a' }, { channel: 'room:a' }],
      ['presence_stats', 'PresenceStats', { channel: 'room:a' }, { channel: 'room:a' }],
      ['presence', 'Presence', { channel: 'nosuch:z' }, { channel: 'nosuch:z' }],
      ['channels', 'Channels', { pattern: 'room:*' }, { pattern: 'room:*' }],
      ['rpc', 'RPC', { method: 'anything' }, { method: 'anything' }],
      ['rpc', 'RPC', { method: '' }, { method: '' }],
      ['subscribe', 'Subscribe', { channel: 'room:e', user: 'nobody' }, { channel: 'room:e', user: 'nobody' }],
      ['disconnect', 'Disconnect', { user: 'nobody' }, { user: 'nobody' }],
      ['history_remove', 'HistoryRemove', { channel: 'nosuch:w' }, { channel: 'nosuch:w' }],
    ];
    for (const [httpMethod, grpcMethod, httpBody, grpcBody] of requests) {
      const http = await server.api(httpMethod, httpBody);
      assert.equal(http.status, 200);
      const grpcReply = await client.call(grpcMethod, grpcBody);
      assert.deepEqual(withoutZeros(asJson(grpcReply)), withoutZeros(http.json), `${httpMethod} ${JSON.stringify(httpBody)}`);
    }
  });
});

describe('GRPC API config', () => {
  it('refuses to start without a key unless insecure, saying how to fix it', () => {
    assert.throws(() => testConfig({ grpc_api: { enabled: true, port: 0 } } as any), /grpc_api\.key: the GRPC API needs a key .*grpc_api\.insecure: true/);
  });

  it('insecure serves without a key; error_mode transport turns every error into a status', async () => {
    const config = testConfig({ grpc_api: { enabled: true, port: 0, insecure: true, error_mode: 'transport' } } as any);
    const server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }) });
    await server.start();
    const client = await ApiGrpcClient.open(`127.0.0.1:${server.grpcPort}`);
    try {
      await assert.rejects(client.call('Publish', { channel: 'nosuch:x', data: json({}) }), { code: grpc.status.NOT_FOUND });
      const ok = await client.call('Publish', { channel: 'open', data: json({}) });
      assert.equal(ok.error, undefined);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('GRPC API reflection', () => {
  it('lists CentrifugoApi and describes it, without the key (as in Centrifugo)', async () => {
    const config = testConfig({ grpc_api: { enabled: true, port: 0, key: KEY, reflection: true } } as any);
    const server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }) });
    await server.start();
    const root = protobuf.Root.fromJSON({
      nested: {
        Req: { fields: { host: { type: 'string', id: 1 }, file_containing_symbol: { type: 'string', id: 4 }, list_services: { type: 'string', id: 7 } } },
        Res: {
          fields: {
            file_descriptor_response: { type: 'Files', id: 4 },
            list_services_response: { type: 'Services', id: 6 },
          },
        },
        Files: { fields: { file_descriptor_proto: { rule: 'repeated', type: 'bytes', id: 1 } } },
        Services: { fields: { service: { rule: 'repeated', type: 'Service', id: 1 } } },
        Service: { fields: { name: { type: 'string', id: 1 } } },
      },
    });
    const Req = root.lookupType('Req');
    const Res = root.lookupType('Res');
    const client = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const ask = (req: object) =>
        new Promise<any>((resolve, reject) => {
          const call = client.makeBidiStreamRequest(
            '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
            (v: object) => Buffer.from(Req.encode(Req.fromObject(v)).finish()),
            (b: Buffer) => Res.toObject(Res.decode(b)),
          );
          call.on('data', (d: any) => {
            resolve(d);
            call.end();
          });
          call.on('error', reject);
          call.write(req);
        });
      const listed = await ask({ list_services: '' });
      assert.ok(
        listed.list_services_response.service.some((s: any) => s.name === 'centrifugal.centrifugo.api.CentrifugoApi'),
        JSON.stringify(listed),
      );
      const described = await ask({ file_containing_symbol: 'centrifugal.centrifugo.api.CentrifugoApi' });
      const file = Buffer.concat(described.file_descriptor_response.file_descriptor_proto).toString('latin1');
      assert.match(file, /PublishRequest/);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
