// The scenarios: fanout, idle, saturate, publish and connect-storm, each run
// against one target (one server process, or several nodes of one hub).

import { nowUs } from './clock.js';
import { Histogram, type HistogramData } from './histogram.js';
import { collectGarbage } from './inspector-gc.js';
import type { ClientKind, FinishedMsg, MarkReplyMsg, ReadyMsg } from './ipc.js';
import { fdCount, fdLimit, machineCpuSeconds, ProcSampler, rssBytes, type CpuMark } from './procstat.js';
import { Publisher } from './publisher.js';
import { checkApiHistory, checkRedisHistory, type HistoryCheck } from './redis.js';
import { targetProblems, type Target } from './servers.js';
import { hs256Signer, signTokens, tokenClaims, type JwksIssuer, type TokenAlg } from './tokens.js';
import type { TransportName } from './transports.js';
import { sum, Workers } from './workers.js';

export type Scenario = 'fanout' | 'idle' | 'saturate' | 'publish' | 'connect-storm';

export interface RunOptions {
  scenario: Scenario;
  conns: number;
  channels: number;
  channelPrefix: string;
  rate: number;
  size: number;
  duration: number;
  warmup: number;
  drain: number;
  settle: number;
  workers: number;
  client: ClientKind;
  /** How the subscribers connect (see transports.ts). */
  transport: TransportName;
  rampBatch: number;
  connectTimeout: number;
  lanes: number;
  batchMax: number;
  localAddresses: string[];
  stepFactor: number;
  stepDuration: number;
  maxSteps: number;
  maxP99: number;
  /** saturate: extra steps between the last good and the first bad rate. */
  refine: number;
  /** saturate: times a failed step is measured again when other processes disturbed it. */
  retryDisturbed: number;
  /** publish: history of the bench namespace. */
  historySize: number;
  historyTtl: number;
  /** Batches with "parallel": true. */
  batchParallel: boolean;
  /** connect-storm: connections in flight per subscriber process. */
  inFlight: number;
  /** How connection tokens are signed: HS256 with the target's secret, or RS256 with the bench's JWKS key. */
  tokenAlg: TokenAlg;
  quiet: boolean;
}

export interface StepResult {
  rate: number;
  publishedPerSec: number;
  deliveriesPerSec: number;
  deliveryRatio: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU over the step, % of one core: the server processes together, Redis, the bench's processes. */
  serverCpuPct: number;
  redisCpuPct: number;
  benchCpuPct: number;
  machineCpuPct: number;
  /** The machine's CPU that was neither the servers, Redis nor the bench (other processes: a disturbed step). */
  otherCpuPct: number;
  /** The publisher's API request round trip, p99, ms. */
  ackP99: number;
  ok: boolean;
  why: string;
}

/** One process of the target. */
export interface NodeFigures {
  pid: number;
  rssMB: number;
  /** Over the measured window, % of one core. */
  cpuPct: number;
}

export interface Result {
  scenario: Scenario;
  target: string;
  /** The subscribers' transport. */
  transport: TransportName;
  /** Tributary's engine ('' for the baseline and external servers) and its process count. */
  engine: string;
  nodes: number;
  /** The Redis key prefix of the run (Redis engine). */
  redisPrefix?: string;
  conns: number;
  subscribed: number;
  connectFailures: number;
  connectErrors: Record<string, number>;
  channels: number;
  /** Requested publications per second (saturate: the rate of the best passing step). */
  rate: number;
  size: number;
  /** Publications created per second over the measured window. */
  publishedPerSec: number;
  deliveries: number;
  deliveriesPerSec: number;
  /** Publish→receive latency over the measured window, milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  latencySamples: number;
  lost: number;
  dup: number;
  expected: number;
  publishErrors: number;
  publishErrorSamples: string[];
  disconnects: number;
  closeCodes: Record<string, number>;
  otherPushes: number;
  otherSamples: string[];
  pings: number;
  bytesReceived: number;
  /** Server RSS before any client connected, at the end of the measured window, and the peak, MB. */
  serverRssIdleMB: number;
  serverRssMB: number;
  serverRssPeakMB: number;
  /** Server RSS once a second from before the first connection to the end, MB. */
  serverRssTimelineMB: number[];
  /** (RSS at the end − RSS before connections) / subscribed connections, KB. */
  rssPerConnKB: number;
  /** Server CPU over the measured window, % of one core (summed over the nodes). */
  serverCpuPct: number;
  /** Server CPU time per delivery over the measured window, µs (NaN without deliveries or without the server's pid). */
  cpuUsPerDelivery: number;
  /** Emulated pongs (POST /emulation) that failed. */
  pongFailures: number;
  /** Each server process: RSS at the end, CPU over the measured window. */
  serverNodes: NodeFigures[];
  /** The redis-server process over the measured window (NaN without Redis or when it is not local). */
  redisCpuPct: number;
  redisRssMB: number;
  /** The whole machine's CPU over the measured window (/proc/stat), and what of it was neither the servers, Redis nor the bench: other processes, the kernel's own threads. */
  machineCpuPct: number;
  otherCpuPct: number;
  /** The bench's own CPU (publisher + subscriber processes) over the window, % of one core. */
  benchCpuPct: number;
  publisherCpuPct: number;
  /** The busiest subscriber process; near 100 % means the generator, not the server, is the limit. */
  subscriberCpuPctMax: number;
  rampSeconds: number;
  measuredSeconds: number;
  serverAlive: boolean;
  serverLogProblems: number;
  serverLogSamples: string[];
  steps?: StepResult[];
  /** publish: publications the server acknowledged per second over the measured window. */
  ackedPerSec: number;
  publishRequestsPerSec: number;
  publicationsPerRequest: number;
  /** publish: API request round trip (a whole batch), ms. */
  ackP50: number;
  ackP99: number;
  ackMax: number;
  /** publish: what history holds afterwards (read from Redis, or through the API). */
  history?: HistoryCheck;
  /** Channels whose history is not what was published (NaN when not checked). */
  historyProblems: number;
  /** connect-storm: first connection started → last one subscribed, seconds; subscribed connections per second over it. */
  stormSeconds: number;
  connectsPerSec: number;
  /** connect-storm: socket connect started → subscribe reply, per connection, ms. */
  connectP50: number;
  connectP99: number;
  connectMax: number;
  /** connect-storm: server CPU seconds over the storm, and per subscribed connection (µs). */
  serverCpuSeconds: number;
  cpuUsPerConnect: number;
  /** rs256-jwks: GETs of the bench's JWKS over the run (every server fetches the key once and caches it). */
  jwksFetches: number;
  notes: string[];
}

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(opts: RunOptions, text: string): void {
  if (!opts.quiet) process.stderr.write(text + '\n');
}

