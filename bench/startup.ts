// How long `tributary serve` takes from process spawn until it listens (the
// "tributary started" log line), and how long `tributary checkconfig` takes to
// exit, over repeated runs of the built CLI (npm run build first).
//
//   npm run bench:startup -- [--runs 20] [--config FILE]
//
// Without --config the server gets a small config of its own: a token secret,
// an API key, three namespaces and the memory engine, on a free port.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { latencySummary } from './quantiles.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, config: { type: 'string' } },
});
const runs = Number(values.runs);
const cli = join(import.meta.dirname, '..', 'bin', 'tributary.js');
if (!existsSync(join(import.meta.dirname, '..', 'dist', 'main.js'))) {
  console.error('bench/startup: run `npm run build` first (it measures the built CLI)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'tributary-startup-'));
const config =
  values.config ??
  (() => {
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        http_server: { port: 0, address: '127.0.0.1' },
        client: { token: { hmac_secret_key: 'startup-bench-secret' } },
        http_api: { key: 'startup-bench-key' },
        channel: {
          without_namespace: { allow_subscribe_for_client: true },
          namespaces: [
            { name: 'chat', presence: true, join_leave: true, history_size: 100, history_ttl: '300s', force_recovery: true },
            { name: 'news', history_size: 10, history_ttl: '60s' },
            { name: 'ticker', allowed_delta_types: ['fossil'], delta_publish: true },
          ],
        },
      }),
    );
    return file;
  })();

/** Milliseconds from spawn until `until` matches a line of stdout, or the process exits (checkconfig). */
function timeRun(args: string[], until: RegExp | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (until && until.test(out)) {
        const ms = elapsed();
        child.kill('SIGKILL');
        resolve(ms);
      }
    });
    child.on('exit', (code) => {
      if (until === null) {
        if (code === 0) resolve(elapsed());
        else reject(new Error(`exit ${code}: ${err}`));
      } else if (!until.test(out)) reject(new Error(`exited (${code}) before starting: ${err}${out}`));
    });
  });
}

async function measure(label: string, args: string[], until: RegExp | null): Promise<void> {
  await timeRun(args, until); // warm the file cache
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await timeRun(args, until));
  samples.sort((a, b) => a - b);
  const s = latencySummary(samples);
  const f = (n: number | undefined) => (n ?? NaN).toFixed(1).padStart(7);
  console.log(`${label.padEnd(12)} runs ${runs}  min ${f(samples[0])} ms  p50 ${f(s.p50)} ms  p90 ${f(s.p90)} ms  max ${f(s.max)} ms`);
}

try {
  await measure('serve', ['serve', '--config', config], /tributary started/);
  await measure('checkconfig', ['checkconfig', '--config', config], null);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
