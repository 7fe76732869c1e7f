import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChannelResolver,
  channelTooLong,
  effectiveHistoryMetaTtl,
  personalChannel,
  validClientChannelName,
  type ResolvedChannel,
} from '../../../src/channels/resolver.js';
import { defaultChannelOptions, defaultConfig } from '../../../src/config/schema.js';
import type { Config, NamespaceConfig } from '../../../src/config/schema.js';

function ns(name: string, options: Partial<NamespaceConfig> = {}): NamespaceConfig {
  return { ...defaultChannelOptions(), name, ...options };
}

function config(): Config {
  const c = defaultConfig();
  c.channel.without_namespace.presence = true;
  c.channel.namespaces = [
    ns('chat', { join_leave: true }),
    ns('dialog', { allow_user_limited_channels: true }),
    ns('news', {}),
    ns('ids', { channel_regex: '^[0-9]+$' }),
  ];
  return c;
}

function resolve(channel: string, c = config()): ResolvedChannel {
  const r = new ChannelResolver(c).resolve(channel);
  assert.ok(r, `${channel} should resolve`);
  return r;
}

describe('ChannelResolver', () => {
  it('resolves a namespaced channel', () => {
    const r = resolve('chat:room');
    assert.equal(r.name, 'chat:room');
    assert.equal(r.namespace, 'chat');
    assert.equal(r.rest, 'room');
    assert.equal(r.isPrivate, false);
    assert.equal(r.options.join_leave, true);
    assert.equal(r.options.presence, false, 'namespaces do not inherit without_namespace');
    assert.equal(r.userLimitedUsers, null);
  });

  it('strips the private prefix before finding the namespace', () => {
    const r = resolve('$chat:room');
    assert.equal(r.namespace, 'chat');
    assert.equal(r.rest, 'room');
    assert.equal(r.isPrivate, true);
  });

  it('uses without_namespace when there is no boundary; rest is the whole name', () => {
    const r = resolve('news');
    assert.equal(r.namespace, '');
    assert.equal(r.rest, 'news');
    assert.equal(r.options.presence, true);
    const p = resolve('$secret');
    assert.equal(p.namespace, '');
    assert.equal(p.isPrivate, true);
    assert.equal(p.rest, '$secret');
  });

  it('splits on the first boundary only', () => {
    const r = resolve('chat:room:1');
    assert.equal(r.namespace, 'chat');
    assert.equal(r.rest, 'room:1');
  });

  it('maps an empty namespace name (":room") to without_namespace', () => {
    const r = resolve(':room');
    assert.equal(r.namespace, '');
    assert.equal(r.rest, 'room');
  });

  it('returns null for an unknown namespace (error 102)', () => {
    const resolver = new ChannelResolver(config());
    assert.equal(resolver.resolve('unknown:room'), null);
    assert.equal(resolver.resolve('$unknown:room'), null);
    assert.equal(resolver.resolve('unknown:room'), null, 'cached null stays null');
  });

  it('lists the users of a user-limited channel', () => {
    assert.deepEqual(resolve('dialog:#42,43').userLimitedUsers, ['42', '43']);
    assert.deepEqual(resolve('dialog:a#b#42').userLimitedUsers, ['42'], 'after the last #');
    assert.deepEqual(resolve('dialog:#').userLimitedUsers, ['']);
    assert.equal(resolve('dialog:room').userLimitedUsers, null, 'no # in the name');
    assert.equal(resolve('chat:#42').userLimitedUsers, null, 'namespace does not allow user-limited channels');
  });

  it('honours custom separators', () => {
    const c = config();
    Object.assign(c.channel, { private_prefix: '~', namespace_boundary: '/', user_boundary: '@', user_separator: ';' });
    const r = resolve('~dialog/x@1;2', c);
    assert.equal(r.namespace, 'dialog');
    assert.equal(r.isPrivate, true);
    assert.deepEqual(r.userLimitedUsers, ['1', '2']);
  });

  it('falls back to channel.publication_data_format for the options', () => {
    const c = config();
    c.channel.publication_data_format = 'json_object';
    c.channel.namespaces.push(ns('bin', { publication_data_format: 'binary' }));
    assert.equal(resolve('chat:x', c).options.publication_data_format, 'json_object');
    assert.equal(resolve('bin:x', c).options.publication_data_format, 'binary');
  });

  it('caches results and returns frozen objects', () => {
    const resolver = new ChannelResolver(config());
    const a = resolver.resolve('chat:room');
    assert.equal(resolver.resolve('chat:room'), a);
    assert.ok(Object.isFrozen(a));
    assert.ok(Object.isFrozen(a!.options));
    assert.throws(() => {
      (a!.options as { presence: boolean }).presence = true;
    }, TypeError);
  });

  it('keeps working when the cache fills up', () => {
    const resolver = new ChannelResolver(config());
    for (let i = 0; i < 25_000; i++) assert.equal(resolver.resolve(`chat:${i}`)!.rest, String(i));
    assert.equal(resolver.resolve('chat:0')!.namespace, 'chat');
  });
});

describe('validClientChannelName', () => {
  const c = config();
  const valid = (channel: string, cfg = c) => validClientChannelName(resolve(channel, cfg), cfg);

  it('requires ASCII when the namespace has no channel_regex', () => {
    assert.equal(valid('chat:room-1_ok.$#'), true);
    assert.equal(valid('chat:комната'), false);
    assert.equal(valid('café'), false);
  });

  it('matches channel_regex against the part after the namespace', () => {
    assert.equal(valid('ids:123'), true);
    assert.equal(valid('ids:12a'), false);
    assert.equal(valid('$ids:123'), true);
  });

  it('skips the ASCII rule when a channel_regex is set', () => {
    const cfg = config();
    cfg.channel.namespaces.push(ns('uni', { channel_regex: '^\\p{L}+$' }));
    assert.equal(valid('uni:комната', cfg), true);
  });

  it('limits the name length in bytes', () => {
    const cfg = config();
    cfg.channel.max_length = 10;
    assert.equal(valid('chat:12345', cfg), true);
    assert.equal(valid('chat:123456', cfg), false);
    assert.equal(channelTooLong('a'.repeat(255), defaultConfig()), false);
    assert.equal(channelTooLong('a'.repeat(256), defaultConfig()), true);
    // 100 two-byte characters: 100 UTF-16 units but 200 bytes.
    const cfg2 = defaultConfig();
    cfg2.channel.max_length = 150;
    assert.equal(channelTooLong('é'.repeat(100), cfg2), true);
    assert.equal(channelTooLong('é'.repeat(75), cfg2), false);
    cfg2.channel.max_length = 0;
    assert.equal(channelTooLong('a'.repeat(10_000), cfg2), false, '0 disables the limit');
  });
});

describe('personalChannel and effectiveHistoryMetaTtl', () => {
  it('builds the personal channel name', () => {
    const c = defaultConfig();
    assert.equal(personalChannel('42', c), '#42');
    c.client.subscribe_to_user_personal_channel.personal_channel_namespace = 'personal';
    assert.equal(personalChannel('42', c), 'personal:#42');
  });

  it('falls back to channel.history_meta_ttl', () => {
    const c = defaultConfig();
    assert.equal(effectiveHistoryMetaTtl(defaultChannelOptions(), c), 720 * 3600 * 1000);
    assert.equal(effectiveHistoryMetaTtl({ ...defaultChannelOptions(), history_meta_ttl: 60_000 }, c), 60_000);
  });
});
