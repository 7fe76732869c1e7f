// Redis addresses in the forms Centrifugo accepts: redis://, rediss://,
// redis+cluster://, redis+sentinel:// (with ?addr= for more hosts and
// ?sentinel_master_name=), unix:// and bare host:port.

/** One independent Redis deployment. */
export type RedisShardAddress =
  | { kind: 'standalone'; host: string; port: number; path?: string; db: number; user: string; password: string; tls: boolean; label: string }
  | { kind: 'cluster'; seeds: Array<{ host: string; port: number }>; user: string; password: string; tls: boolean; label: string }
  | {
      kind: 'sentinel';
      sentinels: Array<{ host: string; port: number }>;
      masterName: string;
      db: number;
      user: string;
      password: string;
      tls: boolean;
      label: string;
    };

function hostPort(s: string, defaultPort = 6379): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(s.trim());
  if (!m || m[1] === '') throw new Error(`"${s}" is not host:port`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`"${s}" has an invalid port`);
  return { host: m[1]!, port };
}

/** What an address does not say itself: the block's db, credentials, TLS and Sentinel master name. */
export interface RedisAddressDefaults {
  db: number;
  user: string;
  password: string;
  tls: boolean;
  masterName: string;
}

/** Parses one address entry: a URL (redis, rediss, redis+cluster, redis+sentinel, unix, tcp) or host:port. */
export function parseRedisAddress(entry: string, common: RedisAddressDefaults, asCluster: boolean, asSentinel: boolean): RedisShardAddress {
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
