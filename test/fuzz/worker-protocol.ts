// What the CLI and its worker threads say to each other.

import type { Failure, TargetStats } from './run-target.js';

export interface WorkerJob {
  target: string;
  seed: number;
  from: number;
  to: number;
  hangMs: number;
  /** An Int32Array's buffer: [index of the input being run]. */
  current: SharedArrayBuffer;
}

export type WorkerMessage = { type: 'progress'; stats: TargetStats } | { type: 'failure'; failure: Failure } | { type: 'done'; stats: TargetStats };
