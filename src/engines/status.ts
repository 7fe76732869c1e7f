// How /health and the start log speak of the broker and the presence manager
// together, in the words they used when one Engine object did both: one name
// ("redis") for an engine block that configures both halves; "<broker>+
// <presence>-presence", with the sick half named in the detail, when a
// `broker` or `presence_manager` block split them.

import type { EngineHealth } from './availability.js';
import type { Broker } from './broker.js';
import type { PresenceManager } from './presence-manager.js';

export interface EngineHalves {
  readonly broker: Pick<Broker, 'name' | 'health'>;
  readonly presenceManager: Pick<PresenceManager, 'name' | 'health'>;
  /** A `broker` or `presence_manager` block replaced one half of the engine. */
  readonly split?: boolean;
}

const together = (e: EngineHalves) => !e.split && e.broker.name === e.presenceManager.name;

export function engineName(e: EngineHalves): string {
  return together(e) ? e.broker.name : `${e.broker.name}+${e.presenceManager.name}-presence`;
}

export function engineHealth(e: EngineHalves): EngineHealth {
  const broker = e.broker.health();
  const presence = e.presenceManager.health();
  if (broker.healthy && presence.healthy) return { healthy: true };
  // One engine block: the halves share the shards, and the broker needs every
  // link the presence manager needs, so the broker's detail says it all.
  if (together(e)) return broker.healthy ? presence : broker;
  const sick = [
    ['broker', broker],
    ['presence manager', presence],
  ] as const;
  return { healthy: false, detail: sick.flatMap(([what, h]) => (h.healthy ? [] : [`${what}: ${h.detail ?? 'unhealthy'}`])).join('; ') };
}
