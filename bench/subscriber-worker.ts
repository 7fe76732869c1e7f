// A subscriber process: holds many connections, each with one subscription,
// and counts what arrives. Started by cli.ts with fork(); talks to it over IPC
// (see ipc.ts). Over WebSocket a connection subscribes with a subscribe
// command; over the other transports (see transports.ts) its token's
// `channels` claim subscribes it on the server, so the connect result (or the
// unidirectional connect push) already holds the subscription.
//
// Per message it never parses JSON: the publisher puts the data object first
// as {"s":SEQ,"t":MICROS,...}, so the bytes after `{"s":` are read directly
// from the received buffer. Sequence numbers are per channel and each
// connection holds one channel, so a connection expects 1, 2, 3… — anything
// at or below the last one seen is a duplicate, a jump is a gap.

import http from 'node:http';
import { URL } from 'node:url';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { nowUs } from './clock.js';
import { Histogram } from './histogram.js';
import { fdLimit } from './procstat.js';
import type { FinishMsg, FromWorker, InitMsg, MarkMsg, ToWorker } from './ipc.js';
import { RawHttpStream, type RawHttpStreamHandler } from './raw-http-stream.js';
import { maskedFrame, RawWs, type RawWsHandler } from './raw-ws.js';
import { EMULATION_PATH, TRANSPORTS, transportUrl, type TransportSpec } from './transports.js';

const C_LBRACE = 0x7b;
const C_RBRACE = 0x7d;
const C_QUOTE = 0x22;
const C_NL = 0x0a;
const C_COMMA = 0x2c;
const C_0 = 0x30;
const C_9 = 0x39;
const PONG_FRAME = maskedFrame(0x1, Buffer.from('{}'));

interface Conn {
  send(text: string): void;
  pong(): void;
  close(): void;
}

let init: InitMsg;
let conns: Array<Conn | undefined> = [];
let channelOf: Int32Array;
let lastSeq: Float64Array;
let uniq: Float64Array;
let subscribed: Uint8Array;
const hist = new Histogram();
let recordFrom = Number.POSITIVE_INFINITY;
let received = 0;
let dup = 0;
let bytes = 0;
let pings = 0;
let disconnects = 0;
let otherPushes = 0;
let chunkNow = 0;
const closeCodes: Record<string, number> = {};
const errors: Record<string, number> = {};
const samples: string[] = [];
const counts = { opened: 0, subscribed: 0, failed: 0 };
/** Set once the main process starts tearing down: closes from then on are not disconnects. */
let closing = false;
/** Called once for each connection of the ramp that got subscribed or failed. */
let onSettle: (() => void) | null = null;
/** When each connection was started (µs), for the connect latency. */
let startedAt: Float64Array;
const connectHist = new Histogram();
let firstStartAt = 0;
let lastSubscribedAt = 0;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

