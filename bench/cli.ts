// Load tools for Tributary (or any Centrifugo-protocol server):
//
//   npm run bench -- <scenario|preset> [flags]
//
// See bench/README.md and `npm run bench -- --help`.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ClientKind } from './ipc.js';
import { num, UsageError } from './flags.js';
import { fdLimit } from './procstat.js';
import { DELTA_NAMESPACE, deltaServerConfig, deltaTable, deltaVerdicts, runDelta, type DeltaOptions, type DeltaResult } from './delta.js';
import { ensureLocalNats } from './service-scripts.js';
import { ensureLocalRedis, parseRedisUrl, redisServerPid, type RedisAddress } from './redis.js';
import { cpuSplit, nodesTable, publishSummary, ratios, stepsTable, stormTable, table, transportVerdicts, verdicts, verdictText, type Check } from './report.js';
import { runScenario, type Result, type RunOptions, type Scenario } from './run.js';
import {
  BENCH_NAMESPACE,
  ensureCentrifugoBinary,
  externalTarget,
  freshRedisPrefix,
  killAll,
  startBaseline,
  startCentrifugo,
  startTributary,
  targetTail,
  tributaryConfig,
  type EngineName,
  type StartOptions,
  type Target,
  type TargetName,
} from './servers.js';
import { JwksIssuer, TOKEN_ALGS, type TokenAlg } from './tokens.js';
import { isTransportName, TRANSPORTS, type TransportName } from './transports.js';

