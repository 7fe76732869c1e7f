// Node TLS client options from Centrifugo's TLS object, for the Redis,
// PostgreSQL and Kafka clients. PEM values are read as Centrifugo reads them:
// the PEM text, a file path, or base64 of the PEM.

import { existsSync, readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from 'node:tls';

/** What the TLS options need of the config's TLS block. */
export interface TlsSettings {
  cert_pem: string;
  key_pem: string;
  server_ca_pem: string;
  insecure_skip_verify: boolean;
  server_name: string;
}

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
export function tlsConnectionOptions(t: TlsSettings): ConnectionOptions {
  const out: ConnectionOptions = { rejectUnauthorized: !t.insecure_skip_verify };
  if (t.server_ca_pem) out.ca = readPem(t.server_ca_pem, 'server_ca_pem');
  if (t.cert_pem) out.cert = readPem(t.cert_pem, 'cert_pem');
  if (t.key_pem) out.key = readPem(t.key_pem, 'key_pem');
  if (t.server_name) out.servername = t.server_name;
  return out;
}

/** Node TLS server options from Centrifugo's TLS object: the certificate, and client certificates required when client_ca_pem is set. */
export function tlsServerOptions(t: { cert_pem: string; key_pem: string; client_ca_pem: string }): TlsOptions {
  const out: TlsOptions = { cert: readPem(t.cert_pem, 'cert_pem'), key: readPem(t.key_pem, 'key_pem'), minVersion: 'TLSv1.2' };
  if (t.client_ca_pem) {
    out.ca = readPem(t.client_ca_pem, 'client_ca_pem');
    out.requestCert = true;
    out.rejectUnauthorized = true;
  }
  return out;
}
