// A worker thread of `npm run fuzz`: runs one range of one target and
// reports back (worker-protocol.ts). The index of the input in hand is kept
// in shared memory, so the CLI can tell which input a stuck worker is stuck on.

import { parentPort, workerData } from 'node:worker_threads';
import { runTarget } from './run-target.js';
import { targetNamed } from './targets/index.js';
import type { WorkerJob, WorkerMessage } from './worker-protocol.js';

const job = workerData as WorkerJob;
const current = new Int32Array(job.current);
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

const target = targetNamed(job.target);
if (!target) throw new Error(`no fuzz target ${job.target}`);
const stats = await runTarget(target, {
  seed: job.seed,
  from: job.from,
  to: job.to,
  hangMs: job.hangMs,
  onInput: (index) => Atomics.store(current, 0, index),
  onFailure: (failure) => post({ type: 'failure', failure }),
  onProgress: (s) => post({ type: 'progress', stats: s }),
});
post({ type: 'done', stats });