const USAGE = `usage: npm run bench -- <scenario|preset> [flags]

scenarios
  fanout      N subscribers over C channels, publications at rate R of S bytes
  idle        N idle connections with one subscription each: server RSS per connection
  saturate    raise the publish rate step by step until delivery, latency or loss breaks
  publish     publications with history as fast as the server acknowledges them (every lane keeps
              one batch in flight), over C channels; then reads history back (from Redis with the
              Redis engine) to check it holds every acknowledged publication. No baseline run;
              --engine redis by default; N subscribers (default 0) on channels 0..N-1 check delivery
  delta       fossil delta: N subscribers with delta and N without, K versions of an evolving
              ~5 KB JSON document; bytes on the wire, documents rebuilt and checked byte for byte
              (no baseline run; prints PASS/FAIL for the issue 3 target)
  connect-storm
              N connections (default 10,000) opened as fast as the server takes them: each subscriber
              process keeps --in-flight (500) between socket connect and subscribe reply, each connection
              with its own token (signed ahead) and one subscription (its own channel, or --channels C).
              Reports connects/s (first start to last subscribed), p50/p99 connect+subscribe latency,
              failures, server CPU per connection (CPU seconds over the storm / N), RSS per connection

soak scenario (issue 20: what hours of steady mixed load do to one server)
  soak        N connections (a mix of transports) over C channels with history and forced recovery;
              publications through the HTTP API, a PostgreSQL outbox and Kafka at once (each numbered per
              channel); every second a share of the connections closes and reconnects with recovery.
              Per window (a minute, or a tenth of shorter runs): server RSS, V8 heap, event-loop delay
              p99, deliveries/s and their p99. At the end every subscriber is checked against its
              channel's history (lost, duplicated, out of order) and PASS/FAIL lines judge the targets:
              RSS growth < 5% from window 2 to the last, 0 lost, event-loop delay p99 < 50 ms
  --duration D         seconds of load (default 600)
  --conns N            connections (default 10,000); connection i: channel i % C, transport i % (list)
  --channels C         channels (default 1,000)
  --rate R             publications per second, split evenly over the sources (default 300)
  --churn P            % of the live connections closed and reopened per second (default 1)
  --transport T        the mix, comma-separated: websocket,sse,http_stream (default all three)
  --sources S          http,outbox,kafka (default all three; outbox and Kafka use the project's
                       services through scripts/services/postgres.sh and kafka.sh ensure)
  --history-size N     history per channel (default: what one window publishes per channel, at least 10)
  --engine E           memory (default) | redis (scripts/services/redis.sh ensure, or --redis-url)
  --drain D            seconds to wait at the end for consumers and subscribers to catch up (default 60)
  --workers, --ramp-batch, --connect-timeout, --server-build, --server-config, --server-node-args,
  --server-log-level, --redis-url, --keep-tmp, --json, --quiet: as below

presets (targets of issue 3 and of "Redis engine"; flags given explicitly still win)
  room-10k      fanout: 10,000 subscribers in 1 channel, 10 pub/s of 100 B
  channels-1k   fanout: 1,000 channels x 10 subscribers, 10,000 pub/s in total
  saturate-1k   saturate: 1,000 channels x 10 subscribers, from 2,000 pub/s, 5 s steps
  idle-20k      idle: 20,000 connections (clamped to what the fd limit allows)
  redis-publish publish: one node, Redis engine, 100 channels with history (100, 300 s), 4 lanes of
                parallel batches of 200, 10 subscribers, 15 s; checks >= 30,000 publications/s
                acknowledged, no errors, history holding every one of them (read from Redis), 0 lost, 0 dup
  redis-2nodes  saturate twice: one node with the memory engine, then two nodes sharing Redis
                (--target tributary:memory,tributary:redis:2), 1,000 channels x 10 subscribers, from
                2,000 pub/s, 4 s steps, --batch-parallel; checks deliveries/s of the second >= 1.3x
                the first at the same --max-p99; prints how CPU split

what to run against
  --target T           tributary | baseline | centrifugo | both (default both: same load, one after the other,
                       with ratios; publish and delta: tributary), or a comma-separated list of runs, each
                       tributary[:memory|redis|nats[:NODES]], centrifugo[:/path/to/binary] or baseline, e.g.
                       tributary:memory,tributary:redis:2 or tributary,centrifugo. Ratios and ratio checks
                       compare with the baseline, or else with the first run listed.
                       tributary:nats:N: N nodes with the memory engine and the Nats broker between them, on
                       the NATS scripts/services/nats.sh ensure starts (a fresh subject prefix per run)
                       centrifugo: a reference Centrifugo v6 started with a generated config equivalent to
                       Tributary's (memory engine, one process); the binary is what
                       scripts/services/centrifugo.sh ensure prints (it builds v6.9.1 with Go on first use)
  --engine E           memory (default; publish: redis) | redis: the engine of "tributary" runs
  --nodes N            Tributary processes sharing one Redis prefix (default 1; needs --engine redis).
                       Subscriber k of each channel connects to node k mod N, publisher lane i posts to
                       node i mod N; server RSS and CPU are summed over the nodes (and shown per node)
  --redis-url URL      redis://host:port[/db] for the Redis engine (default: what
                       scripts/services/redis.sh ensure prints; it installs and starts one if needed).
                       Every run gets a fresh random key prefix, removed afterwards (kept with --keep-tmp)
  --ws-url URL         an external server instead (with --api-url, --api-key, --token-secret); a
                       comma-separated list is the nodes of one hub, spread over as with --nodes
  --api-url URL        default: derived from --ws-url (http://host:port/api); a list: one per node
  --api-key KEY
  --token-secret S     HS256 secret for connection tokens (claim sub)
  --server-pid PID     external server's pid, for RSS and CPU figures; a list: one per node
  --server-build B     tsx (default: src/ through tsx) | dist (bin/tributary.js; npm run build first)
  --server-config F    JSON merged into the generated Tributary config
  --server-node-args=A node flags for the started servers, space-separated; use the = form,
                       e.g. --server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"
  --server-log-level L Tributary log level (default info); warnings and errors are reported

load
  --conns N            connections, one subscription each (fanout 1000, idle 2000, saturate 2000, publish 0)
  --channels C         channels; connection i subscribes to channel i % C (fanout 1, idle = conns,
                       saturate 200, publish 100)
  --channel-prefix P   channel names P0, P1… (default "${BENCH_NAMESPACE}:c")
  --rate R             publications per second in total (fanout 10; saturate: the first step, 1000)
  --size S             bytes of each publication's data (default 100)
  --duration D         seconds of publishing (fanout and publish 15) or of holding (idle 10)
  --warmup W           seconds at the start of a fanout or publish run left out of the figures (default 2)
  --drain D            seconds to wait for late deliveries after publishing stops (default 10)
  --settle S           idle: seconds between the last connection and the first measurement (default 5)
  --step-factor F      saturate: rate multiplier per step (default 1.25)
  --step-duration D    saturate: measured seconds per step (default 3)
  --max-steps N        saturate: (default 30)
  --max-p99 MS         saturate: a step with a higher p99 counts as saturated (default 100)
  --refine N           saturate: steps between the last good and the first bad rate (default 2)
  --retry-disturbed N  saturate: a step that fails while processes outside the run use more than 20% of a
                       core is measured again, up to N times (default 2)
  --history-size N     history of the bench namespace (publish: 100; other scenarios: none)
  --history-ttl S      seconds (publish: 300; with --history-size elsewhere too)
  --delta              the delta scenario (same as naming it)
  --in-flight N        connect-storm: connections between start and subscribed at once, per subscriber
                       process (default 500)
  --token-alg A        hs256 (default: HMAC with the server's secret) | rs256-jwks: RS256 tokens signed with
                       a key of the bench's own, whose JWKS it serves on a loopback port; the servers it
                       starts get client.token.jwks_public_endpoint. Tokens are signed before the run
                       (always in connect-storm), so signing is not in the figures

delta scenario
  --conns N            subscribers in each group: N with fossil delta, N without (default 100)
  --publications K     versions of the document published (default 200)
  --rate R             publications per second (default 20)
  --size S             size of the document in bytes (default 5000)
  --changes N          items of the document changed per version (default 1)
  --channel-prefix P   the channel is P0 (default "${DELTA_NAMESPACE}:c", in a namespace with history,
                       recovery and fossil delta that the bench adds to the generated config)
  --drain, --ramp-batch, --connect-timeout, --json, --quiet, --engine, --redis-url, the target flags: as above

 transports (fanout, idle and saturate)
  --transport T        websocket (default) | http_stream | sse | uni_websocket | uni_http_stream | uni_sse, or a
                       comma-separated list. Each one is its own run against a fresh server; websocket runs first
                       as the reference of the ratio rows and checks when it is not listed. Every transport but
                       websocket subscribes through the token's channels claim; http_stream and sse answer pings
                       with POST /emulation, as the SDK does. Checks: CPU per delivery of sse and http_stream
                       <= 1.3x websocket (fanout), RSS per idle sse connection <= 1.2x websocket (idle).
                       With --transport the default target is tributary (the baseline speaks only WebSocket)

generator
  --workers N          subscriber processes (default 1; raised when the fd limit requires)
  --client K           raw (default: minimal client over node:net) | ws (the ws package, as a cross-check)
  --ramp-batch N       connections opened at a time (default 500)
  --connect-timeout S  per connection (default 10)
  --lanes N            publisher HTTP keep-alive connections, one request in flight each (default 4;
                       publish 100; at most one per channel)
  --batch-max N        publications per API request at most (default 200, publish 100; one →
                       /api/publish, more → /api/batch; publish: every request carries exactly N)
  --batch-parallel     send batches with "parallel": true (the server may run their publishes
                       concurrently; order within a channel is then not guaranteed, "dup" shows it)
  --local-addresses N  spread client sockets over 127.0.0.1…127.0.0.N (more ephemeral ports; default 1)

output
  --json FILE          also write the results as JSON
  --quiet              no progress on stderr
  --keep-tmp           keep the generated configs, server logs and the run's Redis keys
`;

