// How /health and the start log speak of the broker and the presence manager
// together, in the words they used when one Engine object did both: one name
// ("redis") when both halves are of one kind, as `engine.type` alone
// configures them; "<broker>+<presence>-presence" with the sick half named
// in the detail when a `broker` or `presence_manager` block split them.

import type { EngineHealth } from '../engines/availability.js';
import type { Broker } from '../engines/broker.js';
import type { PresenceManager } from '../engines/presence-manager.js';

type Halves = { readonly broker: Pick<Broker, 'name' | 'health'>; readonly presenceManager: Pick<PresenceManager, 'name' | 'health'> };

function oneKind(e: Halves): boolean {
  return e.broker.name === e.presenceManager.name;
}

export function engineName(e: Halves): string {
  return oneKind(e) ? e.broker.name : `${e.broker.name}+${e.presenceManager.name}-presence`;
}

export function engineHealth(e: Halves): EngineHealth {
  const halves = [
    ['broker', e.broker.health()],
    ['presence manager', e.presenceManager.health()],
  ] as const;
  const sick = halves.filter(([, h]) => !h.healthy);
  if (sick.length === 0) return { healthy: true };
  if (!oneKind(e)) return { healthy: false, detail: sick.map(([what, h]) => `${what}: ${h.detail ?? 'unhealthy'}`).join('; ') };
  // A detail is a '; '-separated list of problems (one per sick shard). Halves
  // of one kind usually share a backend (a Redis presence manager then shares
  // the broker's shards), so the same problem would come twice: say it once.
  const problems = new Set(sick.flatMap(([, h]) => (h.detail ?? 'unhealthy').split('; ')));
  return { healthy: false, detail: [...problems].join('; ') };
}
