// Tributary as a real process (`node --import tsx src/main.ts serve`), its
// config file, and the server HTTP API, for tests that need several nodes,
// a kill -9 or a restart.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY, SECRET } from './server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function api(httpUrl: string, method: string, body: unknown): Promise<any> {
  const res = await fetch(`${httpUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'X-API-Key': API_KEY },
    body: JSON.stringify(body),
  });
  return res.json();
}

export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string, every = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every Tributary process of the tests shares: a free port on 127.0.0.1,
 * info logs (spawnTributary reads its start line), the test token secret and
 * API key, a 5 s shutdown; `fields` are added or replace whole top-level keys.
 */
export function nodeProcessConfig(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    http_server: { port: 0, address: '127.0.0.1' },
    log: { level: 'info' },
    client: { token: { hmac_secret_key: SECRET } },
    http_api: { key: API_KEY },
    shutdown: { timeout: '5s' },
    ...fields,
  };
}

/** A publisher through the HTTP API of `httpUrl`, one publication ({i}) every 10 ms until stopped: what was acknowledged, what failed. */
export function steadyPublisher(httpUrl: string, channel: string): { acked: number[]; failures: unknown[]; stop(): Promise<void> } {
  const acked: number[] = [];
  const failures: unknown[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        const r = await api(httpUrl, 'publish', { channel, data: { i } });
        if (r.error) failures.push(r.error);
        else acked.push(i);
      } catch (err) {
        failures.push(err);
      }
      await sleep(10);
    }
  })();
  return {
    acked,
    failures,
    stop: () => {
      running = false;
      return loop;
    },
  };
}

export interface Proc {
  proc: ChildProcess;
  port: number;
  httpUrl: string;
  wsUrl: string;
  logs(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

const tmp = mkdtempSync(join(tmpdir(), 'tributary-proc-'));

export function writeConfig(config: Record<string, unknown>): string {
  const file = join(tmp, `config-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/**
 * Spawns `tributary serve --config FILE`; resolves once it logs "tributary
 * started" (so log.level must be info or lower), rejects when it exits first.
 */
export async function spawnTributary(configFile: string, ms = 20_000): Promise<Proc> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', configFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  try {
    await waitFor(() => code !== undefined || /"msg":"tributary started"/.test(out), ms, 'tributary start');
  } catch (err) {
    proc.kill('SIGKILL');
    throw Object.assign(err as Error, { message: `${(err as Error).message}; output:\n${out}` });
  }
  if (code !== undefined) throw Object.assign(new Error(`tributary exited with ${code}:\n${out}`), { output: out, code });
  const line = out.split('\n').find((l) => l.includes('"msg":"tributary started"'))!;
  const port = JSON.parse(line).port as number;
  return {
    proc,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/connection/websocket`,
    logs: () => out,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a tributary process to its exit (for startup failures). */
export function runTributary(configFile: string, ms = 30_000): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', configFile], {
    cwd: root,
    encoding: 'utf8',
    timeout: ms,
  });
  return { status: r.status, output: r.stdout + r.stderr };
}