interface Preset {
  scenario: Scenario;
  values: Record<string, string>;
  checks: Check[];
}

export const PUBLISH_TARGET = 30000;

const PRESETS: Record<string, Preset> = {
  'room-10k': {
    scenario: 'fanout',
    values: { conns: '10000', channels: '1', rate: '10', size: '100', duration: '20' },
    checks: [
      { label: '10k subscribers in one channel, 10 pub/s: p99 <= 100 ms', metric: 'p99', op: '<=', value: 100, ratio: 1.25 },
      { label: 'no publication lost', metric: 'lost', op: '<=', value: 0 },
      { label: 'no publication duplicated', metric: 'dup', op: '<=', value: 0 },
    ],
  },
  'channels-1k': {
    scenario: 'fanout',
    values: { conns: '10000', channels: '1000', rate: '10000', size: '100', duration: '20' },
    checks: [
      { label: '1000 channels x 10, 10k pub/s: >= 100,000 deliveries/s', metric: 'deliveriesPerSec', op: '>=', value: 100000, ratio: 0.8 },
      { label: '1000 channels x 10, 10k pub/s: p99 <= 50 ms', metric: 'p99', op: '<=', value: 50, ratio: 1.25 },
      { label: 'no publication lost', metric: 'lost', op: '<=', value: 0 },
      { label: 'no publication duplicated', metric: 'dup', op: '<=', value: 0 },
    ],
  },
  'saturate-1k': {
    scenario: 'saturate',
    values: { conns: '10000', channels: '1000', rate: '2000', size: '100', 'step-duration': '5' },
    checks: [{ label: 'deliveries/s at saturation >= 0.8x the bare-ws baseline', metric: 'deliveriesPerSec', op: '>=', value: 0, ratio: 0.8, ratioOnly: true }],
  },
  'idle-20k': {
    scenario: 'idle',
    values: { conns: '20000', duration: '30' },
    checks: [
      { label: 'idle connection with one subscription: <= 10 KB of server RSS each', metric: 'rssPerConnKB', op: '<=', value: 10 },
      { label: 'no idle connection dropped (pings answered)', metric: 'disconnects', op: '<=', value: 0 },
    ],
  },
  'redis-publish': {
    scenario: 'publish',
    // Parallel batches keep about 800 publishes in flight, enough to hide the Redis round trips and
    // keep the server's main thread busy (sequential batches over 100 lanes measured ~8 % lower).
    values: {
      engine: 'redis',
      target: 'tributary',
      channels: '100',
      conns: '10',
      size: '100',
      duration: '15',
      lanes: '4',
      'batch-max': '200',
      'batch-parallel': 'true',
      'history-size': '100',
      'history-ttl': '300',
    },
    checks: [
      { label: 'publishes with history through one node (Redis engine): >= 30,000 publications/s', metric: 'ackedPerSec', op: '>=', value: PUBLISH_TARGET },
      { label: 'no publish errors', metric: 'publishErrors', op: '<=', value: 0 },
      { label: 'history holds every acknowledged publication (read back from Redis)', metric: 'historyProblems', op: '<=', value: 0 },
      { label: 'subscribers: no publication lost', metric: 'lost', op: '<=', value: 0 },
      { label: 'subscribers: no publication duplicated or reordered', metric: 'dup', op: '<=', value: 0 },
    ],
  },
  'redis-2nodes': {
    scenario: 'saturate',
    // Parallel batches: a publish through the Redis engine waits for Redis, so with sequential batches a
    // few lanes would cap the rate at lanes / round trip, far below what the nodes can fan out.
    values: {
      target: 'tributary:memory,tributary:redis:2',
      conns: '10000',
      channels: '1000',
      rate: '2000',
      size: '100',
      'step-duration': '4',
      'batch-parallel': 'true',
    },
    checks: [
      {
        label: 'fan-out at saturation: two nodes sharing Redis >= 1.3x the deliveries/s of one memory-engine node',
        metric: 'deliveriesPerSec',
        op: '>=',
        value: 0,
        ratio: 1.3,
        ratioOnly: true,
      },
    ],
  },
};

const SCENARIO_DEFAULTS: Record<Scenario, Record<string, string>> = {
  'connect-storm': { conns: '10000' },
  fanout: { conns: '1000', channels: '1', rate: '10', duration: '15' },
  idle: { conns: '2000', duration: '10' },
  saturate: { conns: '2000', channels: '200', rate: '1000', duration: '0' },
  // Enough publishes in flight to saturate the server: one lane per channel, batches of 100 (see README).
  publish: {
    conns: '0',
    channels: '100',
    duration: '15',
    engine: 'redis',
    target: 'tributary',
    lanes: '100',
    'batch-max': '100',
    'history-size': '100',
    'history-ttl': '300',
  },
};

