// The Redis broker over TLS: a redis-server started here with a throwaway CA
// and server certificate (openssl), reached with `rediss://` and the CA from
// the `tls` block; a server certificate from another CA is refused.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { redisOptions as parseRedisOptions } from '../../helpers/config.js';
import type { RedisBroker } from '../../../src/engines/redis/redis-broker.js';
import { RecordingHandler } from '../../broker-suite.js';
import { redisBroker } from '../../helpers/redis-engines.js';
import { redisUrl } from '../../helpers/redis.js';

const PORT = 16396;
const dir = mkdtempSync(join(tmpdir(), 'tributary-redis-tls-'));
let server: ChildProcess | undefined;

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
}

before(async () => {
  redisUrl(); // makes sure redis-server is installed
  makeCa('ca');
  makeCa('other-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  // Node checks an IP address against the certificate's subjectAltName, not its CN.
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    'server.crt',
    '-extfile',
    'san.ext',
  );
  server = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(PORT),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      'server.crt',
      '--tls-key-file',
      'server.key',
      '--tls-ca-cert-file',
      'ca.crt',
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  // Ready when the TLS port takes connections.
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('redis-cli', ['--tls', '--cacert', join(dir, 'ca.crt'), '-p', String(PORT), 'ping'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'PONG') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('TLS redis-server did not start');
});

after(() => {
  server?.kill('SIGKILL');
});

function engineWith(caFile: string): RedisBroker {
  const parsed = parseRedisOptions({
    address: [`rediss://127.0.0.1:${PORT}`],
    prefix: 'tls',
    tls: { enabled: true, server_ca_pem: readFileSync(join(dir, caFile), 'utf8') },
  });
  assert.ok(parsed.options, JSON.stringify(parsed.problems));
  return redisBroker(parsed.options);
}

describe('Redis engine over TLS', () => {
  it('publishes, reads history and receives PUB/SUB through rediss:// with the CA from the tls block', async () => {
    const e = engineWith('ca.crt');
    const events = new RecordingHandler();
    await e.start(events);
    try {
      await e.subscribe(['secure']);
      const r = await e.publish('secure', Buffer.from('over tls'), { historySize: 5, historyTtlMs: 60_000, historyMetaTtlMs: 60_000 });
      assert.equal(r.position.offset, 1);
      await events.waitForPublications('secure', 1);
      const h = await e.history('secure', { limit: -1 }, { historyMetaTtlMs: 60_000 });
      assert.equal(h.publications[0]!.data.toString(), 'over tls');
    } finally {
      await e.close();
    }
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const e = engineWith('other-ca.crt');
    await assert.rejects(e.start(new RecordingHandler()), /cannot connect \(.*(certificate|self.signed|verify)/i);
  });
});
