// The servers under test: Tributary from this repository (one process, or
// several sharing a Redis prefix with the Redis engine), a reference
// Centrifugo binary, or the bare-ws baseline, each started as a child process
// on a free port of 127.0.0.1 with a generated config; or an external server
// given by URL.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeKeys, type RedisAddress } from './redis.js';
import { ensureService } from './service-scripts.js';
import { ALL_TRANSPORTS_CONFIG } from './transports.js';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');

export type TargetName = 'tributary' | 'baseline' | 'centrifugo';
/** memory and redis: the engine; nats: the Nats broker between nodes, presence in memory (the bench reads none). */
export type EngineName = 'memory' | 'redis' | 'nats';

/** One server process of a target. */
export interface TargetNode {
  wsUrl: string;
  apiUrl: string;
  pid?: number;
  logFile?: string;
  /** The V8 inspector's loopback port when the bench opened one (StartOptions.inspect). */
  inspectPort?: number;
}

export interface Target {
  /** The label in tables and JSON: tributary, tributary:redis, tributary:redis:2, baseline, external. */
  name: string;
  kind: TargetName | 'external';
  /** Tributary's engine (undefined for the baseline and external servers). */
  engine?: EngineName;
  /** Every process of the target (one, or --nodes with the Redis engine). The fields below are the first one's. */
  nodes: TargetNode[];
  wsUrl: string;
  apiUrl: string;
  apiKey: string;
  tokenSecret: string;
  /** The server's process id when known (we started it, or --server-pid). */
  pid?: number;
  /** Where the server's stdout/stderr go, when we started it. */
  logFile?: string;
  /** The Redis the nodes share: its address, the run's key prefix, its pid when local. */
  redis?: { address: RedisAddress; prefix: string; pid?: number };
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
/** Generated configs and logs, removed when the bench exits unless --keep-tmp. */
const tmpDirs = new Set<string>();

/** Children (servers and subscriber processes) killed when the bench exits, however it exits. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function killAll(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  tmpDirs.clear();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`server exited with code ${exited} before it was ready; log:\n${tail(logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready after ${timeoutMs} ms; log:\n${tail(logFile)}`);
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface StartOptions {
  /** 'tsx' runs src/main.ts through tsx; 'dist' runs bin/tributary.js (run `npm run build` first). */
  build: 'tsx' | 'dist';
  /** Merged over the generated Tributary config. */
  extraConfig?: Record<string, unknown>;
  logLevel: string;
  /** Extra node flags for the server process, e.g. --max-old-space-size=4096. */
  nodeArgs: string[];
  keepTmp?: boolean;
  /** History for the generated `bench` namespace (the publish scenario). */
  benchHistory?: { size: number; ttlSeconds: number };
  /** Open the V8 inspector on a loopback port, so the bench can ask for a full GC before it samples memory (inspector-gc.ts). */
  inspect?: boolean;
  /** Verify connection tokens with the keys of this JWKS URL (client.token.jwks_public_endpoint) instead of the HMAC secret. */
  jwksUrl?: string;
}

/** How one Tributary target runs: its engine, its process count, the Redis and key prefix they share. */
export interface TributaryLayout {
  label: string;
  engine: EngineName;
  nodes: number;
  redis?: { address: RedisAddress; prefix: string; pid?: number };
  /** The NATS a Nats-broker layout shares, and its subject prefix for this run. */
  nats?: { url: string; prefix: string };
}

