// Input number `index` of a target: a valid seed with a few stacked
// mutations (the format's own, the target's, plain byte edits), a seed sent
// with another variant, or random bytes. Deterministic in (run seed, target,
// index): see random.ts.

import type { FuzzCase, FuzzTarget } from './target.js';
import { Rng } from './random.js';
import { mutateBytes, randomInput } from './mutate-bytes.js';
import { dictionaryOf, mutateTree, serialize, toTree, type JNode, type JsonDictionary } from './mutate-json.js';
import { mutateDelimited, mutateMessage } from './mutate-protobuf.js';

/** Inputs are cut here: stacked mutations can double and repeat a seed into megabytes, which only makes a run slow. */
const MAX_INPUT_BYTES = 1 << 20;

const JSON_ALPHABET = '{}[]":,0123456789.-eE truefalsnul\\abcdxyz\n';

/** A JSON seed as trees: one per line when the seed is several documents on lines (client frames, legacy /api). */
function linesOf(data: Buffer): JNode[] | null {
  const text = data.toString('utf8');
  try {
    return [toTree(JSON.parse(text))];
  } catch {
    try {
      return text.split('\n').map((line) => toTree(JSON.parse(line)));
    } catch {
      return null;
    }
  }
}

export class Generator {
  private readonly trees: Array<JNode[] | null>;
  private readonly dict: JsonDictionary;

  constructor(
    private readonly target: FuzzTarget,
    private readonly seed: number,
  ) {
    if (target.seeds.length === 0) throw new Error(`fuzz target ${target.name} has no seeds`);
    this.trees = target.format === 'json' ? target.seeds.map((s) => linesOf(s.data)) : [];
    this.dict = dictionaryOf(this.trees.flatMap((t) => t ?? []));
  }

  input(index: number): FuzzCase {
    const t = this.target;
    const rng = new Rng(this.seed, t.name, index);
    const seedNo = rng.int(t.seeds.length);
    const base = t.seeds[seedNo]!;
    let variant = base.variant;
    if (t.variants && t.variants.length > 0 && rng.chance(0.05)) variant = rng.pick(t.variants);
    if (rng.chance(0.06)) return { variant, data: randomInput(rng, t.format === 'json' ? JSON_ALPHABET : undefined) };
    let data = base.data;
    const steps = rng.chance(0.85) ? 1 + rng.int(3) : 4 + rng.int(8);
    let structured = 0;
    if (t.format === 'json') {
      // Tree steps first (they need the tree), then byte steps on the text.
      const lines = this.trees[seedNo];
      if (lines) {
        structured = Math.max(1, steps - (rng.chance(0.8) ? 0 : 1 + rng.int(2)));
        const out = lines.slice();
        for (let s = 0; s < structured; s++) {
          const i = rng.int(out.length);
          out[i] = mutateTree(out[i]!, rng, this.dict);
        }
        data = Buffer.from(out.map(serialize).join('\n'), 'utf8');
      }
    }
    for (let s = structured; s < steps; s++) data = this.step(data, rng);
    return { variant, data: data.length > MAX_INPUT_BYTES ? data.subarray(0, MAX_INPUT_BYTES) : data };
  }

  private step(data: Buffer, rng: Rng): Buffer {
    const extra = this.target.mutators ?? [];
    const r = rng.float();
    if (extra.length > 0 && r < 0.4) return rng.pick(extra)(data, rng);
    if (r < 0.75) {
      if (this.target.format === 'protobuf') return mutateMessage(data, rng) ?? mutateBytes(data, rng);
      if (this.target.format === 'protobuf-delimited') return mutateDelimited(data, rng) ?? mutateBytes(data, rng);
    }
    return mutateBytes(data, rng);
  }
}
