// The soak scenario (`npm run bench -- soak`): one Tributary under a steady,
// mixed load for a long time, to see what time does to it. Subscribers over
// WebSocket, SSE and HTTP-streaming (soak-worker.ts) on channels with history
// and forced recovery; publications through the HTTP API, a PostgreSQL outbox
// and Kafka at once (soak-sources.ts); a share of the connections closed and
// reopened with recovery every second. Per window (a minute, or a tenth of a
// shorter run): server RSS, heap, event-loop delay p99, deliveries/s and their
// p99 (soak-server-stats.ts). At the end every subscriber is checked against
// its channel's history (soak-tracker.ts) and the report judges the targets
// (soak-report.ts). See bench/README.md, "soak".

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import { cleanUp } from '../test/helpers/cleanup.js';
import { createTopic, kafka, kafkaBrokers, kafkaConsumerConfig } from '../test/integration/kafka/helpers.js';
import { consumerConfig, newOutbox, newPool, pgDsn } from '../test/integration/outbox/helpers.js';
import { UsageError } from './flags.js';
import { Histogram } from './histogram.js';
import { fdLimit } from './procstat.js';
import { ensureLocalRedis, parseRedisUrl } from './redis.js';
import type { SoakCounters } from './soak-ipc.js';
import { soakReport, soakVerdicts, type SoakResult, type SoakWindowRow } from './soak-report.js';
import { ServerStats } from './soak-server-stats.js';
import { soakOptions } from './soak-options.js';
import { httpSink, kafkaSink, outboxSink, PacedSource } from './soak-sources.js';
import type { HistoryWindow } from './soak-tracker.js';
import { SoakWorkers } from './soak-workers.js';
import { BENCH_NAMESPACE, deepMerge, freshRedisPrefix, startTributary, targetProblems, targetTail, type StartOptions, type Target } from './servers.js';
import { verdictText } from './report.js';

