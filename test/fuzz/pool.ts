// Runs targets in worker threads, as many at once as there are jobs, and
// watches them: a worker whose input index has not moved for `killAfterMs`
// is stuck (an endless loop, a promise that never settles); it is
// terminated, its input recorded as a hang, and a new worker goes on from
// the next input. Synchronous code cannot be interrupted any other way.

import { Worker } from 'node:worker_threads';
import { Generator } from './generate.js';
import { emptyStats, preview, type Failure, type TargetStats } from './run-target.js';
import type { FuzzTarget } from './target.js';
import type { WorkerJob, WorkerMessage } from './worker-protocol.js';

export interface PoolOptions {
  seed: number;
  inputs: number;
  hangMs: number;
  jobs: number;
  killAfterMs: number;
  onFailure(f: Failure): void;
  onTargetDone(stats: TargetStats, seconds: number): void;
}

/**
 * A worker thread does not get the loader hooks `--import tsx` gave this
 * thread (Node 20), so it registers tsx itself before loading worker.ts.
 */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;

/** Adds a finished (or cut-short) segment's stats to the target's. */
function merge(into: TargetStats, s: TargetStats): void {
  into.inputs += s.inputs;
  into.accepted += s.accepted;
  into.refused += s.refused;
  into.crashes += s.crashes;
  into.hangs += s.hangs;
  into.failures.push(...s.failures);
  if (s.slowestMs > into.slowestMs) {
    into.slowestMs = s.slowestMs;
    into.slowest = s.slowest;
  }
}

/** One segment [from, to) in one worker; resolves with where it stopped (to, or after a stuck input). */
function runSegment(target: FuzzTarget, from: number, opts: PoolOptions, total: TargetStats): Promise<number> {
  return new Promise((resolve, reject) => {
    const current = new SharedArrayBuffer(4);
    const index = new Int32Array(current);
    Atomics.store(index, 0, from);
    const job: WorkerJob = { target: target.name, seed: opts.seed, from, to: opts.inputs, hangMs: opts.hangMs, current };
    // The main thread's stack size (about 1 MB), not a worker's default 4: a decoder must survive the depth the server's thread does.
    const worker = new Worker(WORKER_BOOT, { eval: true, workerData: job, resourceLimits: { stackSizeMb: 1 } });
    let last: TargetStats = emptyStats(target.name);
    let seen = from;
    let movedAt = Date.now();
    let finished = false;
    const watchdog = setInterval(() => {
      const now = Atomics.load(index, 0);
      if (now !== seen) {
        seen = now;
        movedAt = Date.now();
        return;
      }
      if (Date.now() - movedAt < opts.killAfterMs) return;
      finished = true;
      clearInterval(watchdog);
      void worker.terminate();
      // Counted up to the stuck input; what the worker had not reported yet is recounted as accepted.
      last.inputs = now - from + 1;
      last.accepted = Math.max(0, last.inputs - last.refused - last.crashes - last.hangs - 1);
      last.hangs++;
      const input = new Generator(target, opts.seed).input(now);
      const ms = Date.now() - movedAt + opts.killAfterMs;
      const f: Failure = {
        target: target.name,
        kind: 'hang',
        seed: opts.seed,
        index: now,
        variant: input.variant,
        data: input.data.toString('base64'),
        error: `no result after ${opts.killAfterMs} ms; worker terminated`,
        ms,
      };
      last.failures.push(f);
      if (ms > last.slowestMs) {
        last.slowestMs = ms;
        last.slowest = { index: now, preview: preview(input) };
      }
      opts.onFailure(f);
      merge(total, last);
      resolve(now + 1);
    }, 500);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'failure') opts.onFailure(m.failure);
      else if (m.type === 'progress') last = m.stats;
      else {
        finished = true;
        clearInterval(watchdog);
        merge(total, m.stats);
        void worker.terminate();
        resolve(opts.inputs);
      }
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      if (!finished) reject(err);
    });
  });
}

async function runOne(target: FuzzTarget, opts: PoolOptions): Promise<void> {
  const started = Date.now();
  const total = emptyStats(target.name);
  for (let from = 0; from < opts.inputs;) from = await runSegment(target, from, opts, total);
  opts.onTargetDone(total, (Date.now() - started) / 1000);
}

export async function runPool(targets: readonly FuzzTarget[], opts: PoolOptions): Promise<void> {
  // Costly targets first, so the lanes end together rather than one long target running alone at the end.
  const queue = targets.slice().sort((a, b) => (b.weight ?? 1) - (a.weight ?? 1));
  const lane = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) await runOne(t, opts);
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, lane));
}
