// Timers and limits with raw frames: app-level ping/pong, stale connections,
// inbound message size, per-user connection and per-client channel limits,
// allowed origins (client-protocol.md §1.1–§1.3; server-api.md §2.5, §7).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RawClient } from '../helpers/raw-ws.js';
import { startServer, token, type TestServer } from '../helpers/server.js';
import { ClientPool, assertError, assertStillOpen, call, closeCodeAfter, sleep } from './raw-util.js';

const PING_MS = 1000;
const PONG_MS = 500;
const STALE_MS = 500;
const SIZE_LIMIT = 1024;

/** Counts app-level pings (empty `{}` replies) a raw client has received. */
const pings = (c: RawClient) => c.messages.filter((m) => Object.keys(m).length === 0).length;

describe('raw limits', () => {
  let ts: TestServer;
  const pool = new ClientPool();
  let witness: RawClient;
  let witnessId = 1000;
  /** The witness must answer pings too, or it would be closed by the pong check. */
  let witnessPonger: NodeJS.Timeout;

  before(async () => {
    ts = await startServer({
      client: {
        ping_interval: PING_MS,
        pong_timeout: PONG_MS,
        stale_close_delay: STALE_MS,
        user_connection_limit: 1,
        channel_limit: 3,
      },
      websocket: { message_size_limit: SIZE_LIMIT },
      channel: { without_namespace: { allow_subscribe_for_client: true } } as never,
    });
    witness = (await pool.connect(ts, 'witness')).c;
    let answered = 0;
    witnessPonger = setInterval(() => {
      for (const n = pings(witness); answered < n; answered++) witness.send('{}');
    }, 20);
  });
  after(async () => {
    clearInterval(witnessPonger);
    pool.closeAll();
    await ts.stop();
  });

  describe('ping/pong and stale (timers run concurrently)', { concurrency: true }, () => {
    it('connect announces ping in seconds and pong:true', async () => {
      const { c } = await pool.connect(ts, 'announce');
      assert.equal(c.reply(1).connect.ping, PING_MS / 1000);
      assert.equal(c.reply(1).connect.pong, true);
    });

    it('app-level ping {} arrives; an empty {} pong keeps the connection', async () => {
      const { c } = await pool.connect(ts, 'ponger');
      const t0 = Date.now();
      await c.until(() => pings(c) >= 1, PING_MS + 1000, 'first ping');
      const firstAfter = Date.now() - t0;
      // The first ping is spread over [interval/2, interval) (+ timer resolution).
      assert.ok(firstAfter >= PING_MS / 2 - 50, `first ping after ${firstAfter} ms`);
      c.send('{}');
      await c.until(() => pings(c) >= 2, PING_MS + 1000, 'second ping');
      c.send({}); // the same empty command, as an object
      await sleep(PONG_MS + 300);
      assert.equal(c.closeCode, null, `closed with ${c.closeCode}`);
      await assertStillOpen(c, 2);
    });

    it('no pong → 3012 "no pong"', async () => {
      const { c } = await pool.connect(ts, 'silent');
      const code = await c.waitClose(PING_MS + PONG_MS + 1000);
      assert.equal(code, 3012);
      assert.equal(c.closeReason, 'no pong');
      assert.ok(pings(c) >= 1, 'a ping came before the close');
    });

    it('no connect within stale_close_delay → 3502 "stale", not before', async () => {
      const t0 = Date.now();
      const c = await pool.open(ts.wsUrl);
      const code = await c.waitClose(STALE_MS + 1000);
      const elapsed = Date.now() - t0;
      assert.equal(code, 3502);
      assert.equal(c.closeReason, 'stale');
      assert.ok(elapsed >= STALE_MS - 50, `closed after ${elapsed} ms`);
    });

    it('a connected client is never closed as stale', async () => {
      const { c } = await pool.connect(ts, 'notstale');
      c.send('{}'); // an unsolicited pong: harmless either way for this check
      await sleep(STALE_MS + 200);
      // It may have been pinged meanwhile; answer so the pong check does not interfere.
      if (pings(c) > 0) c.send('{}');
      assert.equal(c.closeCode === 3502, false);
    });
  });

  describe('message size', () => {
    it('a frame over websocket.message_size_limit → close 1009; other clients unaffected', async () => {
      const { c } = await pool.connect(ts, 'big');
      const other = await pool.connect(ts, 'bystander');
      await call(other.c, 2, { subscribe: { channel: 'size-room' } });
      const frame = JSON.stringify({ id: 2, publish: { channel: 'size-room', data: { pad: 'x'.repeat(SIZE_LIMIT) } } });
      assert.equal(await closeCodeAfter(c, frame), 1009);
      await assertStillOpen(other.c, 3);
      const r = await ts.api('publish', { channel: 'size-room', data: { after: true } });
      assert.equal(r.status, 200);
      await other.c.until(() => other.c.pushes('pub').length === 1);
    });

    it('an oversize frame before connect → 1009', async () => {
      const c = await pool.open(ts.wsUrl);
      assert.equal(await closeCodeAfter(c, Buffer.alloc(SIZE_LIMIT + 1, 0x20)), 1009);
    });

    it('a frame just under the limit is processed', async () => {
      const { c } = await pool.connect(ts, 'justunder');
      const base = JSON.stringify({ id: 2, publish: { channel: 'size-room', data: { pad: '' } } });
      const frame = JSON.stringify({ id: 2, publish: { channel: 'size-room', data: { pad: 'x'.repeat(SIZE_LIMIT - base.length) } } });
      assert.equal(Buffer.byteLength(frame), SIZE_LIMIT);
      assertError(await (async () => (c.send(frame), c.waitReply(2)))(), 103);
    });
  });

  describe('user_connection_limit', () => {
    it('one more connection of the same user → 3504; others and the first stay', async () => {
      const first = await pool.connect(ts, 'limited');
      const second = await pool.open(ts.wsUrl);
      assert.equal(await closeCodeAfter(second, { id: 1, connect: { token: await token('limited') } }), 3504);
      assert.equal(second.closeReason, 'connection limit');
      await assertStillOpen(first.c, 2);
      // Another user is not affected by this user's limit.
      await pool.connect(ts, 'not-limited');
      // Once the first one leaves, the user may connect again.
      first.c.terminate();
      await sleep(50);
      const again = await pool.open(ts.wsUrl);
      const r = await call(again, 1, { connect: { token: await token('limited') } });
      assert.ok(r.connect, JSON.stringify(r));
    });
  });

  describe('channel_limit', () => {
    it('a client-side subscribe past channel_limit → 106', async () => {
      const { c } = await pool.connect(ts, 'many-channels');
      for (let i = 0; i < 3; i++) assert.ok((await call(c, 2 + i, { subscribe: { channel: `lim-${i}` } })).subscribe);
      assert.deepEqual((await call(c, 5, { subscribe: { channel: 'lim-3' } })).error, { code: 106, message: 'limit exceeded' });
      // Unsubscribing frees a slot.
      await call(c, 6, { unsubscribe: { channel: 'lim-0' } });
      assert.ok((await call(c, 7, { subscribe: { channel: 'lim-3' } })).subscribe);
    });
  });

  describe('allowed_origins empty (default)', () => {
    it('a browser Origin is refused at the handshake; no Origin is accepted', async () => {
      await assert.rejects(pool.open(ts.wsUrl, { origin: 'http://evil.example' }), /HTTP 403/);
      const c = await pool.open(ts.wsUrl);
      assert.equal(c.closeCode, null);
      await assertStillOpen(witness, witnessId++);
    });
  });
});

