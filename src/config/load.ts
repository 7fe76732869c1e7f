// loadConfig: the file, then CENTRIFUGO_* and TRIBUTARY_* environment variables
// (ours win), then flags,
// each laid over the one before (lists are replaced, not merged), then one
// parse against the schema that fills defaults, decodes and checks. Problems
// are collected, not thrown one at a time, so the operator fixes them all at
// once; unknown keys only warn, as in Centrifugo.

import { resolve as resolvePath } from 'node:path';
import type { z } from 'zod';
import { CHANNEL_OPTIONS } from './channel-options.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { natsHistoryWarnings } from './nats.js';
import { fieldsOf, metaOf, type Field, type LeafMeta, type ListMeta, type SectionMeta } from './fields.js';
import { readConfigFile } from './file.js';
import { CONFIG, V5_KEY_HINTS, type Config } from './schema.js';
import { isRecord, nestedDeeperThan } from '../util/values.js';

/**
 * No config is anywhere near this deep; refusing deeper ones up front keeps
 * the recursive walks below (and zod's) from overflowing the stack.
 */
const MAX_NESTING = 100;

/** Used when no file is given; a missing default file is only a warning, as in Centrifugo. */
export const DEFAULT_CONFIG_FILE = 'config.json';
/** Environment prefixes, weakest first: a Centrifugo deployment's CENTRIFUGO_* work unchanged, TRIBUTARY_* win. */
export const ENV_PREFIXES = ['CENTRIFUGO', 'TRIBUTARY'] as const;
/** Dotted config paths (`http_server.port`) to values given on the command line. */
export type ConfigFlags = Record<string, string | number | boolean>;

export interface LoadOptions {
  /** The operator's file: one that does not exist is an error; '' reads none. Default: config.json, if there is one. */
  file?: string;
  /** A config object to use instead of a file. */
  raw?: unknown;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
}

type Obj = Record<string, unknown>;
type Path = (string | number)[];
const dotted = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

interface Context {
  warnings: string[];
  problems: ConfigProblem[];
  /** Dotted paths whose value came from an environment variable → its name, for the problem keys. */
  envNames: Map<string, string>;
}

/** An item name as it appears in env names: `.` and `-` become `_` (Centrifugo's NameForEnv), uppercased. */
export const nameForEnv = (name: string) => name.replace(/[.-]/g, '_').toUpperCase();

/** Throws ConfigError listing every problem; `source` is the absolute path of the file read, if any. */
export function loadConfig(options: LoadOptions = {}): { config: Config; warnings: string[]; source: string | null } {
  const ctx: Context = { warnings: [], problems: [], envNames: new Map() };
  let source: string | null = null;
  let raw = options.raw;
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  if (raw === undefined && file !== '') {
    raw = readConfigFile(file);
    if (raw !== null) source = resolvePath(file);
    else if (options.file !== undefined) throw new ConfigError([{ key: file, reason: 'config file not found' }]);
    else ctx.warnings.push(`config file ${file} not found; using defaults, environment and flags`);
  }
  if (nestedDeeperThan(raw, MAX_NESTING)) throw new ConfigError([{ key: source ? file : '(config)', reason: `nested deeper than ${MAX_NESTING} levels` }]);
  raw = withoutNulls(raw ?? {});
  if (!isRecord(raw)) throw new ConfigError([{ key: source ? file : '(config)', reason: 'the top level of a config file must be an object' }]);
  applyEnv(raw, options.env ?? process.env, ctx);
  applyFlags(raw, options.flags ?? {}, ctx);
  warnKeys(ROOT, raw, [], ctx);
  const parsed = CONFIG.safeParse(raw);
  if (!parsed.success) ctx.problems.push(...problemsOf(parsed.error, raw, ctx.envNames));
  if (ctx.problems.length > 0) throw new ConfigError(ctx.problems);
  const config = parsed.data!;
  if (config.broker.enabled && config.broker.type === 'nats') {
    const namespaces = [{ name: 'channel.without_namespace', options: config.channel.without_namespace }];
    for (const ns of config.channel.namespaces) namespaces.push({ name: `namespace ${JSON.stringify(ns.name)}`, options: ns });
    natsHistoryWarnings(namespaces, (w) => ctx.warnings.push(w));
  }
  return { config, warnings: ctx.warnings, source };
}

