// The real process: started from a Centrifugo v6 config file by the CLI, fed
// by curl-style HTTP, stopped by SIGTERM. Also the CLI's helper commands.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../helpers/raw-ws.js';
import { collect, once, sdkClient, waitFor } from '../helpers/sdk.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));

// The test runner hands service addresses over as TRIBUTARY_TEST_* variables; the CLI would warn about them.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIBUTARY_TEST_')));

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: root,
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A config as a Centrifugo v6 user writes it: Go durations, nested v6 sections.
const v6Config = {
  http_server: { port: 0 },
  log: { level: 'info' },
  client: {
    token: { hmac_secret_key: 'cli-test-secret' },
    allowed_origins: ['http://localhost:3000'],
    ping_interval: '25s',
    pong_timeout: '8s',
  },
  http_api: { key: 'cli-test-key' },
  channel: {
    without_namespace: { allow_subscribe_for_client: true },
    namespaces: [{ name: 'chat', allow_subscribe_for_client: true, history_size: 10, history_ttl: '300s', force_recovery: true, presence: true }],
  },
  shutdown: { timeout: '5s' },
};

describe('the tributary process', () => {
  let proc: ChildProcess;
  let port = 0;
  let logs = '';
  const configFile = join(dir, 'config.json');

  before(async () => {
    writeFileSync(configFile, JSON.stringify(v6Config));
    proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', configFile], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    await waitFor(() => /"msg":"tributary started"/.test(logs), 20_000, 'server start');
    const line = logs.split('\n').find((l) => l.includes('tributary started'))!;
    port = JSON.parse(line).port;
  });
  after(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });

  it('serves the SDK and the HTTP API from a v6 config file, and logs JSON', async () => {
    const tok = cli(['gentoken', '-u', 'alice', '-t', '3600', '--config', configFile]);
    assert.equal(tok.status, 0, tok.stderr);
    const token = tok.stdout.trim().split('\n').pop()!;
    const c = sdkClient(`ws://127.0.0.1:${port}/connection/websocket`, { token });
    const sub = c.newSubscription('chat:lobby');
    const pubs = collect(sub, 'publication');
    c.connect();
    sub.subscribe();
    await once(sub, 'subscribed');
    const res = await fetch(`http://127.0.0.1:${port}/api/publish`, {
      method: 'POST',
      headers: { 'X-API-Key': 'cli-test-key' },
      body: JSON.stringify({ channel: 'chat:lobby', data: { text: 'hello' } }),
    });
    const body = (await res.json()) as any;
    assert.equal(body.result.offset, 1);
    await waitFor(() => pubs.length === 1);
    assert.deepEqual(pubs[0].data, { text: 'hello' });
    c.disconnect();
    for (const line of logs.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
  });

  it('on SIGTERM disconnects clients with 3001 and exits 0', async () => {
    const raw = await RawClient.open(`ws://127.0.0.1:${port}/connection/websocket`);
    const tok = cli(['gentoken', '-u', 'bob', '--config', configFile]).stdout.trim().split('\n').pop()!;
    raw.send({ id: 1, connect: { token: tok } });
    await raw.waitReply(1);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const started = Date.now();
    proc.kill('SIGTERM');
    assert.equal(await raw.waitClose(5000), 3001);
    assert.equal(raw.closeReason, 'shutdown');
    assert.equal(await exited, 0);
    assert.ok(Date.now() - started < 5000);
  });
});

