// A soak subscriber process: holds its share of the connections (a mix of
// WebSocket, SSE and HTTP-streaming), keeps them subscribed for the whole run,
// closes and reopens some every second (churn), and resubscribes each reopened
// connection with recovery from the last offset it has, as the SDKs do. What
// arrives goes through an OffsetTracker (soak-tracker.ts); the main process
// (soak.ts) asks for counters per window and for the history check at the end.
//
// Messages are parsed with JSON.parse: the soak's few thousand deliveries a
// second leave the time for it, and recovery needs the subscribe results
// (epoch, offset, recovered publications) anyway.

import http from 'node:http';
import { SignJWT } from 'jose';
import { nowUs } from './clock.js';
import { Histogram } from './histogram.js';
import { RawHttpStream } from './raw-http-stream.js';
import { maskedFrame, RawWs } from './raw-ws.js';
import type { SoakCounters, SoakInit, SoakReply, SoakRequest } from './soak-ipc.js';
import { OffsetTracker } from './soak-tracker.js';
import { EMULATION_PATH, TRANSPORTS, transportUrl, type TransportName } from './transports.js';

/** A churned connection waits up to this long before it reconnects, so publications pass it by and recovery has work to do. */
const CHURN_PAUSE_MS = 1000;
/** After the server closed a connection, or an attempt failed. */
const RETRY_MS = 1000;
const PONG_FRAME = maskedFrame(0x1, Buffer.from('{}'));

const enum State {
  Down,
  Connecting,
  Live,
}

interface Conn {
  send(text: string): void;
  pong(): void;
  close(): void;
}

interface SubscribeResult {
  epoch?: string;
  offset?: number;
  recovered?: boolean;
  publications?: Array<{ offset?: number }>;
}

interface Publication {
  offset?: number;
  data?: { src?: string; t?: number };
}

let init: SoakInit;
let tracker: OffsetTracker;
let conns: Array<Conn | undefined> = [];
/** Bumped on every (re)open: callbacks of an older socket of the connection are ignored. */
let gen: Uint32Array;
let state: Uint8Array;
/** Set when the bench closed the connection itself (churn): no disconnect to count. */
let churning: Uint8Array;
/** Set once a connection was live or failed for the first time (the ramp waits for it). */
let settled: Uint8Array;
let attemptTimers: Array<NodeJS.Timeout | undefined> = [];
let emulation: Array<{ session: string; node: string } | undefined> = [];
const tokens: string[] = [];
let tokenKey: Uint8Array;
let closingAll = false;
let churnTimer: NodeJS.Timeout | undefined;
let churnCarry = 0;
let pongAgent: http.Agent;

const counters: SoakCounters = { live: 0, received: 0, recovered: 0, churned: 0, disconnects: 0, failures: 0, pings: 0, pongFailures: 0 };
const windowLatency = new Histogram();
const bySource = new Map<string, Histogram>();
const closeCodes: Record<string, number> = {};
const errors: Record<string, number> = {};
const samples: string[] = [];

function reply(msg: SoakReply): void {
  process.send?.(msg);
}

function note(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function sample(text: string): void {
  if (samples.length < 5) samples.push(text.length > 300 ? text.slice(0, 300) + '…' : text);
}

const channelOf = (ci: number): number => (init.from + ci) % init.channels.length;
const transportOf = (ci: number): TransportName => init.transports[(init.from + ci) % init.transports.length]!;

async function tokenFor(ci: number): Promise<string> {
  const cached = tokens[ci];
  if (cached !== undefined) return cached;
  const claims: Record<string, unknown> = { sub: `soak-user-${init.from + ci}` };
  // Every transport but WebSocket subscribes through the token's channels claim (a server-side subscription).
  if (transportOf(ci) !== 'websocket') claims.channels = [init.channels[channelOf(ci)]!];
  const tok = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + 7 * 24 * 3600)
    .sign(tokenKey);
  tokens[ci] = tok;
  return tok;
}