/** YAML `key:` with nothing after it is null: treated as not written. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === null ? [] : [[k, withoutNulls(v)]])));
}

/** Zod's issues as `key: reason`, in the order the input has the keys, named by env variable where the value came from one. */
function problemsOf(error: z.ZodError, raw: unknown, envNames: Map<string, string>): ConfigProblem[] {
  const order = new Map<string, number>();
  const number = (v: unknown, path: Path): void => {
    order.set(dotted(path), order.size);
    if (Array.isArray(v) || isRecord(v)) for (const [k, child] of Object.entries(v)) number(child, [...path, Array.isArray(v) ? Number(k) : k]);
  };
  number(raw, []);
  const closest = <T>(map: Map<string, T>, path: Path) => path.map((_, n) => map.get(dotted(path.slice(0, path.length - n)))).find((v) => v !== undefined);
  return error.issues
    .map(({ path, message }) => {
      const key = dotted(path as Path) || '(root)';
      const env = closest(envNames, path as Path);
      return { key: env ? `${env} (${key})` : key, reason: message, at: closest(order, path as Path) ?? 0 };
    })
    .sort((a, b) => a.at - b.at)
    .map(({ key, reason }) => ({ key, reason }));
}

// ---- environment and flags -------------------------------------------------------

const ROOT = metaOf(CONFIG) as SectionMeta;
const ROOT_FIELDS = fieldsOf(ROOT);
const BY_PATH = new Map(ROOT_FIELDS.map((f) => [f.path.join('.'), f]));

/** A value given as text, as Centrifugo's envconfig reads it: lists space-separated, lists of objects as JSON (or names to fill in). */
function fromText(meta: LeafMeta | ListMeta, text: string): unknown {
  const words = () => text.split(/\s+/).filter((s) => s !== '');
  if (meta.kind === 'strings') return words();
  if (meta.kind === 'map') return parseJson(text, 'object');
  if (meta.kind !== 'list') return text;
  if (meta.named && !text.trim().startsWith('[')) return words().map((name) => ({ name }));
  return parseJson(text, 'array');
}

function parseJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`invalid JSON ${what}: ${(err as Error).message}`);
  }
  if (nestedDeeperThan(value, MAX_NESTING)) throw new Error(`JSON ${what} nested deeper than ${MAX_NESTING} levels`);
  return value;
}

/** Sets a value deep in `target`, making the sections on the way (not through a value that is no object). */
function setAt(target: Obj, path: Path, value: unknown): void {
  let at: unknown = target;
  for (const key of path.slice(0, -1)) at = isRecord(at) ? (at[key] ??= {}) : undefined;
  if (isRecord(at)) at[path.at(-1)!] = value;
}

function applyEnv(raw: Obj, env: NodeJS.ProcessEnv, ctx: Context): void {
  // Centrifugo's names first, so that ours win where both are set.
  for (const prefix of ENV_PREFIXES) applyEnvPrefix(raw, env, prefix, ctx);
}

/** Each field's environment variable name under `base` (e.g. TRIBUTARY_CHANNEL_NAMESPACES_CHAT). */
const envNames = (fields: Field[], base: string) => fields.map((f) => [base, ...f.path].join('_').toUpperCase());

/** The top-level fields' names per prefix, built once: there are hundreds, and every load reads them all. */
const ROOT_ENV_NAMES = new Map<string, string[]>(ENV_PREFIXES.map((prefix) => [prefix, envNames(ROOT_FIELDS, prefix)]));

function applyEnvPrefix(raw: Obj, env: NodeJS.ProcessEnv, prefix: string, ctx: Context): void {
  /** Every field list read, with its names: what is known, for the unknown-variable warnings below. */
  const lists: Array<{ fields: Field[]; names: string[] }> = [];
  const read = (fields: Field[], names: string[], target: Obj, at: Path) => {
    lists.push({ fields, names });
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const name = names[i]!;
      const text = env[name];
      if (!field.meta || text === undefined || text === '') continue; // empty is unset, as in Centrifugo
      const key = dotted([...at, ...field.path]);
      ctx.envNames.set(key, name);
      try {
        setAt(target, field.path, fromText(field.meta, text));
      } catch (err) {
        ctx.problems.push({ key: `${name} (${key})`, reason: (err as Error).message });
      }
    }
  };
  read(ROOT_FIELDS, ROOT_ENV_NAMES.get(prefix) ?? envNames(ROOT_FIELDS, prefix), raw, []);
  // Then the items of named lists, by name (<LIST>_<NAME>_<KEY>), also those that came from the environment.
  for (const { path, meta } of ROOT_FIELDS) {
    const list = path.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), raw);
    if (meta?.kind !== 'list' || !meta.named || !Array.isArray(list)) continue;
    const fields = fieldsOf(metaOf(meta.item)).filter((f) => f.path[0] !== 'name');
    list.forEach((item, i) => {
      if (!isRecord(item) || typeof item.name !== 'string' || item.name === '') return;
      read(fields, envNames(fields, `${prefix}_${path.join('_')}_${nameForEnv(item.name)}`), item, [...path, i]);
    });
  }
  const given = Object.keys(env)
    .filter((name) => name.startsWith(`${prefix}_`))
    .sort();
  if (given.length === 0) return;
  const known = new Set(lists.flatMap((l) => l.names));
  const unsupported = lists.flatMap(({ fields, names }) => fields.flatMap((f, i) => (f.meta ? [] : [{ name: names[i]!, mode: f.unsupported }])));
  // Kubernetes injects <SERVICE>_PORT, <SERVICE>_PORT_8000_TCP, <SERVICE>_SERVICE_HOST… for a Service named after us; those are not config.
  const kubernetes = new RegExp(`^${prefix}(?:_[A-Z0-9_]+)?_(PORT|SERVICE_)`);
  for (const name of given) {
    if (kubernetes.test(name) || name.startsWith(`${prefix}_VAR_`)) continue;
    const u = unsupported.find((u) => name === u.name || name.startsWith(`${u.name}_`));
    if (u?.mode === 'warn' && env[name]) ctx.warnings.push(`environment variable ${name} is accepted but not supported yet; it is ignored`);
    else if (!u && !known.has(name)) ctx.warnings.push(`unknown environment variable ${name}`);
  }
}