function note(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function sample(text: string): void {
  if (samples.length < 5) samples.push(text.length > 300 ? text.slice(0, 300) + '…' : text);
}

/** One protocol message: buf[ls, le). */
function onLine(ci: number, buf: Buffer, ls: number, le: number): void {
  const len = le - ls;
  if (len === 2 && buf[ls] === C_LBRACE && buf[ls + 1] === C_RBRACE) {
    pings++;
    conns[ci]?.pong();
    return;
  }
  // {"push": — byte 2 is 'p'; a unidirectional push {"channel": — 'c' then 'h'
  // (its connect push {"connect": has 'c' then 'o'); a reply {"id": — 'i'.
  if (len > 8 && (buf[ls + 2] === 0x70 || (buf[ls + 2] === 0x63 && buf[ls + 3] === 0x68))) {
    // Find {"s": inside the line.
    let i = ls + 8;
    const stop = le - 5;
    for (; i < stop; i++) {
      if (buf[i] === C_LBRACE && buf[i + 1] === C_QUOTE && buf[i + 2] === 0x73 && buf[i + 3] === C_QUOTE && buf[i + 4] === 0x3a) break;
    }
    if (i >= stop) {
      otherPushes++;
      sample(buf.toString('utf8', ls, le));
      return;
    }
    i += 5;
    let seq = 0;
    for (let c = buf[i]!; c >= C_0 && c <= C_9; c = buf[++i]!) seq = seq * 10 + (c - C_0);
    // ,"t":
    let t = 0;
    if (buf[i] === C_COMMA && buf[i + 2] === 0x74) {
      i += 5;
      for (let c = buf[i]!; c >= C_0 && c <= C_9; c = buf[++i]!) t = t * 10 + (c - C_0);
    }
    received++;
    if (seq > lastSeq[ci]!) {
      lastSeq[ci] = seq;
      uniq[ci]!++;
    } else {
      dup++;
    }
    if (t >= recordFrom) hist.record(chunkNow - t);
    return;
  }
  onReply(ci, buf.toString('utf8', ls, le));
}

interface ConnectResult {
  session?: string;
  node?: string;
  subs?: Record<string, unknown>;
}

function onReply(ci: number, text: string): void {
  let msg: {
    id?: number;
    error?: { code: number; message: string };
    subscribe?: unknown;
    connect?: ConnectResult;
    disconnect?: { code: number; reason: string };
  };
  try {
    msg = JSON.parse(text);
  } catch {
    sample(text);
    return;
  }
  if (msg.error) {
    otherPushes++;
    sample(text);
    if (!subscribed[ci]) {
      failConn(ci, `server error ${msg.error.code} ${msg.error.message} (command id ${msg.id})`);
      conns[ci]?.close();
    }
    return;
  }
  if (msg.disconnect) {
    otherPushes++;
    sample(text);
    if (!subscribed[ci]) failConn(ci, `disconnect ${msg.disconnect.code} ${msg.disconnect.reason}`);
    return;
  }
  if (msg.connect && transport.kind !== 'websocket' && !subscribed[ci]) {
    // The token's channels: the connect result (or connect push) holds the subscription.
    const ch = init.channels[channelOf[ci]!]!;
    if (!msg.connect.subs || !(ch in msg.connect.subs)) {
      failConn(ci, 'connect result without the token channel');
      conns[ci]?.close();
      return;
    }
    if (msg.connect.session) emulation[ci] = { session: msg.connect.session, node: msg.connect.node ?? '' };
    markSubscribed(ci);
    return;
  }
  if (msg.id === 2 && msg.subscribe !== undefined && !subscribed[ci]) markSubscribed(ci);
}

function markSubscribed(ci: number): void {
  subscribed[ci] = 1;
  counts.subscribed++;
  const now = nowUs();
  lastSubscribedAt = now;
  if (startedAt[ci]! > 0) connectHist.record(now - startedAt[ci]!);
  onSettle?.();
}

function onMessage(ci: number, buf: Buffer, start: number, end: number): void {
  let ls = start;
  while (ls < end) {
    let le = ls;
    while (le < end && buf[le] !== C_NL) le++;
    if (le > ls) onLine(ci, buf, ls, le);
    ls = le + 1;
  }
}

let failedSet: Uint8Array;
function failConn(ci: number, reason: string): void {
  if (failedSet[ci] || subscribed[ci]) return;
  failedSet[ci] = 1;
  counts.failed++;
  note(errors, reason);
  onSettle?.();
}

function onClosed(ci: number, code: number, err: Error | undefined): void {
  conns[ci] = undefined;
  if (subscribed[ci]) {
    if (!closing) {
      disconnects++;
      note(closeCodes, String(code));
    }
    return;
  }
  const e = err as NodeJS.ErrnoException | undefined;
  let reason = e ? (e.code ?? e.message) : `closed with code ${code} before subscribing`;
  if (e?.code === 'EMFILE') reason = 'EMFILE: too many open files in the bench process (raise `ulimit -n` or use more --workers)';
  if (e?.code === 'EADDRNOTAVAIL') reason = 'EADDRNOTAVAIL: out of local ports (spread over more --local-addresses)';
  failConn(ci, reason);
}

let tokenKey: Uint8Array;
/** The connection's token: signed ahead by the main process (init.tokens), else HS256 here. */
function token(ci: number): Promise<string> {
  const ready = init.tokens?.[ci];
  if (ready !== undefined) return Promise.resolve(ready);
  const claims: Record<string, unknown> = { sub: `${init.userPrefix}${ci}` };
  if (transport.kind !== 'websocket') claims.channels = [init.channels[channelOf[ci]!]!];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + 24 * 3600)
    .sign(tokenKey);
}