/** The recovery part of a subscribe request: from the last offset the connection has, once it had one. */
function recovery(ci: number): Record<string, unknown> {
  const since = tracker.since(ci);
  return since ? { recover: true, offset: since.offset, epoch: since.epoch } : {};
}

function open(ci: number): void {
  if (closingAll) return;
  const g = ++gen[ci]!;
  state[ci] = State.Connecting;
  churning[ci] = 0;
  attemptTimers[ci] = setTimeout(() => {
    if (gen[ci] !== g || state[ci] !== State.Connecting) return;
    attemptFailed(ci, 'no connect/subscribe reply in time');
  }, init.connectTimeoutMs);
  void tokenFor(ci).then((tok) => {
    if (gen[ci] !== g || closingAll) return;
    conns[ci] = transportOf(ci) === 'websocket' ? openWs(ci, g, tok) : openStream(ci, g, tok);
  });
}

function openWs(ci: number, g: number, tok: string): Conn {
  const url = transportUrl(init.wsUrl, TRANSPORTS.websocket);
  const ws = new RawWs(
    { host: url.hostname, port: Number(url.port), path: url.pathname, timeoutMs: init.connectTimeoutMs },
    {
      onOpen(c) {
        const channel = init.channels[channelOf(ci)]!;
        c.send(
          JSON.stringify({ id: 1, connect: { token: tok, name: 'tributary-soak' } }) +
            '\n' +
            JSON.stringify({ id: 2, subscribe: { channel, ...recovery(ci) } }),
        );
      },
      onMessage(_c, buf, start, end) {
        let ls = start;
        while (ls < end) {
          let le = buf.indexOf(0x0a, ls);
          if (le < 0 || le > end) le = end;
          if (le > ls) onLine(ci, g, buf.toString('utf8', ls, le));
          ls = le + 1;
        }
      },
      onClose(_c, code, err) {
        onClosed(ci, g, String(code), err);
      },
    },
  );
  return { send: (text) => ws.send(text), pong: () => ws.sendRaw(PONG_FRAME), close: () => ws.close() };
}

/** SSE or HTTP-streaming: the token's channel is subscribed by the connect, with recovery asked for in its `subs`. */
function openStream(ci: number, g: number, tok: string): Conn {
  const spec = TRANSPORTS[transportOf(ci)];
  const url = transportUrl(init.wsUrl, spec);
  const channel = init.channels[channelOf(ci)]!;
  const rec = recovery(ci);
  const connect = { id: 1, connect: { token: tok, name: 'tributary-soak', ...(rec.recover ? { subs: { [channel]: rec } } : {}) } };
  const text = JSON.stringify(connect);
  const get = spec.method === 'GET';
  const stream = new RawHttpStream(
    {
      host: url.hostname,
      port: Number(url.port),
      path: url.pathname + (get ? `?cf_connect=${encodeURIComponent(text)}` : ''),
      method: get ? 'GET' : 'POST',
      body: get ? undefined : text,
      framing: spec.framing!,
      timeoutMs: init.connectTimeoutMs,
    },
    {
      onOpen() {},
      onMessage(_c, buf, start, end) {
        onLine(ci, g, buf.toString('utf8', start, end));
      },
      onClose(_c, err) {
        onClosed(ci, g, 'stream closed', err);
      },
    },
  );
  return { send: () => undefined, pong: () => emulatedPong(ci), close: () => stream.close() };
}

