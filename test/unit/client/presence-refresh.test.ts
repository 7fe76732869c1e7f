// Each subscription with presence re-adds its entry every
// client.presence_update_interval, so engines whose presence expires (Redis)
// keep live clients listed. Checked with a real server and a recording presence manager.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { defaultChannelOptions } from '../../../src/config/schema.js';
import { MemoryPresenceManager } from '../../../src/engines/memory/memory-presence-manager.js';
import { Metrics } from '../../../src/metrics.js';
import type { ClientInfo } from '../../../src/protocol/types.js';
import { Server } from '../../../src/server.js';
import { eventually } from '../../helpers/cluster.js';
import { RawClient } from '../../helpers/raw-ws.js';
import { testConfig, token } from '../../helpers/server.js';

const INTERVAL = 300;

class RecordingPresenceManager extends MemoryPresenceManager {
  readonly adds: Array<{ channel: string; clientId: string; info: ClientInfo }> = [];
  /** Adds after this many succeed fail (undefined: never). */
  failAfter: number | undefined;
  /** Delay before an add lands, to let an unsubscribe overtake it. */
  addDelayMs = 0;

  override async addPresence(channel: string, clientId: string, info: ClientInfo): Promise<void> {
    this.adds.push({ channel, clientId, info });
    if (this.failAfter !== undefined && this.adds.length > this.failAfter) throw new Error('presence backend down');
    if (this.addDelayMs > 0) await new Promise((r) => setTimeout(r, this.addDelayMs));
    return super.addPresence(channel, clientId, info);
  }

  addsFor(clientId: string, channel: string): number {
    return this.adds.filter((a) => a.clientId === clientId && a.channel === channel).length;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('presence refresh', () => {
  let server: Server;
  let presence: RecordingPresenceManager;
  let wsUrl: string;
  const logLines: string[] = [];
  const opened: RawClient[] = [];
  let seq = 0;

  before(async () => {
    presence = new RecordingPresenceManager();
    const config = testConfig({
      client: { presence_update_interval: INTERVAL },
      channel: {
        without_namespace: { allow_subscribe_for_client: true },
        namespaces: [{ ...defaultChannelOptions(), name: 'pres', presence: true, allow_subscribe_for_client: true }],
      },
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    server = new Server(config, { logger: pino({ level: 'error' }, sink), metrics: new Metrics({ defaultMetrics: false }), presenceManager: presence });
    await server.start();
    wsUrl = `ws://127.0.0.1:${server.port}/connection/websocket`;
  });

  after(async () => {
    for (const c of opened) c.terminate();
    await server.stop();
  });

  async function subscribed(channel: string, info: Record<string, unknown> = {}): Promise<{ c: RawClient; id: string }> {
    const c = await RawClient.open(wsUrl);
    opened.push(c);
    c.send({ id: 1, connect: { token: await token(`u${++seq}`, { info }) } });
    const r = await c.waitReply(1);
    c.send({ id: 2, subscribe: { channel } });
    assert.ok((await c.waitReply(2)).subscribe, 'subscribed');
    return { c, id: r.connect.client };
  }

  it('re-adds presence every interval (the first within 50–100 % of it) with the current info', async () => {
    const ch = `pres:a${++seq}`;
    const started = Date.now();
    const { id } = await subscribed(ch, { n: 1 });
    assert.equal(presence.addsFor(id, ch), 1, 'the subscribe itself');
    await eventually(() => presence.addsFor(id, ch) === 2, 2000, 'first refresh');
    const first = Date.now() - started;
    // The wheel ticks every 200 ms, so allow for one tick of lateness.
    assert.ok(first >= INTERVAL / 2 - 50 && first <= INTERVAL + 400, `first refresh after ${first} ms`);
    await eventually(() => presence.addsFor(id, ch) >= 4, 3000, 'more refreshes');
    const last = presence.adds.filter((a) => a.clientId === id).at(-1)!;
    assert.deepEqual(last.info.connInfo, Buffer.from('{"n":1}'));
    assert.ok((await server.node.presence(ch)).has(id));
  });

  it('does nothing for subscriptions without presence', async () => {
    const ch = `plain${++seq}`;
    const { id } = await subscribed(ch);
    await sleep(INTERVAL * 2.5);
    assert.equal(presence.addsFor(id, ch), 0);
  });

  it('stops on unsubscribe and on disconnect', async () => {
    const ch = `pres:b${++seq}`;
    const one = await subscribed(ch);
    const two = await subscribed(ch);
    await eventually(() => presence.addsFor(one.id, ch) >= 2 && presence.addsFor(two.id, ch) >= 2, 2000, 'refreshing');
    one.c.send({ id: 3, unsubscribe: { channel: ch } });
    await one.c.waitReply(3);
    two.c.close();
    await eventually(() => !server.node.select({ user: `u${seq}` }).length, 2000, 'disconnected');
    const counts = [presence.addsFor(one.id, ch), presence.addsFor(two.id, ch)];
    await sleep(INTERVAL * 2.5);
    assert.deepEqual([presence.addsFor(one.id, ch), presence.addsFor(two.id, ch)], counts);
    assert.equal((await server.node.presence(ch)).size, 0);
    assert.equal(one.c.closeCode, null, 'the unsubscribed client stays connected');
  });

  it('an add still in flight when the client unsubscribes does not leave an entry behind', async () => {
    const ch = `pres:c${++seq}`;
    const { c, id } = await subscribed(ch);
    presence.addDelayMs = INTERVAL * 2;
    try {
      await eventually(() => presence.addsFor(id, ch) === 2, 2000, 'refresh started');
      c.send({ id: 3, unsubscribe: { channel: ch } });
      await c.waitReply(3);
      await sleep(INTERVAL * 2 + 100);
      assert.equal((await server.node.presence(ch)).has(id), false);
    } finally {
      presence.addDelayMs = 0;
    }
  });

  it('a failing update is logged; the connection stays and later updates are still tried', async () => {
    const ch = `pres:d${++seq}`;
    const { c, id } = await subscribed(ch);
    presence.failAfter = presence.adds.length;
    try {
      await eventually(() => presence.addsFor(id, ch) >= 3, 3000, 'two failed refreshes');
      await eventually(() => logLines.some((l) => l.includes('presence update failed')), 1000, 'error logged');
      assert.equal(c.closeCode, null);
      c.send({ id: 4, subscribe: { channel: `other${seq}` } });
      assert.ok((await c.waitReply(4)).subscribe, 'the connection still works');
    } finally {
      presence.failAfter = undefined;
    }
  });
});
