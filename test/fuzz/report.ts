// The fuzz run's output: one line per target, and each failing input saved
// as a file `npm run fuzz -- --replay FILE` runs again.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Failure, TargetStats } from './run-target.js';

export function targetLine(s: TargetStats, seconds: number, width: number): string {
  const pct = (n: number) => (s.inputs === 0 ? '0' : ((100 * n) / s.inputs).toFixed(1));
  const slowest = s.slowest ? `${s.slowestMs.toFixed(1)} ms #${s.slowest.index} ${s.slowest.preview}` : '-';
  return [
    s.target.padEnd(width),
    `inputs ${s.inputs}`,
    `crashes ${s.crashes}`,
    `hangs ${s.hangs}`,
    `refused ${pct(s.refused)}%`,
    `${seconds.toFixed(0)} s`,
    `slowest ${slowest}`,
  ].join('  ');
}

/** Writes the failing input to `dir`; returns the file's path. */
export function saveFailure(dir: string, f: Failure): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${f.target}-${f.kind}-seed${f.seed}-${f.index}.json`);
  writeFileSync(file, JSON.stringify(f, null, 2) + '\n');
  return file;
}