/** Merges `src` into `target`: objects key by key, anything else (arrays too) replaced. */
export function deepMerge(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    const t = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object' && !Array.isArray(t)) {
      deepMerge(t as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

export const BENCH_NAMESPACE = 'bench';

export function tributaryConfig(
  port: number,
  tokenSecret: string,
  apiKey: string,
  logLevel: string,
  benchHistory?: { size: number; ttlSeconds: number },
  jwksUrl?: string,
): Record<string, unknown> {
  const history = benchHistory ? { history_size: benchHistory.size, history_ttl: `${benchHistory.ttlSeconds}s` } : {};
  // With a JWKS endpoint both servers verify with its keys only (the HMAC secret stays, unused).
  const token = jwksUrl ? { hmac_secret_key: tokenSecret, jwks_public_endpoint: jwksUrl } : { hmac_secret_key: tokenSecret };
  return {
    http_server: { address: '127.0.0.1', port },
    log: { level: logLevel },
    // An explicit origin list: the bench's clients send no Origin, and an empty list draws a start-up warning.
    client: { token, allowed_origins: ['http://127.0.0.1'] },
    http_api: { key: apiKey },
    // Every transport at its default path, so runs over different transports differ in nothing else.
    ...ALL_TRANSPORTS_CONFIG,
    channel: {
      without_namespace: { allow_subscribe_for_client: true },
      namespaces: [{ name: BENCH_NAMESPACE, allow_subscribe_for_client: true, ...history }],
    },
  };
}

/** A fresh Redis key prefix for one run, so runs never see each other's history. */
export function freshRedisPrefix(): string {
  return `tributary-bench-${randomBytes(4).toString('hex')}`;
}

/**
 * Starts Tributary: one process, or `layout.nodes` processes that share the
 * Redis and key prefix of `layout.redis` (and one token secret and API key),
 * so they form one hub. Each gets its own port, config file and log.
 */
export async function startTributary(opts: StartOptions, layout: TributaryLayout = { label: 'tributary', engine: 'memory', nodes: 1 }): Promise<Target> {
  if (layout.nodes > 1 && layout.engine === 'memory') throw new Error('several Tributary nodes need the Redis engine or the Nats broker');
  if (layout.engine === 'redis' && !layout.redis) throw new Error('the Redis engine needs a Redis');
  if (layout.engine === 'nats' && !layout.nats) throw new Error('the Nats broker needs a NATS');
  const tokenSecret = randomBytes(24).toString('hex');
  const apiKey = randomBytes(16).toString('hex');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
  if (!opts.keepTmp) tmpDirs.add(dir);
  const entry = opts.build === 'dist' ? [path.join(REPO_ROOT, 'bin/tributary.js')] : ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts')];
  // Distinct ports first (two concurrent freePort() calls could be handed the same one), then start all nodes at once.
  const ports: number[] = [];
  const inspectPorts: number[] = [];
  while (ports.length + inspectPorts.length < layout.nodes * (opts.inspect ? 2 : 1)) {
    const p = await freePort();
    if (ports.includes(p) || inspectPorts.includes(p)) continue;
    if (ports.length < layout.nodes) ports.push(p);
    else inspectPorts.push(p);
  }
  const procs = await Promise.allSettled(
    ports.map(async (port, i) => {
      const config = tributaryConfig(port, tokenSecret, apiKey, opts.logLevel, opts.benchHistory, opts.jwksUrl);
      if (layout.redis) {
        config.engine = { type: 'redis', redis: { address: [layout.redis.address.url], prefix: layout.redis.prefix } };
      }
      if (layout.nats) config.broker = { enabled: true, type: 'nats', nats: { url: layout.nats.url, prefix: layout.nats.prefix } };
      if (opts.extraConfig) deepMerge(config, opts.extraConfig);
      const suffix = layout.nodes > 1 ? `-${i + 1}` : '';
      const configFile = path.join(dir, `config${suffix}.json`);
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      const inspectPort = inspectPorts[i];
      const inspect = inspectPort !== undefined ? [`--inspect=127.0.0.1:${inspectPort}`] : [];
      const args = [...opts.nodeArgs, ...inspect, ...entry, 'serve', '--config', configFile];
      return launchProcess(process.execPath, args, path.join(dir, `server${suffix}.log`), port, inspectPort);
    }),
  );
  const started = procs.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
  const failure = procs.find((p): p is PromiseRejectedResult => p.status === 'rejected');
  const cleanup = async () => {
    await Promise.all(started.map((p) => stopChild(p.child)));
    if (layout.redis && !opts.keepTmp) {
      try {
        await removeKeys(layout.redis.address, layout.redis.prefix);
      } catch {
        /* Redis gone: nothing to clean */
      }
    }
    if (!opts.keepTmp) {
      rmSync(dir, { recursive: true, force: true });
      tmpDirs.delete(dir);
    }
  };
  if (failure) {
    await cleanup();
    throw failure.reason;
  }
  return targetOf(layout.label, 'tributary', started, tokenSecret, apiKey, cleanup, layout);
}

export async function startBaseline(opts: StartOptions): Promise<Target> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-baseline-'));
  if (!opts.keepTmp) tmpDirs.add(dir);
  let inspectPort: number | undefined;
  while (opts.inspect && (inspectPort === undefined || inspectPort === port)) inspectPort = await freePort();
  const inspect = inspectPort !== undefined ? [`--inspect=127.0.0.1:${inspectPort}`] : [];
  const args = [...opts.nodeArgs, ...inspect, '--import', 'tsx', path.join(BENCH_DIR, 'baseline-server.ts'), '--port', String(port)];
  const proc = await launchProcess(process.execPath, args, path.join(dir, 'server.log'), port, inspectPort);
  return targetOf('baseline', 'baseline', [proc], 'unused-by-baseline', 'unused-by-baseline', async () => {
    await stopChild(proc.child);
    if (!opts.keepTmp) {
      rmSync(dir, { recursive: true, force: true });
      tmpDirs.delete(dir);
    }
  });
}

/** Centrifugo's log levels: Tributary's less `fatal`. */
const CENTRIFUGO_LOG_LEVELS = new Set(['none', 'trace', 'debug', 'info', 'warn', 'error']);

/**
 * The Centrifugo v6 config equivalent to tributaryConfig(): the same keys
 * (Tributary reads Centrifugo v6 configs), plus what Centrifugo ships off and
 * Tributary on: `health` (the bench waits for GET /health) and `prometheus`.
 * The memory engine, like Tributary's default.
 */
export function centrifugoConfig(
  port: number,
  tokenSecret: string,
  apiKey: string,
  logLevel: string,
  benchHistory?: { size: number; ttlSeconds: number },
  jwksUrl?: string,
): Record<string, unknown> {
  const config = tributaryConfig(port, tokenSecret, apiKey, CENTRIFUGO_LOG_LEVELS.has(logLevel) ? logLevel : 'error', benchHistory, jwksUrl);
  config.health = { enabled: true };
  config.prometheus = { enabled: true };
  return config;
}

/** The reference binary: what scripts/services/centrifugo.sh ensure prints last (it builds Centrifugo from the Go module proxy when missing). */
export function ensureCentrifugoBinary(): string {
  return ensureService({
    name: 'centrifugo',
    prints: '/',
    what: 'binary path',
    instead: 'give --target centrifugo:/path/to/binary to use another build',
    timeoutMs: 1_200_000,
  });
}

/** Starts the Centrifugo binary `binary` with centrifugoConfig() (and --server-config merged over it) in a directory of its own. */
export async function startCentrifugo(opts: StartOptions, binary: string, label = 'centrifugo'): Promise<Target> {
  const tokenSecret = randomBytes(24).toString('hex');
  const apiKey = randomBytes(16).toString('hex');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-centrifugo-'));
  if (!opts.keepTmp) tmpDirs.add(dir);
  const config = centrifugoConfig(port, tokenSecret, apiKey, opts.logLevel, opts.benchHistory, opts.jwksUrl);
  if (opts.extraConfig) deepMerge(config, opts.extraConfig);
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const proc = await launchProcess(binary, ['--config', configFile], path.join(dir, 'server.log'), port, undefined, dir);
  return targetOf(label, 'centrifugo', [proc], tokenSecret, apiKey, async () => {
    await stopChild(proc.child);
    if (!opts.keepTmp) {
      rmSync(dir, { recursive: true, force: true });
      tmpDirs.delete(dir);
    }
  });
}

interface Launched {
  child: ChildProcess;
  port: number;
  logFile: string;
  inspectPort?: number;
}

/** The bench's environment without the test runner's TRIBUTARY_TEST_* service addresses, which a server would warn about as unknown config variables. */
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIBUTARY_TEST_')));
}

