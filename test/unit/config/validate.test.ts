import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { defaultInputConfig } from '../../../src/config/documents.js';
import { loadConfig } from '../../../src/config/load.js';
import { problemsOf as problemsOfFile, toInput } from '../../helpers/config.js';

// Each case edits a config file that spells out every default (durations
// written as numbers are milliseconds here) and loads it.
type File = any;

function ns(name: string, options: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, ...options };
}

function problemsOf(mutate: (c: File) => void): { key: string; reason: string }[] {
  const config = defaultInputConfig() as File;
  mutate(config);
  return problemsOfFile(config);
}

function validateConfig(config: File): void {
  loadConfig({ raw: toInput(config), env: {} });
}
const defaultConfig = () => defaultInputConfig() as File;

function expectProblem(mutate: (c: File) => void, key: string, reason: RegExp): void {
  const problems = problemsOf(mutate);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0]!.key, key);
  assert.match(problems[0]!.reason, reason);
}

describe('validateConfig', () => {
  it('names the key in the message: namespace name pattern', () => {
    const config = defaultConfig();
    config.channel.namespaces = [ns('chat'), ns('a')];
    assert.throws(() => validateConfig(config), {
      name: 'ConfigError',
      message: 'channel.namespaces[1].name: "a" must match ^[-a-zA-Z0-9_.]{2,}$',
    });
  });

  it('rejects duplicate namespace names', () => {
    expectProblem((c) => (c.channel.namespaces = [ns('chat'), ns('chat')]), 'channel.namespaces[1].name', /already used by channel\.namespaces\[0\]/);
  });

  it('requires history_size and history_ttl together', () => {
    expectProblem((c) => (c.channel.namespaces = [ns('chat', { history_size: 10 })]), 'channel.namespaces[0].history_ttl', /both or neither/);
    expectProblem((c) => (c.channel.without_namespace.history_ttl = 60_000), 'channel.without_namespace.history_size', /both or neither/);
  });

  it('requires whole-second history TTLs', () => {
    expectProblem(
      (c) => (c.channel.namespaces = [ns('chat', { history_size: 1, history_ttl: 1500 })]),
      'channel.namespaces[0].history_ttl',
      /1500ms must be a whole number of seconds/,
    );
    expectProblem((c) => (c.channel.history_meta_ttl = 100), 'channel.history_meta_ttl', /whole number of seconds/);
  });

  it('requires history_meta_ttl >= history_ttl, using the global one when unset', () => {
    expectProblem(
      (c) => (c.channel.namespaces = [ns('chat', { history_size: 1, history_ttl: 120_000, history_meta_ttl: 60_000 })]),
      'channel.namespaces[0].history_meta_ttl',
      /at least history_ttl/,
    );
    expectProblem(
      (c) => {
        c.channel.history_meta_ttl = 60_000;
        c.channel.namespaces = [ns('chat', { history_size: 1, history_ttl: 120_000 })];
      },
      'channel.namespaces[0].history_meta_ttl',
      /history meta ttl \(60000ms\) must be at least history_ttl \(120000ms\)/,
    );
  });

  it('requires ping_interval > pong_timeout', () => {
    expectProblem((c) => (c.client.pong_timeout = 25_000), 'client.ping_interval', /must be greater than client\.pong_timeout/);
  });

  it('checks recovery options', () => {
    expectProblem(
      (c) => (c.channel.without_namespace.force_recovery_mode = 'latest'),
      'channel.without_namespace.force_recovery_mode',
      /"latest" must be one of "", "stream", "cache"/,
    );
    expectProblem(
      (c) => (c.channel.namespaces = [ns('chat', { history_size: 1, history_ttl: 1000, force_recovery: true, auto_cache_recover: true })]),
      'channel.namespaces[0].auto_cache_recover',
      /requires force_recovery: true and force_recovery_mode: "cache"/,
    );
    expectProblem((c) => (c.channel.without_namespace.force_recovery = true), 'channel.without_namespace.force_recovery', /recovery needs history/);
  });

  it('checks delta types, data formats and subscription types', () => {
    expectProblem(
      (c) => (c.channel.without_namespace.allowed_delta_types = ['fossil', 'xdelta']),
      'channel.without_namespace.allowed_delta_types[1]',
      /"xdelta" must be one of "fossil"/,
    );
    expectProblem((c) => (c.channel.without_namespace.publication_data_format = 'xml'), 'channel.without_namespace.publication_data_format', /must be one of/);
    expectProblem((c) => (c.channel.publication_data_format = 'xml'), 'channel.publication_data_format', /must be one of/);
    expectProblem(
      (c) => (c.channel.namespaces = [ns('maps', { subscription_type: 'map' })]),
      'channel.namespaces[0].subscription_type',
      /"map" is not supported by Tributary/,
    );
    expectProblem(
      (c) => (c.channel.without_namespace.subscription_type = 'foo'),
      'channel.without_namespace.subscription_type',
      /"foo" must be one of "", "stream"/,
    );
    assert.deepEqual(
      problemsOf((c) => (c.channel.without_namespace.subscription_type = 'stream')),
      [],
    );
  });

  it('checks channel_regex compiles', () => {
    expectProblem(
      (c) => (c.channel.namespaces = [ns('chat', { channel_regex: '^[a-z' })]),
      'channel.namespaces[0].channel_regex',
      /not a valid regular expression/,
    );
  });

  it('checks log level, engine type and ports', () => {
    expectProblem((c) => (c.log.level = 'verbose'), 'log.level', /"verbose" must be one of "trace", "debug", "info", "warn", "error", "fatal", "none"/);
    expectProblem((c) => (c.engine.type = 'nats'), 'engine.type', /must be one of "memory", "redis"/);
    expectProblem((c) => (c.http_server.port = 70000), 'http_server.port', /0\.\.65535/);
    expectProblem((c) => (c.http_server.internal_port = -1), 'http_server.internal_port', /0\.\.65535/);
  });

  it('checks token options', () => {
    expectProblem(
      (c) => {
        c.client.token.audience = 'a';
        c.client.token.audience_regex = '^a$';
      },
      'client.token.audience_regex',
      /mutually exclusive/,
    );
    expectProblem(
      (c) => {
        c.client.subscription_token.issuer = 'i';
        c.client.subscription_token.issuer_regex = '^i$';
      },
      'client.subscription_token.issuer_regex',
      /mutually exclusive/,
    );
    expectProblem((c) => (c.client.token.user_id_claim = 'user-id'), 'client.token.user_id_claim', /must match \^\[a-zA-Z_\]\+\$/);
    assert.deepEqual(
      problemsOf((c) => (c.client.token.user_id_claim = 'user_id')),
      [],
    );
  });

  it('checks the personal channel setup', () => {
    expectProblem(
      (c) => {
        c.client.subscribe_to_user_personal_channel = { enabled: true, personal_channel_namespace: 'personal', single_connection: false };
      },
      'client.subscribe_to_user_personal_channel.personal_channel_namespace',
      /"personal" is not defined/,
    );
    expectProblem(
      (c) => {
        c.client.subscribe_to_user_personal_channel = { enabled: true, personal_channel_namespace: 'personal', single_connection: true };
        c.channel.namespaces = [ns('personal')];
      },
      'client.subscribe_to_user_personal_channel.single_connection',
      /requires presence to be enabled on namespace "personal"/,
    );
    expectProblem(
      (c) => {
        c.client.subscribe_to_user_personal_channel = { enabled: true, personal_channel_namespace: '', single_connection: true };
      },
      'client.subscribe_to_user_personal_channel.single_connection',
      /channel\.without_namespace/,
    );
    assert.deepEqual(
      problemsOf((c) => {
        c.client.subscribe_to_user_personal_channel = { enabled: true, personal_channel_namespace: 'personal', single_connection: true };
        c.channel.namespaces = [ns('personal', { presence: true })];
      }),
      [],
    );
  });

  it('checks consumer names', () => {
    expectProblem((c) => (c.consumers = [{ name: 'my-consumer', type: 'kafka' }]), 'consumers[0].name', /"my-consumer" must match \^\[a-zA-Z0-9_\]\{2,\}\$/);
    expectProblem((c) => (c.consumers = [{ name: 'k1' }, { name: 'k1' }]), 'consumers[1].name', /must be unique/);
    expectProblem((c) => (c.consumers = ['k1']), 'consumers[0]', /must be an object/);
  });

  it('collects all problems into one error, one `key: reason` per line', () => {
    const config = defaultConfig();
    config.log.level = 'loud';
    config.http_server.port = -1;
    config.channel.namespaces = [ns('x'), ns('ok', { history_size: 3 })];
    try {
      validateConfig(config);
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(
        err.problems.map((p) => p.key),
        ['http_server.port', 'log.level', 'channel.namespaces[0].name', 'channel.namespaces[1].history_ttl'],
      );
      const lines = err.message.split('\n');
      assert.equal(lines.length, 4);
      lines.forEach((line, i) => assert.equal(line, `${err.problems[i]!.key}: ${err.problems[i]!.reason}`));
    }
  });
});
