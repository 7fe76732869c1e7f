// CLI flags arrive as a map of dotted config paths (`http_server.port`) to
// values; they override everything else.

import { coerceAt, isObject, parseNamespaces, parseRaw, type LoadContext, type Obj } from './apply.js';
import { CONFIG_SCHEMA, isActive, type SchemaNode, type SectionNode, type Unsupported } from './schema.js';
import type { Config } from './types.js';

export type ConfigFlags = Record<string, string | number | boolean>;

type Resolved =
  | { found: true; node: Exclude<SchemaNode, SectionNode>; target: Obj; key: string }
  | { found: false; unsupported?: Unsupported };

function resolve(config: Config, path: string): Resolved {
  const keys = path.split('.');
  let section: SectionNode = CONFIG_SCHEMA;
  let target = config as unknown as Obj;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const node = section.children.get(key);
    if (node === undefined) return { found: false, unsupported: section.unsupported.get(key) };
    const last = i === keys.length - 1;
    if (node.kind !== 'section') return last ? { found: true, node, target, key } : { found: false };
    if (last) return { found: false };
    section = node;
    if (!isObject(target[key])) target[key] = {};
    target = target[key] as Obj;
  }
  return { found: false };
}

export function applyFlags(config: Config, flags: ConfigFlags, ctx: LoadContext): void {
  for (const [path, value] of Object.entries(flags)) {
    const r = resolve(config, path);
    if (!r.found) {
      if (r.unsupported === undefined) ctx.problems.push({ key: path, reason: 'unknown config key (given as a flag)' });
      else if (r.unsupported === 'warn' && isActive(value)) {
        ctx.warnings.push(`flag ${path} is accepted but not supported yet; it is ignored`);
      }
      continue;
    }
    let out: unknown;
    if (r.node.kind === 'namespaces') out = parseNamespaces(value, r.node, 'flag', path, ctx);
    else if (r.node.kind === 'raw') out = parseRaw(value, r.node.namedList, 'flag', path, ctx);
    else out = coerceAt(r.node.kind, value, 'flag', path, ctx);
    if (out !== undefined) r.target[r.key] = out;
  }
}
