// Writes raw values (from a file, an env var or a flag) into a Config, key by
// key against the schema. Problems are collected rather than thrown so the
// operator sees every bad key at once; unknown keys only warn, as in Centrifugo.

import { coerceLeaf, type ValueSource } from './coerce.js';
import { defaultChannelOptions } from './defaults.js';
import type { ConfigProblem } from './errors.js';
import { CONFIG_SCHEMA, isActive, V5_KEY_HINTS, type LeafKind, type NamespacesNode, type SectionNode } from './schema.js';
import type { NamespaceConfig } from './types.js';

export interface LoadContext {
  warnings: string[];
  problems: ConfigProblem[];
}

export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function joinKey(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Coerces and returns a leaf value, or records a problem and returns undefined. */
export function coerceAt(kind: LeafKind, value: unknown, source: ValueSource, key: string, ctx: LoadContext): unknown {
  try {
    const out = coerceLeaf(kind, value, source);
    // Centrifugo reads a bare number as nanoseconds; `"ping_interval": 25`
    // is almost always a mistake for "25s", so say what it became.
    if (kind === 'duration' && typeof value === 'number' && value !== 0 && Math.abs(value) < 1e6) {
      ctx.warnings.push(
        `${key}: the number ${value} is read as nanoseconds (Go semantics), i.e. ${out}ms; write "${value}s" if you meant seconds`,
      );
    }
    return out;
  } catch (err) {
    ctx.problems.push({ key, reason: (err as Error).message });
    return undefined;
  }
}

/** Parses a namespace list: an array of objects, or (from env/flags) a JSON array string or space-separated names. */
export function parseNamespaces(
  value: unknown,
  node: NamespacesNode,
  source: ValueSource,
  key: string,
  ctx: LoadContext,
): NamespaceConfig[] | undefined {
  let list = value;
  if (typeof value === 'string' && source !== 'file') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text);
      } catch (err) {
        ctx.problems.push({ key, reason: `invalid JSON array: ${(err as Error).message}` });
        return undefined;
      }
    } else {
      list = text.split(/\s+/).filter((s) => s !== '').map((name) => ({ name }));
    }
  }
  if (!Array.isArray(list)) {
    ctx.problems.push({ key, reason: 'must be a list of namespace objects' });
    return undefined;
  }
  return list.flatMap((item, i) => {
    const itemKey = `${key}[${i}]`;
    if (!isObject(item)) {
      ctx.problems.push({ key: itemKey, reason: 'must be an object' });
      return [];
    }
    // Each namespace starts from the plain defaults: Centrifugo namespaces do
    // not inherit from without_namespace.
    const ns: NamespaceConfig = { name: '', ...defaultChannelOptions() };
    applySection(ns as unknown as Obj, item, node.item, source, itemKey, ctx);
    return [ns];
  });
}

/**
 * A raw block (consumers, engine.redis) is kept as written. From env/flags it
 * arrives as JSON text, or for named lists as space-separated names.
 */
export function parseRaw(value: unknown, namedList: boolean, source: ValueSource, key: string, ctx: LoadContext): unknown {
  let out = value;
  if (typeof value === 'string' && source !== 'file') {
    const text = value.trim();
    if (namedList && !text.startsWith('[')) {
      out = text.split(/\s+/).filter((s) => s !== '').map((name) => ({ name }));
    } else {
      try {
        out = JSON.parse(text);
      } catch (err) {
        ctx.problems.push({ key, reason: `invalid JSON: ${(err as Error).message}` });
        return undefined;
      }
    }
  }
  if (namedList ? !Array.isArray(out) : !isObject(out)) {
    ctx.problems.push({ key, reason: namedList ? 'must be a list' : 'must be an object' });
    return undefined;
  }
  return out;
}

function warnUnknown(section: SectionNode, key: string, value: unknown, fullKey: string, ctx: LoadContext): void {
  const mode = section.unsupported.get(key);
  if (mode !== undefined) {
    if (mode === 'warn' && isActive(value)) {
      ctx.warnings.push(`config key ${fullKey} is accepted but not supported yet; it is ignored`);
    }
    return;
  }
  let hint = '';
  if (section === CONFIG_SCHEMA) {
    const moved = V5_KEY_HINTS[key];
    const options = (CONFIG_SCHEMA.children.get('channel') as SectionNode).children.get('without_namespace') as SectionNode;
    if (moved) hint = ` (v6 moved it to ${moved})`;
    else if (options.children.has(key)) hint = ` (v6 moved channel options to channel.without_namespace.${key})`;
  }
  ctx.warnings.push(`unknown config key ${fullKey}${hint}`);
}

/** Applies a raw object onto `target` following `section`; deep-merges sections, replaces leaves and lists. */
export function applySection(
  target: Obj,
  raw: unknown,
  section: SectionNode,
  source: ValueSource,
  path: string,
  ctx: LoadContext,
): void {
  if (raw === null || raw === undefined) return;
  if (!isObject(raw)) {
    ctx.problems.push({ key: path || '(root)', reason: `must be an object, got ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}` });
    return;
  }
  for (const [key, value] of Object.entries(raw)) {
    const fullKey = joinKey(path, key);
    const node = section.children.get(key);
    if (!node) {
      warnUnknown(section, key, value, fullKey, ctx);
      continue;
    }
    // YAML `key:` with nothing after it is null: treat as not written.
    if (value === null || value === undefined) continue;
    switch (node.kind) {
      case 'section': {
        const child = isObject(target[key]) ? (target[key] as Obj) : (target[key] = {});
        applySection(child as Obj, value, node, source, fullKey, ctx);
        break;
      }
      case 'namespaces': {
        const list = parseNamespaces(value, node, source, fullKey, ctx);
        if (list) target[key] = list;
        break;
      }
      case 'raw': {
        const out = parseRaw(value, node.namedList, source, fullKey, ctx);
        if (out !== undefined) target[key] = out;
        break;
      }
      default: {
        const out = coerceAt(node.kind, value, source, fullKey, ctx);
        if (out !== undefined) target[key] = out;
      }
    }
  }
}
