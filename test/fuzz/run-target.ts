// Runs a range of a target's inputs and sorts each outcome: accepted, refused
// the documented way, crashed (anything else thrown), or a hang (slower than
// the limit). Shared by the CLI's workers and the unit test.

import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { FuzzCase, FuzzTarget } from './target.js';
import { Generator } from './generate.js';

export interface Failure {
  target: string;
  kind: 'crash' | 'hang';
  seed: number;
  index: number;
  variant: string;
  /** The input, base64. */
  data: string;
  error: string;
  ms: number;
}

export interface TargetStats {
  target: string;
  inputs: number;
  accepted: number;
  refused: number;
  crashes: number;
  hangs: number;
  slowestMs: number;
  slowest: { index: number; preview: string } | null;
  /** The first failure of each distinct kind (error name, message and place). */
  failures: Failure[];
}

export interface RunOptions {
  seed: number;
  from: number;
  to: number;
  hangMs: number;
  /** Called before each input, with its index (the CLI's watchdog reads it). */
  onInput?(index: number): void;
  /** Called for every new distinct failure. */
  onFailure?(f: Failure): void;
  /** Called now and then with the stats so far. */
  onProgress?(stats: TargetStats): void;
}

export function emptyStats(target: string): TargetStats {
  return { target, inputs: 0, accepted: 0, refused: 0, crashes: 0, hangs: 0, slowestMs: 0, slowest: null, failures: [] };
}

/** A short look at an input for a report line: text as a JSON string, other bytes as hex. */
export function preview(c: FuzzCase, max = 48): string {
  const variant = c.variant === '' ? '' : `[${c.variant}] `;
  const bytes = c.data.subarray(0, max);
  const shown = isUtf8(bytes) ? JSON.stringify(bytes.toString('utf8')) : `0x${bytes.toString('hex')}`;
  return `${variant}${c.data.length}B ${shown}${c.data.length > max ? '…' : ''}`;
}

/** Where an error comes from: its kind, message and the first stack frame in our code. */
function signature(err: unknown): string {
  const e = err as Error;
  const frame = (e?.stack ?? '').split('\n').find((l) => l.includes('/src/')) ?? '';
  return `${e?.name}: ${String(e?.message).slice(0, 80)} ${frame.trim()}`;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return `non-Error thrown: ${String(err)}`;
}

/** Runs one input, returning the exception it threw (if any) and its time. */
async function timed(target: FuzzTarget, c: FuzzCase): Promise<{ threw: boolean; thrown: unknown; ms: number }> {
  const started = performance.now();
  try {
    const r = target.run(c);
    if (r instanceof Promise) await r;
    return { threw: false, thrown: undefined, ms: performance.now() - started };
  } catch (err) {
    return { threw: true, thrown: err, ms: performance.now() - started };
  }
}

/** Time above which an input is run twice more and its best time kept: a busy machine (or a GC) must not make a hang or the slowest input. */
const RETIME_MS = 20;

export async function runTarget(target: FuzzTarget, opts: RunOptions): Promise<TargetStats> {
  const gen = new Generator(target, opts.seed);
  const stats = emptyStats(target.name);
  const seen = new Set<string>();
  const fail = (kind: Failure['kind'], c: FuzzCase, index: number, error: string, ms: number, sig: string) => {
    if (seen.has(sig) || seen.size >= 20) return;
    seen.add(sig);
    const f: Failure = { target: target.name, kind, seed: opts.seed, index, variant: c.variant, data: c.data.toString('base64'), error, ms };
    stats.failures.push(f);
    opts.onFailure?.(f);
  };
  let lastReport = performance.now();
  for (let index = opts.from; index < opts.to; index++) {
    opts.onInput?.(index);
    const c = gen.input(index);
    const started = performance.now();
    const { threw, thrown, ms: first } = await timed(target, c);
    let ms = first;
    if (ms > RETIME_MS && (ms > stats.slowestMs || ms > opts.hangMs)) {
      for (let again = 0; again < 2 && ms > RETIME_MS; again++) ms = Math.min(ms, (await timed(target, c)).ms);
    }
    stats.inputs++;
    if (!threw) stats.accepted++;
    else if (target.expected(thrown)) stats.refused++;
    else {
      stats.crashes++;
      fail('crash', c, index, describe(thrown), ms, signature(thrown));
    }
    if (ms > stats.slowestMs) {
      stats.slowestMs = ms;
      stats.slowest = { index, preview: preview(c) };
    }
    if (ms > opts.hangMs) {
      stats.hangs++;
      fail('hang', c, index, `took ${ms.toFixed(0)} ms (limit ${opts.hangMs} ms)`, ms, `hang ${stats.hangs <= 5 ? stats.hangs : 'more'}`);
    }
    if (opts.onProgress && (index & 1023) === 0 && started - lastReport > 250) {
      lastReport = started;
      opts.onProgress(stats);
    }
  }
  return stats;
}
