// The building blocks of the server API request schemas (requests.ts): the
// field types of api.proto as zod schemas that read JSON the way Go's
// encoding/json reads Centrifugo's request structs. No coercion ("1" is not
// an int), and ints have their proto ranges. As in a Go struct, a scalar field
// not set (absent or null) is its zero value ('', false, 0); a message, list,
// map or raw field not set is undefined (Go's nil), so "not set" stays visible
// where it matters (a batch command, `since`, `tags`, `data`).
//
// Issue messages are only the reason ("must be a string"); decode.ts puts the
// field's path in front.

import { z } from 'zod';
import { isJsonObject } from '../protocol/json/raw-json.js';
import { keyFolder } from './fold.js';

export const str = () => z.string({ error: 'must be a string' }).default('');
export const bool = () => z.boolean({ error: 'must be a boolean' }).default(false);

// zod's number formats have exactly the proto ranges; int64/uint64 are kept to
// the integers a JS number holds exactly.
export const int32 = () => z.int32({ error: 'must be an int32' }).default(0);
export const uint32 = () => z.uint32({ error: 'must be an uint32' }).default(0);
export const int64 = () => z.int({ error: 'must be an int64' }).default(0);
export const uint64 = () => z.int({ error: 'must be an uint64' }).min(0, { error: 'must be an uint64' }).default(0);

/** Schemas whose field keeps a JSON null: Go stores the literal `null` in a json.RawMessage. */
const KEEPS_NULL = new WeakSet<z.ZodType>();

/** Any JSON value, kept as given (RawJson from the parser, or a plain value). */
export function raw() {
  const schema = z.unknown();
  KEEPS_NULL.add(schema);
  return schema;
}

// Lists and maps are walked here, element by element up to the first bad one
// (only the first counts, as in Go): a body of a million bad elements must not
// become a million zod issues, which z.array and z.record would collect.

const fail = (ctx: z.RefinementCtx, message: string, path?: PropertyKey[]): never => {
  ctx.addIssue({ code: 'custom', message, path });
  return z.NEVER;
};

/** []string: a null element is Go's zero value ''. */
export const strs = () =>
  z.unknown().transform((v, ctx): string[] => {
    if (!Array.isArray(v)) return fail(ctx, 'must be a list of strings');
    let nulls = false;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null) nulls = true;
      else if (typeof v[i] !== 'string') return fail(ctx, 'must be a string', [i]);
    }
    return nulls ? v.map((s: string | null) => s ?? '') : (v as string[]);
  });

/**
 * map[string]string. Keys are data, not field names: they are not folded, and
 * a "__proto__" key stays a key (z.record would drop it). A null value is ''.
 */
export const strMap = () =>
  z.unknown().transform((v, ctx): Record<string, string> => {
    if (!isJsonObject(v)) return fail(ctx, 'must be an object');
    const out: Record<string, string> = {};
    for (const key of Object.keys(v)) {
      const value = v[key] ?? '';
      if (typeof value !== 'string') return fail(ctx, 'must be a string', [key]);
      // defineProperty: assigning "__proto__" would set the prototype instead.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  });

/**
 * A list of messages: elements are pointers in Go, so a null element stays
 * null. The element schema is only called, never part of this one's tree, so
 * a message may hold a list of itself (z.lazy) without zod treating every
 * container above it as cyclic (it then memoizes them all on every parse).
 */
export const list = <T extends z.ZodType>(of: T) =>
  z.unknown().transform((v, ctx): (z.output<T> | null)[] => {
    if (!Array.isArray(v)) return fail(ctx, 'must be a list');
    const out = new Array<z.output<T> | null>(v.length);
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null) {
        out[i] = null;
        continue;
      }
      const result = of.safeParse(v[i]);
      if (!result.success) {
        for (const { message, path } of result.error.issues) ctx.addIssue({ code: 'custom', message, path: [i, ...path] });
        return z.NEVER;
      }
      out[i] = result.data;
    }
    return out;
  });

type Shape = Record<string, z.ZodType>;
/** The shape zod checks: a field with a default keeps it, every other one is optional. */
type Fields<S extends Shape> = { [K in keyof S]: S[K] extends z.ZodDefault ? S[K] : z.ZodOptional<S[K]> };

/**
 * A message (Go struct): one preprocess folds the keys as Go matches them
 * (fold.ts), then zod's object (its compiled fast path) checks the fields.
 */
export function struct<S extends Shape>(shape: S) {
  for (const name of Object.keys(shape)) if (name !== name.toLowerCase()) throw new Error(`struct: field ${name} is not lowercase`);
  const fold = keyFolder(new Map(Object.entries(shape)), new Set(Object.keys(shape).filter((k) => KEEPS_NULL.has(shape[k]!))));
  const prepare = (input: unknown, ctx: z.RefinementCtx): unknown => (isJsonObject(input) ? fold(input) : fail(ctx, 'must be an object'));
  const optional = Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, s instanceof z.ZodDefault ? s : s.optional()]));
  return z.preprocess(prepare, z.object(optional as Fields<S>));
}
