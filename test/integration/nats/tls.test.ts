// The Nats broker over TLS, against real nats-servers started here (Debian's
// 2.9.10, on free ports) with a throwaway CA and server certificate: nodes
// with `broker.nats.tls` {enabled, server_ca_pem} connect and exchange a
// publication; a node that does not trust the server's CA fails to start,
// naming NATS; with --tlsverify (mutual TLS) a node needs cert_pem/key_pem
// signed by the CA the server trusts.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RecordingHandler } from '../../broker-suite.js';
import { natsBroker, natsOptions } from '../../helpers/nats.js';
import { api, runTributary, spawnTributary, writeConfig, type Proc } from '../../helpers/process.js';
import { collect, once, sdkClient, waitFor, type Centrifuge } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { makeTestCerts } from '../../helpers/tls-certs.js';
import { natsNodeConfig } from './helpers.js';

const servers: ChildProcess[] = [];
const nodes: Proc[] = [];
const clients: Centrifuge[] = [];
let dir = '';
let tlsUrl = '';
let mtlsUrl = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A nats-server with TLS on a free port, ready once it logs so. */
async function tlsNatsServer(extra: string[]): Promise<string> {
  const port = await freePort();
  const args = ['-a', '127.0.0.1', '-p', String(port), '--tls', '--tlscert', 'server.crt', '--tlskey', 'server.key', ...extra];
  const proc = spawn('nats-server', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } });
  servers.push(proc);
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(() => /Server is ready/.test(log) || proc.exitCode !== null, 10_000, `TLS nats-server on ${port}`);
  assert.equal(proc.exitCode, null, log);
  return `nats://127.0.0.1:${port}`;
}

before(async () => {
  const certs = makeTestCerts('tributary-nats-tls');
  dir = certs.dir;
  // A client certificate signed by the CA, for mutual TLS.
  const openssl = (...args: string[]) => assert.equal(spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' }).status, 0);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=tributary-node', '-keyout', 'client.key', '-out', 'client.csr');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'client.crt');
  tlsUrl = await tlsNatsServer([]);
  mtlsUrl = await tlsNatsServer(['--tlsverify', '--tlscacert', 'ca.crt']);
});

after(async () => {
  for (const c of clients) c.disconnect();
  for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  for (const s of servers) s.kill('SIGKILL');
});

const file = (name: string) => join(dir, name);

describe('the Nats broker over TLS', () => {
  it('two nodes trusting the server CA connect and exchange a publication', async () => {
    const prefix = `tls-${process.pid}`;
    const config = writeConfig(natsNodeConfig({ url: tlsUrl, prefix, tls: { enabled: true, server_ca_pem: file('ca.crt') } }));
    const [A, B] = (await Promise.all([spawnTributary(config), spawnTributary(config)])) as [Proc, Proc];
    nodes.push(A, B);
    const client = sdkClient(A.wsUrl, { token: await token('tess') });
    clients.push(client);
    const sub = client.newSubscription('room:tls');
    const pubs = collect(sub, 'publication');
    client.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    assert.deepEqual(await api(B.httpUrl, 'publish', { channel: 'room:tls', data: { over: 'tls' } }), { result: {} });
    await waitFor(() => pubs.length === 1, 5000, 'the publication through node B on node A');
    assert.deepEqual(pubs[0]!.data, { over: 'tls' });
    assert.equal((await fetch(`${B.httpUrl}/health`)).status, 200);
    client.disconnect();
    assert.deepEqual(await Promise.all([A.stop(), B.stop()]), [0, 0]);
  });

  it('the CA as PEM text works as well as a file', async () => {
    const { readFileSync } = await import('node:fs');
    const broker = natsBroker(natsOptions({ url: tlsUrl, tls: { enabled: true, server_ca_pem: readFileSync(file('ca.crt'), 'utf8') } }));
    await broker.start(new RecordingHandler());
    assert.deepEqual(broker.health(), { healthy: true });
    await broker.close();
  });

  it('a node that does not trust the server certificate fails to start, naming NATS', (t) => {
    for (const tls of [{ enabled: true, server_ca_pem: file('other-ca.crt') }, { enabled: true }]) {
      const r = runTributary(writeConfig(natsNodeConfig({ url: tlsUrl, prefix: 'tls-refused', tls })));
      assert.notEqual(r.status, 0, r.output);
      assert.match(r.output, /^tributary: cannot start: nats nats:\/\/127\.0\.0\.1:\d+: .*certificate/im, r.output);
      t.diagnostic(r.output.split('\n').find((l) => l.startsWith('tributary: cannot start'))!);
    }
  });

  it('a node without a tls block meets a TLS-only server: nats.js upgrades anyway, with no CA to trust, and the node fails to start naming NATS', (t) => {
    const r = runTributary(writeConfig(natsNodeConfig({ url: tlsUrl, prefix: 'tls-plain' })));
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /^tributary: cannot start: nats nats:\/\/127\.0\.0\.1:\d+: /m, r.output);
    t.diagnostic(r.output.split('\n').find((l) => l.startsWith('tributary: cannot start'))!);
  });

  it('mutual TLS: the client certificate is presented; without one the server refuses', async () => {
    const withCert = natsBroker(
      natsOptions({ url: mtlsUrl, tls: { enabled: true, server_ca_pem: file('ca.crt'), cert_pem: file('client.crt'), key_pem: file('client.key') } }),
    );
    const events = new RecordingHandler();
    await withCert.start(events);
    await withCert.subscribe(['mtls']);
    await withCert.publish('mtls', Buffer.from('"both ways"'), { historySize: 0, historyTtlMs: 0, historyMetaTtlMs: 0 });
    await waitFor(() => events.publications.length === 1, 5000, 'the publication back over mutual TLS');
    await withCert.close();

    const without = natsBroker(natsOptions({ url: mtlsUrl, tls: { enabled: true, server_ca_pem: file('ca.crt') } }));
    await assert.rejects(without.start(new RecordingHandler()), /^EngineUnavailableError: nats nats:\/\/127\.0\.0\.1:\d+: /);
  });
});
