// Which engine does what: `engine.type` sets the broker (publications,
// history, control) and the presence manager together; an enabled `broker` or
// `presence_manager` block replaces one of them (spec server-api.md §2.2, §4).
// Only memory and Redis exist here; Centrifugo's nats/postgres brokers do not.

import { coerceLeaf } from './coerce.js';
import type { ConfigProblem } from './errors.js';
import { isObject } from './raw-blocks.js';
import { parseRedisOptions, type RedisEngineOptions } from './redis.js';
import type { Config } from './types.js';

export type EngineSpec = { type: 'memory' } | { type: 'redis'; options: RedisEngineOptions; path: string };

export interface EngineLayout {
  broker: EngineSpec;
  presenceManager: EngineSpec;
  problems: ConfigProblem[];
  warnings: string[];
}

const KNOWN_BROKERS = ['memory', 'redis', 'nats', 'postgres', 'redisnats'];

function spec(type: string, redis: unknown, path: string, out: EngineLayout): EngineSpec {
  if (type !== 'redis') return { type: 'memory' };
  const parsed = parseRedisOptions(redis, `${path}.redis`);
  out.problems.push(...parsed.problems);
  out.warnings.push(...parsed.warnings);
  return parsed.options ? { type: 'redis', options: parsed.options, path: `${path}.redis` } : { type: 'memory' };
}

/** An enabled override block, or undefined; problems name their keys. */
function override(block: unknown, path: string, allowed: string[], out: EngineLayout): EngineSpec | undefined {
  if (block === undefined || block === null) return undefined;
  if (!isObject(block)) {
    out.problems.push({ key: path, reason: 'must be an object' });
    return undefined;
  }
  let enabled = false;
  try {
    enabled = block.enabled === undefined ? false : (coerceLeaf('bool', block.enabled, 'file') as boolean);
  } catch (err) {
    out.problems.push({ key: `${path}.enabled`, reason: (err as Error).message });
  }
  if (!enabled) return undefined;
  const type = typeof block.type === 'string' ? block.type : '';
  if (!allowed.includes(type)) {
    const known = path === 'broker' ? KNOWN_BROKERS : allowed;
    const reason = known.includes(type) ? `${JSON.stringify(type)} is not supported by Tributary (memory or redis)` : `${JSON.stringify(type)} must be one of ${known.map((t) => JSON.stringify(t)).join(', ')}`;
    out.problems.push({ key: `${path}.type`, reason });
    return undefined;
  }
  return spec(type, block.redis, path, out);
}

export function engineLayout(config: Config): EngineLayout {
  const out: EngineLayout = { broker: { type: 'memory' }, presenceManager: { type: 'memory' }, problems: [], warnings: [] };
  const base = spec(config.engine.type, config.engine.redis, 'engine', out);
  out.broker = override(config.broker, 'broker', ['memory', 'redis'], out) ?? base;
  out.presenceManager = override(config.presence_manager, 'presence_manager', ['memory', 'redis'], out) ?? base;
  return out;
}
