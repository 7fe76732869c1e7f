// Redis for the bench: where it is (scripts/services/redis.sh or --redis-url),
// its process id (for CPU figures), a minimal RESP2 client over node:net for
// the few reads the bench makes (INFO, XLEN, HGET, PTTL, XREVRANGE), removing
// a run's keys afterwards, and the check that history holds what was published.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { ensureService } from './service-scripts.js';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  user: string;
  password: string;
  url: string;
}

/** redis://[user:password@]host[:port][/db]; nothing else (no TLS, cluster or sentinel: the bench needs one local Redis). */
export function parseRedisUrl(url: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--redis-url: not a URL: ${url}`);
  }
  if (u.protocol !== 'redis:') throw new Error(`--redis-url: only redis:// URLs (one standalone Redis), got ${url}`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`--redis-url: bad database in ${url}`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(u.port || 6379),
    db,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    url,
  };
}

/** Runs `scripts/services/redis.sh ensure` (installs and starts the project's Redis when needed) and returns the URL it prints last. */
export function ensureLocalRedis(): string {
  return ensureService({ name: 'redis', prints: 'redis://', what: 'redis:// URL', instead: 'give --redis-url to use another Redis' });
}

export class RedisReplyError extends Error {}
export type Resp = string | number | null | Buffer | RedisReplyError | Resp[];

