// Every fuzz target of `npm run fuzz` (test/fuzz/) with a few thousand
// inputs from a fixed seed: a decoder change that lets a crash or a hang back
// in fails here, long before the next full run. `npm run fuzz -- --replay
// FILE` runs a failing input again (the failure names it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { preview, runTarget } from '../fuzz/run-target.js';
import { TARGETS } from '../fuzz/targets/index.js';

const INPUTS = 3000;
const SEED = 20;

describe('fuzz targets (a short run of npm run fuzz)', () => {
  for (const target of TARGETS) {
    it(`${target.name}: ${INPUTS} inputs, no crash, no hang`, async () => {
      const stats = await runTarget(target, { seed: SEED, from: 0, to: INPUTS, hangMs: 1000 });
      const failures = stats.failures.map((f) => `${f.kind} #${f.index} ${preview({ variant: f.variant, data: Buffer.from(f.data, 'base64') })}\n${f.error}`);
      assert.deepEqual(failures, []);
      assert.equal(stats.inputs, INPUTS);
      // Mutations that never get past the decoder's first check would test nothing.
      assert.ok(stats.accepted > 0, 'some inputs should decode');
    });
  }
});