/** Calls `f` with the connection's token: at once when it was signed ahead, else once signed. */
function withToken(ci: number, f: (tok: string) => void): void {
  const ready = init.tokens?.[ci];
  if (ready !== undefined) f(ready);
  else void token(ci).then(f);
}

function commands(ci: number, tok: string): string {
  const ch = init.channels[channelOf[ci]!]!;
  return JSON.stringify({ id: 1, connect: { token: tok, name: 'tributary-bench' } }) + '\n' + JSON.stringify({ id: 2, subscribe: { channel: ch } });
}

const rawHandler: RawWsHandler = {
  onOpen(c) {
    counts.opened++;
    withToken(c.index, (tok) => c.send(commands(c.index, tok)));
  },
  onMessage(c, buf, start, end) {
    onMessage(c.index, buf, start, end);
  },
  onClose(c, code, err) {
    onClosed(c.index, code, err);
  },
  onBytes(_c, n) {
    bytes += n;
    chunkNow = nowUs();
  },
};

function openRaw(ci: number, url: URL, localAddress: string | undefined): Conn {
  const ws = new RawWs(
    { host: url.hostname, port: Number(url.port || 80), path: url.pathname + url.search, localAddress, timeoutMs: init.connectTimeoutMs },
    rawHandler,
  );
  ws.index = ci;
  return {
    send: (text) => ws.send(text),
    pong: () => ws.sendRaw(PONG_FRAME),
    close: () => ws.close(),
  };
}

/** A unidirectional WebSocket: the connect request is the first message; the server's pings are native (raw-ws answers them). */
function openUniWs(ci: number, url: URL, localAddress: string | undefined): Conn {
  const ws = new RawWs(
    { host: url.hostname, port: Number(url.port || 80), path: url.pathname + url.search, localAddress, timeoutMs: init.connectTimeoutMs },
    {
      ...rawHandler,
      onOpen(c) {
        counts.opened++;
        withToken(c.index, (tok) => c.send(JSON.stringify({ token: tok, name: 'tributary-bench' })));
      },
    },
  );
  ws.index = ci;
  return { send: (text) => ws.send(text), pong: () => undefined, close: () => ws.close() };
}

/** Where the emulated transports' pongs go, per connection: the session the connect result named. */
let emulation: Array<{ session: string; node: string } | undefined> = [];
/** Sockets of the pongs' keep-alive agent (per server node): see pongAgent. */
const PONG_SOCKETS = 256;

/**
 * The pongs' keep-alive agent. An SDK client sends its pong at once, on a
 * connection of its own, so a pong must not wait here behind other
 * connections' pongs: 10,000 connections are pinged 400–800 times a second,
 * and a server writing a 10k-subscriber broadcast reads its sockets once per
 * turn of its event loop (100 ms and more), so each socket carries a few pongs
 * a second. 16 sockets carried under 200 a second, and the rest waited here
 * past pong_timeout (8 s: 3012 no pong).
 *
 * Nor may the sockets be opened on demand once publishing runs: Node's server
 * accepts one connection per turn of its event loop, so under that load new
 * sockets wait seconds in its accept queue (seen: 235 queued, 4 accepted a
 * second). So the pool is opened before the measurement (warmPongPool) and
 * used in turn (fifo), so no socket idles past a server's keep-alive
 * timeout while pings come (Node's default is 5 s; Tributary keeps idle
 * connections for ping_interval + pong_timeout + 5 s). Bounded by the open
 * files left beside this process's streams.
 */
let pongAgent: http.Agent;
let pongSockets = PONG_SOCKETS;