/** One connection, RESP2, replies in order. Enough for a handful of reads; not for load. */
export class RespClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve: (v: Resp) => void; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('redis connection closed')));
  }

  static async connect(addr: RedisAddress, timeoutMs = 5000): Promise<RespClient> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: addr.host, port: addr.port });
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`redis ${addr.host}:${addr.port}: no connection in ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(t);
        reject(new Error(`redis ${addr.host}:${addr.port}: ${err.message}`));
      });
    });
    sock.setNoDelay(true);
    const c = new RespClient(sock);
    if (addr.password) await c.expect(addr.user ? ['AUTH', addr.user, addr.password] : ['AUTH', addr.password]);
    if (addr.db) await c.expect(['SELECT', String(addr.db)]);
    return c;
  }

  /** Sends several commands at once; errors come back as RedisReplyError values, in place. */
  pipeline(commands: string[][]): Promise<Resp[]> {
    if (this.failure) return Promise.reject(this.failure);
    const parts: Buffer[] = [];
    for (const args of commands) {
      parts.push(Buffer.from(`*${args.length}\r\n`));
      for (const a of args) {
        const b = Buffer.from(a);
        parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
      }
    }
    const replies = commands.map(() => new Promise<Resp>((resolve, reject) => this.waiting.push({ resolve, reject })));
    this.sock.write(Buffer.concat(parts));
    return Promise.all(replies);
  }

  async command(...args: string[]): Promise<Resp> {
    return (await this.pipeline([args]))[0]!;
  }

  /** A command whose error reply is thrown. */
  async expect(args: string[]): Promise<Resp> {
    const r = (await this.pipeline([args]))[0]!;
    if (r instanceof RedisReplyError) throw r;
    return r;
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    for (;;) {
      const r = parse(this.buf, pos);
      if (!r) break;
      pos = r[1];
      this.waiting.shift()?.resolve(r[0]);
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }
}

/** One reply starting at `pos`, and where the next starts; undefined when incomplete. */
function parse(buf: Buffer, pos: number): [Resp, number] | undefined {
  if (pos >= buf.length) return undefined;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = buf[pos];
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case 0x2b: // +
      return [line, next];
    case 0x2d: // -
      return [new RedisReplyError(line), next];
    case 0x3a: // :
      return [Number(line), next];
    case 0x24: {
      // $
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.subarray(next, next + n), next + n + 2];
    }
    case 0x2a: {
      // *
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: Resp[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, p);
        if (!r) return undefined;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default:
      throw new Error(`redis: unexpected reply byte 0x${(type ?? 0).toString(16)}`);
  }
}

export const respText = (v: Resp | undefined): string => (Buffer.isBuffer(v) ? v.toString('utf8') : v === null || v === undefined ? '' : String(v));

/**
 * The redis-server's pid when it runs on this machine (INFO server → process_id,
 * and /proc/<pid>/comm says redis), for its CPU figures; undefined otherwise.
 */
export async function redisServerPid(addr: RedisAddress): Promise<number | undefined> {
  if (!['127.0.0.1', 'localhost', '::1'].includes(addr.host)) return undefined;
  const c = await RespClient.connect(addr);
  try {
    const info = respText(await c.expect(['INFO', 'server']));
    const m = /^process_id:(\d+)/m.exec(info);
    if (!m) return undefined;
    const pid = Number(m[1]);
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('redis') ? pid : undefined;
    } catch {
      return undefined; // another PID namespace (a container): not ours to read
    }
  } finally {
    c.close();
  }
}

/** Removes every key under `prefix.` (SCAN + UNLINK); returns how many. */
export async function removeKeys(addr: RedisAddress, prefix: string): Promise<number> {
  const c = await RespClient.connect(addr);
  const pattern = prefix.replace(/[*?[\]\\]/g, '\\$&') + '.*';
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const r = (await c.expect(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as Resp[];
      cursor = respText(r[0]);
      const keys = (r[1] as Resp[]).map(respText);
      if (keys.length > 0) removed += Number(await c.expect(['UNLINK', ...keys]));
    } while (cursor !== '0');
  } finally {
    c.close();
  }
  return removed;
}

/** What history holds after a publish run, read back from where it is kept. */
export interface HistoryCheck {
  /** 'redis': read from the streams with XLEN/HGET/XREVRANGE; 'api': through the server API's history method. */
  source: 'redis' | 'api';
  channels: number;
  /** Publications the server acknowledged (what history must hold). */
  acknowledged: number;
  /** Sum over the channels of each stream's top offset (1 per publication stored). */
  topOffsetSum: number;
  /** Sum of the streams' lengths (XLEN; at most history_size each). */
  entries: number;
  /** Channels whose top offset or length is not what was published. */
  problems: number;
  /** TTL of one stream key in seconds (history_ttl is applied), redis only. */
  streamTtlSeconds?: number;
  /** The last entry of the first channel holds its last sequence number. */
  lastEntryMatches: boolean;
  samples: string[];
  ok: boolean;
}

/**
 * Checks the streams of a Redis engine run. With no publish errors, each
 * channel's top offset must equal the publications created for it and its
 * length min(top, historySize); with errors (unknown which channel) the sum
 * of top offsets must equal the acknowledged count.
 */
export async function checkRedisHistory(
  addr: RedisAddress,
  prefix: string,
  channels: string[],
  published: number[],
  acknowledged: number,
  errors: number,
  historySize: number,
): Promise<HistoryCheck> {
  const c = await RespClient.connect(addr);
  try {
    const cmds: string[][] = [];
    for (const ch of channels) {
      cmds.push(['HGET', `${prefix}.stream.meta.${ch}`, 's']);
      cmds.push(['XLEN', `${prefix}.stream.${ch}`]);
    }
    const replies = await c.pipeline(cmds);
    const [ttl, last] = await c.pipeline([
      ['PTTL', `${prefix}.stream.${channels[0]}`],
      ['XREVRANGE', `${prefix}.stream.${channels[0]}`, '+', '-', 'COUNT', '1'],
    ]);
    const tops = channels.map((_, i) => Number(respText(replies[2 * i])) || 0);
    const lens = channels.map((_, i) => Number(replies[2 * i + 1]) || 0);
    let lastText = '';
    if (Array.isArray(last) && Array.isArray(last[0])) lastText = respText((last[0][1] as Resp[] | undefined)?.[1]);
    return judge('redis', channels, tops, lens, published, acknowledged, errors, historySize, lastText, Number(ttl) / 1000);
  } finally {
    c.close();
  }
}

/** The same check through the server API (any engine): `history` with limit history_size gives each top offset and the entries. */
export async function checkApiHistory(
  apiUrl: string,
  apiKey: string,
  channels: string[],
  published: number[],
  acknowledged: number,
  errors: number,
  historySize: number,
): Promise<HistoryCheck> {
  const tops: number[] = [];
  const lens: number[] = [];
  let lastText = '';
  for (let i = 0; i < channels.length; i += 100) {
    const part = channels.slice(i, i + 100);
    const body = { commands: part.map((channel) => ({ history: { channel, limit: historySize } })) };
    const res = await fetch(`${apiUrl}/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey },
      body: JSON.stringify(body),
    });
    type Reply = { history?: { offset?: number; publications?: Array<{ data?: unknown }> }; error?: unknown };
    const json = (await res.json()) as { result?: { replies?: Reply[] }; replies?: Reply[]; error?: unknown };
    const replies = json.result?.replies ?? json.replies;
    if (!res.ok || !replies) throw new Error(`history batch: HTTP ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
    for (const r of replies) {
      tops.push(r.history?.offset ?? 0);
      const pubs = r.history?.publications ?? [];
      lens.push(pubs.length);
      if (tops.length === 1 && pubs.length > 0) lastText = JSON.stringify(pubs[pubs.length - 1]!.data);
    }
  }
  return judge('api', channels, tops, lens, published, acknowledged, errors, historySize, lastText);
}

function judge(
  source: 'redis' | 'api',
  channels: string[],
  tops: number[],
  lens: number[],
  published: number[],
  acknowledged: number,
  errors: number,
  historySize: number,
  lastText: string,
  ttlSeconds?: number,
): HistoryCheck {
  const samples: string[] = [];
  let problems = 0;
  for (let i = 0; i < channels.length; i++) {
    const top = tops[i] ?? 0;
    const len = lens[i] ?? 0;
    const want = published[i] ?? 0;
    const bad = (errors === 0 && top !== want) || len !== Math.min(top, historySize) || top > want;
    if (bad) {
      problems++;
      if (samples.length < 5) samples.push(`${channels[i]}: top offset ${top}, ${len} entries; ${want} published`);
    }
  }
  const topOffsetSum = tops.reduce((a, b) => a + b, 0);
  if (topOffsetSum !== acknowledged) {
    problems++;
    samples.push(`top offsets add up to ${topOffsetSum}, ${acknowledged} publications were acknowledged`);
  }
  const lastEntryMatches = (published[0] ?? 0) === 0 || lastText.includes(`"s":${published[0]},`);
  if (!lastEntryMatches) {
    problems++;
    samples.push(`the last entry of ${channels[0]} is not publication ${published[0]}: ${lastText.slice(0, 120)}`);
  }
  const out: HistoryCheck = {
    source,
    channels: channels.length,
    acknowledged,
    topOffsetSum,
    entries: lens.reduce((a, b) => a + b, 0),
    problems,
    lastEntryMatches,
    samples,
    ok: problems === 0,
  };
  if (ttlSeconds !== undefined) out.streamTtlSeconds = ttlSeconds;
  return out;
}
