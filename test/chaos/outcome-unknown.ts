// "Error 100 means outcome unknown, not not applied" (README), measured. One
// node on the Redis engine with a 1 s io_timeout; redis-server is frozen
// (SIGSTOP) and a burst of publishes, each with its own idempotency_key, goes
// to the HTTP API. They are answered 100 once the timeout has passed, while
// their commands wait in Redis' socket buffers; after SIGCONT, history says
// how many were applied all the same. Then each is retried with the same key,
// as the README tells an application to do. What must hold: a publish
// answered 100 is in history at most once, a retry never adds a second copy
// (it answers with the first attempt's offset when that one was applied), and
// after the retries every publication is in history exactly once. The same
// burst without keys, retried the same way, shows what the key prevents.

import { api, sleep } from '../helpers/process.js';
import { healthStatus, historyIds, redisNodeConfig, uniqueName } from './nodes.js';
import { Verdict } from './outcome.js';
import { settle, type Scenario } from './scenario.js';
import { ensureService, flushChaosRedis, freezeRedis, thawRedis } from './services.js';
import { tally } from './tally.js';

const BURST = 50;
const IO_TIMEOUT_MS = 1000;
const FROZEN_MS = 3000;

interface Answer {
  i: number;
  ms: number;
  code: number;
  offset?: number;
}

async function publish(httpUrl: string, channel: string, i: number, key?: string): Promise<Answer> {
  const started = Date.now();
  const r = await api(httpUrl, 'publish', { channel, data: { i }, ...(key === undefined ? {} : { idempotency_key: key }) });
  return { i, ms: Date.now() - started, code: r.error?.code ?? 0, offset: r.result?.offset };
}

/** Publishes `count` numbered publications at once while Redis is frozen (for at least FROZEN_MS), then waits for the node to be healthy. */
async function frozenBurst(
  httpUrl: string,
  channel: string,
  from: number,
  count: number,
  key?: (i: number) => string,
): Promise<{ answers: Answer[]; healthy: boolean }> {
  let answers: Answer[];
  freezeRedis();
  try {
    const frozenAt = Date.now();
    answers = await Promise.all(Array.from({ length: count }, (_, k) => publish(httpUrl, channel, from + k, key?.(from + k))));
    await sleep(Math.max(0, FROZEN_MS - (Date.now() - frozenAt)));
  } finally {
    thawRedis();
  }
  return { answers, healthy: await settle(async () => (await healthStatus(httpUrl)) === 200, 30_000) };
}

async function historyOffsets(httpUrl: string, channel: string): Promise<Map<number, number>> {
  const r = await api(httpUrl, 'history', { channel, limit: -1 });
  return new Map(((r.result?.publications ?? []) as { data: { i: number }; offset: number }[]).map((p) => [p.data.i, p.offset]));
}

export const outcomeUnknown: Scenario = {
  name: 'outcome-unknown',
  summary: `publishes answered 100 while Redis is frozen (io_timeout ${IO_TIMEOUT_MS / 1000} s): how many were applied, and whether retries with the same idempotency_key duplicate`,
  services: ['redis'],
  async run(ctx) {
    const v = new Verdict();
    const redis = await ensureService('redis');
    flushChaosRedis();
    const node = await ctx.nodes.start(redisNodeConfig(redis, {}, { io_timeout: `${IO_TIMEOUT_MS}ms` }));
    const channel = uniqueName('ou');
    const key = (i: number) => `${channel}-${i}`;
    // Ten that succeed first, so the channel's stream exists and the node has warmed up.
    const warm: Answer[] = [];
    for (let i = 0; i < 10; i++) warm.push(await publish(node.httpUrl, channel, i, key(i)));
    v.check(
      warm.every((a) => a.code === 0),
      'publishes succeed before the freeze',
    );

    const { answers: burst, healthy } = await frozenBurst(node.httpUrl, channel, 10, BURST, key);
    v.check(healthy, 'the node healthy again within 30 s');
    await sleep(ctx.seconds * 50);

    const failed = burst.filter((a) => a.code !== 0);
    const times = failed.map((a) => a.ms).sort((x, y) => x - y);
    const afterThaw = await historyOffsets(node.httpUrl, channel);
    const applied = failed.filter((a) => afterThaw.has(a.i));
    v.note(
      `${BURST} publishes while Redis was frozen: ${failed.length} answered ${[...new Set(failed.map((a) => a.code))].join('/') || '-'} ` +
        `after ${times[0] ?? '-'}–${times.at(-1) ?? '-'} ms, ${BURST - failed.length} succeeded`,
    );
    v.note(`of the ${failed.length} answered with an error, ${applied.length} were applied anyway (in history after SIGCONT)`);
    v.check(
      failed.every((a) => a.code === 100),
      'every failed publish answered 100',
    );

    const retries = await Promise.all(failed.map((a) => publish(node.httpUrl, channel, a.i, key(a.i))));
    const sameOffset = retries.filter((r) => afterThaw.has(r.i) && r.offset === afterThaw.get(r.i)).length;
    v.note(
      `retried with the same idempotency_key: ${retries.filter((r) => r.code === 0).length} of ${retries.length} succeeded, ${sameOffset} with the first attempt's offset`,
    );
    v.check(
      retries.every((r) => r.code === 0),
      'every retry succeeds',
    );
    v.check(sameOffset === applied.length, "a retry of an applied publish answers with that publish's offset");

    const ids = await historyIds(node.httpUrl, channel);
    const everything = [...warm, ...burst].map((a) => a.i);
    // The burst was concurrent: Redis applied it in whatever order the requests came, so order is not judged.
    const history = tally(everything, [ids]);
    v.check(history.lost === 0, 'history after the retries: lost 0', `lost ${history.lost}`);
    v.check(history.duplicated === 0, 'history after the retries: duplicated 0', `duplicated ${history.duplicated}`);

    // The same without an idempotency_key, on a channel of its own: what the README warns about.
    const bare = uniqueName('ou-bare');
    const plain = await frozenBurst(node.httpUrl, bare, 0, BURST);
    const plainFailed = plain.answers.filter((a) => a.code !== 0);
    for (const a of plainFailed) await publish(node.httpUrl, bare, a.i);
    const plainHistory = tally(
      plain.answers.map((a) => a.i),
      [await historyIds(node.httpUrl, bare)],
    );
    v.note(
      `the same burst without an idempotency_key: ${plainFailed.length} answered with an error, retried: ${plainHistory.duplicated} duplicates in history`,
    );
    v.check(ctx.nodes.crashed().length === 0 && node.proc.exitCode === null, 'the node did not crash');
    return v.outcome({
      sent: warm.length + burst.length,
      acked: warm.length + burst.length - failed.length,
      history: { ...history, unackedApplied: applied.length },
    });
  },
};
