// The README's "Try it", run as a newcomer runs it: genconfig writes the
// config the README shows, the server starts from it, the SDK snippet
// (verbatim but for the port) connects and subscribes, and the curl command
// (verbatim but for the port) publishes what the snippet prints.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Server } from '../../src/server.js';
import { REPO_ROOT, readmeBlock } from '../helpers/readme.js';
import { API_PROTO } from '../../src/api/api-proto.js';
import { waitFor } from '../helpers/sdk.js';

const execFileAsync = promisify(execFile);
const cli = (args: string[], cwd: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), ...args], { cwd, encoding: 'utf8', timeout: 30_000 });

/** Secrets replaced by the README's placeholders. */
function withPlaceholders(config: any): unknown {
  return {
    ...config,
    client: { ...config.client, token: { hmac_secret_key: '<a long random secret>' } },
    http_api: { key: '<another long random secret>' },
  };
}

describe('README: Try it', () => {
  // Inside the checkout, so that the snippet's imports (centrifuge, ws) resolve as in an npm project.
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.cache', 'readme-'));
  let server: Server;
  let receiver: ChildProcess | undefined;
  let received = '';

  before(async () => {
    const gen = cli(['genconfig'], dir);
    assert.equal(gen.status, 0, gen.stderr);
    const { config, warnings } = loadConfig({ file: join(dir, 'config.json'), env: {}, flags: { 'http_server.port': 0 } });
    assert.deepEqual(warnings, []);
    server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }) });
    await server.start();
  });

  after(async () => {
    receiver?.kill();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const localhost = (text: string) => text.replaceAll('localhost:8000', `127.0.0.1:${server.port}`);

  it('genconfig writes the config the README shows (secrets aside)', () => {
    const written = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(withPlaceholders(written), JSON.parse(readmeBlock('config')));
  });

  it('the SDK snippet connects and subscribes with a gentoken token', async () => {
    const gen = cli(['gentoken', '-u', 'alice'], dir);
    assert.equal(gen.status, 0, gen.stderr);
    const token = gen.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'receive.mjs'), localhost(readmeBlock('sdk')));
    receiver = spawn(process.execPath, ['receive.mjs', token], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    receiver.stdout!.on('data', (d: Buffer) => (received += d.toString()));
    receiver.stderr!.on('data', (d: Buffer) => (received += d.toString()));
    await waitFor(() => received.includes('subscribed to chat:lobby'), 15_000, `the snippet to subscribe; it printed:\n${received}`);
    assert.match(received, /^connected$/m);
    assert.doesNotMatch(received, /error/);
  });

  it('the curl command publishes, and the snippet prints what it received', async () => {
    // Not spawnSync: the server answering curl runs in this process.
    const r = await execFileAsync('bash', ['-c', localhost(readmeBlock('curl'))], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.match(r.stdout, /^\{"result":\{"offset":1,"epoch":"[A-Za-z0-9]+"\}\}$/);
    await waitFor(() => received.includes('received {"text":"hello"}'), 10_000, `the publication; the snippet printed:\n${received}`);
  });
});

