#!/usr/bin/env node
// `npm test`: every test file under test/ through node's test runner (with tsx
// for TypeScript). `node scripts/run-tests.mjs <part-of-a-path>…` runs a subset.
//
// Services the selected integration tests need are declared in
// test/services.json (by path prefix) and started here with the project's own
// scripts (scripts/services/*) before any test runs; their addresses reach the
// tests through environment variables (e.g. TRIBUTARY_TEST_PG_DSN,
// TRIBUTARY_TEST_REDIS_URL). An address already set in the environment is used
// as is when it answers. A service that cannot be started fails the run with a
// clear message: tests are never skipped for want of a service (with CI=true or
// without).

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path).split(sep).join('/'));
  }
  return out.sort();
}

const filter = process.argv.slice(2);
let files = collect(join(root, 'test'));
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const env = { ...process.env, NODE_ENV: 'test' };
const ci = process.env.CI === 'true';

function serviceFailed(name, why) {
  console.error(`\nrun-tests: service "${name}" is needed by the selected tests but is not available:\n  ${why.trim().split('\n').join('\n  ')}`);
  console.error(ci ? 'run-tests: CI=true: failing the run (services are never skipped).' : 'run-tests: failing the run (tests that need a service are never skipped).');
  process.exit(1);
}

/** Whether a PostgreSQL DSN answers `SELECT 1` within a few seconds. */
async function postgresAnswers(dsn) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message || String(err.code ?? err) : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether a Redis URL (redis://host:port) answers PING within a few seconds.
 * Plain node:net with the inline command `PING\r\n`, so no npm package is needed.
 */
function redisAnswers(url) {
  let host;
  let port;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    port = Number(u.port || 6379);
  } catch (err) {
    return Promise.resolve(`not a URL: ${err instanceof Error ? err.message : String(err)}`);
  }
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    let done = false;
    const finish = (problem) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(5000, () => finish('no reply to PING within 5 s'));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      const line = reply.slice(0, end);
      finish(line === '+PONG' ? null : `PING answered ${JSON.stringify(line)}`);
    });
    socket.on('error', (err) => finish(err.message || String(err.code ?? err)));
    socket.on('close', () => finish('connection closed before a reply to PING'));
  });
}

const CHECKS = { postgres: postgresAnswers, redis: redisAnswers };

async function ensureServices() {
  const services = JSON.parse(readFileSync(join(root, 'test/services.json'), 'utf8'));
  for (const [name, svc] of Object.entries(services)) {
    if (name.startsWith('$')) continue;
    if (!files.some((f) => svc.paths.some((p) => f.startsWith(p)))) continue;
    const check = CHECKS[svc.check];
    const given = process.env[svc.env];
    if (given) {
      const problem = check ? await check(given) : null;
      if (problem) serviceFailed(name, `${svc.env}=${given} is set but does not answer: ${problem}`);
      console.error(`run-tests: ${name}: using ${svc.env} from the environment`);
      continue;
    }
    const started = Date.now();
    const [cmd, ...args] = svc.ensure;
    const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    if (r.status !== 0) serviceFailed(name, `${svc.ensure.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr || r.stdout}`);
    const address = r.stdout.trim().split('\n').pop();
    if (!address) serviceFailed(name, `${svc.ensure.join(' ')} printed no address`);
    const problem = check ? await check(address) : null;
    if (problem) serviceFailed(name, `started, but ${address} does not answer: ${problem}`);
    env[svc.env] = address;
    console.error(`run-tests: ${name}: ${address} (ready in ${Date.now() - started} ms)`);
  }
}

await ensureServices();

// One test file at a time: some integration tests restart a shared service
// (PostgreSQL, Redis), which would cut the connections of a file running beside
// them.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
