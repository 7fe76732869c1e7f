// The `broker.nats` block: Centrifugo's option names and defaults, the checks
// made at load, and the warnings for channel options that need history, which
// a Nats broker does not keep (Centrifugo starts with them and answers 108 at
// request time; so does Tributary, and says so at load).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { natsServers } from '../../../src/engines/nats/nats-broker.js';
import { NatsSubjects } from '../../../src/engines/nats/subjects.js';

const load = (raw: Record<string, unknown>) => loadConfig({ raw, env: {} });
const nats = (o: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => load({ broker: { enabled: true, type: 'nats', nats: o }, ...extra });

describe('broker.nats config', () => {
  it("has Centrifugo's defaults", () => {
    const { config, warnings } = nats();
    assert.deepEqual(warnings, []);
    assert.ok(config.broker.enabled && config.broker.type === 'nats');
    const n = config.broker.nats;
    assert.equal(n.url, 'nats://localhost:4222');
    assert.equal(n.prefix, 'centrifugo');
    assert.equal(n.dial_timeout, 1000);
    assert.equal(n.write_timeout, 1000);
    assert.equal(n.tls.enabled, false);
    assert.equal(n.allow_wildcards, false);
    const wild = nats({ allow_wildcards: true }).config.broker;
    assert.ok(wild.enabled && wild.type === 'nats' && wild.nats.allow_wildcards, 'allow_wildcards is accepted');
    assert.deepEqual(n.raw_mode, { enabled: false, channel_replacements: {}, prefix: '' });
  });

  it('reads every option by its Centrifugo name, from the file and the environment', () => {
    const { config } = nats({
      url: 'nats://a:4222,nats://b:4223',
      prefix: 'p1',
      dial_timeout: '3s',
      write_timeout: '250ms',
      raw_mode: { enabled: true, channel_replacements: { ':': '.' }, prefix: 'raw.' },
    });
    assert.ok(config.broker.enabled && config.broker.type === 'nats');
    assert.equal(config.broker.nats.url, 'nats://a:4222,nats://b:4223');
    assert.equal(config.broker.nats.dial_timeout, 3000);
    assert.equal(config.broker.nats.write_timeout, 250);
    assert.deepEqual(config.broker.nats.raw_mode, { enabled: true, channel_replacements: { ':': '.' }, prefix: 'raw.' });
    const fromEnv = loadConfig({
      raw: {},
      env: { CENTRIFUGO_BROKER_ENABLED: 'true', CENTRIFUGO_BROKER_TYPE: 'nats', CENTRIFUGO_BROKER_NATS_URL: 'nats://c:1', CENTRIFUGO_BROKER_NATS_PREFIX: 'x' },
    }).config;
    assert.ok(fromEnv.broker.enabled && fromEnv.broker.type === 'nats');
    assert.equal(fromEnv.broker.nats.url, 'nats://c:1');
    assert.equal(fromEnv.broker.nats.prefix, 'x');
  });

  it('refuses what it cannot use, naming the key', () => {
    assert.throws(() => nats({ url: 'http://x:1' }), /broker\.nats\.url: "http:\/\/x:1": the scheme must be nats:\/\/ or tls:\/\//);
    assert.throws(
      () => load({ broker: { enabled: true, type: 'redisnats' } }),
      /broker\.type: "redisnats" is not supported by Tributary \(memory, redis or nats\)/,
    );
    assert.throws(
      () => load({ broker: { enabled: true, type: 'kafka' } }),
      /broker\.type: "kafka" must be one of "memory", "redis", "nats", "postgres", "redisnats"/,
    );
    // An unused block is not checked, as in Centrifugo.
    assert.equal(load({ broker: { enabled: false, type: 'nats', nats: { url: 'http://x' } } }).config.broker.enabled, false);
  });

  it('warns, per namespace, about history, recovery and positioning a Nats broker cannot give', () => {
    const { warnings } = nats(
      {},
      {
        channel: {
          without_namespace: { force_positioning: true },
          namespaces: [
            { name: 'chat', history_size: 10, history_ttl: '60s', force_recovery: true },
            { name: 'plain', presence: true, join_leave: true },
          ],
        },
      },
    );
    assert.deepEqual(warnings, [
      'channel.without_namespace: force_positioning with broker.type "nats", which keeps no history: positioned and recovering subscriptions and client history calls there fail with 108 "not available", the API\'s history with 100 (as in Centrifugo)',
      'namespace "chat": history, force_recovery with broker.type "nats", which keeps no history: positioned and recovering subscriptions and client history calls there fail with 108 "not available", the API\'s history with 100 (as in Centrifugo)',
    ]);
    // The same namespaces on Redis: nothing to say.
    assert.deepEqual(load({ channel: { namespaces: [{ name: 'chat', history_size: 10, history_ttl: '60s', force_recovery: true }] } }).warnings, []);
  });

  it('takes credentials out of the URL as nats.go reads them', () => {
    assert.deepEqual(natsServers('nats://u:p%40ss@h1:4222, tls://h2:4223'), { servers: ['nats://h1:4222', 'tls://h2:4223'], user: 'u', pass: 'p@ss' });
    assert.deepEqual(natsServers('nats://s3cr3t@h:4222'), { servers: ['nats://h:4222'], token: 's3cr3t' });
    assert.deepEqual(natsServers('localhost:4222'), { servers: ['nats://localhost:4222'] });
  });

  it("names subjects as Centrifugo's Nats broker does", () => {
    const s = new NatsSubjects({ prefix: 'centrifugo', raw_mode: { enabled: false, channel_replacements: {}, prefix: '' } });
    assert.equal(s.channel('chat:index'), 'centrifugo.client.chat:index');
    assert.equal(s.control, 'centrifugo.control');
    assert.equal(s.node('abc'), 'centrifugo.node.abc');
    const raw = new NatsSubjects({ prefix: 'centrifugo', raw_mode: { enabled: true, channel_replacements: { ':': '.', '#': '_' }, prefix: 'app.' } });
    assert.equal(raw.channel('chat:index#1'), 'app.chat.index_1');
    assert.equal(raw.control, 'centrifugo.control', 'control stays under the prefix in raw mode');
  });
});
