// Reading the blocks the loader keeps raw (consumers, engine.redis): a block
// by a table of leaf kinds, problems naming their keys; and the TLS object
// they share.

import { coerceLeaf, type ValueSource } from './coerce.js';
import type { ConfigProblem } from './errors.js';
import type { ConsumerConfig } from './consumers.js';
import type { LeafKind } from './schema.js';

/** Centrifugo's TLS object (`configtypes.TLSConfig`), client side. PEM values are text, a file path or base64. */
export interface TlsOptions {
  enabled: boolean;
  cert_pem: string;
  key_pem: string;
  server_ca_pem: string;
  client_ca_pem: string;
  insecure_skip_verify: boolean;
  server_name: string;
}

export function defaultTlsOptions(): TlsOptions {
  return {
    enabled: false,
    cert_pem: '',
    key_pem: '',
    server_ca_pem: '',
    client_ca_pem: '',
    insecure_skip_verify: false,
    server_name: '',
  };
}

export const TLS_KINDS: Record<string, LeafKind> = {
  enabled: 'bool',
  cert_pem: 'string',
  key_pem: 'string',
  server_ca_pem: 'string',
  client_ca_pem: 'string',
  insecure_skip_verify: 'bool',
  server_name: 'string',
};

export interface ParsedConsumers {
  consumers: ConsumerConfig[];
  problems: ConfigProblem[];
  warnings: string[];
}

export type Obj = Record<string, unknown>;
export const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const q = (s: unknown) => JSON.stringify(s);

/** Where readBlock reports: problems name keys, warnings name unknown keys. */
export interface BlockReport {
  problems: ConfigProblem[];
  warnings: string[];
}

/**
 * Reads `block` into `target` by `kinds`; values are coerced as a file's would
 * be. Keys in `nested` are sub-blocks the caller reads itself. A string given
 * for a list (from the environment) is split on spaces and commas.
 */
export function readBlock(
  target: Obj,
  block: Obj,
  kinds: Record<string, LeafKind>,
  path: string,
  out: BlockReport,
  nested: readonly string[] = ['tls'],
): void {
  for (const [key, value] of Object.entries(block)) {
    const kind = kinds[key];
    if (kind === undefined) {
      if (!nested.includes(key)) out.warnings.push(`unknown config key ${path}.${key}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    try {
      const v = kind === 'strings' && typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
      // Env overrides of raw blocks arrive already converted to the file's type,
      // so 'file' (weak decoding: "8" is fine for an int) suits both sources.
      target[key] = coerceLeaf(kind, v, 'file' satisfies ValueSource);
    } catch (err) {
      out.problems.push({ key: `${path}.${key}`, reason: (err as Error).message });
    }
  }
}