function makePongAgent(streams: number): http.Agent {
  const limit = fdLimit(process.pid);
  pongSockets = Number.isFinite(limit)
    ? Math.max(16, Math.min(PONG_SOCKETS, Math.floor((limit - streams - 64) / Math.max(1, init.wsUrls.length))))
    : PONG_SOCKETS;
  return new http.Agent({ keepAlive: true, maxSockets: pongSockets, maxFreeSockets: pongSockets, scheduling: 'fifo' });
}

/**
 * Opens the pong sockets while the server is idle: one pong (unsolicited,
 * which the server takes as harmless) from each of the first subscribed
 * connections of every node, all at once, so each takes a socket of its own.
 */
async function warmPongPool(urlOf: (ci: number) => URL): Promise<void> {
  const perNode = new Map<string, number>();
  const waits: Array<Promise<void>> = [];
  for (let ci = 0; ci < conns.length; ci++) {
    if (!subscribed[ci] || !emulation[ci]) continue;
    const url = urlOf(ci);
    const n = perNode.get(url.host) ?? 0;
    if (n >= pongSockets) continue;
    perNode.set(url.host, n + 1);
    waits.push(new Promise<void>((resolve) => emulatedPong(ci, url, true, resolve)));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(waits), new Promise<void>((resolve) => (timer = setTimeout(resolve, init.connectTimeoutMs)))]);
  clearTimeout(timer);
}

let pongFailures = 0;
/** Emulated pongs: send → response round trips, and the most in flight at once. */
const pongHist = new Histogram();
let pongsInFlight = 0;
let pongsInFlightMax = 0;

/**
 * An emulated pong: {} to the session through POST /emulation, as the SDK
 * sends it; a request that fails on the wire is sent once more. `warm`: a
 * warm-up pong (see warmPongPool), called back once answered and not counted.
 */
function emulatedPong(ci: number, base: URL, retry = true, warm?: () => void): void {
  const target = emulation[ci];
  if (!target) return warm?.();
  const body = JSON.stringify({ node: target.node, session: target.session, data: '{}' });
  const sentAt = nowUs();
  if (!warm) pongsInFlight++;
  if (pongsInFlight > pongsInFlightMax) pongsInFlightMax = pongsInFlight;
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    if (warm) return;
    pongsInFlight--;
    pongHist.record(nowUs() - sentAt);
  };
  const req = http.request(
    {
      host: base.hostname,
      port: Number(base.port || 80),
      path: EMULATION_PATH,
      method: 'POST',
      agent: pongAgent,
      headers: { 'content-type': 'application/json' },
    },
    (res) => {
      settle();
      if ((res.statusCode ?? 0) >= 300) pongFailed(`pong answered ${res.statusCode}`);
      res.resume();
      if (warm) res.on('end', warm);
    },
  );
  req.on('error', (err: NodeJS.ErrnoException) => {
    settle();
    // A keep-alive socket the server closed as idle just as the request went out (pings come in bursts).
    if (retry && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) return emulatedPong(ci, base, false, warm);
    pongFailed(`pong failed: ${err.code ?? err.message}`);
    warm?.();
  });
  req.end(body);
}

function pongFailed(why: string): void {
  pongFailures++;
  if (pongFailures <= 3) sample(why);
}

const streamHandler: RawHttpStreamHandler = {
  onOpen() {
    counts.opened++;
  },
  onMessage(c, buf, start, end) {
    onLine(c.index, buf, start, end);
  },
  onClose(c, err) {
    onClosed(c.index, 1006, err);
  },
  onBytes(_c, n) {
    bytes += n;
    chunkNow = nowUs();
  },
};

