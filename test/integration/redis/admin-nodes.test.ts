// The admin across nodes: two Tributary nodes on one Redis. A token from one
// node's login works on the other (one admin.secret), each node's status
// shows both (info and stats from every node), and a channel tail on node A
// shows what is published through node B.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';

let A: TestServer;
let B: TestServer;
let token = '';

before(async () => {
  const prefix = ownRedisPrefix(redisUrl(), 'admin');
  const config = {
    engine: { type: 'redis', redis: { address: [redisUrl()], prefix } },
    admin: { enabled: true, password: 'pw-for-tests', secret: 'one-secret-for-both' },
    channel: { without_namespace: { history_size: 10, history_ttl: 60_000 } },
  } as never;
  A = await startServer(config);
  B = await startServer(config);
  const form = new FormData();
  form.set('password', 'pw-for-tests');
  token = ((await (await fetch(`${A.httpUrl}/admin/auth`, { method: 'POST', body: form })).json()) as { token: string }).token;
});

after(async () => {
  await A?.stop();
  await B?.stop();
  await cleanUp();
});

const auth = () => ({ Authorization: `token ${token}` });

describe('admin on the Redis engine', () => {
  it('a token from A works on B; both list both nodes in info and stats', async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const views = await Promise.all(
        [A, B].map(async (s) => {
          const info = (await (
            await fetch(`${s.httpUrl}/admin/api`, { method: 'POST', headers: auth(), body: '{"method":"info","params":{}}' })
          ).json()) as any;
          const stats = (await (await fetch(`${s.httpUrl}/admin/stats`, { headers: auth() })).json()) as any;
          return { nodes: info.result.nodes.length, withSamples: stats.nodes.filter((n: any) => n.samples.length > 0).length };
        }),
      );
      if (views.every((v) => v.nodes === 2 && v.withSamples === 2)) break;
      if (Date.now() > deadline) assert.fail(`not every node seen with samples: ${JSON.stringify(views)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('a tail on A shows what is published through B', async () => {
    const ctrl = new AbortController();
    const r = await fetch(`${A.httpUrl}/admin/tail`, { method: 'POST', headers: auth(), body: '{"channel":"across"}', signal: ctrl.signal });
    const reader = r.body!.getReader();
    let text = '';
    const until = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`tail ended before ${needle}`);
        text += Buffer.from(value).toString('utf8');
      }
    };
    await until('"type":"live"');
    await B.api('publish', { channel: 'across', data: { from: 'B' } });
    await until('"from":"B"');
    ctrl.abort();
  });
});