describe('CLI commands', () => {
  it('prints the version', () => {
    const r = cli(['version']);
    assert.equal(r.status, 0);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.equal(r.stdout.trim(), `tributary ${pkg.version}`);
  });

  it('genconfig writes a config that checkconfig accepts, and refuses to overwrite it', () => {
    const file = join(dir, 'generated.json');
    assert.equal(cli(['genconfig', '--config', file]).status, 0);
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(cfg.client.token.hmac_secret_key.length >= 32);
    assert.ok(cfg.http_api.key.length >= 32);
    assert.equal(cli(['checkconfig', '--config', file]).status, 0);
    const again = cli(['genconfig', '--config', file]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
  });

  it('checkconfig names every bad key and exits 1', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ client: { ping_interval: '5s', pong_timeout: '10s' }, channel: { namespaces: [{ name: 'x' }] }, some_unknown_key: 1 }),
    );
    const r = cli(['checkconfig', '--config', file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /channel\.namespaces\[0\]\.name/);
    assert.match(r.stderr, /client\.ping_interval|client\.pong_timeout/);
  });

  it('warns about unknown keys instead of failing', () => {
    const file = join(dir, 'unknown.json');
    writeFileSync(file, JSON.stringify({ some_unknown_key: 1 }));
    const r = cli(['checkconfig', '--config', file]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /some_unknown_key/);
  });

  it('gensubtoken signs a token for a channel', () => {
    const file = join(dir, 'config.json');
    const r = cli(['gensubtoken', '-u', 'alice', '-s', '$chat:room', '--config', file]);
    assert.equal(r.status, 0, r.stderr);
    const jwt = r.stdout.trim().split('\n').pop()!;
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.channel, '$chat:room');
    assert.ok(claims.exp > Date.now() / 1000);
  });

  it('takes overrides from TRIBUTARY_ environment variables', () => {
    const r = cli(['gentoken', '-u', 'x', '--config', join(dir, 'missing-ok.json')], { TRIBUTARY_CLIENT_TOKEN_HMAC_SECRET_KEY: 'from-env' });
    // An explicitly named file that does not exist is an error.
    assert.equal(r.status, 1);
    const r2 = cli(['gentoken', '-u', 'x'], { TRIBUTARY_CLIENT_TOKEN_HMAC_SECRET_KEY: 'from-env' });
    assert.equal(r2.status, 0, r2.stderr);
  });

  it('checkconfig refuses what serve would: a public key that is not a PEM', () => {
    const file = join(dir, 'bad-pem.json');
    writeFileSync(file, JSON.stringify({ client: { token: { rsa_public_key: 'not a key' } } }));
    const check = cli(['checkconfig', '--config', file]);
    assert.equal(check.status, 1);
    assert.match(check.stderr, /client\.token\.rsa_public_key: rsa_public_key is not a valid PEM public key/);
    const serve = cli(['serve', '--config', file]);
    assert.equal(serve.status, 1);
    assert.match(serve.stderr, /client\.token\.rsa_public_key: rsa_public_key is not a valid PEM public key/);
  });

  it('takes the config flags the schema names, with their aliases', () => {
    const help = cli(['--help']);
    assert.match(help.stdout, /-p, --http_server\.port VALUE\s+Port to listen on\./);
    assert.match(help.stdout, /--client\.insecure\s/);
    const file = join(dir, 'flags.json');
    writeFileSync(file, JSON.stringify({ log: { level: 'info' } }));
    const bad = cli(['checkconfig', '--config', file, '--log.level', 'loud', '-p', '70000']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /log\.level: "loud" must be one of/);
    assert.match(bad.stderr, /http_server\.port: 70000 must be a port number/);
  });

  it('defaultconfig prints every option at its default, and the file loads back as the defaults', () => {
    const r = cli(['defaultconfig']);
    assert.equal(r.status, 0, r.stderr);
    const printed = JSON.parse(r.stdout);
    assert.equal(printed.client.ping_interval, '25s');
    assert.equal(printed.engine.redis.prefix, 'centrifugo');
    const file = join(dir, 'defaults.json');
    writeFileSync(file, r.stdout);
    const check = cli(['checkconfig', '--config', file]);
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stderr, '', 'no warnings: every printed key is known');
  });

  it('config schema prints a JSON Schema', () => {
    const r = cli(['config', 'schema']);
    assert.equal(r.status, 0, r.stderr);
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.properties.client.properties.ping_interval.default, '25s');
    assert.match(cli(['config', 'nope']).stderr, /unknown config command/);
  });

  it('rejects an unknown command', () => {
    const r = cli(['frobnicate']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown command "frobnicate"; run 'tributary help' for the list/);
  });
});

describe('help and version', () => {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

  it('--version and version print the package version', () => {
    for (const args of [['--version'], ['version']]) {
      const r = cli(args);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `tributary ${version}\n`);
    }
  });

  it('help lists every command; help COMMAND and COMMAND --help print that command alone', () => {
    const all = cli(['help']);
    assert.equal(all.status, 0);
    for (const c of [
      'serve',
      'checkconfig',
      'genconfig',
      'defaultconfig',
      'config schema',
      'gentoken',
      'gensubtoken',
      'version',
      'migrate',
      'outbox status',
      'help',
    ])
      assert.match(all.stdout, new RegExp(`^  ${c} `, 'm'), c);
    assert.equal(cli(['--help']).stdout, all.stdout);
    const one = cli(['help', 'gensubtoken']);
    assert.equal(one.status, 0);
    assert.match(one.stdout, /^Usage: tributary gensubtoken \[flags\]/);
    assert.match(one.stdout, /-s, --channel CHANNEL/);
    assert.equal(cli(['gensubtoken', '--help']).stdout, one.stdout);
    assert.equal(cli(['gensubtoken', '-h']).stdout, one.stdout);
    const outbox = cli(['outbox', 'status', '--help']);
    assert.match(outbox.stdout, /^Usage: tributary outbox status/);
    assert.doesNotMatch(outbox.stdout, /http_server\.port/, 'the outbox tools take no config flags');
    const unknown = cli(['help', 'frobnicate']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it('a wrong flag names the command whose help to read', () => {
    const r = cli(['gentoken', '--bogus']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Unknown option '--bogus'/);
    assert.match(r.stderr, /tributary help gentoken/);
  });

  it('the launcher says what to run when the checkout is not built', () => {
    const bare = mkdtempSync(join(tmpdir(), 'tributary-unbuilt-'));
    mkdirSync(join(bare, 'bin'));
    copyFileSync(join(root, 'bin', 'tributary.js'), join(bare, 'bin', 'tributary.js'));
    writeFileSync(join(bare, 'package.json'), '{"type":"module"}');
    const r = spawnSync(process.execPath, [join(bare, 'bin', 'tributary.js'), 'serve'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not built yet/);
    assert.match(r.stderr, /npm run build/);
    assert.doesNotMatch(r.stderr, /ERR_MODULE_NOT_FOUND|at .*:\d+:\d+/, 'no stack');
  });
});
