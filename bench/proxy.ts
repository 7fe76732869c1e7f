// Proxy costs (issue 15): a Tributary process, a backend process that answers
// at once over HTTP (bench/proxy-backend.ts), and raw WebSocket clients here.
//
//   npm run bench:proxy -- [connect|rpc|all|client] [--rate N] [--seconds S] [--build tsx|dist]
//
// connect: new connections at --rate per second (default 1000) for --seconds
//   (default 10), each one connect command then a close; once with a JWT, once
//   through the connect proxy, then both again (the order evens out warm-up).
//   Reports the connect command's round trip (sent → reply) p50/p99 and the
//   server's CPU per connect (from /proc, so the clients and the backend in
//   this process do not count).
// rpc: 100 proxied connections send RPCs at --rpc-rate per second (default
//   2000) through the RPC proxy; reports the round trip p50/p99/max.
// client: the proxy's HTTP client (node:http with a keep-alive Agent) against
//   Node's fetch (undici) on the same backend: CPU per call and latency.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { signToken } from '../src/auth/sign.js';
import { cpuSeconds } from './procstat.js';
import { latencySummary } from './quantiles.js';
import { HttpCaller } from '../src/proxy/http-caller.js';
import { RawWs } from './raw-ws.js';
import { killAll, startTributary, track, type Target } from './servers.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rate: { type: 'string', default: '1000' },
    'rpc-rate': { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    build: { type: 'string', default: 'tsx' },
  },
});
const what = positionals[0] ?? 'all';
const rate = Number(values.rate);
const rpcRate = Number(values['rpc-rate']);
const seconds = Number(values.seconds);
const TICK_MS = 10;

/** The backend (bench/proxy-backend.ts) in a process of its own, so it does not queue behind the generator. */
async function startBackend(): Promise<{ url: string; pid: number; stop: () => Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./proxy-backend.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the bench backend exited (${code}): ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve(err.trim()));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * One short-lived connection on the bench's raw WebSocket client (the `ws`
 * client costs enough per handshake to saturate the generator at 1,000/s):
 * open, connect, wait for the reply, close; resolves with the connect round
 * trip in ms.
 */
function connectRaw(url: URL, token: string | undefined): Promise<number> {
  const frame = Buffer.from(JSON.stringify({ id: 1, connect: token ? { token } : {} }));
  return new Promise((resolve, reject) => {
    let sent = 0;
    new RawWs(
      { host: url.hostname, port: Number(url.port), path: url.pathname, timeoutMs: 10_000 },
      {
        onOpen(conn) {
          sent = performance.now();
          conn.send(frame);
        },
        onMessage(conn, buf, start, end) {
          const ms = performance.now() - sent;
          const text = buf.toString('utf8', start, end);
          conn.close();
          if (text.includes('"connect"')) resolve(ms);
          else reject(new Error(`connect refused: ${text}`));
        },
        onClose(_conn, code, err) {
          if (err) reject(err);
          else if (code !== 1000 && code !== 1005) reject(new Error(`closed with ${code}`));
        },
      },
    );
  });
}

/** One connection: open, connect (with or without a token), wait for the reply; resolves with the connect round trip in ms. */
function connectOnce(url: string, token: string | undefined, keep = false): Promise<{ ms: number; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let sent = 0;
    ws.once('open', () => {
      sent = performance.now();
      ws.send(JSON.stringify({ id: 1, connect: token ? { token } : {} }));
    });
    ws.once('message', (data: Buffer) => {
      const ms = performance.now() - sent;
      if (!data.toString().includes('"connect"')) reject(new Error(`connect refused: ${data.toString()}`));
      else resolve({ ms, ws });
      if (!keep) ws.close();
    });
    ws.once('error', reject);
  });
}

async function connectPhase(
  target: Target,
  token: string | undefined,
  phaseSeconds = seconds,
): Promise<{ count: number; p50: number; p99: number; cpuMsPer: number; failed: number }> {
  const total = rate * phaseSeconds;
  const perTick = (rate * TICK_MS) / 1000;
  const latencies: number[] = [];
  let failed = 0;
  const pending: Promise<void>[] = [];
  const wsUrl = new URL(target.wsUrl);
  const cpuBefore = cpuSeconds(target.pid!);
  const start = performance.now();
  let started = 0;
  while (started < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / TICK_MS + 1) * perTick));
    for (; started < due; started++) {
      pending.push(
        connectRaw(wsUrl, token).then(
          (ms) => void latencies.push(ms),
          () => void failed++,
        ),
      );
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await Promise.all(pending);
  // Let the closes be processed before reading the CPU.
  await new Promise((r) => setTimeout(r, 300));
  const cpu = cpuSeconds(target.pid!) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const s = latencySummary(latencies);
  return { count: latencies.length, p50: s.p50, p99: s.p99, cpuMsPer: (cpu * 1000) / Math.max(1, latencies.length), failed };
}