function onLine(ci: number, g: number, text: string): void {
  if (gen[ci] !== g) return;
  if (text === '{}') {
    counters.pings++;
    conns[ci]?.pong();
    return;
  }
  let msg: {
    id?: number;
    error?: { code: number; message: string };
    connect?: { session?: string; node?: string; subs?: Record<string, SubscribeResult> };
    subscribe?: SubscribeResult;
    push?: { pub?: Publication; disconnect?: { code: number; reason: string } };
  };
  try {
    msg = JSON.parse(text);
  } catch {
    sample(text);
    return;
  }
  if (msg.push?.pub) return onPublication(ci, msg.push.pub);
  if (msg.error) {
    sample(text);
    if (state[ci] === State.Connecting) attemptFailed(ci, `error ${msg.error.code} ${msg.error.message}`);
    return;
  }
  if (msg.push?.disconnect) {
    note(closeCodes, `disconnect push ${msg.push.disconnect.code} ${msg.push.disconnect.reason}`);
    return;
  }
  if (msg.id === 1 && msg.connect && transportOf(ci) !== 'websocket') {
    if (msg.connect.session) emulation[ci] = { session: msg.connect.session, node: msg.connect.node ?? '' };
    const sub = msg.connect.subs?.[init.channels[channelOf(ci)]!];
    if (!sub) return attemptFailed(ci, 'connect result without the token channel');
    return onSubscribed(ci, sub);
  }
  if (msg.id === 2 && msg.subscribe) return onSubscribed(ci, msg.subscribe);
}

function onSubscribed(ci: number, res: SubscribeResult): void {
  if (state[ci] !== State.Connecting) return;
  tracker.subscribed(ci, res.epoch ?? '', res.offset ?? 0, res.recovered === true);
  for (const p of res.publications ?? []) {
    counters.received++;
    counters.recovered++;
    tracker.publication(ci, p.offset ?? 0);
  }
  clearTimeout(attemptTimers[ci]);
  state[ci] = State.Live;
  settled[ci] = 1;
  counters.live++;
}

function onPublication(ci: number, pub: Publication): void {
  if (state[ci] !== State.Live) {
    sample(`publication before the subscribe result: ${JSON.stringify(pub).slice(0, 200)}`);
    return;
  }
  counters.received++;
  tracker.publication(ci, pub.offset ?? 0);
  const t = pub.data?.t;
  if (typeof t === 'number') {
    const latency = nowUs() - t;
    windowLatency.record(latency);
    const src = pub.data?.src ?? '?';
    let h = bySource.get(src);
    if (!h) bySource.set(src, (h = new Histogram()));
    h.record(latency);
  }
}

function attemptFailed(ci: number, why: string): void {
  counters.failures++;
  settled[ci] = 1;
  note(errors, why);
  // Down before the close, so onClosed does not count the failure again.
  state[ci] = State.Down;
  clearTimeout(attemptTimers[ci]);
  const c = conns[ci];
  if (c) c.close();
  else retryLater(ci, RETRY_MS);
}

function onClosed(ci: number, g: number, code: string, err: Error | undefined): void {
  if (gen[ci] !== g) return;
  conns[ci] = undefined;
  emulation[ci] = undefined;
  clearTimeout(attemptTimers[ci]);
  const was = state[ci];
  state[ci] = State.Down;
  if (was === State.Live) counters.live--;
  if (closingAll) return;
  if (churning[ci]) return retryLater(ci, Math.random() * CHURN_PAUSE_MS);
  if (was === State.Live) {
    counters.disconnects++;
    note(closeCodes, err ? `${code} ${(err as NodeJS.ErrnoException).code ?? err.message}` : code);
  } else if (was === State.Connecting) {
    counters.failures++;
    note(errors, err ? ((err as NodeJS.ErrnoException).code ?? err.message) : `closed (${code}) before subscribing`);
  }
  retryLater(ci, RETRY_MS);
}

function retryLater(ci: number, ms: number): void {
  const g = gen[ci];
  setTimeout(() => {
    if (gen[ci] === g && state[ci] === State.Down) open(ci);
  }, ms);
}

/** An emulated pong: {} to the session through POST /emulation, as the SDK sends it. */
function emulatedPong(ci: number): void {
  const target = emulation[ci];
  if (!target) return;
  const url = new URL(init.wsUrl);
  const req = http.request(
    { host: url.hostname, port: Number(url.port), path: EMULATION_PATH, method: 'POST', agent: pongAgent, headers: { 'content-type': 'application/json' } },
    (res) => {
      if ((res.statusCode ?? 0) >= 300) counters.pongFailures++;
      res.resume();
    },
  );
  req.on('error', () => counters.pongFailures++);
  req.end(JSON.stringify({ node: target.node, session: target.session, data: '{}' }));
}

