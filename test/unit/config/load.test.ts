import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultChannelOptions } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { missingFile, tempFile } from './helpers.js';

const noEnv = {};

describe('loadConfig: files', () => {
  it('loads JSON and converts durations to ms', () => {
    const file = tempFile('c.json', {
      http_server: { port: 9000 },
      client: { ping_interval: '10s', pong_timeout: '3s' },
      channel: { history_meta_ttl: '24h' },
      websocket: { write_timeout: '500ms' },
      shutdown: { timeout: '1m' },
    });
    const { config, warnings, source } = loadConfig({ file, env: noEnv });
    assert.equal(source, file);
    assert.deepEqual(warnings, []);
    assert.equal(config.http_server.port, 9000);
    assert.equal(config.http_server.address, '', 'untouched keys keep defaults');
    assert.equal(config.client.ping_interval, 10_000);
    assert.equal(config.client.pong_timeout, 3_000);
    assert.equal(config.client.stale_close_delay, 10_000);
    assert.equal(config.channel.history_meta_ttl, 86_400_000);
    assert.equal(config.websocket.write_timeout, 500);
    assert.equal(config.shutdown.timeout, 60_000);
  });

  it('reads JSON numbers for durations as nanoseconds, warning when tiny', () => {
    const file = tempFile('c.json', { client: { ping_interval: 30_000_000_000, pong_timeout: 5 } });
    const { config, warnings } = loadConfig({ file, env: noEnv });
    assert.equal(config.client.ping_interval, 30_000);
    assert.equal(config.client.pong_timeout, 0.000005);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /client\.pong_timeout: the number 5 is read as nanoseconds/);
  });

  for (const ext of ['yaml', 'yml']) {
    it(`loads YAML (.${ext})`, () => {
      const file = tempFile(
        `c.${ext}`,
        [
          'http_server:',
          '  port: 8100',
          'log:',
          '  level: debug',
          'client:',
          '  allowed_origins: ["https://example.com"]',
          '  token:',
          '    hmac_secret_key: secret',
          'channel:',
          '  without_namespace:',
          '    presence: true',
          '  namespaces:',
          '    - name: chat',
          '      history_size: 10',
          '      history_ttl: 300s',
          '      force_recovery: true',
          '',
        ].join('\n'),
      );
      const { config, warnings } = loadConfig({ file, env: noEnv });
      assert.deepEqual(warnings, []);
      assert.equal(config.http_server.port, 8100);
      assert.equal(config.log.level, 'debug');
      assert.deepEqual(config.client.allowed_origins, ['https://example.com']);
      assert.equal(config.client.token.hmac_secret_key, 'secret');
      assert.equal(config.channel.without_namespace.presence, true);
      assert.equal(config.channel.namespaces.length, 1);
      assert.equal(config.channel.namespaces[0]!.history_ttl, 300_000);
      assert.equal(config.channel.namespaces[0]!.force_recovery, true);
    });
  }

  it('supports YAML anchors and merge keys', () => {
    const file = tempFile(
      'c.yaml',
      ['x-common: &common', '  presence: true', '  join_leave: true', 'channel:', '  namespaces:', '    - name: a1', '      <<: *common', ''].join('\n'),
    );
    const { config, warnings } = loadConfig({ file, env: noEnv });
    assert.equal(config.channel.namespaces[0]!.presence, true);
    assert.equal(config.channel.namespaces[0]!.join_leave, true);
    assert.deepEqual(warnings, ['unknown config key x-common']);
  });

  it('tries JSON then YAML for other extensions', () => {
    const json = tempFile('tributary.conf', '{"log": {"level": "warn"}}');
    assert.equal(loadConfig({ file: json, env: noEnv }).config.log.level, 'warn');
    const yaml = tempFile('tributary.conf', 'log:\n  level: error\n');
    assert.equal(loadConfig({ file: yaml, env: noEnv }).config.log.level, 'error');
  });

  it('treats an empty file as an empty config', () => {
    assert.equal(loadConfig({ file: tempFile('c.json', ''), env: noEnv }).config.http_server.port, 8000);
    assert.equal(loadConfig({ file: tempFile('c.yaml', '# nothing\n'), env: noEnv }).config.http_server.port, 8000);
  });

  it('tolerates a UTF-8 BOM', () => {
    const file = tempFile('c.json', '\ufeff{"http_server": {"port": 1234}}');
    assert.equal(loadConfig({ file, env: noEnv }).config.http_server.port, 1234);
  });

  it('errors on an explicitly given file that is missing', () => {
    const file = missingFile();
    assert.throws(
      () => loadConfig({ file, env: noEnv }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, `${file}: config file not found`);
        return true;
      },
    );
  });

  it('warns and uses defaults when the default config.json is missing', () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'tributary-cwd-'));
    try {
      process.chdir(dir);
      const { config, warnings, source } = loadConfig({ env: noEnv });
      assert.equal(source, null);
      assert.equal(config.http_server.port, 8000);
      assert.deepEqual(warnings, ['config file config.json not found; using defaults, environment and flags']);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads no file at all when file is empty (env and flags only)', () => {
    const { config, warnings, source } = loadConfig({ file: '', env: { TRIBUTARY_HTTP_SERVER_PORT: '7000' } });
    assert.equal(source, null);
    assert.deepEqual(warnings, []);
    assert.equal(config.http_server.port, 7000);
  });

  it('reports parse errors with the file name', () => {
    const bad = tempFile('c.json', '{"http_server": ');
    assert.throws(() => loadConfig({ file: bad, env: noEnv }), /c\.json: invalid JSON/);
    const badYaml = tempFile('c.yaml', 'a: [1,\n');
    assert.throws(() => loadConfig({ file: badYaml, env: noEnv }), /c\.yaml: invalid YAML/);
    const toml = tempFile('c.toml', '[client]\n');
    assert.throws(() => loadConfig({ file: toml, env: noEnv }), /TOML config files are not supported/);
    const list = tempFile('c.json', '[]');
    assert.throws(() => loadConfig({ file: list, env: noEnv }), /top level of a config file must be an object/);
  });

  it('refuses a config nested deeper than any real one with a ConfigError (found by npm run fuzz: a stack overflow escaped)', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const file = tempFile('c.json', `{"client":{"allowed_origins":${deep}}}`);
    assert.throws(
      () => loadConfig({ file, env: noEnv }),
      (err: unknown) => err instanceof ConfigError && /c\.json: nested deeper than 100 levels/.test(err.message),
    );
    const env = { TRIBUTARY_CHANNEL_NAMESPACES: `[{"name":"chat","x":${deep}}]` };
    assert.throws(
      () => loadConfig({ file: '', env }),
      (err: unknown) => err instanceof ConfigError && /nested deeper than 100 levels/.test(err.message),
    );
  });

  it('refuses YAML with brackets nested thousands deep at once (found by npm run fuzz: the YAML parser took seconds)', () => {
    const deep = '['.repeat(30_000);
    for (const name of ['c.yaml', 'c']) {
      const file = tempFile(name, `client:\n  allowed_origins: ${deep}\n`);
      const started = performance.now();
      assert.throws(
        () => loadConfig({ file, env: noEnv }),
        (err: unknown) => err instanceof ConfigError && /brackets nested deeper than 100 levels/.test(err.message),
      );
      assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
    }
    // Brackets in quotes and comments are text.
    const file = tempFile('c.yaml', `client:\n  allowed_origins: ["${'['.repeat(500)}"] # ${'{'.repeat(500)}\n`);
    assert.deepEqual(loadConfig({ file, env: noEnv }).config.client.allowed_origins, ['['.repeat(500)]);
  });

  it('collects every malformed value into one ConfigError', () => {
    const file = tempFile('c.json', {
      http_server: { port: 'abc' },
      client: { ping_interval: '25', insecure: 'yes', allowed_origins: 5 },
      channel: 'nope',
    });
    assert.throws(
      () => loadConfig({ file, env: noEnv }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const keys = err.problems.map((p) => p.key);
        assert.deepEqual(keys, ['http_server.port', 'client.ping_interval', 'client.insecure', 'client.allowed_origins', 'channel']);
        assert.match(err.message, /^http_server\.port: "abc" is not an integer$/m);
        assert.match(err.message, /^client\.ping_interval: invalid duration "25": missing unit/m);
        return true;
      },
    );
  });

  it('decodes strings for numbers and booleans weakly, as Centrifugo (viper) does', () => {
    const file = tempFile('c.json', { http_server: { port: '9001', internal_port: '9002' }, client: { insecure: 'true' } });
    const { config } = loadConfig({ file, env: noEnv });
    assert.equal(config.http_server.port, 9001);
    assert.equal(config.http_server.internal_port, 9002);
    assert.equal(config.client.insecure, true);
  });
});

