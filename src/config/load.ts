// loadConfig: the file, then TRIBUTARY_* environment variables, then flags,
// each laid over the one before (lists are replaced, not merged), then one
// parse against the schema that fills defaults, coerces and checks. Problems
// are collected, not thrown one at a time, so the operator fixes them all at
// once; unknown keys only warn, as in Centrifugo.

import { resolve as resolvePath } from 'node:path';
import type { z } from 'zod';
import { CHANNEL_OPTIONS } from './channel-options.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { fieldsOf, metaOf, type Field, type LeafMeta, type ListMeta, type SectionMeta, type Unsupported } from './fields.js';
import { readConfigFile } from './file.js';
import { CONFIG, V5_KEY_HINTS, type Config } from './schema.js';

/** Used when no file is given; a missing default file is only a warning, as in Centrifugo. */
export const DEFAULT_CONFIG_FILE = 'config.json';
export const ENV_PREFIX = 'TRIBUTARY';

/** Dotted config paths (`http_server.port`) to values given on the command line. */
export type ConfigFlags = Record<string, string | number | boolean>;

export interface LoadOptions {
  /** Path given by the operator; when it does not exist that is an error. '' reads no file at all. */
  file?: string;
  /** A config object to use instead of a file. */
  raw?: unknown;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
}

export interface LoadResult {
  config: Config;
  warnings: string[];
  /** Absolute path of the file that was read, or null when none was. */
  source: string | null;
}

type Obj = Record<string, unknown>;
type Path = (string | number)[];
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const dotted = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

interface Context {
  warnings: string[];
  problems: ConfigProblem[];
  /** Where a value came from an environment variable: its dotted path → the variable's name. */
  envNames: Map<string, string>;
}

/** An item name as it appears in env names: `.` and `-` become `_` (Centrifugo's NameForEnv), uppercased. */
export function nameForEnv(name: string): string {
  return name.replace(/[.-]/g, '_').toUpperCase();
}

/** Builds the config. Throws ConfigError listing every problem; unknown keys are warnings. */
export function loadConfig(options: LoadOptions = {}): LoadResult {
  const ctx: Context = { warnings: [], problems: [], envNames: new Map() };
  const file = options.raw === undefined ? readFileLayer(options, ctx) : { raw: options.raw, source: null };
  const raw = withoutNulls(file?.raw ?? {});
  const where = options.raw === undefined ? (options.file ?? DEFAULT_CONFIG_FILE) : '(config)';
  if (!isObject(raw)) throw new ConfigError([{ key: where, reason: 'the top level of a config file must be an object' }]);
  applyEnv(raw, options.env ?? process.env, ctx);
  applyFlags(raw, options.flags ?? {}, ctx);
  warnKeys(metaOf(CONFIG) as SectionMeta, raw, [], ctx);
  const parsed = CONFIG.safeParse(raw);
  if (!parsed.success) ctx.problems.push(...problemsOf(parsed.error, raw, ctx.envNames));
  if (ctx.problems.length > 0) throw new ConfigError(ctx.problems);
  return { config: parsed.data!, warnings: ctx.warnings, source: file?.source ?? null };
}

/**
 * The file's top-level value, or null when there is none to read: '' means
 * "no file" (env and flags only, as in Centrifugo), and a missing default file
 * only warns. A missing file the operator named is an error.
 */
function readFileLayer(options: LoadOptions, ctx: Context): { raw: unknown; source: string } | null {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  if (file === '') return null;
  const raw = readConfigFile(file);
  if (raw === null) {
    if (options.file !== undefined) throw new ConfigError([{ key: file, reason: 'config file not found' }]);
    ctx.warnings.push(`config file ${file} not found; using defaults, environment and flags`);
    return null;
  }
  return { raw, source: resolvePath(file) };
}

