import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultChannelOptions, defaultConfig } from '../../../src/config/schema.js';
import { problemsOf } from '../../helpers/config.js';

describe('defaultConfig', () => {
  const c = defaultConfig();

  it('has Centrifugo v6 server defaults', () => {
    const { tls, ...listen } = c.http_server;
    assert.deepEqual(listen, { address: '', port: 8000, internal_address: '', internal_port: 0 });
    assert.equal(tls.enabled, false);
    assert.equal(c.grpc_api.enabled, false);
    assert.equal(c.grpc_api.port, 10000);
    assert.equal(c.log.level, 'info');
    assert.deepEqual(c.engine, { type: 'memory' });
    assert.equal(c.http_api.handler_prefix, '/api');
    assert.equal(c.websocket.handler_prefix, '/connection/websocket');
    assert.equal(c.websocket.write_timeout, 1000);
    assert.equal(c.websocket.message_size_limit, 65536);
    assert.equal(c.shutdown.timeout, 30_000);
    assert.equal(c.node.name, '');
    assert.deepEqual(c.consumers, []);
  });

  it('has client timings in ms and limits', () => {
    assert.equal(c.client.ping_interval, 25_000);
    assert.equal(c.client.pong_timeout, 8_000);
    assert.equal(c.client.expired_close_delay, 25_000);
    assert.equal(c.client.expired_sub_close_delay, 25_000);
    assert.equal(c.client.stale_close_delay, 10_000);
    assert.equal(c.client.presence_update_interval, 27_000);
    assert.equal(c.client.channel_limit, 128);
    assert.equal(c.client.queue_max_size, 1048576);
    assert.equal(c.client.history_max_publication_limit, 300);
    assert.equal(c.client.recovery_max_publication_limit, 300);
    assert.equal(c.client.connection_limit, 0);
    assert.equal(c.client.insecure, false);
    assert.deepEqual(c.client.allowed_origins, []);
    assert.equal(c.client.token.hmac_secret_key, '');
    assert.equal(c.client.subscription_token.enabled, false);
  });

  it('has channel syntax defaults', () => {
    assert.equal(c.channel.history_meta_ttl, 720 * 3600 * 1000);
    assert.equal(c.channel.max_length, 255);
    assert.equal(c.channel.private_prefix, '$');
    assert.equal(c.channel.namespace_boundary, ':');
    assert.equal(c.channel.user_boundary, '#');
    assert.equal(c.channel.user_separator, ',');
    assert.deepEqual(c.channel.namespaces, []);
    assert.deepEqual(c.channel.without_namespace, defaultChannelOptions());
  });

  it('enables prometheus and health (deliberate deviation from Centrifugo)', () => {
    assert.deepEqual(c.prometheus, { enabled: true, handler_prefix: '/metrics' });
    assert.deepEqual(c.health, { enabled: true, handler_prefix: '/health' });
  });

  it('returns a fresh object each call', () => {
    const a = defaultConfig();
    a.client.allowed_origins.push('x');
    a.channel.without_namespace.presence = true;
    const b = defaultConfig();
    assert.deepEqual(b.client.allowed_origins, []);
    assert.equal(b.channel.without_namespace.presence, false);
  });

  it('is valid', () => {
    assert.deepEqual(problemsOf({}), []);
  });
});

describe('defaultChannelOptions', () => {
  it('is everything off (proxy names point at the "default" blocks, used only when switched on)', () => {
    for (const [key, value] of Object.entries(defaultChannelOptions())) {
      if (key.endsWith('_proxy_name')) assert.equal(value, 'default', key);
      else assert.ok(value === false || value === 0 || value === '' || (Array.isArray(value) && value.length === 0), key);
    }
  });
});