/** Opens every connection, rampBatch at a time, each batch once it has settled (or timed out). */
async function ramp(): Promise<void> {
  const n = init.to - init.from;
  for (let b = 0; b < n; b += init.rampBatch) {
    const end = Math.min(n, b + init.rampBatch);
    for (let ci = b; ci < end; ci++) open(ci);
    const deadline = Date.now() + init.connectTimeoutMs + 5000;
    for (;;) {
      let pending = 0;
      for (let ci = b; ci < end; ci++) if (!settled[ci]) pending++;
      if (pending === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function churnTick(perSecond: number): void {
  churnCarry += perSecond * counters.live;
  let k = Math.floor(churnCarry);
  churnCarry -= k;
  const n = conns.length;
  for (let tries = 0; k > 0 && tries < 20 * n; tries++) {
    const ci = Math.floor(Math.random() * n);
    if (state[ci] !== State.Live) continue;
    churning[ci] = 1;
    counters.churned++;
    conns[ci]?.close();
    k--;
  }
}

function handle(msg: SoakInit | SoakRequest): void {
  switch (msg.type) {
    case 'init': {
      init = msg;
      const n = msg.to - msg.from;
      tracker = new OffsetTracker(n);
      conns = new Array(n);
      gen = new Uint32Array(n);
      state = new Uint8Array(n);
      churning = new Uint8Array(n);
      settled = new Uint8Array(n);
      attemptTimers = new Array(n);
      emulation = new Array(n);
      tokenKey = new TextEncoder().encode(msg.tokenSecret);
      pongAgent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: 'fifo' });
      return;
    }
    case 'ramp': {
      const id = msg.id;
      ramp().then(
        () => {
          let failed = 0;
          for (let ci = 0; ci < conns.length; ci++) if (state[ci] !== State.Live) failed++;
          reply({ type: 'ramped', id, failed, errors: { ...errors }, ...counters });
        },
        (err: Error) => reply({ type: 'error', id, message: err.stack ?? err.message }),
      );
      return;
    }
    case 'window': {
      const latency = windowLatency.snapshot();
      windowLatency.reset();
      const cpu = process.cpuUsage();
      reply({ type: 'window', id: msg.id, latency, cpuUs: cpu.user + cpu.system, ...counters });
      return;
    }
    case 'churn':
      clearInterval(churnTimer);
      churnTimer = undefined;
      if (msg.perSecond > 0) churnTimer = setInterval(() => churnTick(msg.perSecond), 1000);
      reply({ type: 'ok', id: msg.id });
      return;
    case 'lag': {
      let notLive = 0;
      let behind = 0;
      for (let ci = 0; ci < conns.length; ci++) {
        if (state[ci] !== State.Live) notLive++;
        else if (tracker.lastOffset(ci) < msg.tops[channelOf(ci)]!) behind++;
      }
      reply({ type: 'lag', id: msg.id, notLive, behind });
      return;
    }
    case 'check': {
      const check = tracker.check(msg.windows, channelOf);
      const sources: Record<string, ReturnType<Histogram['snapshot']>> = {};
      for (const [src, h] of bySource) sources[src] = h.snapshot();
      reply({ type: 'checked', id: msg.id, check, totals: { ...tracker.totals }, bySource: sources, closeCodes, errors, samples });
      return;
    }
    case 'close':
      closingAll = true;
      clearInterval(churnTimer);
      for (const c of conns) c?.close();
      reply({ type: 'ok', id: msg.id });
      setTimeout(() => process.exit(0), 300).unref();
      return;
  }
}

process.on('message', (raw: unknown) => {
  try {
    handle(raw as SoakInit | SoakRequest);
  } catch (err) {
    reply({ type: 'error', id: (raw as { id?: number }).id, message: (err as Error).stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'hello' });
