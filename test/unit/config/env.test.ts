import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig, nameForEnv } from '../../../src/config/load.js';
import { tempFile } from './helpers.js';

// A missing default file would warn; point at an empty file instead so
// warnings only show what the env caused.
function load(env: NodeJS.ProcessEnv, fileContent: object = {}, flags?: Record<string, string | number | boolean>) {
  return loadConfig({ file: tempFile('c.json', fileContent), env, flags });
}

describe('env overrides', () => {
  it('maps TRIBUTARY_ + uppercased dotted path, including nested sections', () => {
    const { config, warnings } = load({
      TRIBUTARY_HTTP_SERVER_PORT: '9000',
      TRIBUTARY_HTTP_API_KEY: 'api-key',
      TRIBUTARY_CLIENT_TOKEN_HMAC_SECRET_KEY: 'secret',
      TRIBUTARY_CLIENT_SUBSCRIPTION_TOKEN_ENABLED: 'true',
      TRIBUTARY_CLIENT_SUBSCRIBE_TO_USER_PERSONAL_CHANNEL_ENABLED: '1',
      TRIBUTARY_CHANNEL_WITHOUT_NAMESPACE_PRESENCE: 'T',
      TRIBUTARY_LOG_LEVEL: 'debug',
      TRIBUTARY_CLIENT_PING_INTERVAL: '40s',
      TRIBUTARY_CHANNEL_HISTORY_META_TTL: '48h',
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.http_server.port, 9000);
    assert.equal(config.http_api.key, 'api-key');
    assert.equal(config.client.token.hmac_secret_key, 'secret');
    assert.equal(config.client.subscription_token.enabled, true);
    assert.equal(config.client.subscribe_to_user_personal_channel.enabled, true);
    assert.equal(config.channel.without_namespace.presence, true);
    assert.equal(config.log.level, 'debug');
    assert.equal(config.client.ping_interval, 40_000);
    assert.equal(config.channel.history_meta_ttl, 172_800_000);
  });

  it('parses booleans like Go ParseBool', () => {
    for (const [value, expected] of [
      ['1', true],
      ['t', true],
      ['TRUE', true],
      ['True', true],
      ['0', false],
      ['f', false],
      ['FALSE', false],
      ['False', false],
    ] as const) {
      const { config } = load({ TRIBUTARY_CLIENT_INSECURE: value }, { client: { insecure: !expected } });
      assert.equal(config.client.insecure, expected, value);
    }
    assert.throws(() => load({ TRIBUTARY_CLIENT_INSECURE: 'yes' }), {
      name: 'ConfigError',
      message: 'TRIBUTARY_CLIENT_INSECURE (client.insecure): "yes" is not a boolean (use true/false, 1/0, t/f)',
    });
  });

  it('splits []string values on spaces', () => {
    const { config } = load(
      { TRIBUTARY_CLIENT_ALLOWED_ORIGINS: 'http://localhost:3000 https://example.com', TRIBUTARY_CHANNEL_WITHOUT_NAMESPACE_ALLOWED_DELTA_TYPES: 'fossil' },
      { client: { allowed_origins: ['http://old'] } },
    );
    assert.deepEqual(config.client.allowed_origins, ['http://localhost:3000', 'https://example.com']);
    assert.deepEqual(config.channel.without_namespace.allowed_delta_types, ['fossil']);
  });

  it('treats empty values as unset', () => {
    const { config, warnings } = load({ TRIBUTARY_HTTP_SERVER_PORT: '', TRIBUTARY_HTTP_API_KEY: '' }, { http_api: { key: 'from-file' } });
    assert.equal(config.http_server.port, 8000);
    assert.equal(config.http_api.key, 'from-file');
    assert.deepEqual(warnings, []);
  });

  it('overrides the file', () => {
    const { config } = load({ TRIBUTARY_HTTP_SERVER_PORT: '9100' }, { http_server: { port: 9000, address: '127.0.0.1' } });
    assert.equal(config.http_server.port, 9100);
    assert.equal(config.http_server.address, '127.0.0.1');
  });

  it('reports bad values with the env name and the dotted key', () => {
    assert.throws(
      () => load({ TRIBUTARY_HTTP_SERVER_PORT: 'abc', TRIBUTARY_CLIENT_PONG_TIMEOUT: '8' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, [
          { key: 'TRIBUTARY_HTTP_SERVER_PORT (http_server.port)', reason: '"abc" is not an integer' },
          {
            key: 'TRIBUTARY_CLIENT_PONG_TIMEOUT (client.pong_timeout)',
            reason: 'invalid duration "8": missing unit (use Go syntax such as "25s", "1m30s", "100ms", "720h")',
          },
        ]);
        return true;
      },
    );
  });
});

describe('env: namespaces', () => {
  it('takes channel.namespaces as a JSON array', () => {
    const { config } = load(
      { TRIBUTARY_CHANNEL_NAMESPACES: '[{"name":"chat","presence":true,"history_size":10,"history_ttl":"30s"},{"name":"news"}]' },
      { channel: { namespaces: [{ name: 'old' }] } },
    );
    assert.deepEqual(
      config.channel.namespaces.map((n) => n.name),
      ['chat', 'news'],
    );
    assert.equal(config.channel.namespaces[0]!.presence, true);
    assert.equal(config.channel.namespaces[0]!.history_ttl, 30_000);
    assert.equal(config.channel.namespaces[1]!.presence, false);
  });

  it('takes space-separated names, to be filled by per-namespace overrides', () => {
    const { config, warnings } = load({
      TRIBUTARY_CHANNEL_NAMESPACES: 'chat news',
      TRIBUTARY_CHANNEL_NAMESPACES_CHAT_PRESENCE: 'true',
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      config.channel.namespaces.map((n) => [n.name, n.presence]),
      [
        ['chat', true],
        ['news', false],
      ],
    );
  });

  it('applies per-namespace overrides, with . and - in names becoming _', () => {
    const { config, warnings } = load(
      {
        TRIBUTARY_CHANNEL_NAMESPACES_CHAT_HISTORY_SIZE: '50',
        TRIBUTARY_CHANNEL_NAMESPACES_CHAT_HISTORY_TTL: '120s',
        TRIBUTARY_CHANNEL_NAMESPACES_ORG_TEAM_V2_JOIN_LEAVE: 'true',
        TRIBUTARY_CHANNEL_NAMESPACES_ORG_TEAM_V2_ALLOWED_DELTA_TYPES: 'fossil',
      },
      { channel: { namespaces: [{ name: 'chat', history_size: 5, history_ttl: '10s' }, { name: 'org.team-v2' }] } },
    );
    assert.deepEqual(warnings, []);
    assert.equal(config.channel.namespaces[0]!.history_size, 50);
    assert.equal(config.channel.namespaces[0]!.history_ttl, 120_000);
    assert.equal(config.channel.namespaces[1]!.join_leave, true);
    assert.deepEqual(config.channel.namespaces[1]!.allowed_delta_types, ['fossil']);
  });

  it('applies per-namespace overrides to namespaces that came from the JSON env var', () => {
    const { config } = load({
      TRIBUTARY_CHANNEL_NAMESPACES: '[{"name":"chat"}]',
      TRIBUTARY_CHANNEL_NAMESPACES_CHAT_JOIN_LEAVE: 'true',
    });
    assert.equal(config.channel.namespaces[0]!.join_leave, true);
  });

  it('reports a bad JSON array', () => {
    assert.throws(() => load({ TRIBUTARY_CHANNEL_NAMESPACES: '[{"name":' }), /TRIBUTARY_CHANNEL_NAMESPACES \(channel\.namespaces\): invalid JSON array/);
  });

  it('nameForEnv follows Centrifugo', () => {
    assert.equal(nameForEnv('org.team-v2'), 'ORG_TEAM_V2');
  });
});

describe('env: consumers and engine.redis', () => {
  it('takes consumers as JSON', () => {
    const { config } = load({ TRIBUTARY_CONSUMERS: '[{"name":"kafka1","type":"kafka","enabled":false}]' });
    assert.deepEqual(
      config.consumers.map((c) => [c.name, c.type, c.enabled]),
      [['kafka1', 'kafka', false]],
    );
  });

  it('overrides any key of a consumer by its name, also keys the file does not set', () => {
    const { config, warnings } = load(
      {
        TRIBUTARY_CONSUMERS_PG_1_ENABLED: 'false',
        TRIBUTARY_CONSUMERS_PG_1_POSTGRESQL_DSN: 'postgres://new',
        TRIBUTARY_CONSUMERS_PG_1_POSTGRESQL_NUM_PARTITIONS: '4',
        TRIBUTARY_CONSUMERS_PG_1_POSTGRESQL_TLS_ENABLED: 'true',
      },
      { consumers: [{ name: 'pg_1', enabled: true, type: 'postgresql', postgresql: { dsn: 'postgres://old', num_partitions: 1 } }] },
    );
    const c = config.consumers[0]!;
    assert.deepEqual([c.name, c.enabled, c.postgresql.dsn, c.postgresql.num_partitions, c.postgresql.tls.enabled], ['pg_1', false, 'postgres://new', 4, true]);
    assert.deepEqual(warnings, []);
  });

  it('overrides keys present in engine.redis', () => {
    const { config } = load(
      { TRIBUTARY_ENGINE_REDIS_ADDRESS: 'redis://a:6379 redis://b:6379', TRIBUTARY_ENGINE_REDIS_PREFIX: 'tr' },
      { engine: { type: 'redis', redis: { address: ['redis://localhost:6379'], prefix: 'centrifugo' } } },
    );
    assert.ok(config.engine.type === 'redis');
    assert.deepEqual(
      config.engine.redis.shards.map((s) => s.label),
      ['redis://a:6379', 'redis://b:6379'],
    );
    assert.equal(config.engine.redis.prefix, 'tr');
  });

  it('sets engine.redis keys without a block in the file (as CENTRIFUGO_ENGINE_REDIS_ADDRESS does)', () => {
    const { config, warnings } = load(
      { TRIBUTARY_ENGINE_TYPE: 'redis', TRIBUTARY_ENGINE_REDIS_ADDRESS: 'redis://a:6379 redis://b:6379', TRIBUTARY_ENGINE_REDIS_IO_TIMEOUT: '2s' },
      {},
    );
    assert.deepEqual(warnings, []);
    assert.ok(config.engine.type === 'redis');
    assert.deepEqual(
      config.engine.redis.shards.map((s) => s.label),
      ['redis://a:6379', 'redis://b:6379'],
    );
    assert.equal(config.engine.redis.io_timeout, 2000);
  });
});

describe('env: unknown variables', () => {
  it('warns about unknown TRIBUTARY_* vars, ignoring Kubernetes-injected ones', () => {
    const { warnings } = load({
      TRIBUTARY_HTTP_SERVER_PROT: '1',
      TRIBUTARY_PORT: 'tcp://10.0.0.1:8000',
      TRIBUTARY_PORT_8000_TCP_ADDR: '10.0.0.1',
      TRIBUTARY_SERVICE_HOST: '10.0.0.1',
      TRIBUTARY_SERVICE_PORT: '8000',
      TRIBUTARY_INTERNAL_SERVICE_PORT_HTTP: '9000',
      TRIBUTARY_VAR_SECRET: 'x',
      OTHER_APP_PORT: '1',
      PATH: '/usr/bin',
    });
    assert.deepEqual(warnings, ['unknown environment variable TRIBUTARY_HTTP_SERVER_PROT']);
  });

  it('says when a var targets an unsupported Centrifugo feature', () => {
    const { warnings } = load({
      TRIBUTARY_ADMIN_ENABLED: 'true', // supported now: no warning
      TRIBUTARY_UNI_GRPC_ENABLED: 'true',
      TRIBUTARY_UNI_GRPC_PORT: '11000', // looks Kubernetes-injected: silently ignored, like Centrifugo
      TRIBUTARY_CLIENT_PROXY_CONNECT_ENDPOINT: 'http://x',
      TRIBUTARY_CHANNEL_WITHOUT_NAMESPACE_SUBSCRIBE_STREAM_PROXY_ENABLED: 'true',
      TRIBUTARY_WEBSOCKET_READ_BUFFER_SIZE: '1024',
    });
    assert.deepEqual(warnings, [
      'environment variable TRIBUTARY_CHANNEL_WITHOUT_NAMESPACE_SUBSCRIBE_STREAM_PROXY_ENABLED is accepted but not supported yet; it is ignored',
      'environment variable TRIBUTARY_UNI_GRPC_ENABLED is accepted but not supported yet; it is ignored',
    ]);
  });

  it("reads a Centrifugo deployment's CENTRIFUGO_* variables unchanged", () => {
    const { config, warnings } = load(
      {
        CENTRIFUGO_HTTP_SERVER_PORT: '9001',
        CENTRIFUGO_HTTP_API_KEY: 'centrifugo-key',
        CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY: 'centrifugo-secret',
        CENTRIFUGO_CLIENT_ALLOWED_ORIGINS: 'http://a.example http://b.example',
        CENTRIFUGO_CHANNEL_NAMESPACES: '[{"name":"chat","presence":true}]',
        CENTRIFUGO_CHANNEL_NAMESPACES_CHAT_HISTORY_SIZE: '10',
        CENTRIFUGO_CHANNEL_NAMESPACES_CHAT_HISTORY_TTL: '60s',
        CENTRIFUGO_ENGINE_TYPE: 'memory',
      },
      {},
    );
    assert.deepEqual(warnings, []);
    assert.equal(config.http_server.port, 9001);
    assert.equal(config.http_api.key, 'centrifugo-key');
    assert.equal(config.client.token.hmac_secret_key, 'centrifugo-secret');
    assert.deepEqual(config.client.allowed_origins, ['http://a.example', 'http://b.example']);
    assert.equal(config.channel.namespaces[0]!.presence, true);
    assert.equal(config.channel.namespaces[0]!.history_size, 10);
  });

  it('TRIBUTARY_* wins over CENTRIFUGO_* when both are set, key by key', () => {
    const { config } = load({
      CENTRIFUGO_HTTP_API_KEY: 'centrifugo-key',
      TRIBUTARY_HTTP_API_KEY: 'tributary-key',
      CENTRIFUGO_LOG_LEVEL: 'debug',
      CENTRIFUGO_CHANNEL_NAMESPACES: 'chat',
      CENTRIFUGO_CHANNEL_NAMESPACES_CHAT_HISTORY_SIZE: '10',
      TRIBUTARY_CHANNEL_NAMESPACES_CHAT_HISTORY_SIZE: '20',
      CENTRIFUGO_CHANNEL_NAMESPACES_CHAT_HISTORY_TTL: '60s',
    });
    assert.equal(config.http_api.key, 'tributary-key');
    assert.equal(config.log.level, 'debug', 'a key only Centrifugo names still applies');
    assert.equal(config.channel.namespaces[0]!.history_size, 20);
  });

  it('names a bad CENTRIFUGO_* value by its variable, and warns about unknown ones', () => {
    assert.throws(
      () => load({ CENTRIFUGO_HTTP_SERVER_PORT: 'eighty' }),
      (err: unknown) => err instanceof ConfigError && /CENTRIFUGO_HTTP_SERVER_PORT \(http_server\.port\)/.test(err.message),
    );
    const { warnings } = load({ CENTRIFUGO_HTTP_API_KYE: 'x', CENTRIFUGO_SERVICE_HOST: '10.0.0.1', CENTRIFUGO_PORT_8000_TCP: 'tcp://10.0.0.1:8000' });
    assert.deepEqual(warnings, ['unknown environment variable CENTRIFUGO_HTTP_API_KYE']);
  });

  it('uses process.env when env is not given', () => {
    const before = process.env['TRIBUTARY_HTTP_API_KEY'];
    process.env['TRIBUTARY_HTTP_API_KEY'] = 'from-process-env';
    try {
      assert.equal(loadConfig({ file: tempFile('c.json', {}) }).config.http_api.key, 'from-process-env');
    } finally {
      if (before === undefined) delete process.env['TRIBUTARY_HTTP_API_KEY'];
      else process.env['TRIBUTARY_HTTP_API_KEY'] = before;
    }
  });
});

describe('flags', () => {
  it('take precedence: flags > env > file > defaults', () => {
    const { config } = load(
      { TRIBUTARY_HTTP_SERVER_PORT: '9100', TRIBUTARY_LOG_LEVEL: 'warn', TRIBUTARY_HTTP_API_KEY: 'env-key' },
      { http_server: { port: 9000, address: 'file-addr' }, log: { level: 'error' }, http_api: { key: 'file-key', insecure: false } },
      { 'http_server.port': 9200, 'log.level': 'debug', 'client.insecure': true },
    );
    assert.equal(config.http_server.port, 9200, 'flag beats env and file');
    assert.equal(config.log.level, 'debug', 'flag beats env and file');
    assert.equal(config.http_api.key, 'env-key', 'env beats file');
    assert.equal(config.http_server.address, 'file-addr', 'file beats defaults');
    assert.equal(config.client.insecure, true);
    assert.equal(config.client.channel_limit, 128, 'defaults fill the rest');
  });

  it('coerces flag strings to the schema type', () => {
    const { config } = load(
      {},
      {},
      {
        'http_server.port': '9300',
        'prometheus.enabled': 'false',
        'client.ping_interval': '1m',
        'client.allowed_origins': 'http://a http://b',
        'channel.namespaces': '[{"name":"chat","presence":true}]',
      },
    );
    assert.equal(config.http_server.port, 9300);
    assert.equal(config.prometheus.enabled, false);
    assert.equal(config.client.ping_interval, 60_000);
    assert.deepEqual(config.client.allowed_origins, ['http://a', 'http://b']);
    assert.equal(config.channel.namespaces[0]!.presence, true);
  });

  it('rejects unknown flags and warns about unsupported ones', () => {
    assert.throws(() => load({}, {}, { 'http_server.prot': 1 }), {
      name: 'ConfigError',
      message: 'http_server.prot: unknown config key (given as a flag)',
    });
    assert.throws(() => load({}, {}, { client: 'x' }), /client: unknown config key/);
    const { warnings } = load({}, {}, { 'admin.enabled': true, 'grpc_api.enabled': false, 'admin.insecure': true, 'admin.web_proxy_address': 'http://x' });
    assert.deepEqual(warnings, ['flag admin.web_proxy_address is accepted but not supported yet; it is ignored']);
  });

  it('reports bad flag values', () => {
    assert.throws(() => load({}, {}, { 'http_server.port': 'x' }), { message: 'http_server.port: "x" is not an integer' });
  });
});