describe('README: Without WebSocket', () => {
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.cache', 'readme-uni-'));
  let server: Server;
  let listener: ChildProcess | undefined;

  before(async () => {
    const gen = cli(['genconfig'], dir);
    assert.equal(gen.status, 0, gen.stderr);
    const file = join(dir, 'config.json');
    // "add to config.json": the README's transports block merged into the generated config.
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...JSON.parse(readmeBlock('transports-config')) }));
    const { config, warnings } = loadConfig({ file, env: {}, flags: { 'http_server.port': 0 } });
    assert.deepEqual(warnings, []);
    server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }) });
    await server.start();
  });

  after(async () => {
    listener?.kill();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the curl command listens on uni_http_stream and prints the connect push, then publications', async () => {
    const gen = cli(['gentoken', '-u', 'bob'], dir);
    assert.equal(gen.status, 0, gen.stderr);
    const token = gen.stdout.trim().split('\n').at(-1)!;
    const script = readmeBlock('uni-curl').replaceAll('localhost:8000', `127.0.0.1:${server.port}`);
    listener = spawn('bash', ['-c', script], { cwd: dir, env: { ...process.env, TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    listener.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /^\{"connect":\{.*"subs":\{"chat:lobby":/m.test(out), 10_000, `the connect push; curl printed:\n${out}`);
    const key = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).http_api.key;
    const r = await fetch(`http://127.0.0.1:${server.port}/api/publish`, {
      method: 'POST',
      headers: { 'X-API-Key': key },
      body: JSON.stringify({ channel: 'chat:lobby', data: { text: 'hello' } }),
    });
    assert.equal(r.status, 200);
    await waitFor(() => /^\{"channel":"chat:lobby","pub":\{"data":\{"text":"hello"\}/m.test(out), 10_000, `the publication; curl printed:\n${out}`);
  });
});

/** Resolves once something accepts TCP connections on the port (a process started from a README block). */
async function accepting(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    }).catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('README: connect and RPC proxies', () => {
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.cache', 'readme-proxy-'));
  let server: Server;
  let backend: ChildProcess | undefined;
  let backendPort = 0;

  before(async () => {
    // The backend as the README has it, on a free port instead of 3001.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    backendPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    writeFileSync(join(dir, 'backend.mjs'), readmeBlock('proxy-backend').replace('3001', String(backendPort)));
    backend = spawn(process.execPath, ['backend.mjs'], { cwd: dir, stdio: 'ignore' });
    const gen = cli(['genconfig'], dir);
    assert.equal(gen.status, 0, gen.stderr);
    const file = join(dir, 'config.json');
    // "merge this into config.json": the proxy block goes inside the existing client.
    const generated = JSON.parse(readFileSync(file, 'utf8'));
    const proxy = JSON.parse(readmeBlock('proxy-config').replaceAll('localhost:3001', `127.0.0.1:${backendPort}`));
    writeFileSync(file, JSON.stringify({ ...generated, ...proxy, client: { ...generated.client, ...proxy.client } }));
    const { config, warnings } = loadConfig({ file, env: {}, flags: { 'http_server.port': 0 } });
    assert.deepEqual(warnings, []);
    server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }) });
    await server.start();
    await accepting(backendPort, 10_000);
  });

  after(async () => {
    backend?.kill();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the SDK connects without a token and its rpc() reaches the ten-line backend', async () => {
    writeFileSync(join(dir, 'rpc.mjs'), readmeBlock('proxy-sdk').replaceAll('localhost:8000', `127.0.0.1:${server.port}`));
    const r = await execFileAsync(process.execPath, ['rpc.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.match(r.stdout, /^connected as client [0-9a-f-]{36}$/m);
    assert.match(r.stdout, /^rpc answered \{"echo":\{"hi":1\}\}$/m);
  });
});

describe('README: Publish over GRPC', () => {
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.cache', 'readme-grpc-'));
  let server: Server;
  const key = 'readme-grpc-key';

  before(async () => {
    const gen = cli(['genconfig'], dir);
    assert.equal(gen.status, 0, gen.stderr);
    const file = join(dir, 'config.json');
    const grpcConfig = JSON.parse(readmeBlock('grpc-config'));
    grpcConfig.grpc_api.key = key;
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...grpcConfig }));
    const { config, warnings } = loadConfig({ file, env: {}, flags: { 'http_server.port': 0, 'grpc_api.port': 0 } });
    assert.deepEqual(warnings, []);
    server = new Server(config, { logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }) });
    await server.start();
  });

  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Node client publishes with the key, and the publication is in the channel', async () => {
    // api.proto as the README says to save it: the schema text the server describes by reflection.
    writeFileSync(join(dir, 'api.proto'), API_PROTO);
    writeFileSync(join(dir, 'client.mjs'), readmeBlock('grpc-client').replace('localhost:10000', `127.0.0.1:${server.grpcPort}`));
    const r = await execFileAsync(process.execPath, ['client.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, GRPC_API_KEY: key },
    });
    assert.match(r.stdout, /^published at offset 1$/m);
    const apiKey = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).http_api.key;
    const history = await fetch(`http://127.0.0.1:${server.port}/api/history`, {
      method: 'POST',
      headers: { 'X-API-Key': apiKey },
      body: JSON.stringify({ channel: 'chat:lobby', limit: 1, reverse: true }),
    });
    const body = (await history.json()) as any;
    assert.deepEqual(body.result.publications[0].data, { text: 'hello over grpc' });
  });
});
