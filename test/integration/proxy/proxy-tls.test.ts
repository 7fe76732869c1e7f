// Proxies over TLS: an HTTPS backend and a gRPC backend with a certificate from
// a throwaway CA, trusted through the proxy's tls block (server_ca_pem); a
// proxy that trusts another CA refuses the backend, so the client gets 100.
// gRPC per-RPC credentials and compression travel with every call.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ProxyBackend } from '../../helpers/proxy-backend.js';
import { RawClient } from '../../helpers/raw-ws.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.js';

let certs: TestCerts;
const pem = (name: string) => readFileSync(join(certs.dir, name), 'utf8');

async function connectReply(server: TestServer): Promise<any> {
  const c = await RawClient.open(server.wsUrl);
  try {
    c.send({ id: 1, connect: {} });
    await c.until(() => c.messages.some((m) => m.id === 1));
    return c.messages.find((m) => m.id === 1);
  } finally {
    c.close();
  }
}

before(() => {
  certs = makeTestCerts('tributary-proxy-tls');
});

for (const kind of ['http', 'grpc'] as const) {
  describe(`a ${kind} proxy over TLS`, () => {
    let backend: ProxyBackend;
    const servers: TestServer[] = [];
    before(async () => {
      const key = pem(certs.serverKey);
      const cert = pem(certs.serverCert);
      backend =
        kind === 'http'
          ? await ProxyBackend.http({ tls: { key, cert } })
          : await ProxyBackend.grpc({
              credentials: grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(key), cert_chain: Buffer.from(cert) }]),
            });
      backend.on('connect', { json: { result: { user: 'tls-user' } } });
    });
    after(async () => {
      for (const s of servers) await s.stop();
      await backend.stop();
    });

    const serverTrusting = async (caFile: string) => {
      const tls = { enabled: true, server_ca_pem: join(certs.dir, caFile) };
      const connect: Record<string, unknown> = { enabled: true, endpoint: backend.endpoint('connect') };
      if (kind === 'http') connect.http = { tls };
      else connect.grpc = { tls, credentials_key: 'x-proxy-key', credentials_value: 'secret-value', compression: true };
      const s = await startServer({ client: { proxy: { connect } } } as any);
      servers.push(s);
      return s;
    };

    it('reaches a backend whose certificate the configured CA signed', async () => {
      const reply = await connectReply(await serverTrusting(certs.ca));
      assert.ok(reply.connect, JSON.stringify(reply));
      if (kind === 'grpc') assert.equal(backend.of('connect').at(-1)!.headers['x-proxy-key'], 'secret-value', 'per-RPC credentials in the metadata');
    });

    it('refuses a backend certificate from another CA: the client gets 100', async () => {
      const reply = await connectReply(await serverTrusting(certs.otherCa));
      assert.deepEqual(reply.error, { code: 100, message: 'internal server error', temporary: true });
    });
  });
}
