// What a chaos scenario is to the CLI: a name, one line on what it breaks,
// the chaos services it needs, and a run that returns its counts and verdict.

import type { Nodes } from './nodes.js';
import type { Outcome } from './outcome.js';
import type { ServiceName } from './services.js';

export interface ChaosContext {
  /** How long the traffic runs, in seconds (the fault comes in its middle). */
  seconds: number;
  /** The scenario's Tributary processes; the CLI kills what is left of them afterwards. */
  nodes: Nodes;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  summary: string;
  services: ServiceName[];
  run(ctx: ChaosContext): Promise<Outcome>;
}

/** Waits for `pred`, polling every `every` ms; false (not an exception) when time runs out, so the counts still get reported. */
export async function settle(pred: () => boolean | Promise<boolean>, ms: number, every = 200): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}
