import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultChannelOptions } from '../../../src/config/schema.js';
import type { ChannelOptions } from '../../../src/config/schema.js';
import { canPublish, canReadHistory, canReadPresence, canSubscribeWithoutToken, historyEnabled } from '../../../src/channels/permissions.js';

const opts = (o: Partial<ChannelOptions>): ChannelOptions => ({ ...defaultChannelOptions(), ...o });
const user = { user: 'u1', insecure: false };
const anon = { user: '', insecure: false };
const insecure = { user: '', insecure: true };

describe('subscribe permission without a token', () => {
  it('is denied by default and granted by allow_subscribe_for_client', () => {
    assert.equal(canSubscribeWithoutToken(opts({}), user, null), false);
    assert.equal(canSubscribeWithoutToken(opts({ allow_subscribe_for_client: true }), user, null), true);
  });
  it('needs allow_subscribe_for_anonymous for anonymous users', () => {
    assert.equal(canSubscribeWithoutToken(opts({ allow_subscribe_for_client: true }), anon, null), false);
    assert.equal(canSubscribeWithoutToken(opts({ allow_subscribe_for_client: true, allow_subscribe_for_anonymous: true }), anon, null), true);
  });
  it('admits exactly the listed users on a user-limited channel', () => {
    const o = opts({ allow_subscribe_for_client: true });
    assert.equal(canSubscribeWithoutToken(o, user, ['u1', 'u2']), true);
    assert.equal(canSubscribeWithoutToken(o, { user: 'u3', insecure: false }, ['u1', 'u2']), false);
    assert.equal(canSubscribeWithoutToken(o, anon, ['']), false);
  });
  it('allows everything in insecure mode', () => {
    assert.equal(canSubscribeWithoutToken(opts({}), insecure, null), true);
  });
});

describe('publish, presence and history permissions', () => {
  it('publish: for_client, for_subscriber only while subscribed, anonymous needs its own flag', () => {
    assert.equal(canPublish(opts({}), user, true), false);
    assert.equal(canPublish(opts({ allow_publish_for_client: true }), user, false), true);
    assert.equal(canPublish(opts({ allow_publish_for_subscriber: true }), user, false), false);
    assert.equal(canPublish(opts({ allow_publish_for_subscriber: true }), user, true), true);
    assert.equal(canPublish(opts({ allow_publish_for_client: true }), anon, false), false);
    assert.equal(canPublish(opts({ allow_publish_for_client: true, allow_publish_for_anonymous: true }), anon, false), true);
    assert.equal(canPublish(opts({}), insecure, false), true);
  });
  it('presence and history follow the same shape', () => {
    assert.equal(canReadPresence(opts({ allow_presence_for_subscriber: true }), user, true), true);
    assert.equal(canReadPresence(opts({ allow_presence_for_subscriber: true }), user, false), false);
    assert.equal(canReadHistory(opts({ allow_history_for_client: true }), user, false), true);
    assert.equal(canReadHistory(opts({ allow_history_for_client: true }), anon, false), false);
    assert.equal(canReadHistory(opts({}), insecure, false), true);
  });
  it('history exists only with both size and ttl', () => {
    assert.equal(historyEnabled(opts({ history_size: 10 })), false);
    assert.equal(historyEnabled(opts({ history_ttl: 1000 })), false);
    assert.equal(historyEnabled(opts({ history_size: 10, history_ttl: 1000 })), true);
  });
});
