// allow_wildcards with two Tributary processes on one NATS: a client of node A
// subscribed to feed:news.* gets a publication to feed:news.sport published
// through node B, on its wildcard channel with the concrete channel in the
// publication (Centrifugo's Publication.channel); publishing to the wildcard
// channel itself is refused with 107.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { natsUrl } from '../../helpers/nats.js';
import { api, spawnTributary, writeConfig, type Proc } from '../../helpers/process.js';
import { RawClient } from '../../helpers/raw-ws.js';
import { token } from '../../helpers/server.js';
import { natsNodeConfig } from './helpers.js';

const nodes: Proc[] = [];
after(async () => {
  for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
});

describe('NATS wildcard subscriptions (allow_wildcards)', () => {
  it('a client on news.* gets a publication to news.sport through another node, with the concrete channel', async () => {
    const config = natsNodeConfig({ url: natsUrl(), prefix: `wild-${randomBytes(4).toString('hex')}`, allow_wildcards: true });
    (config.channel as { namespaces: unknown[] }).namespaces.push({ name: 'feed', allow_subscribe_for_client: true });
    const file = writeConfig(config);
    const [A, B] = (await Promise.all([spawnTributary(file), spawnTributary(file)])) as [Proc, Proc];
    nodes.push(A, B);
    const c = await RawClient.open(A.wsUrl);
    c.send({ id: 1, connect: { token: await token('wanda') } });
    assert.ok((await c.waitReply(1)).connect, 'connected');
    c.send({ id: 2, subscribe: { channel: 'feed:news.*' } });
    assert.ok((await c.waitReply(2)).subscribe, JSON.stringify(c.reply(2)));
    assert.deepEqual(await api(B.httpUrl, 'publish', { channel: 'feed:news.sport', data: { goal: 1 } }), { result: {} });
    await c.until(() => c.pushes('pub').length === 1, 5000, 'the publication on the wildcard channel');
    assert.deepEqual(c.pushes('pub')[0], { channel: 'feed:news.*', pub: { data: { goal: 1 }, channel: 'feed:news.sport' } });
    assert.deepEqual(await api(B.httpUrl, 'publish', { channel: 'feed:news.*', data: {} }), { error: { code: 107, message: 'bad request' } });
    assert.deepEqual(await Promise.all([A.stop(), B.stop()]), [0, 0]);
  });
});