/** http_stream, sse and their unidirectional versions: one streaming request with the connect in its body or cf_connect. */
function openStream(ci: number, url: URL, localAddress: string | undefined): Conn {
  let stream: RawHttpStream | undefined;
  let closed = false;
  void token(ci).then((tok) => {
    if (closed) return;
    const connect = transport.kind === 'emulation' ? { id: 1, connect: { token: tok, name: 'tributary-bench' } } : { token: tok, name: 'tributary-bench' };
    const text = JSON.stringify(connect);
    const get = transport.method === 'GET';
    stream = new RawHttpStream(
      {
        host: url.hostname,
        port: Number(url.port || 80),
        path: url.pathname + (get ? `?cf_connect=${encodeURIComponent(text)}` : ''),
        method: get ? 'GET' : 'POST',
        body: get ? undefined : text,
        framing: transport.framing!,
        localAddress,
        timeoutMs: init.connectTimeoutMs,
      },
      streamHandler,
    );
    stream.index = ci;
  });
  return {
    send: () => undefined,
    pong: () => (transport.kind === 'emulation' ? emulatedPong(ci, url) : undefined),
    close: () => {
      closed = true;
      stream?.close();
    },
  };
}

function openWs(ci: number, url: URL, localAddress: string | undefined): Conn {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, localAddress, handshakeTimeout: init.connectTimeoutMs });
  let code = 1006;
  let error: Error | undefined;
  ws.on('open', () => {
    counts.opened++;
    withToken(ci, (tok) => ws.send(commands(ci, tok)));
  });
  ws.on('message', (data: Buffer) => {
    bytes += data.length;
    chunkNow = nowUs();
    onMessage(ci, data, 0, data.length);
  });
  ws.on('error', (err) => {
    error = err;
  });
  ws.on('close', (c: number) => {
    code = c;
    onClosed(ci, code, error);
  });
  return {
    send: (text) => ws.send(text),
    pong: () => ws.send('{}'),
    close: () => ws.close(),
  };
}

let transport: TransportSpec;

function opener(): (ci: number, url: URL, localAddress: string | undefined) => Conn {
  switch (transport.kind) {
    case 'websocket':
      return init.client === 'ws' ? openWs : openRaw;
    case 'uni_websocket':
      return openUniWs;
    default:
      return openStream;
  }
}

async function ramp(): Promise<void> {
  const urls = init.wsUrls.map((u) => transportUrl(u, transport));
  const n = init.to - init.from;
  conns = new Array(n);
  channelOf = new Int32Array(n);
  lastSeq = new Float64Array(n);
  uniq = new Float64Array(n);
  subscribed = new Uint8Array(n);
  failedSet = new Uint8Array(n);
  startedAt = new Float64Array(n);
  emulation = new Array(n);
  if (transport.kind === 'emulation') pongAgent = makePongAgent(n);
  for (let ci = 0; ci < n; ci++) channelOf[ci] = (init.from + ci) % init.channels.length;
  const open = opener();
  const urlOf = (ci: number) => urls[Math.floor((init.from + ci) / init.channels.length) % urls.length]!;
  const start = (ci: number) => {
    const global = init.from + ci;
    const local = init.localAddresses.length > 0 ? init.localAddresses[global % init.localAddresses.length] : undefined;
    const now = nowUs();
    if (firstStartAt === 0) firstStartAt = now;
    startedAt[ci] = now;
    try {
      conns[ci] = open(ci, urlOf(ci), local);
    } catch (err) {
      failConn(ci, (err as Error).message);
    }
  };
  const cpuUsAtStart = cpuUs();
  if (init.inFlight !== undefined) await rampWindow(n, init.inFlight, start);
  else await rampBatches(n, start);
  const cpuUsAtEnd = cpuUs();
  if (transport.kind === 'emulation') await warmPongPool(urlOf);
  const subsPerChannel = new Array<number>(init.channels.length).fill(0);
  for (let ci = 0; ci < n; ci++) if (subscribed[ci]) subsPerChannel[channelOf[ci]!]!++;
  send({
    type: 'ready',
    worker: init.worker,
    ...counts,
    errors,
    subsPerChannel,
    firstStartAt,
    lastSubscribedAt,
    connectLatency: connectHist.snapshot(),
    cpuUsAtStart,
    cpuUsAtEnd,
  });
}

/** Connections that neither succeed nor fail in time count as failed, so the ramp always ends. */
function expire(ci: number): void {
  if (subscribed[ci] || failedSet[ci]) return;
  failConn(ci, 'no connect/subscribe reply in time');
  conns[ci]?.close();
}

