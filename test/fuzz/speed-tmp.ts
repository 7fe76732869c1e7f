import { runTarget } from './run-target.js';
import { TARGETS } from './targets/index.js';
import { Generator } from './generate.js';
const only = process.argv[2]?.split(',');
for (const t of TARGETS) {
  if (only && !only.includes(t.name)) continue;
  const g = new Generator(t, 1);
  let s0 = performance.now();
  for (let i = 0; i < 5000; i++) g.input(i);
  const genMs = performance.now() - s0;
  s0 = performance.now();
  const st = await runTarget(t, { seed: 1, from: 0, to: 5000, hangMs: 1e9 });
  const ms = performance.now() - s0;
  console.log(t.name.padEnd(18), 'gen µs/input', (genMs / 5).toFixed(0), 'total µs/input', (ms / 5).toFixed(0), 'slowest', st.slowestMs.toFixed(0), st.crashes);
}
