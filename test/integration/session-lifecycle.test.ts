// Connection lifecycle edge cases: what happens when clients leave at awkward
// moments, misbehave with timing, or the API asks for odd things. Each case
// must leave no registered client, hub entry or presence entry behind.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signToken } from '../../src/auth/sign.js';
import { RawClient } from '../helpers/raw-ws.js';
import { SECRET, startServer, token, type TestServer } from '../helpers/server.js';

describe('session lifecycle', { concurrency: true }, () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer({
      client: { ping_interval: 1000, pong_timeout: 500 },
      channel: {
        without_namespace: { allow_subscribe_for_client: true, presence: true },
        namespaces: [
          { name: 'hist', allow_subscribe_for_client: true, presence: true, history_size: 10, history_ttl: 60_000 },
          { name: 'rec', allow_subscribe_for_client: true, presence: true, history_size: 10, history_ttl: 60_000, force_recovery: true },
        ] as never,
      },
    });
  });
  after(() => ts.stop());

  const presenceUsers = async (channel: string): Promise<string[]> =>
    Object.values((await ts.api('presence', { channel })).json.result.presence).map((p: any) => p.user);

  it('survives a request target that URL parsing refuses, answering 400', async () => {
    const port = Number(new URL(ts.httpUrl).port);
    const response = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write('GET //a:b HTTP/1.1\r\nHost: x\r\n\r\n'));
      let data = '';
      sock.on('data', (d) => {
        data += d.toString();
        sock.end();
      });
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
    });
    assert.match(response, /^HTTP\/1\.1 400/);
    assert.equal((await fetch(`${ts.httpUrl}/health`)).status, 200);
  });

  it('leaves nothing behind when the client vanishes during connect', async () => {
    const tok = await token('ghost', { channels: ['ghostroom'] });
    for (let i = 0; i < 20; i++) {
      const raw = await RawClient.open(ts.wsUrl);
      raw.send({ id: 1, connect: { token: tok } });
      raw.terminate();
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await presenceUsers('ghostroom'), []);
    const channels = (await ts.api('channels', { pattern: 'ghostroom' })).json.result.channels;
    assert.deepEqual(channels, {});
    assert.equal(ts.server.node.select({ user: 'ghost' }).length, 0, 'no registered client');
  });

  it('keeps pinging and enforces the pong deadline however busy the client is', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('busy', {}, 60) } });
    await raw.waitReply(1);
    let id = 2;
    const started = Date.now();
    const timer = setInterval(async () => {
      raw.send({ id: id++, refresh: { token: await token('busy', {}, 60) } });
    }, 20);
    try {
      assert.equal(await raw.waitClose(4000), 3012);
      assert.ok(Date.now() - started < 3000);
    } finally {
      clearInterval(timer);
    }
  });

  it('processes thousands of queued frames in order', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('flood') } });
    await raw.waitReply(1);
    for (let i = 2; i < 2002; i++) raw.send({ id: i, presence_stats: { channel: 'flood' } });
    await raw.waitReply(2001, 10_000);
    const ids = raw.messages.filter((m) => m.id).map((m) => m.id);
    assert.deepEqual(
      ids,
      Array.from({ length: 2001 }, (_, i) => i + 1),
    );
    raw.close();
  });

  it('rolls a failed connect back completely (112 from a connect-time recovery with the reject flag)', async () => {
    await ts.api('publish', { channel: 'rec:a', data: { n: 1 } });
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({
      id: 1,
      connect: { token: await token('rollback', { channels: ['rec:a'] }), subs: { 'rec:a': { recover: true, epoch: 'nope', offset: 1, flag: 2 } } },
    });
    const reply = await raw.waitReply(1);
    assert.equal(reply.error.code, 112);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await presenceUsers('rec:a'), []);
    assert.equal(ts.server.node.select({ user: 'rollback' }).length, 0, 'no registered client');
    const channels = (await ts.api('channels', { pattern: 'rec:a' })).json.result.channels;
    assert.deepEqual(channels, {});
    raw.close();
  });

  it('does not hand out recovery through connect.subs without history access', async () => {
    for (let n = 1; n <= 3; n++) await ts.api('publish', { channel: 'hist:x', data: { n } });
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('nosy'), subs: { 'hist:x': { recoverable: true, recover: true, offset: 0 } } } });
    const reply = await raw.waitReply(1);
    assert.equal(reply.connect.subs['hist:x'].publications, undefined);
    assert.equal(reply.connect.subs['hist:x'].recoverable, undefined);
    raw.close();
  });

  it('reports was_recovering when the client asks to recover on a channel without recovery', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('wr') } });
    await raw.waitReply(1);
    raw.send({ id: 2, subscribe: { channel: 'plain', recover: true, offset: 3, epoch: 'x' } });
    const reply = await raw.waitReply(2);
    assert.equal(reply.subscribe.was_recovering, true);
    assert.equal(reply.subscribe.recovered, undefined);
    raw.close();
  });

  it('clamps an API disconnect code or reason a close frame cannot carry, and still cleans up', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('clamped') } });
    await raw.waitReply(1);
    raw.send({ id: 2, subscribe: { channel: 'clamproom' } });
    await raw.waitReply(2);
    const r = await ts.api('disconnect', { user: 'clamped', disconnect: { code: 2000, reason: 'x'.repeat(200) } });
    assert.deepEqual(r.json, { result: {} });
    assert.equal(await raw.waitClose(), 3503);
    assert.equal(ts.server.node.select({ user: 'clamped' }).length, 0);
    assert.deepEqual(await presenceUsers('clamproom'), []);

    const raw2 = await RawClient.open(ts.wsUrl);
    raw2.send({ id: 1, connect: { token: await token('longreason') } });
    await raw2.waitReply(1);
    await ts.api('disconnect', { user: 'longreason', disconnect: { code: 4000, reason: 'é'.repeat(100) } });
    assert.equal(await raw2.waitClose(), 4000);
    assert.ok(Buffer.byteLength(raw2.closeReason) <= 123);
  });

  it('answers a sub_refresh with an expired token (after the 2501 push)', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('subexp') } });
    await raw.waitReply(1);
    raw.send({ id: 2, subscribe: { channel: '$hist:p', token: await signToken(SECRET, { sub: 'subexp', channel: '$hist:p' }, 60) } });
    await raw.waitReply(2);
    const expired = await signToken(SECRET, { sub: 'subexp', channel: '$hist:p', exp: Math.floor(Date.now() / 1000) - 5 });
    raw.send({ id: 3, sub_refresh: { channel: '$hist:p', token: expired } });
    const reply = await raw.waitReply(3);
    assert.deepEqual(reply, { id: 3, sub_refresh: {} });
    assert.equal(raw.pushes('unsubscribe')[0].unsubscribe.code, 2501);
    raw.close();
  });

  it('answers a refresh whose expire_at is already past with 110', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('pastexp', {}, 60) } });
    await raw.waitReply(1);
    const past = await signToken(SECRET, { sub: 'pastexp', exp: Math.floor(Date.now() / 1000) + 60, expire_at: Math.floor(Date.now() / 1000) - 5 });
    raw.send({ id: 2, refresh: { token: past } });
    const reply = await raw.waitReply(2);
    assert.equal(reply.error.code, 110);
    raw.close();
  });

  it('disconnects with 3010 when a refresh token changes the server-side channels', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('chg', { channels: ['chg-a'] }, 60) } });
    await raw.waitReply(1);
    raw.send({ id: 2, refresh: { token: await token('chg', { channels: ['chg-b'] }, 60) } });
    assert.equal(await raw.waitClose(), 3010);
  });

  it('disconnects with 3010 when a refresh token grants channels the connect token did not', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('grant', {}, 60) } });
    await raw.waitReply(1);
    // A token without channels keeps the refresh from adding any, as a non-empty grant keeps it from changing.
    raw.send({ id: 2, refresh: { token: await token('grant', {}, 60) } });
    assert.ok((await raw.waitReply(2)).refresh);
    raw.send({ id: 3, refresh: { token: await token('grant', { channels: ['grant-a'] }, 60) } });
    assert.equal(await raw.waitClose(), 3010);
  });

  it('counts unknown client names as "unnamed" in metrics', async () => {
    const raw = await RawClient.open(ts.wsUrl);
    raw.send({ id: 1, connect: { token: await token('named'), name: 'my-own-client-name-123' } });
    await raw.waitReply(1);
    const metrics = await (await fetch(`${ts.httpUrl}/metrics`)).text();
    assert.doesNotMatch(metrics, /my-own-client-name-123/);
    assert.match(metrics, /client_name="unnamed"/);
    raw.close();
  });
});
