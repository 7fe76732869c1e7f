// The `engine.redis` block (also `broker.redis`, `presence_manager.redis`):
// Centrifugo v6 `RedisPrefixed` plus the engine's history and presence options,
// parsed into shard descriptions. Channels are spread over the shards by
// consistent hashing; each shard is one standalone Redis, a Redis Cluster or a
// Sentinel-watched master.

import type { z } from 'zod';
import { bool, duration, int, section, str, strs, type Report } from './fields.js';
import { TLS } from './tls.js';

/** One independent Redis deployment. */
export type RedisShardAddress =
  | { kind: 'standalone'; host: string; port: number; path?: string; db: number; user: string; password: string; tls: boolean; label: string }
  | { kind: 'cluster'; seeds: Array<{ host: string; port: number }>; user: string; password: string; tls: boolean; label: string }
  | { kind: 'sentinel'; sentinels: Array<{ host: string; port: number }>; masterName: string; db: number; user: string; password: string; tls: boolean; label: string };

export const DEFAULT_REDIS_ADDRESS = 'redis://127.0.0.1:6379';
const positive = { orDefault: 'nonPositive' } as const;

const SHAPE = {
  address: strs('Redis URLs or host:port, one per shard (redis://, rediss://, redis+cluster://, redis+sentinel://, unix://); default redis://127.0.0.1:6379.'),
  prefix: str('centrifugo', 'Prefix of every key and PUB/SUB channel; nodes with the same prefix form one hub.', { check: (p) => (p === '' ? 'must not be empty' : undefined) }),
  cluster_address: strs('Seed addresses of a Redis Cluster (instead of address).'),
  sentinel_address: strs('Sentinel addresses (instead of address); needs sentinel_master_name.'),
  sentinel_master_name: str('', 'Name of the master the Sentinels watch.'),
  sentinel_user: str('', 'User for the Sentinels.'),
  sentinel_password: str('', 'Password for the Sentinels.'),
  sentinel_client_name: str('', 'Client name on Sentinel connections.'),
  db: int(0, 'Database number (standalone and Sentinel).', { check: (n) => (n < 0 ? 'must be a non-negative integer' : undefined) }),
  user: str('', 'ACL user.'),
  password: str('', 'Password.'),
  client_name: str('', 'Client name on the connections (CLIENT SETNAME).'),
  connect_timeout: duration('1s', 'Dial timeout.', positive),
  io_timeout: duration('4s', 'A command not answered in this time fails (retryable).', positive),
  force_resp2: bool(false, 'Accepted for compatibility; the client speaks RESP2.'),
  tls: TLS,
  presence_ttl: duration('60s', 'How long a presence entry lives without a refresh from its client.', positive),
  history_use_lists: bool(false, 'Not supported: history is kept in Redis streams.', {
    ignored: 'history is kept in Redis streams; lists are not supported and the option is ignored',
  }),
  presence_hash_field_ttl: bool(false, 'Not supported.', { ignored: 'not supported; presence uses a hash plus an expiry sorted set' }),
  presence_user_mapping: bool(false, 'Not supported.', { ignored: 'not supported; presence stats are computed from the presence map' }),
  sharded_pubsub: bool(false, "Tributary's own: Redis 7 sharded PUB/SUB (SPUBLISH/SSUBSCRIBE) in a Redis Cluster, so a publication travels only within its shard."),
};
export const REDIS = section('A Redis deployment: one or more shards.', SHAPE, { unsupported: { sentinel_tls: 'warn', replica_client: 'warn' } });

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

/**
 * The shards and connection settings of a block that is in use (an unused
 * block's addresses are not checked, as in Centrifugo); problems name the key
 * of the address at fault.
 */
export function redisOptions(o: z.output<typeof REDIS>, report: Report) {
  const common: Common = { db: o.db, user: o.user, password: o.password, tls: o.tls.enabled, masterName: o.sentinel_master_name };
  const shards: RedisShardAddress[] = [];
  const groups = [o.address, o.cluster_address, o.sentinel_address].filter((list) => list.length > 0).length;
  if (groups > 1) report([], 'set only one of address, cluster_address and sentinel_address');
  const parse = (key: string, entry: string, cluster: boolean, sentinel: boolean) => {
    try {
      shards.push(parseRedisAddress(entry, common, cluster, sentinel));
    } catch (err) {
      report(key, (err as Error).message);
    }
  };
  if (o.sentinel_address.length > 0) parse('sentinel_address', o.sentinel_address.join(','), false, true);
  for (const entry of o.cluster_address) parse('cluster_address', entry, true, false);
  for (const entry of o.address) parse('address', entry, false, false);
  if (groups === 0) parse('address', DEFAULT_REDIS_ADDRESS, false, false);
  if (o.sharded_pubsub && !shards.every((sh) => sh.kind === 'cluster')) {
    report('sharded_pubsub', 'needs every address to be a Redis Cluster (cluster_address or redis+cluster://)');
  }
  const { address: _a, cluster_address: _c, sentinel_address: _s, db: _d, user: _u, password: _p, sentinel_master_name: _m, ...rest } = o;
  return { ...rest, shards };
}

export type RedisEngineOptions = ReturnType<typeof redisOptions>;
