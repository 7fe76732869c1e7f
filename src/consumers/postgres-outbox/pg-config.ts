// Connection settings for `pg` from a Centrifugo-style consumer config: a
// postgres:// DSN (pgx's pool_* parameters are read or dropped, since node-pg
// ignores them), plus Centrifugo's TLS object.

import pg from 'pg';
import type { TlsOptions } from '../../config/tls.js';
import { tlsConnectionOptions } from '../../util/tls.js';

const JSONB_OID = 3802;
const JSON_OID = 114;
const identity = (v: string): string => v;

/**
 * json and jsonb arrive as their text: the payload is parsed once, by the
 * consumer, keeping `data` byte-for-byte (as PostgreSQL normalised it).
 */
export const RAW_JSON_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === JSONB_OID || oid === JSON_OID ? identity : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

// pgx pool parameters a Centrifugo DSN may carry.
const PGX_POOL_PARAMS = [
  'pool_max_conns',
  'pool_min_conns',
  'pool_min_idle_conns',
  'pool_max_conn_lifetime',
  'pool_max_conn_lifetime_jitter',
  'pool_max_conn_idle_time',
  'pool_health_check_period',
];
const SSL_PARAMS = ['sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'sslpassword', 'uselibpqcompat'];

export interface ParsedDsn {
  connectionString: string;
  /** pool_max_conns from the DSN, if any. */
  poolMax?: number;
  /** host:port/database, without credentials: safe for logs and errors. */
  where: string;
}

export function parseDsn(dsn: string, dropSsl = false): ParsedDsn {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new Error('the DSN is not a valid postgres:// URL');
  }
  const max = url.searchParams.get('pool_max_conns');
  for (const p of PGX_POOL_PARAMS) url.searchParams.delete(p);
  if (dropSsl) for (const p of SSL_PARAMS) url.searchParams.delete(p);
  let poolMax: number | undefined;
  if (max !== null) {
    poolMax = Number(max);
    if (!Number.isInteger(poolMax) || poolMax < 1) throw new Error(`pool_max_conns=${max} in the DSN must be a positive integer`);
  }
  const where = `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname || '/'}`;
  return { connectionString: url.toString(), poolMax, where };
}

export function tlsSettings(tls: TlsOptions): pg.ClientConfig['ssl'] {
  return tls.enabled ? tlsConnectionOptions(tls) : undefined;
}

/** A readable cause from a pg / net error (connection errors can be AggregateErrors without a message). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    const parts = [...new Set(err.errors.map((e) => describeError(e)))];
    return parts.join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (err.message) return err.message;
    return code ?? err.name;
  }
  return String(err);
}
