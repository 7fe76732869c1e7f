#!/usr/bin/env node
// `npm test`: every test file under test/ through node's test runner (with tsx
// for TypeScript). `node scripts/run-tests.mjs <part-of-a-path>…` runs a subset.
//
// Services the selected integration tests need are declared in
// test/services.json (by path prefix) and started here with the project's own
// scripts (scripts/services/*) before any test runs; their addresses reach the
// tests through environment variables (e.g. TRIBUTARY_TEST_PG_DSN,
// TRIBUTARY_TEST_REDIS_URL, TRIBUTARY_TEST_KAFKA_BROKERS; for the browser tests,
// TRIBUTARY_TEST_CHROMIUM, the path of the Chromium they drive, installed when
// missing). An address already set in the environment is used as is when it
// answers. A service that cannot be started fails the run with a clear message:
// tests are never skipped for want of a service (with CI=true or without).

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
  console.error(
    ci ? 'run-tests: CI=true: failing the run (services are never skipped).' : 'run-tests: failing the run (tests that need a service are never skipped).',
  );
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
 * Sends `request` over TCP and hands what came back so far to `judge`:
 * undefined (wait for more), null (the service answers) or a problem. Gives up
 * after 5 s.
 */
function ask(host, port, request, what, judge) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = Buffer.alloc(0);
    let done = false;
    const finish = (problem) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(5000, () => finish(`no reply to ${what} within 5 s`));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      const verdict = judge(reply);
      if (verdict !== undefined) finish(verdict);
    });
    socket.on('error', (err) => finish(err.message || String(err.code ?? err)));
    socket.on('close', () => finish(`connection closed before a reply to ${what}`));
  });
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
  return ask(host, port, Buffer.from('PING\r\n'), 'PING', (reply) => {
    const end = reply.indexOf('\r\n');
    if (end === -1) return undefined;
    const line = reply.toString('latin1', 0, end);
    return line === '+PONG' ? null : `PING answered ${JSON.stringify(line)}`;
  });
}

/**
 * Whether a NATS URL (nats://host:port) answers: the server greets with INFO
 * and answers CONNECT + PING with PONG. Plain node:net, so no npm package is needed.
 */
function natsAnswers(url) {
  let host;
  let port;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    port = Number(u.port || 4222);
  } catch (err) {
    return Promise.resolve(`not a URL: ${err instanceof Error ? err.message : String(err)}`);
  }
  return ask(host, port, Buffer.from('CONNECT {"verbose":false}\r\nPING\r\n'), 'PING', (reply) => {
    const text = reply.toString('latin1');
    if (!text.includes('\r\n')) return undefined;
    if (!text.startsWith('INFO ')) return `greeted with ${JSON.stringify(text.slice(0, 40))}, not INFO`;
    if (text.includes('\r\n-ERR')) return `answered ${JSON.stringify(text.slice(text.indexOf('-ERR')).split('\r\n')[0])}`;
    return text.includes('\r\nPONG\r\n') ? null : undefined;
  });
}

/**
 * Whether a Kafka bootstrap address (host:port, or a comma-separated list of
 * them: the first is asked) answers an ApiVersions request (v0) within a few
 * seconds with error code 0. Plain node:net, so no npm package is needed.
 */
function kafkaAnswers(brokers) {
  const first =
    String(brokers)
      .split(/[\s,]+/)
      .filter(Boolean)[0] ?? '';
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(first);
  if (!m) return Promise.resolve(`not host:port: ${JSON.stringify(first)}`);
  const [, host, port] = m;
  const correlationId = 0x7472;
  // size, api_key 18 (ApiVersions), api_version 0, correlation_id, client_id null
  const request = Buffer.alloc(14);
  request.writeInt32BE(10, 0);
  request.writeInt16BE(18, 4);
  request.writeInt16BE(0, 6);
  request.writeInt32BE(correlationId, 8);
  request.writeInt16BE(-1, 12);
  return ask(host, Number(port), request, 'ApiVersions', (reply) => {
    if (reply.length < 10) return undefined;
    if (reply.readInt32BE(4) !== correlationId) return 'ApiVersions answered with another correlation id (not Kafka?)';
    const code = reply.readInt16BE(8);
    return code === 0 ? null : `ApiVersions answered error code ${code}`;
  });
}

/**
 * Whether a Kafka Connect REST URL answers GET /connector-plugins with 200 and
 * lists the Debezium PostgreSQL connector (the only plugin the tests use).
 */
async function kafkaConnectAnswers(url) {
  const wanted = 'io.debezium.connector.postgresql.PostgresConnector';
  try {
    const res = await fetch(new URL('/connector-plugins', url), { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return `GET /connector-plugins answered ${res.status}`;
    const plugins = await res.json();
    if (!Array.isArray(plugins) || !plugins.some((p) => p?.class === wanted)) return `GET /connector-plugins does not list ${wanted}`;
    return null;
  } catch (err) {
    // fetch's own message is just "fetch failed"; the cause says why (ECONNREFUSED, …).
    if (!(err instanceof Error)) return String(err);
    return [err.message, err.cause instanceof Error ? err.cause.message : undefined].filter(Boolean).join(': ');
  }
}

/**
 * Whether a path is a program that answers `--version` (Chromium for the
 * browser tests) within a few seconds: "installed and runs", there is nothing
 * to connect to.
 */
async function executableAnswers(path) {
  if (!path) return 'no path';
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  if (r.error) return r.error.message;
  if (r.status !== 0) return `${path} --version exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim()}`;
  return null;
}

const CHECKS = {
  postgres: postgresAnswers,
  redis: redisAnswers,
  nats: natsAnswers,
  kafka: kafkaAnswers,
  'kafka-connect': kafkaConnectAnswers,
  executable: executableAnswers,
};

/** Said once, before the first service this run has to start itself. */
function sayWhatSetUpNeeds(needed) {
  console.error(
    [
      `run-tests: starting the services the selected tests need (${needed.join(', ')}) with scripts/services/*.sh.`,
      '  The first run installs Debian packages (PostgreSQL, Redis, NATS, Chromium) with apt-get, so it needs root, and',
      '  downloads Kafka and Debezium jars from Maven Central (network, Java 17 and Maven).',
      '  The services keep running after the tests, with their data under .cache/; `npm run services:stop` stops them all.',
    ].join('\n'),
  );
}

async function ensureServices() {
  const services = JSON.parse(readFileSync(join(root, 'test/services.json'), 'utf8'));
  const needed = Object.entries(services).filter(([name, svc]) => !name.startsWith('$') && files.some((f) => svc.paths.some((p) => f.startsWith(p))));
  let told = false;
  for (const [name, svc] of needed) {
    const check = CHECKS[svc.check];
    const given = process.env[svc.env];
    if (given) {
      const problem = check ? await check(given) : null;
      if (problem) serviceFailed(name, `${svc.env}=${given} is set but does not answer: ${problem}`);
      console.error(`run-tests: ${name}: using ${svc.env} from the environment`);
      continue;
    }
    if (!told) {
      // Quietly when the service already runs (ensure is then a quick no-op); otherwise say what a first run takes.
      const running = check ? (await check(svc.address ?? '')) === null : false;
      if (!running) sayWhatSetUpNeeds(needed.map(([n]) => n));
      told = !running;
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
// A test that hangs (a handle left open, a promise never settled) fails after two
// minutes instead of holding the run until CI's limit; the slowest today takes 30 s.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=120000', ...files], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