async function rpcPhase(target: Target): Promise<void> {
  const conns = await Promise.all(Array.from({ length: 100 }, () => connectOnce(target.wsUrl, undefined, true)));
  const sockets = conns.map((c) => c.ws);
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let errors = 0;
  for (const ws of sockets) {
    ws.on('message', (data: Buffer) => {
      for (const line of data.toString().split('\n')) {
        if (!line) continue;
        const m = JSON.parse(line);
        const t = sentAt.get(m.id);
        if (t === undefined) continue;
        sentAt.delete(m.id);
        if (m.error) errors++;
        else latencies.push(performance.now() - t);
      }
    });
  }
  let nextId = 2;
  /** Sends RPCs at rpcRate for `secs`; only measured ones get a send time (the others' answers are ignored). */
  const pace = async (secs: number, measured: boolean) => {
    const total = rpcRate * secs;
    const perTick = (rpcRate * TICK_MS) / 1000;
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / TICK_MS + 1) * perTick));
      for (; sent < due; sent++) {
        const id = nextId++;
        if (measured) sentAt.set(id, performance.now());
        sockets[sent % sockets.length]!.send(JSON.stringify({ id, rpc: { method: 'calc', data: { n: sent } } }));
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  };
  // Warm-up at the measured rate: JIT, and the proxy's connection pool to the backend grown.
  await pace(2, false);
  await new Promise((r) => setTimeout(r, 500));
  await pace(seconds, true);
  const deadline = Date.now() + 10_000;
  while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const ws of sockets) ws.close();
  latencies.sort((a, b) => a - b);
  const s = latencySummary(latencies);
  console.log(`rpc      ${rpcRate}/s for ${seconds}s: ${latencies.length} answered, ${errors} errors, ${sentAt.size} unanswered`);
  console.log(`         round trip p50 ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max?.toFixed(1)} ms`);
}

/**
 * The HTTP client choice (issue 15 asks to measure it): the proxy's node:http
 * caller against Node's fetch (undici), N POSTs each with 64 in flight,
 * alternated twice; this process's CPU per call and the latency.
 */
async function clientPhase(backendUrl: string): Promise<void> {
  const calls = 20_000;
  const concurrency = 64;
  const body = '{"client":"c","transport":"websocket","protocol":"json","encoding":"json","user":"u","method":"m","data":{"n":1}}';
  const caller = new HttpCaller({ endpoint: `${backendUrl}/rpc`, timeoutMs: 5000 });
  const clients: Record<string, () => Promise<unknown>> = {
    'node:http': () => caller.post(body, { 'content-type': 'application/json' }),
    fetch: async () => {
      const res = await fetch(`${backendUrl}/rpc`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(5000),
      });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    },
  };
  console.log(`http client  ${calls} POSTs each, ${concurrency} in flight; CPU of this process per call`);
  for (const round of [1, 2]) {
    for (const [name, call] of Object.entries(clients)) {
      const latencies: number[] = [];
      let next = 0;
      const cpu = process.cpuUsage();
      const worker = async () => {
        while (next < calls) {
          next++;
          const t = performance.now();
          await call();
          latencies.push(performance.now() - t);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const used = process.cpuUsage(cpu);
      latencies.sort((a, b) => a - b);
      const sum = latencySummary(latencies);
      const usPerCall = (used.user + used.system) / calls;
      console.log(`  ${`${name} #${round}`.padEnd(13)} CPU ${usPerCall.toFixed(1)} µs/call   p50 ${sum.p50.toFixed(2)} ms   p99 ${sum.p99.toFixed(2)} ms`);
    }
  }
  caller.close();
}

async function main(): Promise<void> {
  const backend = await startBackend();
  if (what === 'client') {
    await clientPhase(backend.url);
    await backend.stop();
    return;
  }
  const target = await startTributary({
    build: values.build === 'dist' ? 'dist' : 'tsx',
    logLevel: 'error',
    nodeArgs: [],
    extraConfig: {
      client: { proxy: { connect: { enabled: true, endpoint: `${backend.url}/connect` } } },
      rpc: { proxy: { endpoint: `${backend.url}/rpc` }, without_namespace: { proxy_enabled: true } },
    },
  });
  try {
    if (what === 'connect' || what === 'all') {
      const token = await signToken(target.tokenSecret, { sub: 'bench' }, 3600);
      // Warm-up at the measured rate: both paths JIT-compiled, and the proxy's connection pool to the backend grown, before anything counts.
      for (const t of [token, undefined, token, undefined]) await connectPhase(target, t, 1);
      const rows: Array<[string, Awaited<ReturnType<typeof connectPhase>>]> = [];
      for (const round of [1, 2]) {
        rows.push([`jwt #${round}`, await connectPhase(target, token)]);
        rows.push([`proxy #${round}`, await connectPhase(target, undefined)]);
      }
      console.log(`connect  ${rate}/s for ${seconds}s each; round trip of the connect command, server CPU per connect`);
      for (const [label, r] of rows) {
        console.log(
          `  ${label.padEnd(9)} ${r.count} ok, ${r.failed} failed   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   CPU ${(r.cpuMsPer * 1000).toFixed(0)} µs/connect`,
        );
      }
      const avg = (k: 'p50' | 'cpuMsPer', prefix: string) => rows.filter(([l]) => l.startsWith(prefix)).reduce((n, [, r]) => n + r[k], 0) / 2;
      console.log(
        `  proxy − jwt p50: ${(avg('p50', 'proxy') - avg('p50', 'jwt')).toFixed(2)} ms (target ≤ 1 ms); CPU proxy/jwt: ${(avg('cpuMsPer', 'proxy') / avg('cpuMsPer', 'jwt')).toFixed(2)}× (target ≤ 1.5×)`,
      );
    }
    if (what === 'rpc' || what === 'all') await rpcPhase(target);
  } finally {
    await target.stop();
    console.log(`backend: ${await backend.stop()}`);
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => killAll());