/** YAML `key:` with nothing after it is null: treated as not written. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === null ? [] : [[k, withoutNulls(v)]])));
}

/** Zod's issues as problems: `key: reason`, keyed by environment variable where the value came from one, in the order the input has them. */
function problemsOf(error: z.ZodError, raw: unknown, envNames: Map<string, string>): ConfigProblem[] {
  const order = new Map<string, number>();
  const number = (v: unknown, path: Path): void => {
    order.set(dotted(path), order.size);
    if (isObject(v)) for (const [k, child] of Object.entries(v)) number(child, [...path, k]);
    else if (Array.isArray(v)) v.forEach((child, i) => number(child, [...path, i]));
  };
  number(raw, []);
  const closest = <T>(map: Map<string, T>, path: Path): T | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const found = map.get(dotted(path.slice(0, n)));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return error.issues
    .map((issue) => {
      const path = issue.path as Path;
      const key = dotted(path) || '(root)';
      const env = closest(envNames, path);
      return { key: env ? `${env} (${key})` : key, reason: issue.message, at: closest(order, path) ?? 0 };
    })
    .sort((a, b) => a.at - b.at)
    .map(({ key, reason }) => ({ key, reason }));
}

// ---- environment and flags -------------------------------------------------------

const ROOT = metaOf(CONFIG) as SectionMeta;
const ROOT_FIELDS = fieldsOf(ROOT);
const envName = (base: string, path: string[]) => [base, ...path].join('_').toUpperCase();

/** What a text value becomes before the schema reads it, as Centrifugo's envconfig reads it: lists space-separated, JSON for lists of objects. */
function fromText(meta: LeafMeta | ListMeta, text: string): unknown {
  const words = () => text.split(/\s+/).filter((s) => s !== '');
  if (meta.kind === 'strings') return words();
  if (meta.kind !== 'list') return text;
  // Named lists also take space-separated names, to be filled in per item.
  if (meta.named && !text.trim().startsWith('[')) return words().map((name) => ({ name }));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`invalid JSON array: ${(err as Error).message}`);
  }
}

/** Sets a value deep in `target`, making the sections on the way; false where a value in the way is not an object. */
function setAt(target: Obj, path: (string | number)[], value: unknown): boolean {
  let at: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(at)) return false;
    at = at[key] ??= {};
  }
  if (!isObject(at)) return false;
  at[path.at(-1)!] = value;
  return true;
}

// Kubernetes injects <SERVICE>_PORT, <SERVICE>_PORT_8000_TCP, <SERVICE>_SERVICE_HOST…
// for a Service named "tributary"; those are not config.
const KUBERNETES = new RegExp(`^${ENV_PREFIX}(?:_[A-Z0-9_]+)?_(PORT|SERVICE_)`);

function applyEnv(raw: Obj, env: NodeJS.ProcessEnv, ctx: Context): void {
  const known = new Set<string>();
  const unsupported: { name: string; mode: Unsupported }[] = [];
  const read = (fields: Field[], target: Obj, at: Path, base: string) => {
    for (const field of fields) {
      const name = envName(base, field.path);
      if (!field.meta) {
        unsupported.push({ name, mode: field.unsupported });
        continue;
      }
      known.add(name);
      const text = env[name];
      if (text === undefined || text === '') continue; // empty is unset, as in Centrifugo
      const key = dotted([...at, ...field.path]);
      ctx.envNames.set(key, name);
      try {
        setAt(target, field.path, fromText(field.meta, text));
      } catch (err) {
        ctx.problems.push({ key: `${name} (${key})`, reason: (err as Error).message });
      }
    }
  };
  read(ROOT_FIELDS, raw, [], ENV_PREFIX);
  // Then per item of named lists (<LIST>_<ITEM NAME>_<KEY>), also for lists that came from the environment.
  for (const { path, meta } of ROOT_FIELDS) {
    const list = path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), raw);
    if (meta?.kind !== 'list' || !meta.named || !Array.isArray(list)) continue;
    const itemFields = fieldsOf(metaOf(meta.item)).filter((f) => f.path[0] !== 'name');
    list.forEach((item, i) => {
      if (isObject(item) && typeof item.name === 'string' && item.name !== '') read(itemFields, item, [...path, i], envName(ENV_PREFIX, [...path, nameForEnv(item.name)]));
    });
  }
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(`${ENV_PREFIX}_`) || known.has(name) || KUBERNETES.test(name) || name.startsWith(`${ENV_PREFIX}_VAR_`)) continue;
    const u = unsupported.find((u) => name === u.name || name.startsWith(`${u.name}_`));
    if (!u) ctx.warnings.push(`unknown environment variable ${name}`);
    else if (u.mode === 'warn' && env[name]) ctx.warnings.push(`environment variable ${name} is accepted but not supported yet; it is ignored`);
  }
}

