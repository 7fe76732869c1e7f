// Environment overrides, Centrifugo style: TRIBUTARY_ + the dotted path
// uppercased with `_`. Key names contain underscores themselves, so names are
// not split; instead every known leaf's name is computed from the schema and
// looked up. Per-item overrides for named lists use the item's name.

import { coerceAt, isObject, joinKey, parseNamespaces, parseRaw, type LoadContext, type Obj } from './apply.js';
import { parseGoBool } from './coerce.js';
import { REDIS_OPTION_KEYS } from './redis.js';
import { CONFIG_SCHEMA, type SectionNode, type Unsupported } from './schema.js';
import type { Config } from './types.js';

export const ENV_PREFIX = 'TRIBUTARY';

/** An item name as it appears in env names: `.` and `-` become `_` (Centrifugo's NameForEnv), uppercased. */
export function nameForEnv(name: string): string {
  return name.replace(/[.-]/g, '_').toUpperCase();
}

class EnvReader {
  readonly known = new Set<string>();
  readonly unsupported: { name: string; mode: Unsupported }[] = [];
  /** Env prefixes of raw blocks: names under them that matched nothing. */
  readonly rawBlocks: { name: string; path: string }[] = [];

  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly ctx: LoadContext,
  ) {}

  /** Marks the name as known and returns its value; empty counts as unset. */
  get(name: string): string | undefined {
    this.known.add(name);
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  section(target: Obj, section: SectionNode, base: string, path: string, skip?: string): void {
    for (const [key, mode] of section.unsupported) this.unsupported.push({ name: `${base}_${key.toUpperCase()}`, mode });
    for (const [key, node] of section.children) {
      if (key === skip) continue;
      const name = `${base}_${key.toUpperCase()}`;
      const dotted = joinKey(path, key);
      if (node.kind === 'section') {
        if (!isObject(target[key])) target[key] = {};
        this.section(target[key] as Obj, node, name, dotted);
        continue;
      }
      if (node.kind === 'raw') this.rawBlocks.push({ name, path: dotted });
      const value = this.get(name);
      if (value === undefined) continue;
      const problemKey = `${name} (${dotted})`;
      let out: unknown;
      if (node.kind === 'namespaces') out = parseNamespaces(value, node, 'env', problemKey, this.ctx);
      else if (node.kind === 'raw') out = parseRaw(value, node.namedList, 'env', problemKey, this.ctx);
      else out = coerceAt(node.kind, value, 'env', problemKey, this.ctx);
      if (out !== undefined) target[key] = out;
    }
  }

  /**
   * Overrides inside a raw block (consumers, engine.redis). Without a schema we
   * can only override keys the file already has, coerced to the type found there.
   */
  raw(target: Obj, base: string, path: string, skip?: string): void {
    for (const [key, current] of Object.entries(target)) {
      if (key === skip) continue;
      const name = `${base}_${key.toUpperCase()}`;
      if (isObject(current)) {
        this.raw(current, name, joinKey(path, key));
        continue;
      }
      const value = this.get(name);
      if (value === undefined) continue;
      try {
        target[key] = coerceLike(current, value);
      } catch (err) {
        this.ctx.problems.push({ key: `${name} (${joinKey(path, key)})`, reason: (err as Error).message });
      }
    }
  }
}

function coerceLike(current: unknown, value: string): unknown {
  if (typeof current === 'boolean') return parseGoBool(value.trim());
  if (typeof current === 'number') {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${JSON.stringify(value)} is not a number`);
    return n;
  }
  if (Array.isArray(current) && current.every((v) => typeof v === 'string')) {
    return value.split(/\s+/).filter((s) => s !== '');
  }
  if (Array.isArray(current)) return JSON.parse(value);
  return value;
}

function matchesPrefix(name: string, prefix: string): boolean {
  return name === prefix || name.startsWith(`${prefix}_`);
}

/**
 * `engine.redis` is kept raw, but its scalar keys are known (config/redis.ts
 * parses and coerces them), so TRIBUTARY_ENGINE_REDIS_ADDRESS and friends work
 * without a block in the file; keys the file has (nested ones too) are
 * overridden in place as for other raw blocks.
 */
function applyRedisEnv(config: Config, reader: EnvReader): void {
  const base = `${ENV_PREFIX}_ENGINE_REDIS`;
  const block: Obj = isObject(config.engine.redis) ? config.engine.redis : {};
  reader.raw(block, base, 'engine.redis');
  for (const key of REDIS_OPTION_KEYS) {
    if (key in block) continue;
    const value = reader.get(`${base}_${key.toUpperCase()}`);
    if (value !== undefined) block[key] = value;
  }
  if (Object.keys(block).length > 0) config.engine.redis = block;
}

/** Applies TRIBUTARY_* variables onto `config` (already holding defaults + file). */
export function applyEnv(config: Config, env: NodeJS.ProcessEnv, ctx: LoadContext): void {
  const reader = new EnvReader(env, ctx);
  const root = config as unknown as Obj;
  reader.section(root, CONFIG_SCHEMA, ENV_PREFIX, '');

  // Per-item overrides run after the lists themselves, so they also apply to
  // a list that came from TRIBUTARY_CHANNEL_NAMESPACES.
  const channel = CONFIG_SCHEMA.children.get('channel') as SectionNode;
  const nsNode = channel.children.get('namespaces');
  if (nsNode?.kind === 'namespaces') {
    config.channel.namespaces.forEach((ns, i) => {
      if (ns.name === '') return;
      const base = `${ENV_PREFIX}_CHANNEL_NAMESPACES_${nameForEnv(ns.name)}`;
      reader.section(ns as unknown as Obj, nsNode.item, base, `channel.namespaces[${i}]`, 'name');
    });
  }
  config.consumers.forEach((item, i) => {
    if (isObject(item) && typeof item['name'] === 'string' && item['name'] !== '') {
      reader.raw(item, `${ENV_PREFIX}_CONSUMERS_${nameForEnv(item['name'])}`, `consumers[${i}]`, 'name');
    }
  });
  applyRedisEnv(config, reader);

  reportLeftovers(reader, env, ctx);
}

// Kubernetes injects <SERVICE>_PORT, <SERVICE>_PORT_8000_TCP, <SERVICE>_SERVICE_HOST…
// for a Service named "tributary"; those are not config.
const KUBERNETES = new RegExp(`^${ENV_PREFIX}(?:_[A-Z0-9_]+)?_(PORT|SERVICE_)`);

function reportLeftovers(reader: EnvReader, env: NodeJS.ProcessEnv, ctx: LoadContext): void {
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(`${ENV_PREFIX}_`) || reader.known.has(name)) continue;
    if (KUBERNETES.test(name) || name.startsWith(`${ENV_PREFIX}_VAR_`)) continue;
    const unsupported = reader.unsupported.find((u) => matchesPrefix(name, u.name));
    if (unsupported) {
      if (unsupported.mode === 'warn' && env[name]) {
        ctx.warnings.push(`environment variable ${name} is accepted but not supported yet; it is ignored`);
      }
      continue;
    }
    const raw = reader.rawBlocks.find((r) => matchesPrefix(name, r.name));
    if (raw) {
      ctx.warnings.push(
        `environment variable ${name} is not applied: inside ${raw.path}, only keys already present in the config file can be overridden`,
      );
      continue;
    }
    ctx.warnings.push(`unknown environment variable ${name}`);
  }
}
