// Client commands after connect, with raw frames: subscribe validation,
// publish, presence, history, recovery, rpc/send/ping, unsubscribe, join/leave
// and cleanup after a client dies (client-protocol.md §2.4–§2.6, §3.1, §4, §9;
// server-api.md §2.3–§2.4, §6).

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { RawClient } from '../helpers/raw-ws.js';
import { startServer, token, type TestServer } from '../helpers/server.js';
import { ClientPool, assertError, assertStillOpen, call, closeCodeAfter, sleep } from './raw-util.js';

const HISTORY = { history_size: 10, history_ttl: 60_000 };

describe('raw commands', () => {
  let ts: TestServer;
  const pool = new ClientPool();
  let witness: RawClient;
  let witnessId = 1000;

  before(async () => {
    ts = await startServer({
      channel: {
        without_namespace: { allow_subscribe_for_client: true },
        namespaces: [
          { name: 'pub', allow_subscribe_for_client: true, allow_publish_for_client: true },
          { name: 'pres', allow_subscribe_for_client: true, presence: true, allow_presence_for_client: true },
          { name: 'presnoperm', allow_subscribe_for_client: true, presence: true },
          { name: 'hist', allow_subscribe_for_client: true, ...HISTORY, allow_history_for_client: true },
          { name: 'histnoperm', allow_subscribe_for_client: true, ...HISTORY },
          { name: 'nosub' },
          { name: 'jl', allow_subscribe_for_client: true, presence: true, join_leave: true, force_push_join_leave: true },
          { name: 'rec', allow_subscribe_for_client: true, ...HISTORY, force_recovery: true },
          { name: 'rx', allow_subscribe_for_client: true, channel_regex: '^[a-zé]+$' },
          { name: 'bin', allow_subscribe_for_client: true, publication_data_format: 'binary' },
        ],
      } as never,
    });
    witness = (await pool.connect(ts, 'witness')).c;
  });
  afterEach(async () => {
    await assertStillOpen(witness, witnessId++);
  });
  after(async () => {
    pool.closeAll();
    await ts.stop();
  });

  const connect = (user = 'u1', claims: Record<string, unknown> = {}) => pool.connect(ts, user, claims);

  describe('subscribe', () => {
    it('succeeds with an empty result object on a plain channel', async () => {
      const { c } = await connect();
      assert.deepEqual(await call(c, 2, { subscribe: { channel: 'news' } }), { id: 2, subscribe: {} });
    });

    it('empty channel → 3501', async () => {
      const { c } = await connect();
      assert.equal(await closeCodeAfter(c, { id: 2, subscribe: { channel: '' } }), 3501);
    });

    it('missing channel → 3501', async () => {
      const { c } = await connect();
      assert.equal(await closeCodeAfter(c, { id: 2, subscribe: {} }), 3501);
    });

    it('unknown namespace → 102', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { subscribe: { channel: 'nope:room' } }), 102);
      assert.deepEqual((await call(c, 3, { subscribe: { channel: 'nope:room' } })).error, { code: 102, message: 'unknown channel' });
    });

    it('channel longer than 255 bytes → 107; 255 is fine', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { subscribe: { channel: 'a'.repeat(256) } }), 107);
      assert.deepEqual(await call(c, 3, { subscribe: { channel: 'b'.repeat(255) } }), { id: 3, subscribe: {} });
    });

    it('non-ASCII channel without channel_regex → 107; allowed by a matching channel_regex', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { subscribe: { channel: 'café' } }), 107);
      assert.deepEqual(await call(c, 3, { subscribe: { channel: 'rx:café' } }), { id: 3, subscribe: {} });
      assertError(await call(c, 4, { subscribe: { channel: 'rx:Cafe1' } }), 107);
    });

    it('already subscribed → 105', async () => {
      const { c } = await connect();
      await call(c, 2, { subscribe: { channel: 'dup' } });
      assertError(await call(c, 3, { subscribe: { channel: 'dup' } }), 105);
    });

    it('two subscribes to one channel in one frame → the second gets 105', async () => {
      const { c } = await connect();
      c.send([JSON.stringify({ id: 2, subscribe: { channel: 'dup2' } }), JSON.stringify({ id: 3, subscribe: { channel: 'dup2' } })].join('\n'));
      assert.deepEqual(await c.waitReply(2), { id: 2, subscribe: {} });
      assertError(await c.waitReply(3), 105);
    });

    it('no permission → 103', async () => {
      const { c } = await connect();
      assert.deepEqual((await call(c, 2, { subscribe: { channel: 'nosub:room' } })).error, { code: 103, message: 'permission denied' });
    });

    it('private $ channel without a subscription token → 103', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { subscribe: { channel: '$secret' } }), 103);
    });

    it('private $ channel with a valid subscription token is allowed', async () => {
      const { c } = await connect('u1');
      const subToken = await token('u1', { channel: '$secret' });
      const r = await call(c, 2, { subscribe: { channel: '$secret', token: subToken } });
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.ok(r.subscribe);
    });

    it('unknown delta type → 3501', async () => {
      const { c } = await connect();
      assert.equal(await closeCodeAfter(c, { id: 2, subscribe: { channel: 'news', delta: 'xdelta' } }), 3501);
    });

    it('delta "fossil" on a channel without delta support: subscribed, delta not granted', async () => {
      const { c } = await connect();
      const r = await call(c, 2, { subscribe: { channel: 'news', delta: 'fossil' } });
      assert.ok(r.subscribe);
      assert.notEqual(r.subscribe.delta, true);
    });

    it('type 1 (map subscription) → 108', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { subscribe: { channel: 'news', type: 1 } }), 108);
    });

    it('ignores flag, tf and other unknown fields', async () => {
      const { c } = await connect();
      const r = await call(c, 2, { subscribe: { channel: 'news', flag: 1, tf: { op: 'eq', key: 'a', val: 'b' }, whatever: [1] } });
      assert.deepEqual(r, { id: 2, subscribe: {} });
    });
  });

  describe('unsubscribe', () => {
    it('a channel not subscribed → unsubscribe:{}', async () => {
      const { c } = await connect();
      assert.deepEqual(await call(c, 2, { unsubscribe: { channel: 'never-subscribed' } }), { id: 2, unsubscribe: {} });
    });

    it('stops deliveries', async () => {
      const { c } = await connect();
      await call(c, 2, { subscribe: { channel: 'stop' } });
      assert.deepEqual(await call(c, 3, { unsubscribe: { channel: 'stop' } }), { id: 3, unsubscribe: {} });
      await ts.api('publish', { channel: 'stop', data: { n: 1 } });
      await assertStillOpen(c, 4); // a full round trip after the publish
      assert.equal(c.pushes('pub').length, 0);
    });

    it('empty channel → 3501', async () => {
      const { c } = await connect();
      assert.equal(await closeCodeAfter(c, { id: 2, unsubscribe: { channel: '' } }), 3501);
    });
  });

  describe('publish', () => {
    it('refused without permission → 103', async () => {
      const { c } = await connect();
      await call(c, 2, { subscribe: { channel: 'news' } });
      assertError(await call(c, 3, { publish: { channel: 'news', data: { a: 1 } } }), 103);
    });

    it('allowed with allow_publish_for_client: publish:{} and the publisher gets its publication with info', async () => {
      const { c, client } = await connect('alice', { info: { name: 'Alice' } });
      await call(c, 2, { subscribe: { channel: 'pub:room' } });
      const r = await call(c, 3, { publish: { channel: 'pub:room', data: { text: 'hi', n: 1.5 } } });
      assert.deepEqual(r, { id: 3, publish: {} });
      await c.until(() => c.pushes('pub').length === 1, 2000, 'own publication');
      const push = c.pushes('pub')[0];
      assert.equal(push.channel, 'pub:room');
      assert.deepEqual(push.pub.data, { text: 'hi', n: 1.5 });
      assert.deepEqual(push.pub.info, { user: 'alice', client, conn_info: { name: 'Alice' } });
    });

    it('publication data keeps its bytes (number formatting, key order, escapes)', async () => {
      const { c } = await connect();
      await call(c, 2, { subscribe: { channel: 'pub:bytes' } });
      const got = new Promise<string>((resolve) => {
        // Read the wire text, not the parsed object.
        (c as any).ws.on('message', (d: Buffer) => {
          const s = d.toString();
          if (s.includes('"pub"')) resolve(s);
        });
      });
      c.send('{"id":3,"publish":{"channel":"pub:bytes","data":{"z" : 1.50, "a":"\\u00e9"}}}');
      const wire = await got;
      assert.ok(wire.includes('"data":{"z" : 1.50, "a":"\\u00e9"}'), wire);
    });

    it('a subscriber that did not publish gets the publication too, with the publisher info', async () => {
      const a = await connect('a');
      const b = await connect('b');
      await call(b.c, 2, { subscribe: { channel: 'pub:fan' } });
      assert.deepEqual(await call(a.c, 2, { publish: { channel: 'pub:fan', data: 'plain string' } }), { id: 2, publish: {} });
      await b.c.until(() => b.c.pushes('pub').length === 1);
      assert.deepEqual(b.c.pushes('pub')[0].pub, { data: 'plain string', info: { user: 'a', client: a.client } });
    });
  });

  describe('presence', () => {
    it('presence off → 108 (presence and presence_stats)', async () => {
      const { c } = await connect();
      await call(c, 2, { subscribe: { channel: 'news' } });
      assertError(await call(c, 3, { presence: { channel: 'news' } }), 108);
      assertError(await call(c, 4, { presence_stats: { channel: 'news' } }), 108);
    });

    it('no permission → 103', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { presence: { channel: 'presnoperm:room' } }), 103);
      assertError(await call(c, 3, { presence_stats: { channel: 'presnoperm:room' } }), 103);
    });

    it('unknown namespace → 102', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { presence: { channel: 'nope:room' } }), 102);
    });

    it('lists subscribers with always-present user and client; stats always carry both counts', async () => {
      const { c, client } = await connect('p1');
      assert.deepEqual(await call(c, 2, { presence: { channel: 'pres:empty' } }), { id: 2, presence: { presence: {} } });
      assert.deepEqual(await call(c, 3, { presence_stats: { channel: 'pres:empty' } }), {
        id: 3,
        presence_stats: { num_clients: 0, num_users: 0 },
      });
      await call(c, 4, { subscribe: { channel: 'pres:room' } });
      const r = await call(c, 5, { presence: { channel: 'pres:room' } });
      assert.deepEqual(r.presence.presence[client], { user: 'p1', client });
      assert.deepEqual((await call(c, 6, { presence_stats: { channel: 'pres:room' } })).presence_stats, { num_clients: 1, num_users: 1 });
    });
  });

  describe('history', () => {
    it('history off → 108', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { history: { channel: 'news', limit: -1 } }), 108);
    });

    it('no permission → 103', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { history: { channel: 'histnoperm:x', limit: -1 } }), 103);
    });

    it('returns publications, epoch and offset; limit 0 gives the position only', async () => {
      const { c } = await connect();
      for (let i = 1; i <= 3; i++) assert.equal((await ts.api('publish', { channel: 'hist:a', data: { i } })).status, 200);
      const all = await call(c, 2, { history: { channel: 'hist:a', limit: -1 } });
      assert.deepEqual(
        all.history.publications.map((p: any) => [p.offset, p.data.i]),
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
      );
      assert.equal(all.history.offset, 3);
      assert.equal(typeof all.history.epoch, 'string');
      assert.ok(all.history.epoch.length > 0);
      const pos = await call(c, 3, { history: { channel: 'hist:a' } });
      assert.ok('publications' in pos.history, 'publications is always present');
      assert.equal((pos.history.publications ?? []).length, 0);
      assert.equal(pos.history.offset, 3);
      assert.equal(pos.history.epoch, all.history.epoch);
      const since = await call(c, 4, { history: { channel: 'hist:a', limit: -1, since: { offset: 1, epoch: all.history.epoch } } });
      assert.deepEqual(
        since.history.publications.map((p: any) => p.offset),
        [2, 3],
      );
    });

    it('since with another epoch → 112', async () => {
      const { c } = await connect();
      await ts.api('publish', { channel: 'hist:b', data: { i: 1 } });
      const r = await call(c, 2, { history: { channel: 'hist:b', limit: -1, since: { offset: 0, epoch: 'not-the-epoch' } } });
      assert.deepEqual(r.error, { code: 112, message: 'unrecoverable position' });
    });

    it('reverse with since.offset 0 → 107', async () => {
      const { c } = await connect();
      const top = await call(c, 2, { history: { channel: 'hist:c' } });
      assertError(await call(c, 3, { history: { channel: 'hist:c', reverse: true, since: { offset: 0, epoch: top.history.epoch } } }), 107);
    });
  });

  describe('recovery and positioning (§4)', () => {
    it('subscribe result is positioned/recoverable with epoch; the offset-1 publication carries the epoch', async () => {
      const { c } = await connect();
      const r = await call(c, 2, { subscribe: { channel: 'rec:one' } });
      assert.equal(r.subscribe.recoverable, true);
      assert.equal(r.subscribe.positioned, true);
      assert.equal(typeof r.subscribe.epoch, 'string');
      assert.equal(r.subscribe.offset ?? 0, 0);
      await ts.api('publish', { channel: 'rec:one', data: { n: 1 } });
      await ts.api('publish', { channel: 'rec:one', data: { n: 2 } });
      await c.until(() => c.pushes('pub').length === 2);
      const [p1, p2] = c.pushes('pub');
      assert.deepEqual(p1.pub, { data: { n: 1 }, offset: 1, epoch: r.subscribe.epoch });
      assert.deepEqual(p2.pub, { data: { n: 2 }, offset: 2 });
    });

    it('recovers missed publications after resubscribe; offset is the client offset', async () => {
      const { c } = await connect();
      const first = await call(c, 2, { subscribe: { channel: 'rec:two' } });
      const epoch = first.subscribe.epoch;
      await ts.api('publish', { channel: 'rec:two', data: { n: 1 } });
      await c.until(() => c.pushes('pub').length === 1);
      await call(c, 3, { unsubscribe: { channel: 'rec:two' } });
      await ts.api('publish', { channel: 'rec:two', data: { n: 2 } });
      await ts.api('publish', { channel: 'rec:two', data: { n: 3 } });
      const r = await call(c, 4, { subscribe: { channel: 'rec:two', recover: true, offset: 1, epoch } });
      assert.equal(r.subscribe.recovered, true);
      assert.equal(r.subscribe.was_recovering, true);
      assert.equal(r.subscribe.epoch, epoch);
      assert.equal(r.subscribe.offset, 1);
      assert.deepEqual(
        r.subscribe.publications.map((p: any) => [p.offset, p.data.n]),
        [
          [2, 2],
          [3, 3],
        ],
      );
      // Live flow continues after the recovered ones.
      await ts.api('publish', { channel: 'rec:two', data: { n: 4 } });
      await c.until(() => c.pushes('pub').length === 2);
      assert.equal(c.pushes('pub')[1].pub.offset, 4);
    });

    it('an epoch mismatch is not recovered, but not an error', async () => {
      const { c } = await connect();
      await ts.api('publish', { channel: 'rec:three', data: { n: 1 } });
      const r = await call(c, 2, { subscribe: { channel: 'rec:three', recover: true, offset: 0, epoch: '_' } });
      assert.equal(r.error, undefined);
      assert.notEqual(r.subscribe.recovered, true);
      assert.equal(r.subscribe.was_recovering, true);
      assert.equal((r.subscribe.publications ?? []).length, 0);
      assert.equal(r.subscribe.offset, 1);
    });

    it('a client asking recoverable/positioned gets them with history access', async () => {
      const { c } = await connect();
      const r = await call(c, 2, { subscribe: { channel: 'hist:ask', recoverable: true, positioned: true } });
      assert.equal(r.subscribe.recoverable, true);
      assert.equal(r.subscribe.positioned, true);
    });

    it(
      'a client asking recoverable/positioned without allow_recovery/allow_positioning or history access does not get them',
      // client-protocol.md §4.1.
      async () => {
        const { c } = await connect();
        assertError(await call(c, 2, { history: { channel: 'histnoperm:ask' } }), 103);
        const r = await call(c, 3, { subscribe: { channel: 'histnoperm:ask', recoverable: true, positioned: true } });
        assert.ok(r.subscribe, JSON.stringify(r));
        assert.notEqual(r.subscribe.recoverable, true);
        assert.notEqual(r.subscribe.positioned, true);
      },
    );

    it('flag bit 2 (reject unrecovered) with an epoch mismatch → 112', async () => {
      const { c } = await connect();
      await ts.api('publish', { channel: 'rec:four', data: { n: 1 } });
      const r = await call(c, 2, { subscribe: { channel: 'rec:four', recover: true, offset: 0, epoch: '_', flag: 3 } });
      assertError(r, 112);
    });
  });

  describe('rpc, send, ping', () => {
    it('rpc without an RPC handler → 108', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { rpc: { method: 'sum', data: { a: 1 } } }), 108);
    });

    it('send (no id) without a message handler → close 3508', async () => {
      const { c } = await connect();
      assert.equal(await closeCodeAfter(c, { send: { data: { a: 1 } } }), 3508);
    });

    it('ping command → 108', async () => {
      const { c } = await connect();
      assertError(await call(c, 2, { ping: {} }), 108);
    });
  });

  describe('join/leave pushes (join_leave + force_push_join_leave)', () => {
    it('a subscriber sees others join and leave, with ClientInfo', async () => {
      const a = await connect('ja');
      await call(a.c, 2, { subscribe: { channel: 'jl:room' } });
      const b = await connect('jb', { info: { role: 'guest' } });
      await call(b.c, 2, { subscribe: { channel: 'jl:room' } });
      await a.c.until(() => a.c.pushes('join').some((p) => p.join.info.client === b.client), 2000, 'join of b');
      const join = a.c.pushes('join').find((p) => p.join.info.client === b.client);
      assert.deepEqual(join, { channel: 'jl:room', join: { info: { user: 'jb', client: b.client, conn_info: { role: 'guest' } } } });
      await call(b.c, 3, { unsubscribe: { channel: 'jl:room' } });
      await a.c.until(() => a.c.pushes('leave').some((p) => p.leave.info.client === b.client), 2000, 'leave of b');
      const leave = a.c.pushes('leave').find((p) => p.leave.info.client === b.client);
      assert.deepEqual(leave, { channel: 'jl:room', leave: { info: { user: 'jb', client: b.client, conn_info: { role: 'guest' } } } });
    });

    it('a leave is pushed when a subscriber dies', async () => {
      const a = await connect('ja');
      await call(a.c, 2, { subscribe: { channel: 'jl:die' } });
      const b = await connect('jb');
      await call(b.c, 2, { subscribe: { channel: 'jl:die' } });
      await a.c.until(() => a.c.pushes('join').some((p) => p.join.info.client === b.client));
      b.c.terminate();
      await a.c.until(() => a.c.pushes('leave').some((p) => p.leave.info.client === b.client), 2000, 'leave of b');
    });

    it('without join_leave on the channel, no join/leave pushes even if asked', async () => {
      const a = await connect('ja');
      await call(a.c, 2, { subscribe: { channel: 'pres:quiet', join_leave: true } });
      const b = await connect('jb');
      await call(b.c, 2, { subscribe: { channel: 'pres:quiet' } });
      await call(b.c, 3, { unsubscribe: { channel: 'pres:quiet' } });
      await assertStillOpen(a.c, 3);
      assert.equal(a.c.pushes('join').length + a.c.pushes('leave').length, 0);
    });
  });

  describe('cleanup after a client dies', () => {
    it('its presence entries and subscriptions are gone', async () => {
      const nodeInfo = async () => (await ts.api('info', {})).json.result.nodes[0];
      const before = await nodeInfo();
      const { c, client } = await connect('dies');
      await call(c, 2, { subscribe: { channel: 'pres:graveyard' } });
      await call(c, 3, { subscribe: { channel: 'graveyard-plain' } });
      const presence = await ts.api('presence', { channel: 'pres:graveyard' });
      assert.deepEqual(presence.json.result.presence[client], { user: 'dies', client });
      const channels = (await ts.api('channels', {})).json.result.channels;
      assert.ok(channels['pres:graveyard'] && channels['graveyard-plain'], JSON.stringify(channels));
      const during = await nodeInfo();
      assert.equal(during.num_clients, before.num_clients + 1);
      assert.equal(during.num_subs, before.num_subs + 2);

      c.terminate();
      const deadline = Date.now() + 2000;
      for (;;) {
        const p = (await ts.api('presence', { channel: 'pres:graveyard' })).json.result.presence;
        const ch = (await ts.api('channels', {})).json.result.channels;
        const info = await nodeInfo();
        if (!p[client] && !ch['pres:graveyard'] && !ch['graveyard-plain'] && info.num_clients === before.num_clients && info.num_subs === before.num_subs) {
          break;
        }
        if (Date.now() > deadline) assert.fail(`not cleaned up: presence=${JSON.stringify(p)} channels=${JSON.stringify(ch)} info=${JSON.stringify(info)}`);
        await sleep(20);
      }
      assert.deepEqual((await ts.api('presence_stats', { channel: 'pres:graveyard' })).json.result, { num_clients: 0, num_users: 0 });
    });
  });

  describe('JSON framing of what the server sends', () => {
    it('API payloads with newlines reach JSON clients as one valid line', async () => {
      const { c } = await connect();
      await call(c, 2, { subscribe: { channel: 'nl' } });
      const r = await ts.api('publish', '{"channel":"nl","data":{\n  "a": [1,\n 2]\n}}');
      assert.equal(r.status, 200, r.text);
      await c.until(() => c.pushes('pub').length === 1);
      assert.deepEqual(c.pushes('pub')[0].pub.data, { a: [1, 2] });
    });

    it(
      'binary (non-JSON) publication data to a JSON connection → 3506, never an invalid frame',
      // client-protocol.md §2.2/§9.
      async () => {
        const { client } = await connect('binreader');
        void client;
        // A plain socket, so an invalid frame is observed instead of crashing a JSON parser.
        const ws = new WebSocket(ts.wsUrl);
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        const frames: string[] = [];
        let closeCode = 0;
        ws.on('message', (d: Buffer) => frames.push(d.toString('utf8')));
        const closed = new Promise<void>((resolve) => ws.on('close', (code: number) => ((closeCode = code), resolve())));
        ws.send(JSON.stringify({ id: 1, connect: { token: await token('binreader') } }));
        ws.send(JSON.stringify({ id: 2, subscribe: { channel: 'bin:raw' } }));
        await sleep(100);
        const r = await ts.api('publish', { channel: 'bin:raw', b64data: Buffer.from([0x00, 0xff, 0x0a, 0x22]).toString('base64') });
        assert.equal(r.status, 200, r.text);
        await Promise.race([closed, sleep(1000)]);
        ws.terminate();
        for (const f of frames) for (const line of f.split('\n')) assert.doesNotThrow(() => JSON.parse(line), `invalid JSON frame ${JSON.stringify(line)}`);
        assert.equal(closeCode, 3506);
      },
    );
  });
});
