// PEM values in config, read the way Centrifugo reads them.

import { existsSync, readFileSync } from 'node:fs';

/** A PEM value as Centrifugo reads it: the PEM text itself, a file path, or base64 of the PEM. */
export function readPem(value: string, key: string): string {
  const v = value.trim();
  if (v.startsWith('-----BEGIN')) return v;
  if (existsSync(v)) return readFileSync(v, 'utf8');
  const decoded = Buffer.from(v, 'base64').toString('utf8');
  if (decoded.includes('-----BEGIN')) return decoded;
  throw new Error(`tls.${key} is neither PEM text, an existing file nor base64-encoded PEM`);
}