const progress = (text: string): void => void process.stderr.write(text + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface ApiReply {
  error?: { code: number; message: string };
  history?: { publications?: Array<{ offset?: number; data?: { src?: string; s?: number } }>; offset?: number; epoch?: string };
}

/** One API batch of commands; the replies in order. */
async function apiBatch(target: Target, commands: unknown[]): Promise<ApiReply[]> {
  const res = await fetch(`${target.apiUrl}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': target.apiKey },
    body: JSON.stringify({ commands }),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status !== 200) throw new Error(`API batch: HTTP ${res.status}`);
  return ((await res.json()) as { replies: ApiReply[] }).replies;
}

/** The history of every channel (limit −1: all of it), 100 channels per request. */
async function histories(target: Target, channels: string[], limit: number): Promise<ApiReply['history'][]> {
  const out: ApiReply['history'][] = [];
  for (let i = 0; i < channels.length; i += 100) {
    const replies = await apiBatch(
      target,
      channels.slice(i, i + 100).map((channel) => ({ history: { channel, limit } })),
    );
    for (const r of replies) {
      if (r.error) throw new Error(`history: ${r.error.code} ${r.error.message}`);
      out.push(r.history ?? {});
    }
  }
  return out;
}

/**
 * Sends a probe publication through a consumer (`send`) and waits until it is
 * in the probe channel's history: the consumer is up (a Kafka group has
 * joined), so the load does not start with a backlog that only one source has.
 */
async function waitConsumer(target: Target, name: string, channel: string, send: () => Promise<unknown>, timeoutMs = 120_000): Promise<void> {
  const top = async () => (await histories(target, [channel], 0))[0]?.offset ?? 0;
  const before = await top();
  await send();
  const deadline = Date.now() + timeoutMs;
  while ((await top()) <= before) {
    if (Date.now() > deadline) throw new Error(`the ${name} consumer did not publish a probe within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

function sumCounters(list: SoakCounters[]): SoakCounters {
  const s: SoakCounters = { live: 0, received: 0, recovered: 0, churned: 0, disconnects: 0, failures: 0, pings: 0, pongFailures: 0 };
  for (const c of list) for (const k of Object.keys(s) as Array<keyof SoakCounters>) s[k] += c[k];
  return s;
}

/** Open files a server or subscriber process needs beside its connections (listeners, pools, logs, pong sockets). */
const FD_HEADROOM = 500;

export async function soakMain(argv: string[], values: Record<string, unknown>): Promise<number> {
  const opts = soakOptions(values);
  const limit = fdLimit(process.pid);
  // The server holds every connection; it inherits this process's limit.
  if (Number.isFinite(limit) && limit < opts.conns + FD_HEADROOM)
    throw new UsageError(`--conns ${opts.conns}: the open-file limit is ${limit}; the server needs ${opts.conns + FD_HEADROOM} (ulimit -n, or fewer --conns)`);
  if (Number.isFinite(limit)) opts.workers = Math.max(opts.workers, Math.ceil(opts.conns / Math.max(100, limit - FD_HEADROOM)));
  const channels = Array.from({ length: opts.channels }, (_, i) => `${BENCH_NAMESPACE}:c${i}`);
  const probeChannel = `${BENCH_NAMESPACE}:probe`;
  const quiet = Boolean(values.quiet);
  const say = (text: string) => (quiet ? undefined : progress(text));

  let pool: pg.Pool | undefined;
  let producer: Producer | undefined;
  let target: Target | undefined;
  let workers: SoakWorkers | undefined;
  let stats: ServerStats | undefined;
  const consumers: Record<string, unknown>[] = [];
  let outbox: { table: string } | undefined;
  let topic = '';
  try {
    if (opts.sources.includes('outbox')) {
      say('postgres: scripts/services/postgres.sh ensure…');
      const dsn = pgDsn();
      const box = await newOutbox('soak_outbox', dsn);
      outbox = box;
      pool = newPool(2, dsn);
      consumers.push(consumerConfig('soak_outbox', box, { num_partitions: opts.outboxPartitions }, dsn));
    }
    if (opts.sources.includes('kafka')) {
      say('kafka: scripts/services/kafka.sh ensure…');
      kafkaBrokers();
      topic = `soak-${randomBytes(4).toString('hex')}`;
      const admin = kafka().admin();
      await admin.connect();
      await createTopic(admin, topic, opts.kafkaPartitions);
      await admin.disconnect();
      producer = kafka().producer({ allowAutoTopicCreation: false });
      await producer.connect();
      consumers.push(kafkaConsumerConfig('soak_kafka', { topics: [topic], max_poll_records: 1000 }));
    }

    // History on every channel, recovery forced (server-side subscriptions cannot ask for it), and
    // kept for the whole run: the stream is only ever trimmed by size.
    const ttl = Math.ceil(opts.duration + opts.drain + 600);
    const startOpts: StartOptions = {
      build: values['server-build'] === 'dist' ? 'dist' : 'tsx',
      logLevel: String(values['server-log-level'] ?? 'info'),
      nodeArgs: typeof values['server-node-args'] === 'string' ? values['server-node-args'].split(/\s+/).filter(Boolean) : [],
      keepTmp: Boolean(values['keep-tmp']),
      extraConfig: {
        channel: {
          namespaces: [
            { name: BENCH_NAMESPACE, allow_subscribe_for_client: true, history_size: opts.historySize, history_ttl: `${ttl}s`, force_recovery: true },
          ],
        },
        consumers,
      },
    };
    if (typeof values['server-config'] === 'string')
      deepMerge(startOpts.extraConfig!, JSON.parse(readFileSync(values['server-config'], 'utf8')) as Record<string, unknown>);
    let redisNote = '';
    if (opts.engine === 'redis') {
      const url = typeof values['redis-url'] === 'string' ? values['redis-url'] : ensureLocalRedis();
      const redis = { address: parseRedisUrl(url), prefix: freshRedisPrefix() };
      redisNote = ` (${url}, prefix ${redis.prefix})`;
      say(`starting tributary (redis engine${redisNote})…`);
      target = await startTributary(startOpts, { label: 'tributary:redis', engine: 'redis', nodes: 1, redis });
    } else {
      say('starting tributary (memory engine)…');
      target = await startTributary(startOpts);
    }
    const t = target;
    const pid = t.pid!;
    const httpBase = t.apiUrl.replace(/\/api$/, '');

    const sources: PacedSource[] = opts.sources.map((name, i) => {
      const start = Math.floor((i * opts.channels) / opts.sources.length);
      if (name === 'http') return new PacedSource(name, channels, httpSink(t.apiUrl, t.apiKey, channels), start);
      if (name === 'outbox') return new PacedSource(name, channels, outboxSink(pool!, outbox!.table, opts.outboxPartitions, channels), start);
      return new PacedSource(name, channels, kafkaSink(producer!, topic, channels), start);
    });
    if (outbox) {
      say('waiting for the outbox consumer…');
      const table = outbox.table;
      await waitConsumer(t, 'outbox', probeChannel, () =>
        pool!.query(`INSERT INTO ${table} (method, payload, partition) VALUES ('publish', $1, 0)`, [
          JSON.stringify({ channel: probeChannel, data: { probe: 'outbox' } }),
        ]),
      );
    }
    if (producer) {
      say('waiting for the Kafka consumer group…');
      const p = producer;
      await waitConsumer(t, 'Kafka', probeChannel, () =>
        p.send({
          topic,
          messages: [{ key: probeChannel, value: JSON.stringify({ method: 'publish', payload: { channel: probeChannel, data: { probe: 'kafka' } } }) }],
        }),
      );
    }

    say(`${opts.conns} connections (${opts.transports.join(', ')}) in ${opts.workers} subscriber process(es)…`);
    workers = new SoakWorkers(opts.workers);
    await workers.init(
      {
        channels,
        transports: opts.transports,
        wsUrl: t.wsUrl,
        tokenSecret: t.tokenSecret,
        rampBatch: opts.rampBatch,
        connectTimeoutMs: opts.connectTimeout * 1000,
      },
      opts.conns,
    );
    const rampStart = performance.now();
    const ramped = await workers.all<'ramped'>({ type: 'ramp' });
    const rampSeconds = (performance.now() - rampStart) / 1000;
    const rampFailed = ramped.reduce((a, r) => a + r.failed, 0);
    say(`ramp: ${opts.conns - rampFailed} live in ${rampSeconds.toFixed(1)} s${rampFailed > 0 ? `, ${rampFailed} not yet (retrying)` : ''}`);

    // The run: publishers, churn, windows.
    stats = new ServerStats(pid, `${httpBase}/metrics`);
    await stats.start();
    const perSource = opts.rate / sources.length;
    for (const s of sources) s.start(perSource);
    await workers.all<'ok'>({ type: 'churn', perSecond: opts.churn });
    const rows: SoakWindowRow[] = [];
    const latencyAll = new Histogram();
    const t0 = performance.now();
    const first = await workers.all<'window'>({ type: 'window' });
    let prev = sumCounters(first);
    let prevCpuUs = first.map((w) => w.cpuUs);
    let prevAccepted = 0;
    let prevAt = t0;
    const nWindows = Math.ceil(opts.duration / opts.windowSeconds - 1e-9);
    for (let w = 1; w <= nWindows; w++) {
      await sleep(t0 + Math.min(w * opts.windowSeconds, opts.duration) * 1000 - performance.now());
      const [server, subs] = await Promise.all([stats.window(), workers.all<'window'>({ type: 'window' })]);
      const now = performance.now();
      const secs = (now - prevAt) / 1000;
      const c = sumCounters(subs);
      const latency = new Histogram();
      for (const s of subs) latency.merge(s.latency);
      latencyAll.merge(latency);
      const accepted = sources.reduce((a, s) => a + s.stats.accepted, 0);
      const row: SoakWindowRow = {
        window: w,
        endSeconds: (now - t0) / 1000,
        ...server,
        deliveriesPerSec: (c.received - prev.received) / secs,
        latencyP99Ms: latency.total > 0 ? latency.percentile(99) / 1000 : Number.NaN,
        publishedPerSec: (accepted - prevAccepted) / secs,
        reconnects: c.churned - prev.churned,
        disconnects: c.disconnects - prev.disconnects,
        failures: c.failures - prev.failures,
        live: c.live,
        subCpuPct: Math.max(...subs.map((s, i) => ((s.cpuUs - prevCpuUs[i]!) / 1e6 / secs) * 100)),
      };
      rows.push(row);
      say(
        `window ${w}/${nWindows} (${row.endSeconds.toFixed(0)} s): RSS ${row.rssMeanMB.toFixed(1)} MB, heap ${row.heapUsedMB.toFixed(1)} MB, GC ${row.gcPct.toFixed(1)}%, loop p99 ${row.loopP99Ms.toFixed(1)} ms, ` +
          `${row.deliveriesPerSec.toFixed(0)} deliv/s p99 ${row.latencyP99Ms.toFixed(1)} ms, ${row.publishedPerSec.toFixed(0)} pub/s, ${row.live} live, ${row.reconnects} reconnects`,
      );
      prev = c;
      prevCpuUs = subs.map((s) => s.cpuUs);
      prevAccepted = accepted;
      prevAt = now;
    }

    // The end: no more churn or publications; wait until every stream holds what was accepted and every
    // subscriber is live and caught up, then check each one against its channel's history.
    await workers.all<'ok'>({ type: 'churn', perSecond: 0 });
    await Promise.all(sources.map((s) => s.stop(30_000)));
    const accepted = channels.map((_, ch) => sources.reduce((a, s) => a + s.acceptedPerChannel[ch]!, 0));
    say('draining: consumers, then subscribers…');
    const drainEnd = Date.now() + opts.drain * 1000;
    let tops: number[] = [];
    for (;;) {
      tops = (await histories(t, channels, 0)).map((h) => h?.offset ?? 0);
      if (tops.every((top, ch) => top >= accepted[ch]!) || Date.now() > drainEnd) break;
      await sleep(500);
    }
    let lag = { notLive: 0, behind: 0 };
    for (;;) {
      const l = await workers.all<'lag'>({ type: 'lag', tops });
      lag = { notLive: l.reduce((a, x) => a + x.notLive, 0), behind: l.reduce((a, x) => a + x.behind, 0) };
      if ((lag.notLive === 0 && lag.behind === 0) || Date.now() > drainEnd) break;
      await sleep(500);
    }

    const hist = await histories(t, channels, -1);
    const windows: HistoryWindow[] = [];
    let historyHoles = 0;
    const sourceHoles: Record<string, number> = {};
    for (const h of hist) {
      const pubs = h?.publications ?? [];
      const top = h?.offset ?? 0;
      const lo = pubs.length > 0 ? (pubs[0]!.offset ?? 0) : top + 1;
      // A memory or Redis stream keeps a contiguous run of offsets ending at the top.
      if (pubs.length !== top - lo + 1 || (pubs.at(-1)?.offset ?? top) !== top) historyHoles++;
      windows.push({ epoch: h?.epoch ?? '', lo, top });
      // Each source's numbers for the channel must follow each other inside the history window.
      const lastSeq = new Map<string, number>();
      for (const p of pubs) {
        const src = p.data?.src ?? '?';
        const s = p.data?.s ?? 0;
        const before = lastSeq.get(src);
        if (before !== undefined && s !== before + 1) sourceHoles[src] = (sourceHoles[src] ?? 0) + 1;
        lastSeq.set(src, s);
      }
    }
    const checks = await workers.all<'checked'>({ type: 'check', windows });
    const end = sumCounters(await workers.all<'window'>({ type: 'window' }));
    const problems = targetProblems(t);

    const bySource: Record<string, number> = {};
    for (const name of opts.sources) {
      const letter = name[0]!;
      const h = new Histogram();
      for (const c of checks) if (c.bySource[letter]) h.merge(c.bySource[letter]);
      bySource[name] = h.total > 0 ? h.percentile(99) / 1000 : Number.NaN;
    }
    const result: SoakResult = {
      options: opts,
      engine: opts.engine + redisNote,
      rampSeconds,
      rampFailed,
      cores: os.cpus().length,
      windows: rows,
      loopP99WholeMs: stats.wholeRunLoopP99Ms(),
      latencyP99WholeMs: latencyAll.total > 0 ? latencyAll.percentile(99) / 1000 : Number.NaN,
      latencyP99BySourceMs: bySource,
      sources: sources.map((s) => ({ ...s.stats })),
      acceptedTotal: accepted.reduce((a, b) => a + b, 0),
      streamTotal: tops.reduce((a, b) => a + b, 0),
      notInStream: accepted.reduce((a, n, ch) => a + Math.max(0, n - tops[ch]!), 0),
      extraInStream: accepted.reduce((a, n, ch) => a + Math.max(0, tops[ch]! - n), 0),
      historyHoles,
      sourceHoles,
      lagAtCheck: lag,
      counters: end,
      check: {
        checked: checks.reduce((a, c) => a + c.check.checked, 0),
        lostInHistory: checks.reduce((a, c) => a + c.check.lostInHistory, 0),
        subscribersWithLoss: checks.reduce((a, c) => a + c.check.subscribersWithLoss, 0),
        maxLostPerSubscriber: Math.max(0, ...checks.map((c) => c.check.maxLostPerSubscriber)),
        gapsWholeRun: checks.reduce((a, c) => a + c.check.gapsWholeRun, 0),
        behind: checks.reduce((a, c) => a + c.check.behind, 0),
        otherEpoch: checks.reduce((a, c) => a + c.check.otherEpoch, 0),
        dupPerSubscriberMax: Math.max(0, ...checks.map((c) => c.check.dupPerSubscriberMax)),
      },
      totals: {
        dup: checks.reduce((a, c) => a + c.totals.dup, 0),
        outOfOrder: checks.reduce((a, c) => a + c.totals.outOfOrder, 0),
        unrecovered: checks.reduce((a, c) => a + c.totals.unrecovered, 0),
        epochChanges: checks.reduce((a, c) => a + c.totals.epochChanges, 0),
      },
      closeCodes: mergeCounts(checks.map((c) => c.closeCodes)),
      errors: mergeCounts(checks.map((c) => c.errors)),
      samples: checks.flatMap((c) => c.samples).slice(0, 5),
      serverLogProblems: problems.count,
      serverLogSamples: problems.samples,
    };
    const verdicts = soakVerdicts(result);
    process.stdout.write('\n' + soakReport(result) + '\n\n' + verdictText(verdicts) + '\n');
    if (typeof values.json === 'string') {
      writeFileSync(
        values.json,
        JSON.stringify(
          {
            tool: 'tributary-bench',
            scenario: 'soak',
            date: new Date().toISOString(),
            command: ['npm', 'run', 'bench', '--', ...argv].join(' '),
            cpus: os.cpus().length,
            result,
            verdicts,
          },
          null,
          2,
        ) + '\n',
      );
      progress(`wrote ${values.json}`);
    }
    return verdicts.some((v) => v.pass === false) ? 1 : 0;
  } catch (err) {
    if (target?.logFile) progress(`server log tail:\n${targetTail(target)}`);
    throw err;
  } finally {
    stats?.stop();
    await workers?.close();
    await target?.stop();
    await producer?.disconnect().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    // The outbox table, the topic and the consumer group this run made.
    await cleanUp().catch((err: Error) => progress(`cleanup: ${err.message}`));
  }
}

function mergeCounts(maps: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}
