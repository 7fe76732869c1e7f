// Typed reading of the `engine.redis` block (Centrifugo v6 `RedisPrefixed`
// plus the engine's history/presence options). The loader keeps the block raw;
// this turns it into shard descriptions and names the key of every problem.

import { defaultTlsOptions, isObject, readBlock, TLS_KINDS, type Obj, type TlsOptions } from './raw-blocks.js';
import type { ConfigProblem } from './errors.js';
import type { LeafKind } from './schema.js';

/** One independent Redis deployment; channels are spread over shards by consistent hashing. */
export type RedisShardAddress =
  | { kind: 'standalone'; host: string; port: number; path?: string; db: number; user: string; password: string; tls: boolean; label: string }
  | { kind: 'cluster'; seeds: Array<{ host: string; port: number }>; user: string; password: string; tls: boolean; label: string }
  | { kind: 'sentinel'; sentinels: Array<{ host: string; port: number }>; masterName: string; db: number; user: string; password: string; tls: boolean; label: string };

export interface RedisEngineOptions {
  prefix: string;
  shards: RedisShardAddress[];
  /** ms */
  connect_timeout: number;
  /** ms; a command not answered in this time fails (retryable). */
  io_timeout: number;
  client_name: string;
  tls: TlsOptions;
  sentinel_user: string;
  sentinel_password: string;
  sentinel_client_name: string;
  /** ms */
  presence_ttl: number;
  /** Accepted for compatibility; streams are always used (see warnings). */
  history_use_lists: boolean;
  /**
   * Tributary's own: Redis 7 sharded PUB/SUB (SPUBLISH/SSUBSCRIBE) in a Redis
   * Cluster, so a publication travels only within the shard that owns its channel.
   */
  sharded_pubsub: boolean;
}

export interface ParsedRedisOptions {
  options?: RedisEngineOptions;
  problems: ConfigProblem[];
  warnings: string[];
}


const KINDS: Record<string, LeafKind> = {
  prefix: 'string',
  address: 'strings',
  cluster_address: 'strings',
  sentinel_address: 'strings',
  connect_timeout: 'duration',
  io_timeout: 'duration',
  db: 'int',
  user: 'string',
  password: 'string',
  client_name: 'string',
  force_resp2: 'bool',
  sentinel_user: 'string',
  sentinel_password: 'string',
  sentinel_master_name: 'string',
  sentinel_client_name: 'string',
  history_use_lists: 'bool',
  presence_ttl: 'duration',
  presence_hash_field_ttl: 'bool',
  presence_user_mapping: 'bool',
  sharded_pubsub: 'bool',
};
const BLOCKS = new Set(['tls', 'sentinel_tls', 'replica_client']);

/** Scalar keys of `engine.redis`, for environment overrides of keys the file does not set. */
export const REDIS_OPTION_KEYS: readonly string[] = Object.keys(KINDS);

export const DEFAULT_REDIS_ADDRESS = 'redis://127.0.0.1:6379';

function hostPort(s: string, defaultPort = 6379): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(s.trim());
  if (!m || m[1] === '') throw new Error(`"${s}" is not host:port`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`"${s}" has an invalid port`);
  return { host: m[1]!, port };
}

interface Common {
  db: number;
  user: string;
  password: string;
  tls: boolean;
  masterName: string;
}

/** Parses one address entry: a URL (redis, rediss, redis+cluster, redis+sentinel, unix, tcp) or host:port. */
export function parseRedisAddress(entry: string, common: Common, asCluster: boolean, asSentinel: boolean): RedisShardAddress {
  let scheme = '';
  let rest = entry.trim();
  const m = /^([a-z+]+):\/\/(.*)$/i.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = m[2]!;
  }
  let { db, user, password, tls, masterName } = common;
  if (scheme === 'unix') {
    const [path, query = ''] = rest.split('?');
    const q = new URLSearchParams(query);
    if (q.get('db')) db = Number(q.get('db'));
    return { kind: 'standalone', host: '', port: 0, path: '/' + path!.replace(/^\/+/, ''), db, user, password, tls: false, label: `unix://${path}` };
  }
  if (scheme !== '' && !['redis', 'rediss', 'tcp', 'redis+cluster', 'rediss+cluster', 'redis+sentinel', 'rediss+sentinel'].includes(scheme)) {
    throw new Error(`"${entry}": unsupported scheme ${scheme}://`);
  }
  if (scheme.startsWith('rediss')) tls = true;
  const cluster = asCluster || scheme.endsWith('+cluster');
  const sentinel = asSentinel || scheme.endsWith('+sentinel');
  // userinfo@hosts/db?query
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      user = decodeURIComponent(userinfo.slice(0, colon));
      password = decodeURIComponent(userinfo.slice(colon + 1));
    } else {
      password = decodeURIComponent(userinfo);
    }
  }
  const [beforeQuery, query = ''] = rest.split('?');
  const [hostsPart, dbPart] = beforeQuery!.split('/');
  if (dbPart) {
    db = Number(dbPart);
    if (!Number.isInteger(db) || db < 0) throw new Error(`"${entry}": database must be a non-negative integer`);
  }
  const q = new URLSearchParams(query);
  const extra = q.getAll('addr');
  const hosts = [...hostsPart!.split(','), ...extra].filter(Boolean).map((h) => hostPort(h, sentinel ? 26379 : 6379));
  if (hosts.length === 0) throw new Error(`"${entry}" names no host`);
  masterName = q.get('sentinel_master_name') ?? masterName;
  const label = entry.replace(/\/\/[^@/]*@/, '//');
  if (cluster) return { kind: 'cluster', seeds: hosts, user, password, tls, label };
  if (sentinel) {
    if (masterName === '') throw new Error(`"${entry}": a sentinel address needs sentinel_master_name`);
    return { kind: 'sentinel', sentinels: hosts, masterName, db, user, password, tls, label };
  }
  if (hosts.length > 1) throw new Error(`"${entry}": one host per address (use several addresses for shards)`);
  return { kind: 'standalone', host: hosts[0]!.host, port: hosts[0]!.port, db, user, password, tls, label };
}

