// Centrifugo's TLS object (`configtypes.TLSConfig`), client side, shared by the
// Redis, PostgreSQL and Kafka blocks; and the Node TLS options built from it.
// PEM values are read as Centrifugo reads them: the PEM text, a file path, or
// base64 of the PEM.

import { existsSync, readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { z } from 'zod';
import { bool, section, str } from './fields.js';

const PEM_KEYS = ['server_ca_pem', 'cert_pem', 'key_pem'] as const;

export const TLS = section(
    'TLS to the backend.',
    {
      enabled: bool(false, 'Use TLS.'),
      cert_pem: str('', 'Client certificate (PEM text, file path or base64 PEM), for mutual TLS.'),
      key_pem: str('', 'Key of cert_pem.'),
      server_ca_pem: str('', "CA that signs the server's certificate; the system CAs when empty."),
      client_ca_pem: str('', 'Accepted for compatibility; only servers use it.'),
      insecure_skip_verify: bool(false, "Do not verify the server's certificate (development only)."),
      server_name: str('', 'Name to verify the server certificate against, when it differs from the host.'),
    },
    {
      check(t, report) {
        if (!t.enabled) return;
        if ((t.cert_pem === '') !== (t.key_pem === '')) report([], 'cert_pem and key_pem must be set together');
        for (const key of PEM_KEYS) {
          try {
            if (t[key] !== '') readPem(t[key], key);
          } catch (err) {
            report(key, (err as Error).message);
          }
        }
      },
    },
);
export type TlsOptions = z.output<typeof TLS>;

/** A PEM value as Centrifugo reads it: the PEM text itself, a file path, or base64 of the PEM. */
export function readPem(value: string, key: string): string {
  const v = value.trim();
  if (v.startsWith('-----BEGIN')) return v;
  if (existsSync(v)) return readFileSync(v, 'utf8');
  const decoded = Buffer.from(v, 'base64').toString('utf8');
  if (decoded.includes('-----BEGIN')) return decoded;
  throw new Error(`tls.${key} is neither PEM text, an existing file nor base64-encoded PEM`);
}

/** Node TLS client options from Centrifugo's TLS object (CA, client certificate, server name). */
export function tlsConnectionOptions(t: TlsOptions): ConnectionOptions {
  const out: ConnectionOptions = { rejectUnauthorized: !t.insecure_skip_verify };
  if (t.server_ca_pem) out.ca = readPem(t.server_ca_pem, 'server_ca_pem');
  if (t.cert_pem) out.cert = readPem(t.cert_pem, 'cert_pem');
  if (t.key_pem) out.key = readPem(t.key_pem, 'key_pem');
  if (t.server_name) out.servername = t.server_name;
  return out;
}
