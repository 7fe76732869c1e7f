// The GRPC API over TLS: a server certificate from a throwaway CA (clients
// trusting another CA are refused), and mTLS with client_ca_pem (a client
// without a certificate signed by it is refused).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ApiGrpcClient } from '../helpers/grpc-api-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';

const KEY = 'tls-key';
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
let certs: TestCerts;
const file = (name: string) => join(certs.dir, name);
const pem = (name: string) => readFileSync(file(name));

before(() => {
  certs = makeTestCerts('tributary-grpc-api-tls');
});

async function publishWith(server: TestServer, credentials: grpc.ChannelCredentials): Promise<any> {
  const client = await ApiGrpcClient.open(`127.0.0.1:${server.server.grpcPort}`, { key: KEY, credentials });
  try {
    return await client.call('Publish', { channel: 'tls', data: json({}) });
  } finally {
    client.close();
  }
}

describe('GRPC API over TLS', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      grpc_api: { enabled: true, port: 0, key: KEY, tls: { enabled: true, cert_pem: file(certs.serverCert), key_pem: file(certs.serverKey) } },
    } as any);
  });
  after(() => server.stop());

  it('serves clients that trust its CA, not others', async () => {
    const ok = await publishWith(server, grpc.credentials.createSsl(pem(certs.ca)));
    assert.equal(ok.error, undefined);
    await assert.rejects(publishWith(server, grpc.credentials.createSsl(pem(certs.otherCa))), { code: grpc.status.UNAVAILABLE });
    await assert.rejects(publishWith(server, grpc.credentials.createInsecure()), { code: grpc.status.UNAVAILABLE });
  });
});

describe('GRPC API with client certificates (client_ca_pem)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      grpc_api: {
        enabled: true,
        port: 0,
        key: KEY,
        tls: { enabled: true, cert_pem: file(certs.serverCert), key_pem: file(certs.serverKey), client_ca_pem: file(certs.ca) },
      },
    } as any);
  });
  after(() => server.stop());

  it('requires a client certificate signed by client_ca_pem', async () => {
    // The server certificate doubles as a client certificate here: the same CA signed it.
    const withCert = grpc.credentials.createSsl(pem(certs.ca), pem(certs.serverKey), pem(certs.serverCert));
    assert.equal((await publishWith(server, withCert)).error, undefined);
    await assert.rejects(publishWith(server, grpc.credentials.createSsl(pem(certs.ca))), { code: grpc.status.UNAVAILABLE });
  });
});
