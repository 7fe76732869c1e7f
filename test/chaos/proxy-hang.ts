// An application backend that stops answering. One node asks the backend
// about subscriptions and publications in `hang:` and about every RPC call;
// meanwhile an API publisher and an SDK subscriber use `room:` (no proxy).
// While the backend hangs, every proxied call must get error 100 once the
// proxy timeout (1 s) has passed — not earlier, not much later — the node
// must stay healthy and the other traffic must not lose, repeat or reorder
// anything; once the backend answers again, proxied calls succeed again.

import { nodeProcessConfig, sleep, steadyPublisher } from '../helpers/process.js';
import { ProxyBackend } from '../helpers/proxy-backend.js';
import { RawClient } from '../helpers/raw-ws.js';
import { token } from '../helpers/server.js';
import { healthSummary, healthWatch, historyIds, uniqueName } from './nodes.js';
import { checkCounts, Verdict } from './outcome.js';
import { settle, type Scenario } from './scenario.js';
import { tally } from './tally.js';
import { sdkWatcher } from './watcher.js';

const TIMEOUT_MS = 1000;
const CLIENTS = 10;
const KEEP = { history_size: 100_000, history_ttl: '600s' };

/**
 * One round per client: subscribe, publish and RPC in `hang:`, each answered
 * (ms from its own send, error code or 0 for success). A connection's
 * commands are handled one after another (as in Centrifugo), so each call
 * goes out once the previous one is answered; the clients run side by side.
 */
async function round(clients: { raw: RawClient; nextId: number }[], tag: string): Promise<{ ms: number; code: number }[]> {
  const perClient = clients.map(async (c, k) => {
    const commands = [
      { subscribe: { channel: `hang:${tag}-${k}` } },
      { publish: { channel: `hang:${tag}-${k}`, data: { k } } },
      { rpc: { method: 'work', data: { k } } },
    ];
    const answers: { ms: number; code: number }[] = [];
    for (const command of commands) {
      const id = c.nextId++;
      const started = Date.now();
      c.raw.send({ id, ...command });
      const reply = await c.raw.waitReply(id, TIMEOUT_MS + 5000);
      answers.push({ ms: Date.now() - started, code: reply.error?.code ?? 0 });
    }
    return answers;
  });
  return (await Promise.all(perClient)).flat();
}

export const proxyHang: Scenario = {
  name: 'proxy-hang',
  summary: 'subscribe, publish and RPC proxy backend stops answering while other clients keep publishing and receiving',
  services: [],
  async run(ctx) {
    const v = new Verdict();
    const backend = await ProxyBackend.http();
    const proxy = (type: 'subscribe' | 'publish' | 'rpc') => ({ endpoint: backend.endpoint(type), timeout: `${TIMEOUT_MS}ms` });
    try {
      backend.on('subscribe', { json: { result: {} } });
      backend.on('publish', { json: { result: {} } });
      backend.on('rpc', { json: { result: { data: { ok: true } } } });
      const node = await ctx.nodes.start(
        nodeProcessConfig({
          channel: {
            proxy: { subscribe: proxy('subscribe'), publish: proxy('publish') },
            namespaces: [
              { name: 'hang', subscribe_proxy_enabled: true, publish_proxy_enabled: true },
              { name: 'room', allow_subscribe_for_client: true, force_recovery: true, ...KEEP },
            ],
          },
          rpc: { proxy: proxy('rpc'), without_namespace: { proxy_enabled: true } },
        }),
      );
      const clients: { raw: RawClient; nextId: number }[] = [];
      for (let k = 0; k < CLIENTS; k++) {
        const raw = await RawClient.open(node.wsUrl);
        raw.send({ id: 1, connect: { token: await token(`proxied-${k}`) } });
        await raw.waitReply(1, 5000);
        clients.push({ raw, nextId: 2 });
      }
      const channel = `room:${uniqueName('ph')}`;
      const watcher = await sdkWatcher(node.wsUrl, channel);
      const health = healthWatch(node.httpUrl);
      const publisher = steadyPublisher(node.httpUrl, channel);

      const before = await round(clients, 'before');
      v.check(
        before.every((c) => c.code === 0),
        'proxied calls succeed before the hang',
      );
      backend.on('subscribe', { hang: true });
      backend.on('publish', { hang: true });
      backend.on('rpc', { hang: true });
      const hung: { ms: number; code: number }[] = [];
      const hangUntil = Date.now() + ctx.seconds * 600;
      for (let r = 0; Date.now() < hangUntil; r++) hung.push(...(await round(clients, `hung${r}`)));
      backend.on('subscribe', { json: { result: {} } });
      backend.on('publish', { json: { result: {} } });
      backend.on('rpc', { json: { result: { data: { ok: true } } } });
      const afterwards = await round(clients, 'after');
      v.check(
        afterwards.every((c) => c.code === 0),
        'proxied calls succeed once the backend answers again',
      );
      await sleep(500);
      await publisher.stop();
      await health.stop();
      const { acked, failures } = publisher;
      await settle(() => watcher.received.length >= acked.length, 10_000);
      await sleep(300);
      const history = tally(acked, [await historyIds(node.httpUrl, channel)]);
      const subscribers = tally(acked, [watcher.received]);
      watcher.close();
      for (const c of clients) c.raw.close();

      const codes = new Map<number, number>();
      for (const c of hung) codes.set(c.code, (codes.get(c.code) ?? 0) + 1);
      const times = hung.map((c) => c.ms).sort((x, y) => x - y);
      v.note(
        `${hung.length} proxied calls while the backend hung: ${[...codes].map(([c, n]) => `${n}× ${c === 0 ? 'success' : `error ${c}`}`).join(', ')}; ` +
          `answered after ${times[0]}–${times.at(-1)} ms`,
      );
      v.note(`other traffic: ${failures.length} API publishes failed; node /health every 250 ms: ${healthSummary(health.seen)}`);
      v.check(hung.length > 0 && codes.get(100) === hung.length, 'every proxied call during the hang answered 100');
      v.check(times[0]! >= TIMEOUT_MS - 50 && times.at(-1)! <= TIMEOUT_MS + 2000, `…after the ${TIMEOUT_MS} ms timeout, within 2 s more`);
      v.check(
        health.seen.every((s) => s === 200),
        'the node stayed healthy',
      );
      v.check(failures.length === 0, 'no API publish failed');
      checkCounts(v, 'history', history);
      checkCounts(v, 'subscriber', subscribers);
      v.check(ctx.nodes.crashed().length === 0 && node.proc.exitCode === null, 'the node did not crash');
      return v.outcome({ sent: acked.length + failures.length, acked: acked.length, history, subscribers });
    } finally {
      await backend.stop();
    }
  },
};
