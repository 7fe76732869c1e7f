// The servers under test: Tributary from this repository or the bare-ws
// baseline, each started as a child process on a free port of 127.0.0.1 with
// a generated config; or an external server given by URL.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');

export type TargetName = 'tributary' | 'baseline';

export interface Target {
  name: TargetName | 'external';
  wsUrl: string;
  apiUrl: string;
  apiKey: string;
  tokenSecret: string;
  /** The server's process id when known (we started it, or --server-pid). */
  pid?: number;
  /** Where the server's stdout/stderr go, when we started it. */
  logFile?: string;
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

export function tributaryConfig(port: number, tokenSecret: string, apiKey: string, logLevel: string): Record<string, unknown> {
  return {
    http_server: { address: '127.0.0.1', port },
    log: { level: logLevel },
    client: { token: { hmac_secret_key: tokenSecret } },
    http_api: { key: apiKey },
    channel: {
      without_namespace: { allow_subscribe_for_client: true },
      namespaces: [{ name: BENCH_NAMESPACE, allow_subscribe_for_client: true }],
    },
  };
}

export async function startTributary(opts: StartOptions): Promise<Target> {
  const port = await freePort();
  const tokenSecret = randomBytes(24).toString('hex');
  const apiKey = randomBytes(16).toString('hex');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
  const config = tributaryConfig(port, tokenSecret, apiKey, opts.logLevel);
  if (opts.extraConfig) deepMerge(config, opts.extraConfig);
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const entry = opts.build === 'dist' ? [path.join(REPO_ROOT, 'bin/tributary.js')] : ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts')];
  return launch('tributary', [...opts.nodeArgs, ...entry, 'serve', '--config', configFile], dir, port, tokenSecret, apiKey, opts);
}

export async function startBaseline(opts: StartOptions): Promise<Target> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-baseline-'));
  const args = [...opts.nodeArgs, '--import', 'tsx', path.join(BENCH_DIR, 'baseline-server.ts'), '--port', String(port)];
  return launch('baseline', args, dir, port, 'unused-by-baseline', 'unused-by-baseline', opts);
}

async function launch(
  name: TargetName,
  args: string[],
  dir: string,
  port: number,
  tokenSecret: string,
  apiKey: string,
  opts: StartOptions,
): Promise<Target> {
  if (!opts.keepTmp) tmpDirs.add(dir);
  const logFile = path.join(dir, 'server.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(`${base}/health`, child, logFile, 30000);
  } catch (err) {
    await stopChild(child, 1000);
    throw err;
  }
  return {
    name,
    wsUrl: `ws://127.0.0.1:${port}/connection/websocket`,
    apiUrl: `${base}/api`,
    apiKey,
    tokenSecret,
    pid: child.pid,
    logFile,
    stop: async () => {
      await stopChild(child);
      if (!opts.keepTmp) {
        rmSync(dir, { recursive: true, force: true });
        tmpDirs.delete(dir);
      }
    },
  };
}

export function externalTarget(wsUrl: string, apiUrl: string, apiKey: string, tokenSecret: string, pid?: number): Target {
  return { name: 'external', wsUrl, apiUrl: apiUrl.replace(/\/+$/, ''), apiKey, tokenSecret, pid, stop: async () => undefined };
}

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
    if (line.trim() === '' || line.startsWith('baseline listening')) continue;
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
