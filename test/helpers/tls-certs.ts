// Throwaway certificates for TLS tests, made with openssl in a directory of
// their own: a CA, a server certificate for 127.0.0.1 that it signs, and a
// second CA that signs nothing (a client trusting only it must refuse).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  /** File names inside dir. */
  ca: 'ca.crt';
  otherCa: 'other-ca.crt';
  serverCert: 'server.crt';
  serverKey: 'server.key';
}

export function makeTestCerts(prefix: string): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  const makeCa = (name: string) =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
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
  return { dir, ca: 'ca.crt', otherCa: 'other-ca.crt', serverCert: 'server.crt', serverKey: 'server.key' };
}
