// The connect handshake and frame-level errors, with raw WebSocket frames
// (client-protocol.md §1.1, §1.3, §2.4 connect, §8.1, §9).

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer, token, type TestServer } from '../helpers/server.js';
import { ClientPool, assertError, assertStillOpen, call, closeCodeAfter } from './raw-util.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('raw connect', () => {
  let ts: TestServer;
  const pool = new ClientPool();
  /** A connected client kept for the whole file: it must survive every bad input of the others. */
  let witness: RawClient;
  let witnessId = 100;

  before(async () => {
    ts = await startServer({
      client: { disallow_anonymous_connection_tokens: true },
      channel: {
        without_namespace: { allow_subscribe_for_client: true, presence: true, allow_presence_for_client: true },
      } as never,
    });
    witness = (await pool.connect(ts, 'witness')).c;
  });
  afterEach(async () => {
    // The server goes on serving other clients after whatever the test sent.
    await assertStillOpen(witness, witnessId++);
  });
  after(async () => {
    pool.closeAll();
    await ts.stop();
  });

  let c: RawClient;
  beforeEach(async () => {
    c = await pool.open(ts.wsUrl);
  });

  it('connect reply: same id, client, version, ping (s) and pong', async () => {
    const r = await call(c, 1, { connect: { token: await token('alice', {}, 0), name: 'js', version: '5.7.4' } });
    assert.equal(r.id, 1);
    assert.equal(r.error, undefined);
    assert.match(r.connect.client, UUID);
    // As Centrifugo's connect reply says its own version: "6.9.1 OSS".
    assert.match(r.connect.version, /^\d+\.\d+\.\d+.* OSS$/);
    assert.equal(r.connect.ping, 25); // default ping_interval 25 s, announced in seconds
    assert.equal(r.connect.pong, true);
    // A token without exp: nothing to refresh, so no expires/ttl.
    assert.equal(r.connect.expires, undefined);
    assert.equal(r.connect.ttl, undefined);
    assert.equal(r.connect.session, undefined, 'session is for uni/emulation transports only');
    assert.equal(r.connect.node, undefined, 'node is for emulation only');
  });

  it('connect reply announces expires/ttl when the token expires', async () => {
    const r = await call(c, 1, { connect: { token: await token('alice', {}, 120) } });
    assert.equal(r.connect.expires, true);
    assert.ok(r.connect.ttl > 100 && r.connect.ttl <= 120, String(r.connect.ttl));
  });

  it('ignores unknown connect fields (flag, dict, headers, future ones)', async () => {
    const r = await call(c, 1, {
      connect: { token: await token('alice'), flag: 3, dict: { x: 1 }, headers: { a: 'b' }, futureField: [1] },
      futureTopLevel: true,
    });
    assert.match(r.connect.client, UUID);
  });

  it('malformed JSON → 3501', async () => {
    assert.equal(await closeCodeAfter(c, '{"id":1,"connect":'), 3501);
  });

  it('malformed JSON after connect → 3501', async () => {
    await call(c, 1, { connect: { token: await token('alice') } });
    assert.equal(await closeCodeAfter(c, 'not json at all'), 3501);
  });

  it('empty frame → 3501', async () => {
    assert.equal(await closeCodeAfter(c, ''), 3501);
  });

  it('a frame that is not a command object → 3501', async () => {
    assert.equal(await closeCodeAfter(c, '[{"id":1,"connect":{}}]'), 3501);
  });

  it('a command of the wrong type (string id) → 3501', async () => {
    assert.equal(await closeCodeAfter(c, '{"id":"1","connect":{}}'), 3501);
  });

  it('first command not connect → 3501', async () => {
    assert.equal(await closeCodeAfter(c, { id: 1, subscribe: { channel: 'news' } }), 3501);
    assert.equal(c.reply(1), undefined);
  });

  it('an empty command before connect (a pong with nothing to answer) → 3501', async () => {
    assert.equal(await closeCodeAfter(c, '{}'), 3501);
  });

  it('second connect → 3501', async () => {
    await call(c, 1, { connect: { token: await token('alice') } });
    assert.equal(await closeCodeAfter(c, { id: 2, connect: { token: await token('alice') } }), 3501);
    assert.equal(c.reply(2), undefined);
  });

  it('command with an id but no known request field → 3501', async () => {
    await call(c, 1, { connect: { token: await token('alice') } });
    assert.equal(await closeCodeAfter(c, { id: 2, foo: { channel: 'x' } }), 3501);
  });

  it('missing credentials (no token, anonymous not allowed) → 3501', async () => {
    assert.equal(await closeCodeAfter(c, { id: 1, connect: {} }), 3501);
    assert.equal(c.reply(1), undefined);
  });

  it('empty token string counts as no token → 3501', async () => {
    assert.equal(await closeCodeAfter(c, { id: 1, connect: { token: '' } }), 3501);
  });

  it('garbage token → 3500 invalid token', async () => {
    assert.equal(await closeCodeAfter(c, { id: 1, connect: { token: 'not.a.jwt' } }), 3500);
    assert.equal(c.closeReason, 'invalid token');
  });

  it('token signed with another secret → 3500', async () => {
    const good = await token('alice');
    const [h, p] = good.split('.');
    assert.equal(await closeCodeAfter(c, { id: 1, connect: { token: `${h}.${p}.${'A'.repeat(43)}` } }), 3500);
  });

  it('expired token → error reply 109, no close', async () => {
    const expired = await token('alice', { exp: Math.floor(Date.now() / 1000) - 60 }, 0);
    const r = await call(c, 1, { connect: { token: expired } });
    assert.deepEqual(r, { id: 1, error: { code: 109, message: 'token expired' } });
    assert.equal(c.closeCode, null);
  });

  it('anonymous token (sub "") with disallow_anonymous_connection_tokens → 3507', async () => {
    assert.equal(await closeCodeAfter(c, { id: 1, connect: { token: await token('') } }), 3507);
  });

  it('close reasons are plain words, never JSON', async () => {
    await closeCodeAfter(c, 'garbage');
    assert.equal(c.closeReason, 'bad request');
    assert.throws(() => JSON.parse(c.closeReason));
  });

  it('several commands in one frame are processed in order, replies in order', async () => {
    const frame = [
      JSON.stringify({ id: 1, connect: { token: await token('alice') } }),
      JSON.stringify({ id: 2, subscribe: { channel: 'room', flag: 1 } }),
      JSON.stringify({ id: 3, presence: { channel: 'room' } }),
      JSON.stringify({ id: 4, unsubscribe: { channel: 'room' } }),
      JSON.stringify({ id: 5, presence_stats: { channel: 'room' } }),
    ].join('\n');
    c.send(frame);
    await c.waitReply(5);
    const ids = c.messages.filter((m) => m.id).map((m) => m.id);
    assert.deepEqual(ids, [1, 2, 3, 4, 5]);
    const connect = c.reply(1).connect;
    assert.deepEqual(c.reply(2), { id: 2, subscribe: {} });
    // The subscribe right after connect in the same frame saw an authenticated connection,
    // and the presence right after it saw the subscription.
    assert.deepEqual(c.reply(3).presence.presence[connect.client], { user: 'alice', client: connect.client });
    assert.deepEqual(c.reply(4), { id: 4, unsubscribe: {} });
    assert.deepEqual(c.reply(5), { id: 5, presence_stats: { num_clients: 0, num_users: 0 } });
  });

  it('a frame with one trailing newline is accepted', async () => {
    c.send(JSON.stringify({ id: 1, connect: { token: await token('alice') } }) + '\n');
    const r = await c.waitReply(1);
    assert.ok(r.connect);
  });

  it('a bad line in a multi-command frame → 3501', async () => {
    c.send(JSON.stringify({ id: 1, connect: { token: await token('alice') } }) + '\n{oops');
    assert.equal(await c.waitClose(), 3501);
  });

  it('after a 109 connect error the connection accepts nothing more', async () => {
    const expired = await token('alice', { exp: Math.floor(Date.now() / 1000) - 60 }, 0);
    c.send([JSON.stringify({ id: 1, connect: { token: expired } }), JSON.stringify({ id: 2, subscribe: { channel: 'x' } })].join('\n'));
    assertError(await c.waitReply(1), 109);
    c.send({ id: 3, connect: { token: await token('alice') } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.reply(2), undefined);
    assert.equal(c.reply(3), undefined);
  });
});

describe('raw connect: anonymous and insecure-free defaults', () => {
  let ts: TestServer;
  const pool = new ClientPool();
  before(async () => {
    ts = await startServer({ client: { allow_anonymous_connect_without_token: true } });
  });
  after(async () => {
    pool.closeAll();
    await ts.stop();
  });

  it('connect without token when allow_anonymous_connect_without_token', async () => {
    const c = await pool.open(ts.wsUrl);
    const r = await call(c, 1, { connect: {} });
    assert.match(r.connect.client, UUID);
  });

  it('an anonymous token is accepted when not disallowed', async () => {
    const c = await pool.open(ts.wsUrl);
    const r = await call(c, 1, { connect: { token: await token('') } });
    assert.match(r.connect.client, UUID);
  });
});