describe('loadConfig: namespaces', () => {
  it('merges each namespace over defaultChannelOptions, not over without_namespace', () => {
    const file = tempFile('c.json', {
      channel: {
        without_namespace: { presence: true, allow_subscribe_for_client: true },
        namespaces: [{ name: 'chat', join_leave: true, history_size: 5, history_ttl: '60s', history_meta_ttl: '1h' }],
      },
    });
    const { config } = loadConfig({ file, env: noEnv });
    const ns = config.channel.namespaces[0]!;
    assert.deepEqual(ns, {
      ...defaultChannelOptions(),
      name: 'chat',
      join_leave: true,
      history_size: 5,
      history_ttl: 60_000,
      history_meta_ttl: 3_600_000,
    });
    assert.equal(ns.presence, false);
    assert.equal(ns.allow_subscribe_for_client, false);
  });

  it('keeps namespaces independent objects', () => {
    const file = tempFile('c.json', { channel: { namespaces: [{ name: 'a1' }, { name: 'b1', allowed_delta_types: ['fossil'] }] } });
    const { config } = loadConfig({ file, env: noEnv });
    config.channel.namespaces[0]!.allowed_delta_types.push('x');
    assert.deepEqual(config.channel.namespaces[1]!.allowed_delta_types, ['fossil']);
    assert.deepEqual(config.channel.without_namespace.allowed_delta_types, []);
  });

  it('reports non-object namespace entries', () => {
    const file = tempFile('c.json', { channel: { namespaces: [{ name: 'ok' }, 'chat'] } });
    assert.throws(() => loadConfig({ file, env: noEnv }), { name: 'ConfigError', message: 'channel.namespaces[1]: must be an object, got "chat"' });
  });
});