async function launchProcess(command: string, args: string[], logFile: string, port: number, inspectPort?: number, cwd = REPO_ROOT): Promise<Launched> {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, stdio: ['ignore', fd, fd], env: serverEnv() });
  closeSync(fd);
  track(child);
  try {
    await waitHealthy(`http://127.0.0.1:${port}/health`, child, logFile, 30000);
  } catch (err) {
    await stopChild(child, 1000);
    throw err;
  }
  return { child, port, logFile, inspectPort };
}

function targetOf(
  name: string,
  kind: TargetName,
  procs: Launched[],
  tokenSecret: string,
  apiKey: string,
  stop: () => Promise<void>,
  layout?: TributaryLayout,
): Target {
  const nodes: TargetNode[] = procs.map((p) => ({
    wsUrl: `ws://127.0.0.1:${p.port}/connection/websocket`,
    apiUrl: `http://127.0.0.1:${p.port}/api`,
    pid: p.child.pid,
    logFile: p.logFile,
    inspectPort: p.inspectPort,
  }));
  const first = nodes[0]!;
  const t: Target = { name, kind, nodes, wsUrl: first.wsUrl, apiUrl: first.apiUrl, apiKey, tokenSecret, pid: first.pid, logFile: first.logFile, stop };
  if (layout) t.engine = layout.engine;
  if (layout?.redis) t.redis = layout.redis;
  return t;
}

