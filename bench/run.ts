// The scenarios: fanout, idle and saturate, each run against one target.

import { nowUs } from './clock.js';
import { Histogram, type HistogramData } from './histogram.js';
import type { ClientKind, FinishedMsg, MarkReplyMsg, ReadyMsg } from './ipc.js';
import { fdCount, fdLimit, ProcSampler, rssBytes } from './procstat.js';
import { Publisher } from './publisher.js';
import { serverProblems, type Target } from './servers.js';
import { sum, Workers } from './workers.js';

export type Scenario = 'fanout' | 'idle' | 'saturate';

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
  ok: boolean;
  why: string;
}

export interface Result {
  scenario: Scenario;
  target: string;
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
  /** Server CPU over the measured window, % of one core. */
  serverCpuPct: number;
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

function serverAlive(pid: number | undefined): boolean {
  return pid === undefined || !Number.isNaN(rssBytes(pid));
}

export async function runScenario(opts: RunOptions, target: Target): Promise<Result> {
  const tag = `[${opts.scenario}/${target.name}]`;
  const pid = target.pid;
  const notes: string[] = [];
  let conns = opts.conns;

  // The server must be able to hold the connections: check its open-file limit.
  if (pid !== undefined) {
    const limit = fdLimit(pid);
    const used = fdCount(pid);
    const room = limit - used - 16 - opts.lanes;
    if (Number.isFinite(room) && conns > room) {
      const msg = `server ${target.name} (pid ${pid}) may open ${limit} files and has ${used} open: ${conns} connections do not fit, using ${room}`;
      log(opts, `${tag} WARNING ${msg}`);
      notes.push(msg);
      conns = room;
    }
  }

  const sampler = pid !== undefined ? new ProcSampler(pid, 1000) : null;
  await sleep(500);
  const rssIdle = pid !== undefined ? rssBytes(pid) : Number.NaN;
  const channelNames = Array.from({ length: Math.min(opts.channels, conns) }, (_, i) => `${opts.channelPrefix}${i}`);
  if (opts.channels > opts.conns) notes.push(`only ${channelNames.length} channels: fewer connections than channels`);

  const workers = new Workers(opts.workers, (p) => {
    if (!opts.quiet) process.stderr.write(`\r${tag} ramp: ${p.subscribed}/${conns} subscribed, ${p.failed} failed   `);
  });
  const publisher =
    opts.scenario === 'idle'
      ? null
      : new Publisher({ apiUrl: target.apiUrl, apiKey: target.apiKey, channels: channelNames, size: opts.size, lanes: opts.lanes, batchMax: opts.batchMax });

  try {
    const rampStart = Date.now();
    const ready: ReadyMsg[] = await workers.ramp(
      {
        wsUrl: target.wsUrl,
        tokenSecret: target.tokenSecret,
        channels: channelNames,
        rampBatch: Math.max(1, Math.ceil(opts.rampBatch / opts.workers)),
        localAddresses: opts.localAddresses,
        client: opts.client,
        userPrefix: 'bench-user-',
        connectTimeoutMs: opts.connectTimeout * 1000,
      },
      conns,
    );
    const rampSeconds = (Date.now() - rampStart) / 1000;
    if (!opts.quiet) process.stderr.write('\n');
    const subscribed = sum(ready, (r) => r.subscribed);
    const failed = sum(ready, (r) => r.failed);
    const connectErrors: Record<string, number> = {};
    for (const r of ready) for (const [k, v] of Object.entries(r.errors)) connectErrors[k] = (connectErrors[k] ?? 0) + v;
    const subsPerChannel = new Array<number>(channelNames.length).fill(0);
    for (const r of ready) r.subsPerChannel.forEach((n, i) => (subsPerChannel[i]! += n));
    log(opts, `${tag} ${subscribed} subscribed in ${rampSeconds.toFixed(1)} s, ${failed} failed${failed ? ' ' + JSON.stringify(connectErrors) : ''}`);
    if (subscribed === 0) throw new Error(`no connection could subscribe: ${JSON.stringify(connectErrors)}`);

    const base = {
      scenario: opts.scenario,
      target: target.name,
      conns,
      subscribed,
      connectFailures: failed,
      connectErrors,
      channels: channelNames.length,
      size: opts.size,
      rampSeconds,
      notes,
    };

    let result: Result;
    if (opts.scenario === 'idle') {
      result = await idle(opts, tag, target, workers, sampler, rssIdle, base);
    } else if (opts.scenario === 'fanout') {
      result = await fanout(opts, tag, target, workers, publisher!, sampler, rssIdle, subsPerChannel, base);
    } else {
      result = await saturate(opts, tag, target, workers, publisher!, sampler, rssIdle, subsPerChannel, base);
    }
    const problems = serverProblems(target.logFile);
    result.serverLogProblems = problems.count;
    result.serverLogSamples = problems.samples;
    result.serverAlive = serverAlive(pid);
    if (!result.serverAlive) notes.push('the server process died during the run');
    return result;
  } finally {
    publisher?.close();
    sampler?.stop();
    await workers.close();
  }
}

type Base = Pick<Result, 'scenario' | 'target' | 'conns' | 'subscribed' | 'connectFailures' | 'connectErrors' | 'channels' | 'size' | 'rampSeconds' | 'notes'>;

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
    benchCpuPct: Number.NaN,
    publisherCpuPct: Number.NaN,
    subscriberCpuPctMax: Number.NaN,
    measuredSeconds: 0,
    serverAlive: true,
    serverLogProblems: 0,
    serverLogSamples: [],
  };
}