describe('loadConfig: unknown and unsupported keys', () => {
  it('warns about unknown keys with their full dotted path', () => {
    const file = tempFile('c.json', {
      foo: 1,
      client: { token: { hmac_secret_key: 's', bar: true } },
      channel: { namespaces: [{ name: 'chat', foo: 'x' }], without_namespace: { baz: 1 } },
    });
    const { warnings } = loadConfig({ file, env: noEnv });
    assert.deepEqual(warnings, [
      'unknown config key foo',
      'unknown config key client.token.bar',
      'unknown config key channel.namespaces[0].foo',
      'unknown config key channel.without_namespace.baz',
    ]);
  });

  it('hints where v5-style keys moved', () => {
    const file = tempFile('c.json', { token_hmac_secret_key: 's', log_level: 'debug', presence: true });
    const { warnings, config } = loadConfig({ file, env: noEnv });
    assert.deepEqual(warnings, [
      'unknown config key token_hmac_secret_key (v6 moved it to client.token.hmac_secret_key)',
      'unknown config key log_level (v6 moved it to log.level)',
      'unknown config key presence (v6 moved channel options to channel.without_namespace.presence)',
    ]);
    assert.equal(config.log.level, 'info');
  });

  it('accepts unsupported v6 sections: warns only when they are switched on (proxies and admin are supported)', () => {
    const file = tempFile('c.json', {
      admin: { enabled: true, password: 'p', secret: 's', web_proxy_address: 'http://localhost:3000' },
      grpc_api: { enabled: false, port: 10000 },
      sse: { enabled: false },
      usage_stats: { disabled: true },
      map_broker: { type: 'redis' },
      rpc: { namespaces: [] },
      proxies: [{ name: 'p1', endpoint: 'http://x' }],
      pid_file: '',
      enable_unreleased_features: false,
      http_server: { tls: { enabled: false } },
      client: { proxy: { connect: { enabled: true, endpoint: 'http://x' } }, concurrency: 8 },
      channel: {
        proxy: { subscribe: { endpoint: 'http://x' } },
        without_namespace: { subscribe_proxy_enabled: true, subscribe_proxy_name: 'default' },
        namespaces: [{ name: 'chat', publish_proxy_enabled: false, map: { mode: 'ephemeral' } }],
      },
      websocket: { compression: false, read_buffer_size: 4096 },
      prometheus: { instrument_http_handlers: true },
    });
    const { warnings } = loadConfig({ file, env: noEnv });
    const notSupported = (key: string) => `config key ${key} is accepted but not supported yet; it is ignored`;
    assert.deepEqual(
      warnings.sort(),
      [
        notSupported('admin.web_proxy_address'),
        notSupported('map_broker'),
        notSupported('channel.namespaces[0].map'),
        notSupported('prometheus.instrument_http_handlers'),
      ].sort(),
    );
  });

  it('types consumers and engine.redis like every other block', () => {
    const consumers = [{ name: 'pg', type: 'postgresql', postgresql: { dsn: 'postgres://x', num_partitions: 2 } }];
    const redis = { address: ['redis://localhost:6379'], prefix: 'centrifugo' };
    const file = tempFile('c.json', { consumers, engine: { type: 'redis', redis } });
    const { config, warnings } = loadConfig({ file, env: noEnv });
    assert.deepEqual(warnings, []);
    assert.equal(config.consumers[0]!.postgresql.num_partitions, 2);
    assert.equal(config.consumers[0]!.postgresql.partition_select_limit, 100);
    assert.ok(config.engine.type === 'redis');
    assert.deepEqual(
      config.engine.redis.shards.map((s) => s.label),
      ['redis://localhost:6379'],
    );
  });

  it('warns about unknown keys inside engine.redis and consumer blocks, and keeps no prototype surprises', () => {
    const file = tempFile('c.json', '{"engine": {"redis": {"adress": []}}, "__proto__": {"x": 1}, "constructor": 1, "toString": 2}');
    assert.deepEqual(loadConfig({ file, env: noEnv }).warnings, [
      'unknown config key engine.redis.adress',
      'unknown config key __proto__',
      'unknown config key constructor',
      'unknown config key toString',
    ]);
  });

  it('rejects a consumers value that is not a list', () => {
    const file = tempFile('c.json', { consumers: { name: 'x' } });
    assert.throws(() => loadConfig({ file, env: noEnv }), { name: 'ConfigError', message: 'consumers: must be a list, got an object' });
  });
});