function mergeHist(list: Array<{ histogram?: HistogramData }>): Histogram {
  const h = new Histogram();
  for (const m of list) if (m.histogram) h.merge(m.histogram);
  return h;
}

const ms = (us: number) => Math.round(us / 10) / 100;

function counters(marks: MarkReplyMsg[]) {
  return {
    received: sum(marks, (m) => m.received),
    disconnects: sum(marks, (m) => m.disconnects),
    cpuUs: sum(marks, (m) => m.cpuUs),
    at: Math.max(...marks.map((m) => m.at)),
  };
}

function serverAlive(target: Target): boolean {
  return target.nodes.every((n) => n.pid === undefined || !Number.isNaN(rssBytes(n.pid)));
}

/** What the scenario samples: the server processes (RSS and CPU) and Redis (CPU). */
interface Meters {
  server: ProcSampler | null;
  redis: ProcSampler | null;
}

/**
 * Runs one scenario against one target. `jwks`: with --token-alg rs256-jwks,
 * the bench's key (the target was configured with its JWKS URL); tokens are
 * then signed ahead here, as they are for every connect storm.
 */
export async function runScenario(opts: RunOptions, target: Target, jwks?: JwksIssuer): Promise<Result> {
  const tag = `[${opts.scenario}/${target.name}]`;
  const pids = target.nodes.map((n) => n.pid);
  const knownPids = pids.every((p): p is number => p !== undefined) ? (pids as number[]) : [];
  const notes: string[] = [];
  let conns = opts.conns;
  const nNodes = target.nodes.length;

  // Each server process must be able to hold its share of the connections: check the open-file limits.
  for (const [i, pid] of knownPids.entries()) {
    const limit = fdLimit(pid);
    const used = fdCount(pid);
    const room = (limit - used - 16 - opts.lanes) * nNodes;
    if (Number.isFinite(room) && conns > room) {
      const who = nNodes > 1 ? `node ${i + 1} of ${target.name}` : `server ${target.name}`;
      const msg = `${who} (pid ${pid}) may open ${limit} files and has ${used} open: ${conns} connections do not fit, using ${room}`;
      log(opts, `${tag} WARNING ${msg}`);
      notes.push(msg);
      conns = room;
    }
  }

  const meters: Meters = {
    server: knownPids.length > 0 ? new ProcSampler(knownPids, 1000) : null,
    redis: target.redis?.pid !== undefined ? new ProcSampler(target.redis.pid, 1000) : null,
  };
  await sleep(500);
  await collectGarbageIn(opts, tag, target);
  const rssIdle = meters.server ? meters.server.sample() : Number.NaN;
  // The publish scenario publishes to every channel, whether or not it has a subscriber.
  const nChannels = opts.scenario === 'publish' ? opts.channels : Math.min(opts.channels, conns);
  const channelNames = Array.from({ length: nChannels }, (_, i) => `${opts.channelPrefix}${i}`);
  if (opts.scenario !== 'publish' && opts.channels > opts.conns) notes.push(`only ${channelNames.length} channels: fewer connections than channels`);

  const workers =
    conns > 0
      ? new Workers(opts.workers, (p) => {
          if (!opts.quiet) process.stderr.write(`\r${tag} ramp: ${p.subscribed}/${conns} subscribed, ${p.failed} failed   `);
        })
      : null;
  const publisher =
    opts.scenario === 'idle'
      ? null
      : new Publisher({
          apiUrl: target.apiUrl,
          apiUrls: target.nodes.map((n) => n.apiUrl),
          apiKey: target.apiKey,
          channels: channelNames,
          size: opts.size,
          lanes: opts.lanes,
          batchMax: opts.batchMax,
          parallel: opts.batchParallel,
        });

  try {
    // Tokens signed ahead (RS256 always, every token for a storm): the storm then measures the server, not the signing.
    const storm = opts.scenario === 'connect-storm';
    let tokens: string[] | undefined;
    if (workers && (storm || jwks)) {
      const sign = jwks ? (c: Record<string, unknown>) => jwks.sign(c) : hs256Signer(target.tokenSecret);
      const viaClaim = opts.transport !== 'websocket';
      const t0 = Date.now();
      tokens = await signTokens(conns, (i) => tokenClaims('bench-user-', i, viaClaim ? channelNames[i % channelNames.length] : undefined), sign);
      log(opts, `${tag} ${conns} ${jwks ? 'RS256' : 'HS256'} tokens signed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const jwksFetchesBefore = jwks?.fetches ?? 0;
    let stormA: StormMark | null = null;
    if (storm && workers) {
      await workers.started();
      stormA = stormMark(meters);
    }
    const rampStart = Date.now();
    const ready: ReadyMsg[] = workers
      ? await workers.ramp(
          {
            wsUrls: target.nodes.map((n) => n.wsUrl),
            tokenSecret: target.tokenSecret,
            channels: channelNames,
            rampBatch: Math.max(1, Math.ceil(opts.rampBatch / opts.workers)),
            localAddresses: opts.localAddresses,
            client: opts.client,
            transport: opts.transport,
            userPrefix: 'bench-user-',
            connectTimeoutMs: opts.connectTimeout * 1000,
            ...(storm ? { inFlight: opts.inFlight } : {}),
          },
          conns,
          tokens,
        )
      : [];
    const stormB = stormA ? stormMark(meters) : null;
    const rampSeconds = (Date.now() - rampStart) / 1000;
    if (!opts.quiet && workers) process.stderr.write('\n');
    const subscribed = sum(ready, (r) => r.subscribed);
    const failed = sum(ready, (r) => r.failed);
    const connectErrors: Record<string, number> = {};
    for (const r of ready) for (const [k, v] of Object.entries(r.errors)) connectErrors[k] = (connectErrors[k] ?? 0) + v;
    const subsPerChannel = new Array<number>(channelNames.length).fill(0);
    for (const r of ready) r.subsPerChannel.forEach((n, i) => (subsPerChannel[i]! += n));
    if (workers) {
      const spread = nNodes > 1 ? ` over ${nNodes} nodes` : '';
      log(
        opts,
        `${tag} ${subscribed} subscribed${spread} in ${rampSeconds.toFixed(1)} s, ${failed} failed${failed ? ' ' + JSON.stringify(connectErrors) : ''}`,
      );
      if (subscribed === 0) throw new Error(`no connection could subscribe: ${JSON.stringify(connectErrors)}`);
    }

    const base: Base = {
      scenario: opts.scenario,
      target: target.name,
      transport: opts.transport,
      engine: target.engine ?? '',
      nodes: nNodes,
      conns,
      subscribed,
      connectFailures: failed,
      connectErrors,
      channels: channelNames.length,
      size: opts.size,
      rampSeconds,
      notes,
    };
    if (target.redis) base.redisPrefix = target.redis.prefix;

    let result: Result;
    if (storm) {
      result = await connectStorm(opts, tag, workers!, meters, rssIdle, ready, stormA!, stormB!, base);
    } else if (opts.scenario === 'idle') {
      result = await idle(opts, tag, target, workers!, meters, rssIdle, base);
    } else if (opts.scenario === 'fanout') {
      result = await fanout(opts, tag, workers!, publisher!, meters, rssIdle, subsPerChannel, base);
    } else if (opts.scenario === 'saturate') {
      result = await saturate(opts, tag, workers!, publisher!, meters, rssIdle, subsPerChannel, base);
    } else {
      result = await publish(opts, tag, target, workers, publisher!, meters, rssIdle, subsPerChannel, channelNames, base);
    }
    result.cpuUsPerDelivery = result.deliveriesPerSec > 0 ? (result.serverCpuPct * 1e4) / result.deliveriesPerSec : Number.NaN;
    if (jwks) result.jwksFetches = jwks.fetches - jwksFetchesBefore;
    const problems = targetProblems(target);
    result.serverLogProblems = problems.count;
    result.serverLogSamples = problems.samples;
    result.serverAlive = serverAlive(target);
    if (!result.serverAlive) notes.push('a server process died during the run');
    return result;
  } finally {
    publisher?.close();
    meters.server?.stop();
    meters.redis?.stop();
    await workers?.close();
  }
}

type Base = Pick<
  Result,
  | 'scenario'
  | 'target'
  | 'transport'
  | 'engine'
  | 'nodes'
  | 'redisPrefix'
  | 'conns'
  | 'subscribed'
  | 'connectFailures'
  | 'connectErrors'
  | 'channels'
  | 'size'
  | 'rampSeconds'
  | 'notes'
>;

function emptyResult(base: Base): Result {
  return {
    ...base,
    rate: 0,
    publishedPerSec: 0,
    deliveries: 0,
    deliveriesPerSec: 0,
    p50: 0,
    p90: 0,
    p99: 0,
    p999: 0,
    max: 0,
    mean: 0,
    latencySamples: 0,
    lost: 0,
    dup: 0,
    expected: 0,
    publishErrors: 0,
    publishErrorSamples: [],
    disconnects: 0,
    closeCodes: {},
    otherPushes: 0,
    otherSamples: [],
    pings: 0,
    bytesReceived: 0,
    serverRssIdleMB: Number.NaN,
    serverRssMB: Number.NaN,
    serverRssPeakMB: Number.NaN,
    serverRssTimelineMB: [],
    rssPerConnKB: Number.NaN,
    serverCpuPct: Number.NaN,
    cpuUsPerDelivery: Number.NaN,
    pongFailures: 0,
    serverNodes: [],
    redisCpuPct: Number.NaN,
    redisRssMB: Number.NaN,
    machineCpuPct: Number.NaN,
    otherCpuPct: Number.NaN,
    benchCpuPct: Number.NaN,
    publisherCpuPct: Number.NaN,
    subscriberCpuPctMax: Number.NaN,
    measuredSeconds: 0,
    serverAlive: true,
    serverLogProblems: 0,
    serverLogSamples: [],
    ackedPerSec: Number.NaN,
    publishRequestsPerSec: Number.NaN,
    publicationsPerRequest: Number.NaN,
    ackP50: Number.NaN,
    ackP99: Number.NaN,
    ackMax: Number.NaN,
    historyProblems: Number.NaN,
    stormSeconds: Number.NaN,
    connectsPerSec: Number.NaN,
    connectP50: Number.NaN,
    connectP99: Number.NaN,
    connectMax: Number.NaN,
    serverCpuSeconds: Number.NaN,
    cpuUsPerConnect: Number.NaN,
    jwksFetches: Number.NaN,
  };
}

/** RSS figures at the end of the measured window (summed over the nodes, and per node). */
function fillServerFigures(r: Result, meters: Meters, rssIdle: number): void {
  const sampler = meters.server;
  if (sampler) {
    const rss = sampler.sample();
    r.serverRssIdleMB = rssIdle / MB;
    r.serverRssMB = rss / MB;
    r.serverRssPeakMB = sampler.peakRss / MB;
    r.serverRssTimelineMB = sampler.timeline.map((b) => Math.round((b / MB) * 10) / 10);
    r.rssPerConnKB = r.subscribed > 0 ? (rss - rssIdle) / 1024 / r.subscribed : Number.NaN;
    const each = sampler.sampleEach();
    r.serverNodes = sampler.pids.map((pid, i) => ({ pid, rssMB: (each[i] ?? Number.NaN) / MB, cpuPct: r.serverNodes[i]?.cpuPct ?? Number.NaN }));
  }
  if (meters.redis) r.redisRssMB = meters.redis.sample() / MB;
}

interface BenchCpuMark {
  own: number;
  workers: number[];
  at: number;
}

interface BenchCpu {
  total: number;
  publisher: number;
  busiestSubscriber: number;
}

function benchCpuMark(marks: MarkReplyMsg[]): BenchCpuMark {
  const own = process.cpuUsage();
  const workers: number[] = [];
  for (const m of marks) workers[m.worker] = m.cpuUs;
  return { own: own.user + own.system, workers, at: nowUs() };
}

/** CPU of the bench's processes between two marks, % of one core. */
function benchCpu(a: BenchCpuMark, b: BenchCpuMark): BenchCpu {
  const wall = b.at - a.at;
  if (wall <= 0) return { total: Number.NaN, publisher: Number.NaN, busiestSubscriber: Number.NaN };
  const pct = (us: number) => (us / wall) * 100;
  const per = b.workers.map((x, i) => pct(x - (a.workers[i] ?? 0)));
  const publisher = pct(b.own - a.own);
  return { total: publisher + per.reduce((x, y) => x + y, 0), publisher, busiestSubscriber: Math.max(0, ...per) };
}

/** CPU readings of everything that shares the machine, taken together. */
interface CpuSnapshot {
  server: CpuMark | null;
  redis: CpuMark | null;
  bench: BenchCpuMark;
  machine: { cpu: number; at: number };
}

function cpuSnapshot(meters: Meters, marks: MarkReplyMsg[]): CpuSnapshot {
  return {
    server: meters.server?.mark() ?? null,
    redis: meters.redis?.mark() ?? null,
    bench: benchCpuMark(marks),
    machine: { cpu: machineCpuSeconds(), at: performance.now() },
  };
}

/** % of one core between two snapshots. */
interface CpuWindow {
  server: number;
  perNode: number[];
  redis: number;
  bench: BenchCpu;
  /** Every process on the machine (/proc/stat). */
  machine: number;
}

function cpuWindow(a: CpuSnapshot, b: CpuSnapshot): CpuWindow {
  return {
    server: a.server && b.server ? ProcSampler.cpuPercent(a.server, b.server) : Number.NaN,
    perNode: a.server && b.server ? ProcSampler.cpuPercentEach(a.server, b.server) : [],
    redis: a.redis && b.redis ? ProcSampler.cpuPercent(a.redis, b.redis) : Number.NaN,
    bench: benchCpu(a.bench, b.bench),
    machine: ProcSampler.cpuPercent(a.machine, b.machine),
  };
}

function fillCpu(r: Result, w: CpuWindow): void {
  r.serverCpuPct = w.server;
  w.perNode.forEach((cpu, i) => {
    const n = r.serverNodes[i];
    if (n) n.cpuPct = cpu;
  });
  r.redisCpuPct = w.redis;
  fillBenchCpu(r, w.bench);
  r.machineCpuPct = w.machine;
  r.otherCpuPct = otherCpu(w);
  if (r.otherCpuPct > OTHER_CPU_WARN) {
    r.notes.push(
      `other processes used ${r.otherCpuPct.toFixed(0)}% of a core during the measured window (machine ${w.machine.toFixed(0)}%): ` +
        'the figures are disturbed; run again on a quiet machine',
    );
  }
}

/** Above this (% of one core), CPU used by processes outside the run makes its figures suspect. */
const OTHER_CPU_WARN = 20;

function otherCpu(w: CpuWindow): number {
  if (!Number.isFinite(w.machine) || !Number.isFinite(w.server)) return Number.NaN;
  const ours = [w.server, w.redis, w.bench.total].filter(Number.isFinite).reduce((x, y) => x + y, 0);
  return Math.max(0, w.machine - ours);
}

function fillBenchCpu(r: Result, c: BenchCpu): void {
  r.benchCpuPct = c.total;
  r.publisherCpuPct = c.publisher;
  r.subscriberCpuPctMax = c.busiestSubscriber;
  if (c.busiestSubscriber > 85) {
    r.notes.push(
      `a subscriber process used ${c.busiestSubscriber.toFixed(0)}% of a core: the generator may be the limit (more --workers only helps with idle cores)`,
    );
  }
}

function finishFigures(r: Result, done: FinishedMsg[]): void {
  r.lost = sum(done, (d) => d.lost);
  r.dup = sum(done, (d) => d.dup);
  r.expected = sum(done, (d) => d.expected);
  r.disconnects = sum(done, (d) => d.disconnects);
  r.pings = sum(done, (d) => d.pings);
  r.bytesReceived = sum(done, (d) => d.bytes);
  r.otherPushes = sum(done, (d) => d.otherPushes);
  r.otherSamples = done.flatMap((d) => d.samples).slice(0, 5);
  r.pongFailures = sum(done, (d) => d.pongFailures);
  if (r.pongFailures > 0) r.notes.push(`${r.pongFailures} emulated pongs (POST /emulation) failed`);
  const pong = new Histogram();
  for (const d of done) if (d.pongLatency) pong.merge(d.pongLatency);
  if (pong.total > 0) {
    const inFlight = Math.max(...done.map((d) => d.pongsInFlightMax ?? 0));
    r.notes.push(
      `emulated pongs: ${pong.total}, round trip p50 ${ms(pong.percentile(50)).toFixed(1)} ms, p99 ${ms(pong.percentile(99)).toFixed(1)} ms, ` +
        `max ${ms(pong.max).toFixed(1)} ms; at most ${inFlight} in flight in one subscriber process`,
    );
  }
  for (const d of done) for (const [k, v] of Object.entries(d.closeCodes)) r.closeCodes[k] = (r.closeCodes[k] ?? 0) + v;
}

/** The publisher's request round trips since its last resetAckLatency(). */
function fillAck(r: Pick<Result, 'ackP50' | 'ackP99' | 'ackMax'>, publisher: Publisher): void {
  const h = publisher.stats.ackLatency;
  r.ackP50 = ms(h.percentile(50));
  r.ackP99 = ms(h.percentile(99));
  r.ackMax = ms(h.max);
}

function fillLatency(r: Result, h: Histogram): void {
  r.p50 = ms(h.percentile(50));
  r.p90 = ms(h.percentile(90));
  r.p99 = ms(h.percentile(99));
  r.p999 = ms(h.percentile(99.9));
  r.max = ms(h.max);
  r.mean = ms(h.mean());
  r.latencySamples = h.total;
}

/** After publishing stops: waits until every expected publication arrived, nothing moved for 2 s, or the drain time ran out. */
async function drain(opts: RunOptions, workers: Workers, expected: number): Promise<void> {
  const deadline = Date.now() + opts.drain * 1000;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const c = counters(await workers.mark());
    if (c.received >= expected) return;
    if (c.received !== last) {
      last = c.received;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 2000) return;
    await sleep(100);
  }
}

function expectedDeliveries(published: number[], subsPerChannel: number[]): number {
  let e = 0;
  for (let i = 0; i < published.length; i++) e += published[i]! * subsPerChannel[i]!;
  return e;
}

async function fanout(
  opts: RunOptions,
  tag: string,
  workers: Workers,
  publisher: Publisher,
  meters: Meters,
  rssIdle: number,
  subsPerChannel: number[],
  base: Base,
): Promise<Result> {
  const r = emptyResult(base);
  r.rate = opts.rate;
  await sleep(1000);
  log(opts, `${tag} publishing ${opts.rate}/s of ${opts.size} B over ${base.channels} channels for ${opts.duration} s (first ${opts.warmup} s warm-up)`);
  publisher.setRate(opts.rate);
  await sleep(opts.warmup * 1000);
  const createdA = publisher.stats.created;
  const recordFrom = nowUs();
  const ackedA = publisher.stats.acked;
  const a = await workers.mark({ recordFrom });
  publisher.resetAckLatency();
  const cpuA = cpuSnapshot(meters, a);
  await sleep(Math.max(1, opts.duration - opts.warmup) * 1000);
  const b = await workers.mark();
  const cpuB = cpuSnapshot(meters, b);
  const createdB = publisher.stats.created;
  const ackedB = publisher.stats.acked;
  fillAck(r, publisher);
  fillServerFigures(r, meters, rssIdle);
  fillCpu(r, cpuWindow(cpuA, cpuB));
  const ca = counters(a);
  const cb = counters(b);
  r.measuredSeconds = (cb.at - ca.at) / 1e6;
  r.deliveries = cb.received - ca.received;
  r.deliveriesPerSec = Math.round(r.deliveries / r.measuredSeconds);
  r.publishedPerSec = Math.round((createdB - createdA) / r.measuredSeconds);
  r.ackedPerSec = Math.round((ackedB - ackedA) / r.measuredSeconds);

  await publisher.stop();
  const published = publisher.seq.slice();
  await drain(opts, workers, expectedDeliveries(published, subsPerChannel));
  const done = await workers.finish(published);
  finishFigures(r, done);
  fillLatency(r, mergeHist(done));
  r.publishErrors = publisher.stats.errors;
  r.publishErrorSamples = publisher.stats.errorSamples;
  if (publisher.stats.backlog > 0) r.notes.push(`${publisher.stats.backlog} publications still unacknowledged when publishing stopped`);
  if (r.publishedPerSec < opts.rate * 0.95) r.notes.push(`publisher reached only ${r.publishedPerSec}/s of ${opts.rate}/s`);
  log(opts, `${tag} done: ${r.deliveriesPerSec} deliveries/s, p99 ${r.p99} ms, lost ${r.lost}, dup ${r.dup}`);
  return r;
}

/** A full GC in every node the bench opened an inspector on; false when there is none (an external server, other scenarios). */
async function collectGarbageIn(opts: RunOptions, tag: string, target: Target): Promise<boolean> {
  const ports = target.nodes.flatMap((n) => (n.inspectPort !== undefined ? [n.inspectPort] : []));
  if (ports.length === 0) return false;
  try {
    await Promise.all(ports.map((p) => collectGarbage(p)));
    return true;
  } catch (err) {
    log(opts, `${tag} WARNING full GC failed, memory sampled without it: ${(err as Error).message}`);
    return false;
  }
}

async function idle(opts: RunOptions, tag: string, target: Target, workers: Workers, meters: Meters, rssIdle: number, base: Base): Promise<Result> {
  const r = emptyResult(base);
  log(opts, `${tag} settling ${opts.settle} s, then holding ${opts.duration} s`);
  await sleep(opts.settle * 1000);
  const a = await workers.mark();
  const cpuA = cpuSnapshot(meters, a);
  const end = Date.now() + opts.duration * 1000;
  while (Date.now() < end) await sleep(Math.min(1000, end - Date.now()));
  const b = await workers.mark();
  const cpuB = cpuSnapshot(meters, b);
  fillCpu(r, cpuWindow(cpuA, cpuB));
  if (await collectGarbageIn(opts, tag, target)) {
    const before = meters.server ? meters.server.sample() : Number.NaN;
    const perConn = (before - rssIdle) / 1024 / r.subscribed;
    await sleep(1000); // let the freed pages go back before sampling
    if (Number.isFinite(perConn)) r.notes.push(`RSS per connection before the full GC: ${perConn.toFixed(2)} KB (garbage of the last pings included)`);
  } else if (target.kind === 'centrifugo')
    r.notes.push('Centrifugo (Go) is sampled without a forced garbage collection: its RSS includes what its collector has not returned yet');
  fillServerFigures(r, meters, rssIdle);
  r.measuredSeconds = (counters(b).at - counters(a).at) / 1e6;
  const done = await workers.finish([]);
  finishFigures(r, done);
  log(opts, `${tag} done: RSS ${r.serverRssMB.toFixed(1)} MB, ${r.rssPerConnKB.toFixed(2)} KB per connection, ${r.disconnects} disconnects`);
  return r;
}

async function saturate(
  opts: RunOptions,
  tag: string,
  workers: Workers,
  publisher: Publisher,
  meters: Meters,
  rssIdle: number,
  subsPerChannel: number[],
  base: Base,
): Promise<Result> {
  const r = emptyResult(base);
  const totalSubs = sum(subsPerChannel, (x) => x);
  const fanoutPerPub = totalSubs / subsPerChannel.length;
  const steps: StepResult[] = [];
  type Measured = { step: StepResult; hist: Histogram; cpu: CpuWindow; seconds: number; deliveries: number };
  let best: Measured | null = null;

  const measure = async (rate: number): Promise<Measured> => {
    publisher.setRate(rate);
    await sleep(1000); // let the new rate settle before measuring
    const createdA = publisher.stats.created;
    const a = await workers.mark({ takeHistogram: true });
    publisher.resetAckLatency();
    const cpuA = cpuSnapshot(meters, a);
    await sleep(opts.stepDuration * 1000);
    const b = await workers.mark({ takeHistogram: true });
    const cpuB = cpuSnapshot(meters, b);
    const cpu = cpuWindow(cpuA, cpuB);
    const createdB = publisher.stats.created;
    const ca = counters(a);
    const cb = counters(b);
    const secs = (cb.at - ca.at) / 1e6;
    const h = mergeHist(b);
    const delivered = cb.received - ca.received;
    const expected = (createdB - createdA) * fanoutPerPub;
    const step: StepResult = {
      rate,
      publishedPerSec: Math.round((createdB - createdA) / secs),
      deliveriesPerSec: Math.round(delivered / secs),
      deliveryRatio: expected > 0 ? delivered / expected : 0,
      p50: ms(h.percentile(50)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
      serverCpuPct: cpu.server,
      redisCpuPct: cpu.redis,
      benchCpuPct: cpu.bench.total,
      machineCpuPct: cpu.machine,
      otherCpuPct: otherCpu(cpu),
      ackP99: ms(publisher.stats.ackLatency.percentile(99)),
      ok: true,
      why: '',
    };
    const backlog = publisher.backlog();
    if (cb.disconnects > 0) step.why = `${cb.disconnects} disconnects`;
    else if (step.deliveryRatio < 0.95) step.why = `delivered ${(step.deliveryRatio * 100).toFixed(0)}% of what was published`;
    else if (step.p99 > opts.maxP99) step.why = `p99 ${step.p99} ms > ${opts.maxP99} ms`;
    else if (backlog > rate) step.why = `API backlog of ${backlog} publications`;
    else if (step.publishedPerSec < rate * 0.9) step.why = `publisher reached only ${step.publishedPerSec}/s (bench-limited)`;
    step.ok = step.why === '';
    steps.push(step);
    log(
      opts,
      `${tag} step ${steps.length}: ${rate} pub/s → ${step.deliveriesPerSec} deliveries/s (${(step.deliveryRatio * 100).toFixed(1)}%), ` +
        `p50 ${step.p50} p99 ${step.p99} max ${step.max} ms${step.ok ? '' : ' — ' + step.why}`,
    );
    const m: Measured = { step, hist: h, cpu, seconds: secs, deliveries: delivered };
    if (step.ok && (!best || step.deliveriesPerSec > best.step.deliveriesPerSec)) best = m;
    return m;
  };

  // A step that fails while processes outside the run took a share of the CPU
  // is measured again (after the server caught up), up to --retry-disturbed times.
  const measureUndisturbed = async (rate: number): Promise<Measured> => {
    let m = await measure(rate);
    for (let i = 0; i < opts.retryDisturbed && !m.step.ok && m.step.otherCpuPct > OTHER_CPU_WARN; i++) {
      m.step.why += ` (disturbed: other processes ${m.step.otherCpuPct.toFixed(0)}% CPU; measured again)`;
      log(opts, `${tag} step disturbed by other processes (${m.step.otherCpuPct.toFixed(0)}% of a core): measuring it again`);
      await publisher.stop(10000);
      await drain(opts, workers, expectedDeliveries(publisher.seq, subsPerChannel));
      m = await measure(rate);
    }
    return m;
  };

  await sleep(1000);
  await workers.mark({ recordFrom: 0 });
  // Up by stepFactor until a step fails…
  let lastOk = 0;
  let firstFail: StepResult | null = null;
  let rate = opts.rate;
  for (let i = 0; i < opts.maxSteps; i++) {
    const m = await measureUndisturbed(rate);
    if (!m.step.ok) {
      firstFail = m.step;
      break;
    }
    lastOk = rate;
    rate = Math.round(rate * opts.stepFactor);
  }
  // …then narrow the gap between the last good and the first bad rate, after
  // letting the server catch up with what the failed step left queued.
  let hi = firstFail?.rate ?? 0;
  const recoverable = firstFail !== null && !firstFail.why.includes('disconnects') && !firstFail.why.includes('bench-limited');
  for (let i = 0; recoverable && lastOk > 0 && i < opts.refine; i++) {
    const mid = Math.round(Math.sqrt(lastOk * hi));
    if (mid <= lastOk || mid >= hi) break;
    await publisher.stop(10000);
    await drain(opts, workers, expectedDeliveries(publisher.seq, subsPerChannel));
    const m = await measureUndisturbed(mid);
    if (m.step.ok) lastOk = mid;
    else if (m.step.why.includes('disconnects')) break;
    else hi = mid;
  }

  fillServerFigures(r, meters, rssIdle);
  await publisher.stop(5000);
  const published = publisher.seq.slice();
  await drain(opts, workers, expectedDeliveries(published, subsPerChannel));
  const done = await workers.finish(published);
  finishFigures(r, done);
  r.steps = steps;
  r.publishErrors = publisher.stats.errors;
  r.publishErrorSamples = publisher.stats.errorSamples;
  const b = best as Measured | null;
  if (b) {
    r.rate = b.step.rate;
    r.publishedPerSec = b.step.publishedPerSec;
    r.deliveries = b.deliveries;
    r.deliveriesPerSec = b.step.deliveriesPerSec;
    r.measuredSeconds = b.seconds;
    r.ackP99 = b.step.ackP99;
    fillCpu(r, b.cpu);
    fillLatency(r, b.hist);
  } else {
    r.notes.push('even the first step failed: lower --rate');
  }
  if (!firstFail) r.notes.push(`never saturated up to ${steps[steps.length - 1]?.rate} pub/s: raise --max-steps or --rate`);
  else if (firstFail.why.includes('bench-limited')) r.notes.push('the publisher, not the server, ran out first');
  if (r.lost > 0) r.notes.push('publications were lost after the server saturated (the run pushes past the limit)');
  log(opts, `${tag} done: ${r.deliveriesPerSec} deliveries/s sustained at ${r.rate} pub/s (p99 ${r.p99} ms)`);
  return r;
}

/**
 * publish: every lane keeps one batch of `batchMax` publications in flight
 * (flood), so the rate is what the server acknowledges; optional subscribers
 * (connection i on channel i % channels) check that the publications also come
 * out; afterwards history is read back (from Redis with the Redis engine) to
 * check it holds every acknowledged publication.
 */
async function publish(
  opts: RunOptions,
  tag: string,
  target: Target,
  workers: Workers | null,
  publisher: Publisher,
  meters: Meters,
  rssIdle: number,
  subsPerChannel: number[],
  channelNames: string[],
  base: Base,
): Promise<Result> {
  const r = emptyResult(base);
  if (workers) await sleep(1000);
  log(
    opts,
    `${tag} publishing as fast as acknowledged: ${Math.min(opts.lanes, channelNames.length)} lanes, batches of ${opts.batchMax}` +
      `${opts.batchParallel ? ' (parallel)' : ''}, ${opts.size} B each, over ${channelNames.length} channels with history ` +
      `(size ${opts.historySize}, ttl ${opts.historyTtl} s) for ${opts.duration} s (first ${opts.warmup} s warm-up)`,
  );
  publisher.flood();
  await sleep(opts.warmup * 1000);
  const s0 = { created: publisher.stats.created, acked: publisher.stats.acked, errors: publisher.stats.errors, requests: publisher.stats.requests };
  const a = workers ? await workers.mark({ recordFrom: nowUs() }) : [];
  publisher.resetAckLatency();
  const cpuA = cpuSnapshot(meters, a);
  await sleep(Math.max(1, opts.duration - opts.warmup) * 1000);
  const b = workers ? await workers.mark() : [];
  const cpuB = cpuSnapshot(meters, b);
  const s1 = { created: publisher.stats.created, acked: publisher.stats.acked, errors: publisher.stats.errors, requests: publisher.stats.requests };
  fillAck(r, publisher);
  fillServerFigures(r, meters, rssIdle);
  r.rssPerConnKB = Number.NaN; // a handful of subscribers: RSS here is the publishing, not the connections
  fillCpu(r, cpuWindow(cpuA, cpuB));
  r.measuredSeconds = (cpuB.bench.at - cpuA.bench.at) / 1e6;
  r.publishedPerSec = Math.round((s1.created - s0.created) / r.measuredSeconds);
  r.ackedPerSec = Math.round((s1.acked - s0.acked) / r.measuredSeconds);
  r.publishRequestsPerSec = Math.round((s1.requests - s0.requests) / r.measuredSeconds);
  r.publicationsPerRequest = s1.requests > s0.requests ? (s1.acked + s1.errors - s0.acked - s0.errors) / (s1.requests - s0.requests) : Number.NaN;
  if (workers) {
    const ca = counters(a);
    const cb = counters(b);
    r.deliveries = cb.received - ca.received;
    r.deliveriesPerSec = Math.round(r.deliveries / ((cb.at - ca.at) / 1e6));
  }

  await publisher.stop();
  const published = publisher.seq.slice();
  if (workers) {
    await drain(opts, workers, expectedDeliveries(published, subsPerChannel));
    const done = await workers.finish(published);
    finishFigures(r, done);
    fillLatency(r, mergeHist(done));
  }
  r.publishErrors = publisher.stats.errors;
  r.publishErrorSamples = publisher.stats.errorSamples;
  if (publisher.stats.backlog > 0) r.notes.push(`${publisher.stats.backlog} publications still unacknowledged when publishing stopped`);

  const st = publisher.stats;
  try {
    r.history = target.redis
      ? await checkRedisHistory(target.redis.address, target.redis.prefix, channelNames, published, st.acked, st.errors, opts.historySize)
      : await checkApiHistory(target.apiUrl, target.apiKey, channelNames, published, st.acked, st.errors, opts.historySize);
    r.historyProblems = r.history.problems;
  } catch (err) {
    r.notes.push(`history could not be read back: ${(err as Error).message}`);
  }
  log(
    opts,
    `${tag} done: ${r.ackedPerSec} publications/s acknowledged, ${r.publishErrors} errors; history ` +
      (r.history ? (r.history.ok ? `holds all ${r.history.topOffsetSum} (${r.history.source})` : `has ${r.history.problems} problems`) : 'not checked'),
  );
  return r;
}

/** CPU readings around a connect storm: the server processes (cumulative seconds), the bench's main process and the machine. */
interface StormMark {
  server: CpuMark | null;
  ownUs: number;
  machine: number;
  /** performance.now(), ms */
  at: number;
}

function stormMark(meters: Meters): StormMark {
  const own = process.cpuUsage();
  return { server: meters.server?.mark() ?? null, ownUs: own.user + own.system, machine: machineCpuSeconds(), at: performance.now() };
}

/**
 * The figures of a connect storm from the subscriber processes' ready
 * messages and the CPU marks taken around it (`markSeconds` apart: a little
 * longer than the storm, the messages to and from the subscriber processes
 * included). CPU % are over the marks' window; CPU per connection is the
 * server's CPU seconds between the marks over the subscribed connections.
 */
export function stormFigures(
  ready: Array<Pick<ReadyMsg, 'subscribed' | 'firstStartAt' | 'lastSubscribedAt' | 'cpuUsAtStart' | 'cpuUsAtEnd'>>,
  markSeconds: number,
  serverCpuSeconds: number,
  ownCpuUs: number,
  machineCpuSeconds: number,
): {
  stormSeconds: number;
  connectsPerSec: number;
  serverCpuPct: number;
  cpuUsPerConnect: number;
  benchCpuPct: number;
  subscriberCpuPctMax: number;
  machineCpuPct: number;
} {
  const subscribed = sum(ready, (r) => r.subscribed);
  const starts = ready.map((r) => r.firstStartAt).filter((t) => t > 0);
  const ends = ready.map((r) => r.lastSubscribedAt).filter((t) => t > 0);
  const stormSeconds = starts.length > 0 && ends.length > 0 ? (Math.max(...ends) - Math.min(...starts)) / 1e6 : Number.NaN;
  const pct = (cpuSeconds: number) => (markSeconds > 0 ? (cpuSeconds / markSeconds) * 100 : Number.NaN);
  const perWorker = ready.map((r) => pct((r.cpuUsAtEnd - r.cpuUsAtStart) / 1e6));
  return {
    stormSeconds,
    connectsPerSec: stormSeconds > 0 ? subscribed / stormSeconds : Number.NaN,
    serverCpuPct: pct(serverCpuSeconds),
    cpuUsPerConnect: subscribed > 0 ? (serverCpuSeconds * 1e6) / subscribed : Number.NaN,
    benchCpuPct: pct(ownCpuUs / 1e6) + perWorker.reduce((a, b) => a + b, 0),
    subscriberCpuPctMax: Math.max(0, ...perWorker),
    machineCpuPct: pct(machineCpuSeconds),
  };
}

/**
 * connect-storm: the ramp was the storm (every connection opened as soon as a
 * slot of --in-flight was free, each with a token signed ahead and one
 * subscription). Figures: connections per second from the first start to the
 * last subscribe reply, connect + subscribe latency, server CPU per
 * connection, and server RSS per connection one second after the storm.
 */
async function connectStorm(
  opts: RunOptions,
  tag: string,
  workers: Workers,
  meters: Meters,
  rssIdle: number,
  ready: ReadyMsg[],
  a: StormMark,
  b: StormMark,
  base: Base,
): Promise<Result> {
  const r = emptyResult(base);
  const serverCpuSeconds = a.server && b.server ? b.server.cpu - a.server.cpu : Number.NaN;
  const markSeconds = (b.at - a.at) / 1000;
  const f = stormFigures(ready, markSeconds, serverCpuSeconds, b.ownUs - a.ownUs, b.machine - a.machine);
  r.stormSeconds = f.stormSeconds;
  r.connectsPerSec = f.connectsPerSec;
  r.serverCpuSeconds = serverCpuSeconds;
  r.serverCpuPct = f.serverCpuPct;
  r.cpuUsPerConnect = f.cpuUsPerConnect;
  r.benchCpuPct = f.benchCpuPct;
  r.publisherCpuPct = 0;
  r.subscriberCpuPctMax = f.subscriberCpuPctMax;
  r.machineCpuPct = f.machineCpuPct;
  r.measuredSeconds = f.stormSeconds;
  if (a.server && b.server && meters.server) {
    const sa = a.server;
    const sb = b.server;
    r.serverNodes = meters.server.pids.map((pid, i) => ({ pid, rssMB: Number.NaN, cpuPct: (((sb.cpus[i] ?? 0) - (sa.cpus[i] ?? 0)) / markSeconds) * 100 }));
  }
  const ours = [r.serverCpuPct, r.benchCpuPct].filter(Number.isFinite).reduce((x, y) => x + y, 0);
  r.otherCpuPct = Number.isFinite(r.machineCpuPct) ? Math.max(0, r.machineCpuPct - ours) : Number.NaN;
  if (r.otherCpuPct > OTHER_CPU_WARN) {
    r.notes.push(
      `other processes used ${r.otherCpuPct.toFixed(0)}% of a core during the storm (machine ${r.machineCpuPct.toFixed(0)}%): ` +
        'the figures are disturbed; run again on a quiet machine',
    );
  }
  if (r.subscriberCpuPctMax > 85) {
    r.notes.push(
      `a subscriber process used ${r.subscriberCpuPctMax.toFixed(0)}% of a core: the generator may be the limit (more --workers only helps with idle cores)`,
    );
  }
  const lat = mergeConnectHist(ready);
  r.connectP50 = ms(lat.percentile(50));
  r.connectP99 = ms(lat.percentile(99));
  r.connectMax = ms(lat.max);
  await sleep(1000); // let the last replies' buffers go before RSS is read
  fillServerFigures(r, meters, rssIdle);
  const done = await workers.finish([]);
  finishFigures(r, done);
  log(
    opts,
    `${tag} done: ${r.subscribed} subscribed in ${r.stormSeconds.toFixed(2)} s (${Math.round(r.connectsPerSec)}/s), ` +
      `connect+subscribe p50 ${r.connectP50} ms p99 ${r.connectP99} ms, server CPU ${r.cpuUsPerConnect.toFixed(0)} µs per connection, ` +
      `${r.rssPerConnKB.toFixed(2)} KB RSS per connection`,
  );
  return r;
}

function mergeConnectHist(ready: ReadyMsg[]): Histogram {
  const h = new Histogram();
  for (const m of ready) h.merge(m.connectLatency);
  return h;
}