describe('raw limits: allowed_origins', () => {
  let star: TestServer;
  let globbed: TestServer;
  const pool = new ClientPool();
  before(async () => {
    star = await startServer({ client: { allowed_origins: ['*'] } });
    globbed = await startServer({ client: { allowed_origins: ['https://*.example.com', 'http://localhost:[0-9]*'] } });
  });
  after(async () => {
    pool.closeAll();
    await star.stop();
    await globbed.stop();
  });

  it('"*" allows any origin', async () => {
    const c = await pool.open(star.wsUrl, { origin: 'https://anything.test' });
    const r = await call(c, 1, { connect: { token: await token('o1') } });
    assert.ok(r.connect);
  });

  it('glob patterns allow matching origins, case-insensitively', async () => {
    for (const origin of ['https://app.example.com', 'HTTPS://Admin.Example.COM', 'http://localhost:3000']) {
      const c = await pool.open(globbed.wsUrl, { origin });
      assert.equal(c.closeCode, null, origin);
    }
  });

  it('glob patterns refuse other origins at the handshake', async () => {
    for (const origin of ['https://example.com', 'http://app.example.com', 'https://app.example.com.evil.net', 'http://localhost', 'null']) {
      await assert.rejects(pool.open(globbed.wsUrl, { origin }), /HTTP 403/, origin);
    }
    // Without an Origin header (non-browser client) the connection is allowed.
    const c = await pool.open(globbed.wsUrl);
    assert.ok((await call(c, 1, { connect: { token: await token('o2') } })).connect);
  });
});
