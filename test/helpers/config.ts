// Config for tests, always through the real loader (so it is checked as a
// file would be): typed values written the way tests like them (durations in
// ms) are turned back into what a file says first.

import { ConfigError, type ConfigProblem } from '../../src/config/errors.js';
import { metaOf, type FieldMeta } from '../../src/config/fields.js';
import { loadConfig } from '../../src/config/load.js';
import type { ConsumerConfig, KafkaConsumerOptions } from '../../src/config/consumers.js';
import type { RedisEngineOptions } from '../../src/config/redis.js';
import { CONFIG, type Config } from '../../src/config/schema.js';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A typed-looking value as a file writes it: durations given as numbers are milliseconds here. */
export function toInput(value: unknown, meta: FieldMeta = metaOf(CONFIG)): unknown {
  if (meta.kind === 'duration') return typeof value === 'number' ? `${value}ms` : value;
  if (meta.kind === 'list') return Array.isArray(value) ? value.map((v) => toInput(v, metaOf(meta.item))) : value;
  if (meta.kind !== 'section' || !isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Object.hasOwn(meta.shape, k) ? toInput(v, metaOf(meta.shape[k]!)) : v]));
}

/** Loads `raw` (a config file's content) with no environment; throws ConfigError as serve would. */
export function configOf(raw: unknown): Config {
  return loadConfig({ raw: toInput(raw), env: {} }).config;
}

/** The problems a config file's content has (none: []). */
export function problemsOf(raw: unknown): ConfigProblem[] {
  try {
    configOf(raw);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** An `engine.redis` block parsed as the engine would get it, or its problems. */
export function redisOptions(block: unknown): { options?: RedisEngineOptions; problems: ConfigProblem[] } {
  try {
    const engine = configOf({ engine: { type: 'redis', redis: block } }).engine;
    return { options: engine.type === 'redis' ? engine.redis : undefined, problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems };
    throw err;
  }
}

/** The `consumers` list parsed (each item as a consumer gets it). */
export function consumersOf(list: unknown[]): ConsumerConfig[] {
  return configOf({ consumers: list }).consumers;
}

/** A Kafka consumer block with every default, plus `block`. */
export function kafkaOptions(block: Obj = {}): KafkaConsumerOptions {
  return consumersOf([{ name: 'kafka_test', type: 'kafka', kafka: block }])[0]!.kafka;
}