const OPTIONS = {
  target: { type: 'string' },
  'ws-url': { type: 'string' },
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  'token-secret': { type: 'string' },
  'server-pid': { type: 'string' },
  'server-build': { type: 'string' },
  'server-config': { type: 'string' },
  'server-node-args': { type: 'string' },
  'server-log-level': { type: 'string' },
  engine: { type: 'string' },
  nodes: { type: 'string' },
  'redis-url': { type: 'string' },
  conns: { type: 'string' },
  channels: { type: 'string' },
  'channel-prefix': { type: 'string' },
  rate: { type: 'string' },
  size: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  drain: { type: 'string' },
  settle: { type: 'string' },
  'step-factor': { type: 'string' },
  'step-duration': { type: 'string' },
  'max-steps': { type: 'string' },
  'max-p99': { type: 'string' },
  refine: { type: 'string' },
  'retry-disturbed': { type: 'string' },
  'history-size': { type: 'string' },
  'history-ttl': { type: 'string' },
  'batch-parallel': { type: 'boolean' },
  delta: { type: 'boolean' },
  publications: { type: 'string' },
  changes: { type: 'string' },
  workers: { type: 'string' },
  client: { type: 'string' },
  'ramp-batch': { type: 'string' },
  transport: { type: 'string' },
  'connect-timeout': { type: 'string' },
  lanes: { type: 'string' },
  'batch-max': { type: 'string' },
  'local-addresses': { type: 'string' },
  'in-flight': { type: 'string' },
  'token-alg': { type: 'string' },
  churn: { type: 'string' },
  sources: { type: 'string' },
  json: { type: 'string' },
  quiet: { type: 'boolean' },
  'keep-tmp': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (flags.help || (parsed.positionals.length === 0 && !flags.delta)) {
    process.stdout.write(USAGE);
    return parsed.positionals.length === 0 && !flags.help ? 2 : 0;
  }
  if (parsed.positionals.length > 1) throw new UsageError(`one scenario or preset, got: ${parsed.positionals.join(' ')}`);
  const name = parsed.positionals[0] ?? 'delta';
  if (flags.delta && name !== 'delta') throw new UsageError(`--delta is the delta scenario: it cannot be combined with "${name}"`);
  if (name === 'delta') return deltaMain(argv, flags);
  // Loaded on demand: the soak brings the outbox and Kafka clients the other scenarios never need.
  if (name === 'soak') return (await import('./soak.js')).soakMain(argv, flags);
  const preset = PRESETS[name];
  const scenario = (preset?.scenario ?? name) as Scenario;
  if (!(scenario in SCENARIO_DEFAULTS)) throw new UsageError(`unknown scenario or preset "${name}"`);
  for (const k of ['publications', 'changes']) if (flags[k] !== undefined) throw new UsageError(`--${k} belongs to the delta scenario`);
  for (const k of ['churn', 'sources']) if (flags[k] !== undefined) throw new UsageError(`--${k} belongs to the soak scenario`);

  const values: Record<string, unknown> = { ...SCENARIO_DEFAULTS[scenario], ...(preset?.values ?? {}), ...flags };
  // --ws-url means an external server: the defaults' own target and engine do not apply to it.
  if (typeof flags['ws-url'] === 'string') {
    if (flags.target === undefined) delete values.target;
    if (flags.engine === undefined) delete values.engine;
  }
  const conns = num(values, 'conns', 1000, scenario === 'publish' ? 0 : 1);
  const channels = num(values, 'channels', scenario === 'idle' || scenario === 'connect-storm' ? conns : 1, 1);
  const client = String(values.client ?? 'raw') as ClientKind;
  if (client !== 'raw' && client !== 'ws') throw new UsageError('--client: raw or ws');
  const transports = transportList(values.transport);
  if (transports.length > 1 && scenario === 'publish')
    throw new UsageError('--transport: the publish scenario measures the API; its subscribers use WebSocket');
  if (transports.some((t) => t !== 'websocket') && client === 'ws')
    throw new UsageError('--client ws is a WebSocket client: it cannot be combined with other transports');
  // The baseline speaks WebSocket only: with other transports, compare Tributary with itself.
  if (transports.length > 1 && flags.target === undefined && values.target === undefined) values.target = 'tributary';
  const nLocal = num(values, 'local-addresses', 1, 1);
  let workers = num(values, 'workers', 1, 1);
  const ownLimit = fdLimit(process.pid);
  if (Number.isFinite(ownLimit)) {
    const need = Math.ceil(conns / Math.max(100, ownLimit - 200));
    if (need > workers) {
      process.stderr.write(`note: ${conns} connections need ${need} subscriber processes with the open-file limit of ${ownLimit}\n`);
      workers = need;
    }
  }
  const historySize = num(values, 'history-size', 0, 0);
  const opts: RunOptions = {
    scenario,
    conns,
    channels,
    channelPrefix: String(values['channel-prefix'] ?? `${BENCH_NAMESPACE}:c`),
    rate: num(values, 'rate', 10, 0.001),
    size: num(values, 'size', 100, 0),
    duration: num(values, 'duration', 15, 0),
    warmup: num(values, 'warmup', 2, 0),
    drain: num(values, 'drain', 10, 0),
    settle: num(values, 'settle', 5, 0),
    workers,
    client,
    transport: 'websocket',
    rampBatch: num(values, 'ramp-batch', 500, 1),
    connectTimeout: num(values, 'connect-timeout', 10, 1),
    lanes: num(values, 'lanes', 4, 1),
    batchMax: num(values, 'batch-max', 200, 1),
    localAddresses: nLocal > 1 ? Array.from({ length: nLocal }, (_, i) => `127.0.0.${i + 1}`) : [],
    stepFactor: num(values, 'step-factor', 1.25, 1.01),
    stepDuration: num(values, 'step-duration', 3, 1),
    maxSteps: num(values, 'max-steps', 30, 1),
    maxP99: num(values, 'max-p99', 100, 0),
    refine: num(values, 'refine', 2, 0),
    retryDisturbed: num(values, 'retry-disturbed', 2, 0),
    historySize,
    historyTtl: num(values, 'history-ttl', 300, 1),
    batchParallel: Boolean(values['batch-parallel']),
    inFlight: num(values, 'in-flight', 500, 1),
    tokenAlg: tokenAlgOf(values),
    quiet: Boolean(values.quiet),
  };
  if (values['in-flight'] !== undefined && scenario !== 'connect-storm') throw new UsageError('--in-flight belongs to the connect-storm scenario');
  if (opts.tokenAlg !== 'hs256' && typeof values['ws-url'] === 'string')
    throw new UsageError('--token-alg rs256-jwks configures the servers the bench starts; an external server (--ws-url) must be set up by hand');
  if ((opts.scenario === 'fanout' || opts.scenario === 'publish') && opts.warmup >= opts.duration)
    throw new UsageError('--warmup must be shorter than --duration');
  if (opts.scenario === 'publish' && historySize < 1) throw new UsageError('--history-size: the publish scenario publishes with history (at least 1)');

  const notes: string[] = [];
  let targets = resolveTargets(values);
  if (scenario === 'publish' && targets.some((t) => t.kind === 'baseline')) {
    const msg = 'the baseline is skipped for the publish scenario: the bare-ws server keeps no history';
    process.stderr.write(`note: ${msg}\n`);
    notes.push(msg);
    targets = targets.filter((t) => t.kind !== 'baseline');
    if (targets.length === 0) throw new UsageError('the publish scenario runs against Tributary (--target tributary[:ENGINE[:NODES]]) or --ws-url');
  }
  if (targets.some((t) => t.kind === 'centrifugo') && targets.some((t) => t.kind === 'tributary' && t.engine === 'redis')) {
    const msg = 'centrifugo runs with its memory engine: compare it with a memory-engine Tributary (--engine memory)';
    process.stderr.write(`note: ${msg}\n`);
    notes.push(msg);
  }
  const redis = await redisFor(targets, values);
  const startOpts = startOptions(values);
  const jwks = opts.tokenAlg === 'rs256-jwks' ? new JwksIssuer() : undefined;
  if (jwks) {
    startOpts.jwksUrl = await jwks.start();
    process.stderr.write(`token-alg rs256-jwks: JWKS at ${startOpts.jwksUrl} (kid ${jwks.kid})\n`);
  }
  // Idle memory is sampled after a full GC (inspector-gc.ts): what connections keep, not the garbage of the last pings.
  if (opts.scenario === 'idle') startOpts.inspect = true;
  if (historySize > 0) startOpts.benchHistory = { size: historySize, ttlSeconds: opts.historyTtl };

  if (transports.length > 1 && targets.some((t) => t.kind === 'baseline')) {
    const msg = 'the baseline speaks WebSocket only: it runs with the websocket transport alone';
    process.stderr.write(`note: ${msg}\n`);
    notes.push(msg);
  }

  const results: Result[] = [];
  const runs = targets.flatMap((spec) => (spec.kind === 'baseline' ? ['websocket' as const] : transports).map((transport) => ({ spec, transport })));
  for (const { spec, transport } of runs) {
    const target = await openTarget(spec, values, startOpts, redis);
    if (transports.length > 1) target.name = `${spec.label}/${transport}`;
    try {
      results.push(await runScenario({ ...opts, transport }, target, jwks));
    } catch (err) {
      if (target.logFile) process.stderr.write(`server log tail:\n${targetTail(target)}\n`);
      throw err;
    } finally {
      await target.stop();
    }
    if (runs.length > 1) await new Promise((r) => setTimeout(r, 1000));
  }

  jwks?.close();
  const out: string[] = ['', scenario === 'connect-storm' ? stormTable(results) : table(results)];
  for (const r of results) if (r.steps) out.push('', stepsTable(r));
  for (const r of results) if (r.scenario === 'publish') out.push('', publishSummary(r));
  const nodeLines = nodesTable(results);
  if (nodeLines) out.push('', nodeLines);
  if (results.some((r) => r.nodes > 1 || r.engine === 'redis' || r.scenario === 'publish')) out.push('', cpuSplit(results, os.cpus().length));
  if (redis)
    out.push(
      '',
      `redis: ${redis.address.url}${redis.pid !== undefined ? ` (pid ${redis.pid})` : ' (not local: no CPU figures)'}; key prefix per run: ${results
        .map((r) => r.redisPrefix)
        .filter(Boolean)
        .join(', ')}`,
    );
  for (const r of results) {
    const extra: string[] = [];
    if (r.connectFailures > 0) extra.push(`connect failures: ${r.connectFailures} ${JSON.stringify(r.connectErrors)}`);
    if (r.disconnects > 0) extra.push(`disconnects after subscribing: ${r.disconnects}, close codes ${JSON.stringify(r.closeCodes)}`);
    if (r.publishErrors > 0) extra.push(`publish errors: ${r.publishErrors}, e.g. ${r.publishErrorSamples[0] ?? ''}`);
    if (r.otherPushes > 0) extra.push(`unexpected messages: ${r.otherPushes}, e.g. ${r.otherSamples[0] ?? ''}`);
    if (r.serverLogProblems > 0) extra.push(`server log: ${r.serverLogProblems} warning/error lines, e.g. ${r.serverLogSamples[0] ?? ''}`);
    if (!r.serverAlive) extra.push('server process died');
    if (Number.isFinite(r.jwksFetches)) extra.push(`JWKS fetched ${r.jwksFetches} time(s) by the server`);
    for (const n of r.notes) extra.push(n);
    if (extra.length > 0) out.push('', `${r.scenario}/${r.target}:`, ...extra.map((e) => '  ' + e));
  }
  for (const n of notes) out.push('', `note: ${n}`);
  const checks = preset?.checks ?? [];
  const verdictList = transports.length > 1 && targets.length === 1 ? transportVerdicts(checks, results) : verdicts(checks, results);
  if (verdictList.length > 0) out.push('', verdictText(verdictList));
  process.stdout.write(out.join('\n') + '\n');

  if (typeof values.json === 'string') {
    writeJson(values.json, {
      ...jsonHeader(argv),
      preset: preset ? name : null,
      options: opts,
      targets,
      redis: redis ? { url: redis.address.url, pid: redis.pid ?? null } : null,
      results,
      ratios: ratios(results),
      verdicts: verdictList,
      notes,
    });
  }
  return verdictList.some((v) => v.pass === false) ? 1 : 0;
}

