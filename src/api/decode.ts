// Runs a request schema (requests.ts) and turns a failure into the
// ApiDecodeError Go's decoder would have given: one message, for the first bad
// value in the order the request has them (Go stops at the first), with the
// field's path: `commands[1].publish.channel must be a string`.

import type { z } from 'zod';
import { ApiDecodeError } from './errors.js';
import { isJsonObject } from '../protocol/json/raw-json.js';
import { keptKey } from './fold.js';

export function decode<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  let result;
  try {
    result = schema.safeParse(value);
  } catch (err) {
    // zod recurses a few frames per level, so a label_filter nested some
    // hundreds of levels deep overflows the stack: undecodable, as Go
    // refuses JSON nested too deeply, rather than an internal error.
    if (err instanceof RangeError) throw new ApiDecodeError('request is nested too deeply');
    throw err;
  }
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ issue, at: inputOrder(value, issue.path) }));
  const first = issues.reduce((a, b) => (before(b.at, a.at) ? b : a));
  throw new ApiDecodeError(`${pathText(first.issue.path)} ${first.issue.message}`);
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out || 'request';
}

/** Where the value at `path` (field names) sits in the input: the index of the key (or element) it came from, level by level. */
function inputOrder(root: unknown, path: readonly PropertyKey[]): number[] {
  const at: number[] = [];
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') {
      at.push(segment);
      node = node[segment];
      continue;
    }
    if (!isJsonObject(node) || typeof segment !== 'string') break;
    const key = keptKey(node, segment);
    if (key === undefined) break;
    at.push(Object.keys(node).indexOf(key));
    node = node[key];
  }
  return at;
}

/** Document order: compare level by level; a container comes before what is in it. */
function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return a.length < b.length;
}