function fillServerFigures(r: Result, sampler: ProcSampler | null, rssIdle: number, cpuA: { cpu: number; at: number } | null): void {
  if (!sampler) return;
  const rss = sampler.sample();
  r.serverRssIdleMB = rssIdle / MB;
  r.serverRssMB = rss / MB;
  r.serverRssPeakMB = sampler.peakRss / MB;
  r.serverRssTimelineMB = sampler.timeline.map((b) => Math.round((b / MB) * 10) / 10);
  r.rssPerConnKB = r.subscribed > 0 ? (rss - rssIdle) / 1024 / r.subscribed : Number.NaN;
  if (cpuA) r.serverCpuPct = ProcSampler.cpuPercent(cpuA, sampler.mark());
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
  for (const d of done) for (const [k, v] of Object.entries(d.closeCodes)) r.closeCodes[k] = (r.closeCodes[k] ?? 0) + v;
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
  target: Target,
  workers: Workers,
  publisher: Publisher,
  sampler: ProcSampler | null,
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
  const a = await workers.mark({ recordFrom });
  const cpuA = sampler?.mark() ?? null;
  const benchA = benchCpuMark(a);
  await sleep(Math.max(1, opts.duration - opts.warmup) * 1000);
  const b = await workers.mark();
  const benchB = benchCpuMark(b);
  const createdB = publisher.stats.created;
  fillServerFigures(r, sampler, rssIdle, cpuA);
  const ca = counters(a);
  const cb = counters(b);
  r.measuredSeconds = (cb.at - ca.at) / 1e6;
  r.deliveries = cb.received - ca.received;
  r.deliveriesPerSec = Math.round(r.deliveries / r.measuredSeconds);
  r.publishedPerSec = Math.round((createdB - createdA) / r.measuredSeconds);
  fillBenchCpu(r, benchCpu(benchA, benchB));

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

async function idle(
  opts: RunOptions,
  tag: string,
  _target: Target,
  workers: Workers,
  sampler: ProcSampler | null,
  rssIdle: number,
  base: Base,
): Promise<Result> {
  const r = emptyResult(base);
  log(opts, `${tag} settling ${opts.settle} s, then holding ${opts.duration} s`);
  await sleep(opts.settle * 1000);
  const a = await workers.mark();
  const cpuA = sampler?.mark() ?? null;
  const benchA = benchCpuMark(a);
  const end = Date.now() + opts.duration * 1000;
  while (Date.now() < end) await sleep(Math.min(1000, end - Date.now()));
  const b = await workers.mark();
  fillBenchCpu(r, benchCpu(benchA, benchCpuMark(b)));
  fillServerFigures(r, sampler, rssIdle, cpuA);
  r.measuredSeconds = (counters(b).at - counters(a).at) / 1e6;
  const done = await workers.finish([]);
  finishFigures(r, done);
  log(opts, `${tag} done: RSS ${r.serverRssMB.toFixed(1)} MB, ${r.rssPerConnKB.toFixed(2)} KB per connection, ${r.disconnects} disconnects`);
  return r;
}

async function saturate(
  opts: RunOptions,
  tag: string,
  _target: Target,
  workers: Workers,
  publisher: Publisher,
  sampler: ProcSampler | null,
  rssIdle: number,
  subsPerChannel: number[],
  base: Base,
): Promise<Result> {
  const r = emptyResult(base);
  const totalSubs = sum(subsPerChannel, (x) => x);
  const fanoutPerPub = totalSubs / subsPerChannel.length;
  const steps: StepResult[] = [];
  type Measured = { step: StepResult; hist: Histogram; cpu: number; bench: BenchCpu; seconds: number; deliveries: number };
  let best: Measured | null = null;

  const measure = async (rate: number): Promise<Measured> => {
    publisher.setRate(rate);
    await sleep(1000); // let the new rate settle before measuring
    const createdA = publisher.stats.created;
    const a = await workers.mark({ takeHistogram: true });
    const cpuA = sampler?.mark() ?? null;
    const benchA = benchCpuMark(a);
    await sleep(opts.stepDuration * 1000);
    const b = await workers.mark({ takeHistogram: true });
    const benchB = benchCpuMark(b);
    const cpuB = sampler?.mark() ?? null;
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
    const m: Measured = {
      step,
      hist: h,
      cpu: cpuA && cpuB ? ProcSampler.cpuPercent(cpuA, cpuB) : Number.NaN,
      bench: benchCpu(benchA, benchB),
      seconds: secs,
      deliveries: delivered,
    };
    if (step.ok && (!best || step.deliveriesPerSec > best.step.deliveriesPerSec)) best = m;
    return m;
  };

  await sleep(1000);
  await workers.mark({ recordFrom: 0 });
  // Up by stepFactor until a step fails…
  let lastOk = 0;
  let firstFail: StepResult | null = null;
  let rate = opts.rate;
  for (let i = 0; i < opts.maxSteps; i++) {
    const m = await measure(rate);
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
    const m = await measure(mid);
    if (m.step.ok) lastOk = mid;
    else if (m.step.why.includes('disconnects')) break;
    else hi = mid;
  }

  fillServerFigures(r, sampler, rssIdle, null);
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
    r.serverCpuPct = b.cpu;
    fillBenchCpu(r, b.bench);
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