/** --token-alg: hs256 (default) or rs256-jwks. */
function tokenAlgOf(values: Record<string, unknown>): TokenAlg {
  const raw = String(values['token-alg'] ?? 'hs256');
  if (!(TOKEN_ALGS as readonly string[]).includes(raw)) throw new UsageError(`--token-alg: one of ${TOKEN_ALGS.join(', ')}`);
  return raw as TokenAlg;
}

/** --transport: the list to run, websocket first (the reference) whenever another transport is asked for. */
function transportList(raw: unknown): TransportName[] {
  if (raw === undefined) return ['websocket'];
  const list = String(raw)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('--transport: at least one transport');
  for (const t of list) if (!isTransportName(t)) throw new UsageError(`--transport: "${t}" is not one of ${Object.keys(TRANSPORTS).join(', ')}`);
  const names = list as TransportName[];
  const twice = names.find((t, i) => names.indexOf(t) !== i);
  if (twice) throw new UsageError(`--transport: ${twice} twice`);
  return names.includes('websocket') ? ['websocket', ...names.filter((t) => t !== 'websocket')] : ['websocket', ...names];
}

function jsonHeader(argv: string[]): Record<string, unknown> {
  return {
    tool: 'tributary-bench',
    date: new Date().toISOString(),
    command: ['npm', 'run', 'bench', '--', ...argv].join(' '),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? '',
      memoryMB: Math.round(os.totalmem() / 1048576),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
  };
}

