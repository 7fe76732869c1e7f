// The Redis broker over TLS: a redis-server started here with a throwaway CA
// and server certificate (openssl), reached with `rediss://` and the CA from
// the `tls` block; a server certificate from another CA is refused.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { redisOptions as parseRedisOptions } from '../../helpers/config.js';
import type { RedisBroker } from '../../../src/engines/redis/redis-broker.js';
import { RecordingHandler } from '../../broker-suite.js';
import { redisBroker } from '../../helpers/redis-engines.js';
import { redisUrl } from '../../helpers/redis.js';
import { makeTestCerts } from '../../helpers/tls-certs.js';

const PORT = 16396;
let dir = '';
let server: ChildProcess | undefined;

before(async () => {
  redisUrl(); // makes sure redis-server is installed
  dir = makeTestCerts('tributary-redis-tls').dir;
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