/** A server (or the nodes of one hub) the bench did not start: one WebSocket and API URL per node, pids when known. */
export function externalTarget(wsUrls: string[], apiUrls: string[], apiKey: string, tokenSecret: string, pids: Array<number | undefined> = []): Target {
  const nodes: TargetNode[] = wsUrls.map((wsUrl, i) => ({ wsUrl, apiUrl: apiUrls[i]!.replace(/\/+$/, ''), pid: pids[i] }));
  const first = nodes[0]!;
  return {
    name: 'external',
    kind: 'external',
    nodes,
    wsUrl: first.wsUrl,
    apiUrl: first.apiUrl,
    apiKey,
    tokenSecret,
    pid: first.pid,
    stop: async () => undefined,
  };
}

/** serverProblems over every process of a target, each sample tagged with its node when there are several. */
export function targetProblems(target: Target): { count: number; samples: string[] } {
  let count = 0;
  const samples: string[] = [];
  target.nodes.forEach((n, i) => {
    const p = serverProblems(n.logFile);
    count += p.count;
    for (const s of p.samples) if (samples.length < 5) samples.push(target.nodes.length > 1 ? `[node ${i + 1}] ${s}` : s);
  });
  return { count, samples };
}

/** The last lines of every node's log. */
export function targetTail(target: Target): string {
  return target.nodes
    .filter((n) => n.logFile)
    .map((n, i) => (target.nodes.length > 1 ? `--- node ${i + 1}\n` : '') + tail(n.logFile!))
    .join('\n');
}

/** What Node prints on stderr when the bench opens the inspector (the idle scenario's full GC): not the server's. */
const INSPECTOR_LINE =
  /^(Debugger listening on |Debugger attached\.|Debugger ending on |For help, see: https:\/\/nodejs\.org\/en\/docs\/inspector|Waiting for the debugger to disconnect)/;

/** Log lines at warn level or above, or lines that are not JSON at all (stack traces, crashes). */
export function serverProblems(logFile: string | undefined): { count: number; samples: string[] } {
  if (!logFile) return { count: 0, samples: [] };
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return { count: 0, samples: [] };
  }
  const samples: string[] = [];
  let count = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('baseline listening') || INSPECTOR_LINE.test(line)) continue;
    let bad = true;
    try {
      const rec = JSON.parse(line) as { level?: number | string };
      bad = typeof rec.level === 'number' ? rec.level >= 40 : rec.level === 'warn' || rec.level === 'error' || rec.level === 'fatal';
    } catch {
      bad = true;
    }
    if (bad) {
      count++;
      if (samples.length < 5) samples.push(line.length > 400 ? line.slice(0, 400) + '…' : line);
    }
  }
  return { count, samples };
}