/** rampBatch connections at a time, each batch once the previous one settled. */
async function rampBatches(n: number, start: (ci: number) => void): Promise<void> {
  let lastProgress = 0;
  for (let b = 0; b < n; b += init.rampBatch) {
    const end = Math.min(n, b + init.rampBatch);
    await new Promise<void>((resolve) => {
      let pending = end - b;
      const watchdog = setTimeout(() => {
        for (let ci = b; ci < end; ci++) expire(ci);
      }, init.connectTimeoutMs + 5000);
      onSettle = () => {
        if (--pending > 0) return;
        onSettle = null;
        clearTimeout(watchdog);
        resolve();
      };
      for (let ci = b; ci < end; ci++) start(ci);
    });
    if (Date.now() - lastProgress > 500 || end === n) {
      lastProgress = Date.now();
      send({ type: 'progress', worker: init.worker, ...counts });
    }
  }
}

/** At most `limit` connections between start and settled: the next one starts as soon as one settles (the connect storm). */
async function rampWindow(n: number, limit: number, start: (ci: number) => void): Promise<void> {
  if (n === 0) return;
  let next = 0;
  let active = 0;
  await new Promise<void>((resolve) => {
    const deadlineUs = (init.connectTimeoutMs + 5000) * 1000;
    const watchdog = setInterval(() => {
      const now = nowUs();
      for (let ci = 0; ci < next; ci++) if (now - startedAt[ci]! > deadlineUs) expire(ci);
    }, 1000);
    const progress = setInterval(() => send({ type: 'progress', worker: init.worker, ...counts }), 500);
    let pumping = false;
    const pump = () => {
      // A connection can fail inside start() (settling at once): no recursion then, the loop goes on.
      if (pumping) return;
      pumping = true;
      while (active < limit && next < n) {
        active++;
        start(next++);
      }
      pumping = false;
      if (active === 0 && next >= n) {
        onSettle = null;
        clearInterval(watchdog);
        clearInterval(progress);
        send({ type: 'progress', worker: init.worker, ...counts });
        resolve();
      }
    };
    onSettle = () => {
      active--;
      pump();
    };
    pump();
  });
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function counters() {
  return { received, bytes, pings, disconnects, cpuUs: cpuUs(), at: nowUs() };
}

function mark(msg: MarkMsg): void {
  if (msg.recordFrom !== undefined) recordFrom = msg.recordFrom;
  const reply = { type: 'mark' as const, worker: init.worker, id: msg.id, ...counters() };
  if (msg.takeHistogram) {
    const h = hist.snapshot();
    hist.reset();
    send({ ...reply, histogram: h });
  } else send(reply);
}

function finish(msg: FinishMsg): void {
  let lost = 0;
  let expected = 0;
  for (let ci = 0; ci < conns.length; ci++) {
    if (!subscribed[ci]) continue;
    const want = msg.published[channelOf[ci]!] ?? 0;
    expected += want;
    if (uniq[ci]! < want) lost += want - uniq[ci]!;
  }
  closing = true;
  send({
    type: 'finished',
    worker: init.worker,
    ...counters(),
    lost,
    dup,
    expected,
    histogram: hist.snapshot(),
    closeCodes,
    otherPushes,
    samples,
    pongFailures,
    pongLatency: pongHist.snapshot(),
    pongsInFlightMax,
  });
}

process.on('message', (raw: unknown) => {
  const msg = raw as ToWorker;
  switch (msg.type) {
    case 'init':
      init = msg;
      transport = TRANSPORTS[msg.transport];
      tokenKey = new TextEncoder().encode(msg.tokenSecret);
      ramp().catch((err: Error) => send({ type: 'error', worker: msg.worker, message: err.stack ?? err.message }));
      return;
    case 'mark':
      return mark(msg);
    case 'finish':
      return finish(msg);
    case 'close': {
      closing = true;
      for (const c of conns) c?.close();
      setTimeout(() => process.exit(0), 300).unref();
      return;
    }
  }
});

process.on('disconnect', () => process.exit(0));
send({ type: 'hello' });
