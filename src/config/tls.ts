// Centrifugo's TLS object (`configtypes.TLSConfig`), client side, shared by the
// Redis, PostgreSQL and Kafka blocks. The PEMs of an enabled block are read at
// load, so a path that does not exist stops checkconfig as it would stop serve.

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