const BY_PATH = new Map(ROOT_FIELDS.map((f) => [f.path.join('.'), f]));

function applyFlags(raw: Obj, flags: ConfigFlags, ctx: Context): void {
  for (const [path, value] of Object.entries(flags)) {
    const keys = path.split('.');
    const field = keys.map((_, n) => BY_PATH.get(keys.slice(0, n + 1).join('.'))).find((f) => f && (!f.meta || f.path.length === keys.length));
    if (field?.meta) {
      try {
        setAt(raw, field.path, typeof value === 'string' ? fromText(field.meta, value) : value);
      } catch (err) {
        ctx.problems.push({ key: path, reason: (err as Error).message });
      }
    } else if (!field) ctx.problems.push({ key: path, reason: 'unknown config key (given as a flag)' });
    else if (field.unsupported === 'warn' && isActive(value)) ctx.warnings.push(`flag ${path} is accepted but not supported yet; it is ignored`);
  }
}

// ---- warnings ----------------------------------------------------------------

/** Whether a value written for an unsupported key would change behaviour if it were implemented. */
function isActive(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) {
    // Centrifugo sections are switched by `enabled`; settings under a disabled switch do nothing.
    if ('enabled' in value) return isActive(value.enabled);
    return Object.values(value).some(isActive);
  }
  return false;
}

function hintFor(key: string): string {
  if (Object.hasOwn(V5_KEY_HINTS, key)) return ` (v6 moved it to ${V5_KEY_HINTS[key]})`;
  if (Object.hasOwn(CHANNEL_OPTIONS, key)) return ` (v6 moved channel options to channel.without_namespace.${key})`;
  return '';
}

/** Unknown keys, unsupported keys switched on, ignored options and suspicious durations. */
function warnKeys(meta: SectionMeta, raw: Obj, path: Path, ctx: Context): void {
  for (const [key, value] of Object.entries(raw)) {
    const at = dotted([...path, key]);
    if (!Object.hasOwn(meta.shape, key)) {
      if (!Object.hasOwn(meta.unsupported, key)) ctx.warnings.push(`unknown config key ${at}${path.length === 0 ? hintFor(key) : ''}`);
      else if (meta.unsupported[key] === 'warn' && isActive(value)) ctx.warnings.push(`config key ${at} is accepted but not supported yet; it is ignored`);
      continue;
    }
    const child = metaOf(meta.shape[key]!);
    if (child.kind === 'section' && isObject(value)) warnKeys(child, value, [...path, key], ctx);
    else if (child.kind === 'list' && Array.isArray(value)) {
      value.forEach((entry, i) => isObject(entry) && warnKeys(metaOf(child.item) as SectionMeta, entry, [...path, key, i], ctx));
    } else if (child.kind === 'duration' && typeof value === 'number' && value !== 0 && Math.abs(value) < 1e6) {
      // Centrifugo reads a bare number as nanoseconds; `"ping_interval": 25` is almost always a mistake for "25s".
      ctx.warnings.push(`${at}: the number ${value} is read as nanoseconds (Go semantics), i.e. ${value / 1e6}ms; write "${value}s" if you meant seconds`);
    } else if (child.kind !== 'section' && child.kind !== 'list' && child.ignored) {
      let active = false;
      try {
        active = isActive(child.coerce(value));
      } catch {
        // the parse reports it
      }
      if (active) ctx.warnings.push(`${at}: ${child.ignored}`);
    }
  }
}
