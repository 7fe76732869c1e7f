// Centrifugo's TLS object (`configtypes.TLSConfig`): client side for the
// Redis, PostgreSQL, Kafka and proxy blocks (TLS), server side for the HTTP
// server and the GRPC API (SERVER_TLS). The PEMs of an enabled block are read
// at load, so a path that does not exist stops checkconfig as it would stop serve.

import type { z } from 'zod';
import { readPem } from '../util/tls.js';
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

/** Centrifugo's TLS object as a server reads it: its certificate, and client_ca_pem to require client certificates. */
export const SERVER_TLS = (doc: string) =>
  section(
    doc,
    {
      enabled: bool(false, 'Serve TLS.'),
      cert_pem: str('', 'Server certificate (PEM text, file path or base64 PEM).'),
      key_pem: str('', 'Key of cert_pem.'),
      client_ca_pem: str('', 'CA that client certificates must be signed by; empty = no client certificates.'),
      server_ca_pem: str('', 'Accepted for compatibility; only clients use it.'),
      insecure_skip_verify: bool(false, 'Accepted for compatibility; only clients use it.'),
      server_name: str('', 'Accepted for compatibility; only clients use it.'),
    },
    {
      check(t, report) {
        if (!t.enabled) return;
        if (t.cert_pem === '' || t.key_pem === '') report([], 'cert_pem and key_pem are required to serve TLS');
        for (const key of ['cert_pem', 'key_pem', 'client_ca_pem'] as const) {
          try {
            if (t[key] !== '') readPem(t[key], key);
          } catch (err) {
            report(key, (err as Error).message);
          }
        }
      },
    },
  );
