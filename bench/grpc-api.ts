// The GRPC API against the HTTP API (issue 16): one Tributary process with
// both, and load from this process.
//
//   npm run bench:grpc -- [publish|batch|codec|all] [--seconds S] [--lanes N] [--only http|grpc]
//   (BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server)
//
// publish: --lanes (default 32) lanes, each with one call in flight, publish
//   for --seconds (default 5) over HTTP (keep-alive) and over GRPC, alternated
//   twice; server CPU per call from /proc.
// batch: the same with batches of 100 publishes (4 lanes); CPU per publication.
// codec: in process, no server: decoding a Publish request and encoding its
//   response with our protobuf codec against protobufjs (what
//   @grpc/proto-loader uses), ns per call.

import http from 'node:http';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { API_PROTO } from '../src/api/api-proto.js';
import { API_METHODS, BATCH } from '../src/api/grpc-proto.js';
import { decodeMessage, encodeMessage } from '../src/protocol/protobuf/message.js';
import { cpuSeconds } from './procstat.js';
import { freePort, killAll, startTributary, type Target } from './servers.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '5' }, lanes: { type: 'string', default: '32' }, only: { type: 'string' } },
});
const what = positionals[0] ?? 'all';
const seconds = Number(values.seconds);
const lanes = Number(values.lanes);
const KEY = 'bench-grpc-key';

const PUBLISH = API_METHODS.publish;

interface Door {
  name: string;
  /** One call; resolves when answered. */
  publish(i: number): Promise<void>;
  batch(i: number, size: number): Promise<void>;
}

function httpDoor(target: Target): Door {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(target.apiUrl);
  const post = (path: string, body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'X-API-Key': target.apiKey, 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    name: 'http',
    publish: (i) => post('/api/publish', `{"channel":"bench:${i % 100}","data":{"n":${i}}}`),
    batch: (i, size) => {
      const commands = Array.from({ length: size }, (_, k) => `{"publish":{"channel":"bench:${k % 100}","data":{"n":${i}}}}`);
      return post('/api/batch', `{"commands":[${commands.join(',')}]}`);
    },
  };
}

function grpcDoor(port: number): Door {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `apikey ${KEY}`);
  const call = (method: string, req: object, reqDesc: (typeof PUBLISH)['request'], resDesc: (typeof PUBLISH)['response']) =>
    new Promise<void>((resolve, reject) => {
      client.makeUnaryRequest(
        `/centrifugal.centrifugo.api.CentrifugoApi/${method}`,
        (v: object) => encodeMessage(reqDesc, v),
        (b: Buffer) => decodeMessage(b, resDesc),
        req,
        md,
        (err, res) => (err ? reject(err) : (res as { error?: unknown }).error ? reject(new Error(JSON.stringify(res))) : resolve()),
      );
    });
  return {
    name: 'grpc',
    publish: (i) => call('Publish', { channel: `bench:${i % 100}`, data: Buffer.from(`{"n":${i}}`) }, PUBLISH.request, PUBLISH.response),
    batch: (i, size) =>
      call(
        'Batch',
        { commands: Array.from({ length: size }, (_, k) => ({ publish: { channel: `bench:${k % 100}`, data: Buffer.from(`{"n":${i}}`) } })) },
        BATCH.request,
        BATCH.response,
      ),
  };
}

/** Runs `lanes` lanes of one call each for `seconds`; returns calls done and server CPU seconds used. */
async function run(target: Target, laneCount: number, fn: (i: number) => Promise<void>): Promise<{ calls: number; cpu: number }> {
  const cpu0 = cpuSeconds(target.pid!);
  const deadline = performance.now() + seconds * 1000;
  let calls = 0;
  await Promise.all(
    Array.from({ length: laneCount }, async () => {
      while (performance.now() < deadline) await fn(calls++);
    }),
  );
  return { calls, cpu: cpuSeconds(target.pid!) - cpu0 };
}

async function compare(target: Target, doors: Door[], mode: 'publish' | 'batch'): Promise<void> {
  const size = 100;
  const laneCount = mode === 'publish' ? lanes : 4;
  const perUnit = mode === 'publish' ? 1 : size;
  console.log(`${mode}: ${laneCount} lanes, one call in flight each, ${seconds}s per run${mode === 'batch' ? `, ${size} publishes per batch` : ''}`);
  const results: Record<string, number[]> = {};
  for (const door of doors) await run(target, laneCount, (i) => (mode === 'publish' ? door.publish(i) : door.batch(i, size))); // warm-up
  for (const round of [1, 2]) {
    for (const door of doors) {
      const { calls, cpu } = await run(target, laneCount, (i) => (mode === 'publish' ? door.publish(i) : door.batch(i, size)));
      const us = (cpu * 1e6) / (calls * perUnit);
      (results[door.name] ??= []).push(us);
      console.log(
        `  ${`${door.name} #${round}`.padEnd(9)} ${((calls * perUnit) / seconds).toFixed(0).padStart(7)} publishes/s   server CPU ${us.toFixed(1)} µs/publish`,
      );
    }
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  if (results.grpc && results.http) {
    console.log(`  grpc/http CPU per publish: ${(avg(results.grpc) / avg(results.http)).toFixed(2)}× (target ${mode === 'publish' ? '≤ 1.0' : '≤ 1.1'}×)`);
  }
}

function codecBench(): void {
  const root = protobuf.parse(API_PROTO, { keepCase: true }).root;
  const Req = root.lookupType('centrifugal.centrifugo.api.PublishRequest');
  const Res = root.lookupType('centrifugal.centrifugo.api.PublishResponse');
  const wire = Buffer.from(Req.encode(Req.fromObject({ channel: 'bench:1', data: Buffer.from('{"n":1}'), tags: { a: 'b' } })).finish());
  const reply = { result: { offset: 12345, epoch: 'abcd' } };
  const n = 500_000;
  const time = (fn: () => void) => {
    for (let i = 0; i < 20_000; i++) fn();
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return Number(process.hrtime.bigint() - t) / n;
  };
  const ours = time(() => {
    decodeMessage(wire, PUBLISH.request);
    encodeMessage(PUBLISH.response, reply);
  });
  const pbjs = time(() => {
    Req.toObject(Req.decode(wire), { longs: Number, bytes: Buffer as never });
    Res.encode(Res.fromObject(reply)).finish();
  });
  console.log(`codec: decode a Publish request + encode its response: ours ${ours.toFixed(0)} ns, protobufjs (as @grpc/proto-loader) ${pbjs.toFixed(0)} ns`);
}

async function main(): Promise<void> {
  if (what === 'codec' || what === 'all') codecBench();
  if (what === 'codec') return;
  const grpcPort = await freePort();
  const target = await startTributary({
    build: 'tsx',
    logLevel: 'error',
    nodeArgs: process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [],
    extraConfig: { grpc_api: { enabled: true, port: grpcPort, key: KEY } },
  });
  try {
    const doors = [httpDoor(target), grpcDoor(grpcPort)].filter((d) => !values.only || d.name === values.only);
    if (what === 'publish' || what === 'all') await compare(target, doors, 'publish');
    if (what === 'batch' || what === 'all') await compare(target, doors, 'batch');
  } finally {
    await target.stop();
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => killAll());