describe('loadConfig: a real Centrifugo v6 config', () => {
  it('loads with the right values and passes validation', () => {
    const file = tempFile('config.json', {
      client: {
        token: { hmac_secret_key: 'bbe7d157-a253-4094-9759-06a8236543f9' },
        allowed_origins: ['http://localhost:3000', 'https://*.example.com'],
        subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal', single_connection: true },
      },
      admin: { enabled: false, password: 'pw', secret: 'admin-secret' },
      http_api: { key: 'd7627bb6-2292-4911-82e1-615c0ed3eebb' },
      engine: { type: 'memory' },
      channel: {
        without_namespace: { allow_subscribe_for_client: true, presence: true },
        namespaces: [
          {
            name: 'chat',
            presence: true,
            join_leave: true,
            force_push_join_leave: true,
            history_size: 100,
            history_ttl: '300s',
            force_recovery: true,
            allow_publish_for_subscriber: true,
            allow_subscribe_for_client: true,
          },
          { name: 'personal', presence: true, allow_user_limited_channels: true },
          {
            name: 'ticker',
            history_size: 1,
            history_ttl: '1h',
            force_recovery: true,
            force_recovery_mode: 'cache',
            auto_cache_recover: true,
            allowed_delta_types: ['fossil'],
            delta_publish: true,
          },
        ],
      },
      prometheus: { enabled: true },
      health: { enabled: true },
      log: { level: 'info' },
    });
    const { config, warnings } = loadConfig({ file, env: noEnv });
    assert.deepEqual(warnings, []);
    assert.equal(config.client.token.hmac_secret_key, 'bbe7d157-a253-4094-9759-06a8236543f9');
    assert.equal(config.http_api.key, 'd7627bb6-2292-4911-82e1-615c0ed3eebb');
    assert.deepEqual(config.client.allowed_origins, ['http://localhost:3000', 'https://*.example.com']);
    assert.equal(config.client.subscribe_to_user_personal_channel.personal_channel_namespace, 'personal');
    assert.equal(config.channel.without_namespace.allow_subscribe_for_client, true);
    const [chat, personal, ticker] = config.channel.namespaces;
    assert.equal(chat!.history_size, 100);
    assert.equal(chat!.history_ttl, 300_000);
    assert.equal(chat!.history_meta_ttl, 0);
    assert.equal(chat!.force_recovery, true);
    assert.equal(chat!.force_push_join_leave, true);
    assert.equal(personal!.allow_user_limited_channels, true);
    assert.equal(ticker!.force_recovery_mode, 'cache');
    assert.equal(ticker!.auto_cache_recover, true);
    assert.deepEqual(ticker!.allowed_delta_types, ['fossil']);
    assert.equal(config.client.ping_interval, 25_000, 'defaults stay for unset keys');
  });
});
