import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TLS } from '../../../src/config/tls.js';
import { describeError, parseDsn, tlsSettings } from '../../../src/consumers/postgres-outbox/pg-config.js';
import { readPem } from '../../../src/util/tls.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('parseDsn', () => {
  it("takes pgx's pool_max_conns and drops the other pool parameters node-pg does not know", () => {
    const d = parseDsn('postgres://u:p%40ss@db.example:6432/app?pool_max_conns=12&pool_max_conn_lifetime=1h&application_name=x');
    assert.equal(d.poolMax, 12);
    assert.equal(d.connectionString, 'postgres://u:p%40ss@db.example:6432/app?application_name=x');
    assert.equal(d.where, 'db.example:6432/app');
  });

  it('never shows credentials, and drops libpq ssl parameters when the TLS object is used', () => {
    const d = parseDsn('postgresql://user:secret@h/db?sslmode=require&sslrootcert=/x', true);
    assert.equal(d.where, 'h:5432/db');
    assert.equal(d.connectionString, 'postgresql://user:secret@h/db');
    assert.throws(() => parseDsn('postgres://h/db?pool_max_conns=0'), /pool_max_conns=0/);
    assert.throws(() => parseDsn('host=db user=x'), /not a valid postgres:\/\/ URL/);
  });
});

describe('TLS object', () => {
  it('reads PEM values as text, file or base64, like Centrifugo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pem-'));
    writeFileSync(join(dir, 'ca.pem'), PEM);
    assert.equal(readPem(PEM, 'server_ca_pem'), PEM.trim());
    assert.equal(readPem(join(dir, 'ca.pem'), 'server_ca_pem'), PEM);
    assert.equal(readPem(Buffer.from(PEM).toString('base64'), 'server_ca_pem'), PEM);
    assert.throws(() => readPem('nothing', 'key_pem'), /tls\.key_pem is neither PEM text/);
  });

  it('maps to node-pg ssl settings only when enabled', () => {
    assert.equal(tlsSettings(TLS.parse({})), undefined);
    assert.deepEqual(tlsSettings({ ...TLS.parse({}), enabled: true, server_ca_pem: PEM, insecure_skip_verify: true, server_name: 'db' }), {
      rejectUnauthorized: false,
      ca: PEM.trim(),
      servername: 'db',
    });
  });
});

describe('describeError', () => {
  it('says something for connection errors without a message', () => {
    const agg = new AggregateError([Object.assign(new Error(''), { code: 'ECONNREFUSED' }), new Error('connect ECONNREFUSED ::1:5432')]);
    assert.equal(describeError(agg), 'ECONNREFUSED; connect ECONNREFUSED ::1:5432');
  });
});