function applyFlags(raw: Obj, flags: ConfigFlags, ctx: Context): void {
  for (const [path, value] of Object.entries(flags)) {
    const keys = path.split('.');
    const field = keys.map((_, n) => BY_PATH.get(keys.slice(0, n + 1).join('.'))).find((f) => f && (!f.meta || f.path.length === keys.length));
    if (!field) ctx.problems.push({ key: path, reason: 'unknown config key (given as a flag)' });
    else if (!field.meta) {
      if (field.unsupported === 'warn' && isActive(value)) ctx.warnings.push(`flag ${path} is accepted but not supported yet; it is ignored`);
    } else {
      try {
        setAt(raw, field.path, typeof value === 'string' ? fromText(field.meta, value) : value);
      } catch (err) {
        ctx.problems.push({ key: path, reason: (err as Error).message });
      }
    }
  }
}

// ---- warnings ----------------------------------------------------------------

/** Whether a value written for an unsupported key would change behaviour if it were implemented. */
function isActive(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  // Centrifugo sections are switched by `enabled`; settings under a disabled switch do nothing.
  if (isRecord(value)) return 'enabled' in value ? isActive(value.enabled) : Object.values(value).some(isActive);
  return value != null && value !== false && value !== 0 && value !== '';
}

const hintFor = (key: string) =>
  Object.hasOwn(V5_KEY_HINTS, key)
    ? ` (v6 moved it to ${V5_KEY_HINTS[key]})`
    : Object.hasOwn(CHANNEL_OPTIONS, key)
      ? ` (v6 moved channel options to channel.without_namespace.${key})`
      : '';

/** Unknown keys, unsupported keys switched on, ignored options and suspicious durations. */
function warnKeys(meta: SectionMeta, raw: Obj, path: Path, ctx: Context): void {
  for (const [key, value] of Object.entries(raw)) {
    const at = dotted([...path, key]);
    const child = Object.hasOwn(meta.shape, key) ? metaOf(meta.shape[key]!) : undefined;
    if (!child) {
      if (!Object.hasOwn(meta.unsupported, key)) ctx.warnings.push(`unknown config key ${at}${path.length === 0 ? hintFor(key) : ''}`);
      else if (meta.unsupported[key] === 'warn' && isActive(value)) ctx.warnings.push(`config key ${at} is accepted but not supported yet; it is ignored`);
    } else if (child.kind === 'section') {
      if (isRecord(value)) warnKeys(child, value, [...path, key], ctx);
    } else if (child.kind === 'list') {
      if (Array.isArray(value)) value.forEach((item, i) => isRecord(item) && warnKeys(metaOf(child.item) as SectionMeta, item, [...path, key, i], ctx));
    } else if (child.kind === 'duration' && typeof value === 'number' && value !== 0 && Math.abs(value) < 1e6) {
      // Centrifugo reads a bare number as nanoseconds; `"ping_interval": 25` is almost always a mistake for "25s".
      ctx.warnings.push(`${at}: the number ${value} is read as nanoseconds (Go semantics), i.e. ${value / 1e6}ms; write "${value}s" if you meant seconds`);
    } else if (child.ignored && isActive(tryDecode(child, value))) ctx.warnings.push(`${at}: ${child.ignored}`);
  }
}

/** The decoded value, or undefined where it does not decode (the parse reports that). */
function tryDecode(meta: LeafMeta, value: unknown): unknown {
  try {
    return meta.coerce(value);
  } catch {
    return undefined;
  }
}