/** Parses `engine.redis` (absent means every default: one Redis on localhost). Never throws. */
export function parseRedisOptions(raw: unknown, path = 'engine.redis'): ParsedRedisOptions {
  const out: ParsedRedisOptions = { problems: [], warnings: [] };
  const block: Obj = raw === undefined || raw === null ? {} : isObject(raw) ? raw : {};
  if (raw !== undefined && raw !== null && !isObject(raw)) {
    out.problems.push({ key: path, reason: 'must be an object' });
    return out;
  }
  const o: Obj = {
    prefix: 'centrifugo',
    address: [] as string[],
    cluster_address: [] as string[],
    sentinel_address: [] as string[],
    connect_timeout: 1000,
    io_timeout: 4000,
    db: 0,
    user: '',
    password: '',
    client_name: '',
    sentinel_user: '',
    sentinel_password: '',
    sentinel_master_name: '',
    sentinel_client_name: '',
    history_use_lists: false,
    presence_ttl: 60_000,
    presence_hash_field_ttl: false,
    presence_user_mapping: false,
    sharded_pubsub: false,
  };
  readBlock(o, block, KINDS, path, out, [...BLOCKS]);
  const tls = defaultTlsOptions();
  if (block.tls !== undefined && block.tls !== null) {
    if (isObject(block.tls)) readBlock(tls as unknown as Obj, block.tls, TLS_KINDS, `${path}.tls`, out, []);
    else out.problems.push({ key: `${path}.tls`, reason: 'must be an object' });
  }
  if (out.problems.length > 0) return out;

  if (o.history_use_lists === true) out.warnings.push(`${path}.history_use_lists: history is kept in Redis streams; lists are not supported and the option is ignored`);
  if (o.presence_hash_field_ttl === true) out.warnings.push(`${path}.presence_hash_field_ttl is not supported; presence uses a hash plus an expiry sorted set`);
  if (o.presence_user_mapping === true) out.warnings.push(`${path}.presence_user_mapping is not supported; presence stats are computed from the presence map`);
  if (typeof o.prefix !== 'string' || o.prefix === '') out.problems.push({ key: `${path}.prefix`, reason: 'must not be empty' });
  if ((o.connect_timeout as number) <= 0) o.connect_timeout = 1000;
  if ((o.io_timeout as number) <= 0) o.io_timeout = 4000;
  if ((o.presence_ttl as number) <= 0) o.presence_ttl = 60_000;
  if (!Number.isInteger(o.db) || (o.db as number) < 0) out.problems.push({ key: `${path}.db`, reason: 'must be a non-negative integer' });

  const common: Common = {
    db: o.db as number,
    user: o.user as string,
    password: o.password as string,
    tls: tls.enabled,
    masterName: o.sentinel_master_name as string,
  };
  const shards: RedisShardAddress[] = [];
  const addresses = o.address as string[];
  const clusters = o.cluster_address as string[];
  const sentinels = o.sentinel_address as string[];
  const groups = [addresses.length > 0, clusters.length > 0, sentinels.length > 0].filter(Boolean).length;
  if (groups > 1) out.problems.push({ key: path, reason: 'set only one of address, cluster_address and sentinel_address' });
  const parse = (key: string, entry: string, cluster: boolean, sentinel: boolean) => {
    try {
      shards.push(parseRedisAddress(entry, common, cluster, sentinel));
    } catch (err) {
      out.problems.push({ key: `${path}.${key}`, reason: (err as Error).message });
    }
  };
  if (sentinels.length > 0) parse('sentinel_address', sentinels.join(','), false, true);
  for (const entry of clusters) parse('cluster_address', entry, true, false);
  for (const entry of addresses) parse('address', entry, false, false);
  if (groups === 0) parse('address', DEFAULT_REDIS_ADDRESS, false, false);
  if (o.sharded_pubsub === true && !shards.every((sh) => sh.kind === 'cluster')) {
    out.problems.push({ key: `${path}.sharded_pubsub`, reason: 'needs every address to be a Redis Cluster (cluster_address or redis+cluster://)' });
  }
  if (out.problems.length > 0) return out;

  out.options = {
    prefix: o.prefix as string,
    shards,
    connect_timeout: o.connect_timeout as number,
    io_timeout: o.io_timeout as number,
    client_name: o.client_name as string,
    tls,
    sentinel_user: o.sentinel_user as string,
    sentinel_password: o.sentinel_password as string,
    sentinel_client_name: o.sentinel_client_name as string,
    presence_ttl: o.presence_ttl as number,
    history_use_lists: o.history_use_lists as boolean,
    sharded_pubsub: o.sharded_pubsub as boolean,
  };
  return out;
}