function writeJson(file: string, doc: Record<string, unknown>): void {
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  process.stderr.write(`wrote ${file}\n`);
}

/** One run of the scenario: which server, and for Tributary its engine and process count. */
export interface TargetSpec {
  kind: TargetName | 'external';
  /** The label in tables and JSON. */
  label: string;
  engine: EngineName;
  nodes: number;
  /** centrifugo: the binary (default: what scripts/services/centrifugo.sh ensure prints). */
  binary?: string;
}

const TRIBUTARY_SPEC = /^tributary(?::(memory|redis|nats)(?::(\d+))?)?$/;
const CENTRIFUGO_SPEC = /^centrifugo(?::(.+))?$/;

/**
 * The runs, in order: --ws-url (external), both (tributary then baseline), or
 * a comma-separated list of tributary[:ENGINE[:NODES]], centrifugo[:BINARY]
 * and baseline. A bare "tributary" takes --engine and --nodes. Labels:
 * tributary (memory engine, one process), tributary:redis, tributary:redis:2;
 * an engine written in the list stays in the label (tributary:memory);
 * centrifugo (its memory engine, one process, whichever binary).
 */
function resolveTargets(values: Record<string, unknown>): TargetSpec[] {
  const engineFlag = String(values.engine ?? 'memory');
  if (engineFlag !== 'memory' && engineFlag !== 'redis') throw new UsageError('--engine: memory or redis');
  const nodesFlag = num(values, 'nodes', 1, 1);
  if (!Number.isInteger(nodesFlag)) throw new UsageError('--nodes: a whole number');
  if (typeof values['ws-url'] === 'string') {
    if (values.target !== undefined && values.target !== 'tributary') throw new UsageError('--target cannot be combined with --ws-url');
    for (const k of ['api-key', 'token-secret']) if (typeof values[k] !== 'string') throw new UsageError(`--ws-url needs --${k}`);
    if (values.engine !== undefined || values.nodes !== undefined)
      throw new UsageError('--engine and --nodes apply to the Tributary the bench starts, not to --ws-url');
    return [{ kind: 'external', label: 'external', engine: 'memory', nodes: 1 }];
  }
  const t = String(values.target ?? 'both');
  const list = t === 'both' ? ['tributary', 'baseline'] : t.split(',').map((x) => x.trim());
  const specs: TargetSpec[] = [];
  for (const item of list) {
    if (item === 'baseline') {
      specs.push({ kind: 'baseline', label: 'baseline', engine: 'memory', nodes: 1 });
      continue;
    }
    const c = CENTRIFUGO_SPEC.exec(item);
    if (c) {
      const spec: TargetSpec = { kind: 'centrifugo', label: 'centrifugo', engine: 'memory', nodes: 1 };
      if (c[1] !== undefined) {
        if (c[1] === 'memory' || c[1] === 'redis' || /^\d+$/.test(c[1]))
          throw new UsageError(`--target ${item}: centrifugo runs with its memory engine, one process; after "centrifugo:" comes the path of a binary`);
        spec.binary = path.resolve(c[1]);
        if (!existsSync(spec.binary)) throw new UsageError(`--target ${item}: no such binary: ${spec.binary}`);
      }
      specs.push(spec);
      continue;
    }
    const m = TRIBUTARY_SPEC.exec(item);
    if (!m)
      throw new UsageError(`--target: "${item}" is not tributary, tributary:ENGINE, tributary:ENGINE:NODES, centrifugo, centrifugo:BINARY, baseline or both`);
    const engine = (m[1] ?? engineFlag) as EngineName;
    const nodes = m[2] !== undefined ? Number(m[2]) : nodesFlag;
    if (nodes < 1) throw new UsageError(`--target ${item}: at least one node`);
    if (nodes > 1 && engine === 'memory') {
      throw new UsageError(
        `${item}${m[2] === undefined ? ` with --nodes ${nodes}` : ''}: the memory engine shares nothing between processes; several nodes need the Redis engine (--engine redis) or the Nats broker (tributary:nats:N)`,
      );
    }
    const label = 'tributary' + (m[1] !== undefined || engine !== 'memory' ? `:${engine}` : '') + (nodes > 1 ? `:${nodes}` : '');
    specs.push({ kind: 'tributary', label, engine, nodes });
  }
  const labels = specs.map((x) => x.label);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice) throw new UsageError(`--target: ${twice} twice`);
  if (specs.length === 0) throw new UsageError('--target: nothing to run');
  return specs;
}

