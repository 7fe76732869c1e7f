// `npm run fuzz`: every decoder of the server against generated input (see
// README "Development"). Flags:
//   --inputs N        inputs per target (default 1,000,000)
//   --target a,b      only these targets (--list names them)
//   --seed S          the run's seed (default 1); the same seed makes the same inputs
//   --jobs J          targets run at once, each in a worker thread (default: up to 2)
//   --hang-ms MS      an input slower than this is a hang (default 1000)
//   --out DIR         where failing inputs are written (default .cache/fuzz)
//   --replay FILE     run one saved failing input again and show what it does
// Exits 1 when any target crashed or hung.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runPool } from './pool.js';
import { saveFailure, targetLine } from './report.js';
import { preview, type Failure } from './run-target.js';
import { TARGETS, targetNamed } from './targets/index.js';

const { values: args } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    target: { type: 'string' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    'hang-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: '.cache/fuzz' },
    list: { type: 'boolean', default: false },
    replay: { type: 'string' },
  },
});

function number(name: string, text: string): number {
  const n = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not ${text}`);
  return n;
}

async function replay(file: string): Promise<number> {
  const f = JSON.parse(readFileSync(file, 'utf8')) as Failure;
  const target = targetNamed(f.target);
  if (!target) throw new Error(`${file}: no target ${f.target}`);
  const input = { variant: f.variant, data: Buffer.from(f.data, 'base64') };
  console.log(`${target.name} #${f.index} (seed ${f.seed}): ${preview(input, 200)}`);
  const started = performance.now();
  try {
    await target.run(input);
    console.log(`accepted in ${(performance.now() - started).toFixed(1)} ms`);
    return 0;
  } catch (err) {
    const ms = (performance.now() - started).toFixed(1);
    if (target.expected(err)) {
      console.log(`refused as expected in ${ms} ms: ${(err as Error).message}`);
      return 0;
    }
    console.log(`CRASH in ${ms} ms:`);
    console.log(err instanceof Error ? err.stack : err);
    return 1;
  }
}

async function main(): Promise<number> {
  if (args.list) {
    const width = Math.max(...TARGETS.map((t) => t.name.length));
    for (const t of TARGETS) console.log(`${t.name.padEnd(width)}  ${t.description}`);
    return 0;
  }
  if (args.replay) return replay(args.replay);
  const names = args.target ? args.target.split(',').map((s) => s.trim()) : TARGETS.map((t) => t.name);
  const targets = names.map(
    (n) =>
      targetNamed(n) ??
      (() => {
        throw new Error(`no fuzz target ${n} (--list names them)`);
      })(),
  );
  const seed = number('seed', args.seed);
  const inputs = number('inputs', args.inputs);
  const hangMs = number('hang-ms', args['hang-ms']);
  const width = Math.max(...targets.map((t) => t.name.length));
  console.log(`fuzz: ${targets.length} targets, ${inputs} inputs each, seed ${seed}, ${args.jobs} jobs, hang limit ${hangMs} ms`);
  const started = Date.now();
  let failed = false;
  await runPool(targets, {
    seed,
    inputs,
    hangMs,
    jobs: number('jobs', args.jobs),
    killAfterMs: Math.max(10_000, 10 * hangMs),
    onFailure: (f) => console.log(`  ${f.kind} in ${f.target} #${f.index}: ${f.error.split('\n')[0]} → ${saveFailure(args.out, f)}`),
    onTargetDone: (stats, seconds) => {
      if (stats.crashes > 0 || stats.hangs > 0) failed = true;
      console.log(targetLine(stats, seconds, width));
    },
  });
  console.log(
    `fuzz: done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${failed ? 'FAILED (inputs in ' + args.out + ', replay with --replay FILE)' : 'no crashes or hangs'}`,
  );
  return failed ? 1 : 0;
}

process.exitCode = await main();