interface RedisSetup {
  address: RedisAddress;
  pid?: number;
}

/** The Redis the Redis-engine runs share (--redis-url, or the project's own from scripts/services/redis.sh), checked before any run. */
async function redisFor(targets: TargetSpec[], values: Record<string, unknown>): Promise<RedisSetup | undefined> {
  if (!targets.some((t) => t.kind === 'tributary' && t.engine === 'redis')) {
    if (values['redis-url'] !== undefined) throw new UsageError('--redis-url: no run uses the Redis engine (--engine redis or --target tributary:redis)');
    return undefined;
  }
  let url = typeof values['redis-url'] === 'string' ? values['redis-url'] : '';
  if (!url) {
    process.stderr.write('redis: scripts/services/redis.sh ensure…\n');
    url = ensureLocalRedis();
  }
  let address: RedisAddress;
  try {
    address = parseRedisUrl(url);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const pid = await redisServerPid(address); // also: fails now when Redis does not answer
  process.stderr.write(`redis: ${url}${pid !== undefined ? ` (pid ${pid})` : ''}\n`);
  return pid !== undefined ? { address, pid } : { address };
}

function startOptions(values: Record<string, unknown>): StartOptions {
  const build = String(values['server-build'] ?? 'tsx');
  if (build !== 'tsx' && build !== 'dist') throw new UsageError('--server-build: tsx or dist');
  const extraConfig =
    typeof values['server-config'] === 'string' ? (JSON.parse(readFileSync(values['server-config'], 'utf8')) as Record<string, unknown>) : undefined;
  return {
    build,
    extraConfig,
    logLevel: String(values['server-log-level'] ?? 'info'),
    nodeArgs: typeof values['server-node-args'] === 'string' ? values['server-node-args'].split(/\s+/).filter(Boolean) : [],
    keepTmp: Boolean(values['keep-tmp']),
  };
}

async function openTarget(spec: TargetSpec, values: Record<string, unknown>, startOpts: StartOptions, redis: RedisSetup | undefined): Promise<Target> {
  if (spec.kind === 'external') {
    // Comma-separated lists: the nodes of one hub (subscribers and publisher lanes spread over them).
    const list = (k: string) =>
      typeof values[k] === 'string'
        ? String(values[k])
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : [];
    const wsUrls = list('ws-url');
    const apiUrls = list('api-url');
    if (apiUrls.length === 0) {
      for (const w of wsUrls) {
        const u = new URL(w);
        apiUrls.push(`${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}/api`);
      }
    }
    if (apiUrls.length !== wsUrls.length) throw new UsageError(`--api-url: ${apiUrls.length} URLs for ${wsUrls.length} --ws-url nodes`);
    const pids = list('server-pid').map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--server-pid: not a pid: ${p}`);
      return n;
    });
    if (pids.length > 0 && pids.length !== wsUrls.length) throw new UsageError(`--server-pid: ${pids.length} pids for ${wsUrls.length} --ws-url nodes`);
    return externalTarget(wsUrls, apiUrls, String(values['api-key']), String(values['token-secret']), pids);
  }
  if (spec.kind === 'centrifugo') {
    let binary = spec.binary;
    if (binary === undefined) {
      process.stderr.write('centrifugo: scripts/services/centrifugo.sh ensure…\n');
      binary = ensureCentrifugoBinary();
    }
    process.stderr.write(`starting centrifugo (${binary})…\n`);
    const target = await startCentrifugo(startOpts, binary, spec.label);
    if (startOpts.keepTmp && target.logFile) process.stderr.write(`centrifugo log: ${target.logFile}\n`);
    return target;
  }
  if (spec.kind === 'baseline') {
    process.stderr.write('starting baseline…\n');
    const target = await startBaseline(startOpts);
    if (startOpts.keepTmp && target.logFile) process.stderr.write(`baseline log: ${target.logFile}\n`);
    return target;
  }
  const shared = spec.engine === 'redis' && redis ? { address: redis.address, prefix: freshRedisPrefix(), pid: redis.pid } : undefined;
  const nats = spec.engine === 'nats' ? { url: ensureLocalNats(), prefix: `bench${randomBytes(4).toString('hex')}` } : undefined;
  const what = spec.nodes > 1 ? `${spec.nodes} Tributary nodes` : 'tributary';
  const where = shared ? `, redis prefix ${shared.prefix}` : nats ? `, ${nats.url} prefix ${nats.prefix}` : '';
  process.stderr.write(`starting ${what} (${spec.engine === 'nats' ? 'Nats broker' : `${spec.engine} engine`}${where})…\n`);
  const target = await startTributary(startOpts, { label: spec.label, engine: spec.engine, nodes: spec.nodes, redis: shared, nats });
  if (startOpts.keepTmp) for (const n of target.nodes) if (n.logFile) process.stderr.write(`${spec.label} log: ${n.logFile}\n`);
  return target;
}

/** The delta scenario: Tributary only (the baseline has no delta), its own table and checks. */
async function deltaMain(argv: string[], flags: Record<string, unknown>): Promise<number> {
  const values: Record<string, unknown> = { conns: '100', publications: '200', rate: '20', size: '5000', changes: '1', ...flags };
  for (const k of [
    'channels',
    'duration',
    'warmup',
    'settle',
    'step-factor',
    'step-duration',
    'max-steps',
    'max-p99',
    'refine',
    'retry-disturbed',
    'workers',
    'client',
    'transport',
    'lanes',
    'batch-max',
    'batch-parallel',
    'local-addresses',
    'history-size',
    'history-ttl',
    'in-flight',
    'token-alg',
  ]) {
    if (flags[k] !== undefined) throw new UsageError(`--${k} does not apply to the delta scenario`);
  }
  const opts: DeltaOptions = {
    conns: num(values, 'conns', 100, 1),
    channel: `${String(values['channel-prefix'] ?? `${DELTA_NAMESPACE}:c`)}0`,
    publications: num(values, 'publications', 200, 1),
    rate: num(values, 'rate', 20, 0.001),
    size: num(values, 'size', 5000, 0),
    changes: num(values, 'changes', 1, 0),
    drain: num(values, 'drain', 10, 0),
    rampBatch: num(values, 'ramp-batch', 500, 1),
    connectTimeout: num(values, 'connect-timeout', 10, 1),
    quiet: Boolean(values.quiet),
  };
  const notes: string[] = [];
  let targets = resolveTargets(values);
  if (targets.some((t) => t.nodes > 1)) throw new UsageError('the delta scenario uses one server process (no --nodes)');
  if (targets.some((t) => t.kind === 'baseline')) {
    const msg = 'the baseline is skipped for the delta scenario: the bare-ws server has no history and no delta';
    process.stderr.write(`note: ${msg}\n`);
    notes.push(msg);
    targets = targets.filter((t) => t.kind !== 'baseline');
  }
  if (targets.length === 0) {
    process.stdout.write('nothing to run: the delta scenario runs against Tributary (--target tributary or both) or --ws-url\n');
    return 0;
  }
  const redis = await redisFor(targets, values);
  const startOpts = startOptions(values);
  startOpts.extraConfig = deltaServerConfig(startOpts.extraConfig, tributaryConfig(0, '', '', startOpts.logLevel));

  const results: DeltaResult[] = [];
  for (const spec of targets) {
    const target = await openTarget(spec, values, startOpts, redis);
    try {
      results.push(await runDelta(opts, target));
    } catch (err) {
      if (target.logFile) process.stderr.write(`server log tail:\n${targetTail(target)}\n`);
      throw err;
    } finally {
      await target.stop();
    }
  }

  const out: string[] = [''];
  for (const r of results) {
    out.push(deltaTable(r));
    const extra: string[] = [];
    if (r.connectFailures > 0) extra.push(`connect failures: ${r.connectFailures} ${JSON.stringify(r.connectErrors)}`);
    const disc = r.plain.disconnects + r.delta.disconnects;
    if (disc > 0) extra.push(`disconnects after subscribing: ${disc}`);
    if (r.publishErrors > 0) extra.push(`publish errors: ${r.publishErrors}, e.g. ${r.publishErrorSamples[0] ?? ''}`);
    if (r.otherMessages > 0) extra.push(`unexpected messages: ${r.otherMessages}, e.g. ${r.otherSamples[0] ?? ''}`);
    if (r.serverLogProblems > 0) extra.push(`server log: ${r.serverLogProblems} warning/error lines, e.g. ${r.serverLogSamples[0] ?? ''}`);
    if (!r.serverAlive) extra.push('server process died');
    for (const n of [...notes, ...r.notes]) extra.push(n);
    if (extra.length > 0) out.push('', `delta/${r.target}:`, ...extra.map((e) => '  ' + e));
  }
  const verdictList = deltaVerdicts(results[0]);
  out.push('', verdictText(verdictList));
  process.stdout.write(out.join('\n') + '\n');

  if (typeof values.json === 'string') {
    writeJson(values.json, { ...jsonHeader(argv), preset: null, scenario: 'delta', options: opts, results, verdicts: verdictList, notes });
  }
  return verdictList.some((v) => v.pass === false) ? 1 : 0;
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping\n`);
    killAll();
    process.exit(130);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
