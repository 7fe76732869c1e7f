// The building blocks of the config schema (schema.ts). Every option is one
// call here: its kind, default, doc and checks. zod turns the schema into the
// TypeScript types and parses, coerces and checks a config file with it; the
// metadata kept beside each field (FIELDS) drives what zod has no notion of:
// environment names, flags, unknown-key warnings, the JSON Schema for editors
// and `defaultconfig`.
//
// Values are decoded as Centrifugo's loader (viper + mapstructure, weakly
// typed) decodes a file: "8000" is fine for a port, 1 for a boolean, a bare
// number for a duration is nanoseconds.

import { z } from 'zod';
import { durationToMs, parseGoBool, parseGoInt } from '../util/go-syntax.js';

type Obj<T> = Record<string, T>;
export type LeafKind = 'bool' | 'int' | 'string' | 'strings' | 'duration' | 'map';
/** What to do with a key Centrifugo v6 knows but Tributary does not implement. */
export type Unsupported = 'warn' | 'silent';

interface Common {
  doc: string;
  /** The default as an operator writes it (durations in Go syntax). */
  input: unknown;
}
export interface LeafMeta extends Common {
  kind: LeafKind;
  /** The file decoding of this kind (throws the reason). */
  coerce(value: unknown): unknown;
  values?: readonly string[];
  /** Also a command-line flag `--<dotted.path>`; a string is its one-letter alias too. */
  flag?: boolean | string;
  /** Accepted without effect: said once at start when switched on. */
  ignored?: string;
}
export interface SectionMeta extends Common {
  kind: 'section';
  shape: Record<string, z.ZodType>;
  /** Centrifugo keys accepted here without being implemented. */
  unsupported: Record<string, Unsupported>;
}
export interface ListMeta extends Common {
  kind: 'list';
  item: z.ZodType;
  /** Items carry a `name` that per-item environment variables use. */
  named: boolean;
}
export type FieldMeta = LeafMeta | SectionMeta | ListMeta;

/** Metadata of every field, keyed by the zod schema the field is. */
export const FIELDS = new WeakMap<z.ZodType, FieldMeta>();

export function metaOf(schema: z.ZodType): FieldMeta {
  const meta = FIELDS.get(schema);
  if (!meta) throw new Error('config schema: a field was built without fields.ts');
  return meta;
}

export type Field = { path: string[] } & ({ meta: LeafMeta | ListMeta } | { meta?: undefined; unsupported: Unsupported });

/** Every leaf, list and unsupported key reachable from `meta` through sections (not into list items), in schema order. */
export function fieldsOf(meta: FieldMeta, path: string[] = []): Field[] {
  if (meta.kind !== 'section') return [{ path, meta }];
  return [
    ...Object.entries(meta.shape).flatMap(([key, field]) => fieldsOf(metaOf(field), [...path, key])),
    ...Object.entries(meta.unsupported).map(([key, unsupported]) => ({ path: [...path, key], unsupported })),
  ];
}

// ---- Go-style decoding -------------------------------------------------------

export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

const scalarText = (v: unknown) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

export const DECODERS: Record<LeafKind, (value: unknown) => unknown> = {
  bool(v) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') return parseGoBool(v.trim());
    if (typeof v === 'number') return v !== 0;
    throw new Error(`${describe(v)} is not a boolean`);
  },
  int(v) {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (typeof v === 'number') throw new Error(`${v} is not an integer`);
    // Weak decoding turns "" into 0.
    if (typeof v === 'string') return v.trim() === '' ? 0 : parseGoInt(v.trim());
    throw new Error(`${describe(v)} is not an integer`);
  },
  string(v) {
    if (typeof v === 'string') return v;
    const text = scalarText(v);
    if (text === undefined) throw new Error(`${describe(v)} is not a string`);
    return text;
  },
  strings(v) {
    // A lone string is a one-element list, as mapstructure's weak decoding makes it.
    if (typeof v === 'string') return v === '' ? [] : [v];
    if (!Array.isArray(v)) throw new Error(`${describe(v)} is not a list of strings`);
    return v.map((item) => {
      const text = typeof item === 'string' ? item : scalarText(item);
      if (text === undefined) throw new Error(`list item ${describe(item)} is not a string`);
      return text;
    });
  },
  duration: durationToMs,
  map(v) {
    // Go's map[string]string: an object of strings (scalars written as text).
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${describe(v)} is not an object of strings`);
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(v)) {
      const text = typeof item === 'string' ? item : scalarText(item);
      if (text === undefined) throw new Error(`${JSON.stringify(key)}: ${describe(item)} is not a string`);
      out[key] = text;
    }
    return out;
  },
};

// ---- fields ------------------------------------------------------------------

type Check<T> = (value: T) => string | undefined;
interface LeafOptions<T> {
  flag?: boolean | string;
  check?: Check<T>;
  /** Centrifugo re-applies the default to a zero (or, with 'nonPositive', negative) value. */
  orDefault?: 'zero' | 'nonPositive';
  /** Applied to every value read (the default is already in this form). */
  normalize?: (value: T) => T;
  ignored?: string;
}

function leaf<T>(kind: LeafKind, def: T, input: unknown, doc: string, opts: LeafOptions<T> = {}, values?: readonly string[]) {
  const decode = DECODERS[kind] as (v: unknown) => T;
  const unset = (v: T) => (opts.orDefault === 'nonPositive' ? (v as number) <= 0 : v === 0 || v === '');
  const coerce = (v: unknown): T => {
    const out = decode(v);
    if (opts.orDefault && unset(out)) return def;
    return opts.normalize ? opts.normalize(out) : out;
  };
  // One transform decodes and checks: a config has a few hundred fields, and every
  // extra zod wrapper per field shows in the start-up time.
  const schema = z
    .unknown()
    .transform((v, ctx) => {
      try {
        const out = coerce(v);
        const problem = opts.check?.(out);
        if (problem === undefined) return out;
        ctx.addIssue({ code: 'custom', message: problem });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
      return z.NEVER;
    })
    .default(def as never);
  FIELDS.set(schema, { kind, doc, input, coerce, values, flag: opts.flag, ignored: opts.ignored });
  return schema as unknown as z.ZodType<T, unknown>;
}

export const bool = (def: boolean, doc: string, opts?: LeafOptions<boolean>) => leaf('bool', def, def, doc, opts);
export const int = (def: number, doc: string, opts?: LeafOptions<number>) => leaf('int', def, def, doc, opts);
export const str = (def: string, doc: string, opts?: LeafOptions<string>) => leaf('string', def, def, doc, opts);
export const strs = (doc: string, opts?: LeafOptions<string[]>) => leaf<string[]>('strings', [], [], doc, opts);
/** A map of strings (HTTP headers, gRPC metadata); from the environment as a JSON object. */
export const strMap = (doc: string) => leaf<Record<string, string>>('map', {}, {}, doc);
/** An HTTP path, kept without its trailing slash so it compares with request paths as is. */
export const handlerPrefix = (def: string, doc: string) => str(def, doc, { normalize: (p) => p.replace(/\/+$/, '') || '/' });
/** `def` in Go syntax ("25s"); the parsed value is milliseconds. */
export const duration = (def: string, doc: string, opts?: LeafOptions<number>) => leaf('duration', durationToMs(def), def, doc, opts);

const q = JSON.stringify;
export const oneOfProblem = (value: string, values: readonly string[]) => `${q(value)} must be one of ${values.map((v) => q(v)).join(', ')}`;

/** A string limited to `values`; `refused` are values Centrifugo knows that are refused here with their own reason. */
export function oneOf<const V extends readonly string[]>(values: V, def: V[number], doc: string, opts: { flag?: boolean; refused?: Obj<string> } = {}) {
  const check = (v: string) => (values.includes(v) ? undefined : Object.hasOwn(opts.refused ?? {}, v) ? opts.refused![v] : oneOfProblem(v, values));
  return leaf<V[number]>('string', def, def, doc, { flag: opts.flag, check: check as Check<V[number]> }, values);
}

/** Gorilla WebSocket buffer and compression tuning: nothing to tune in `ws` that way, so accepted silently. */
export const WEBSOCKET_TUNING =
  'compression_min_size compression_level read_buffer_size use_write_buffer_pool write_buffer_size decompressed_message_size_limit';

/** Centrifugo keys accepted without being implemented; `warn` ones change behaviour when switched on, so a warning says they are ignored. */
export const accepted = (mode: Unsupported, keys: string): Record<string, Unsupported> => Object.fromEntries(keys.split(' ').map((k) => [k, mode]));

/** Reports a problem at a path relative to the object being checked. */
export type Report = (path: string | (string | number)[], reason: string) => void;

const pathOf = (path: string | (string | number)[]) => (typeof path !== 'string' ? path : path === '' ? [] : path.split('.'));
const reporter =
  (ctx: z.RefinementCtx): Report =>
  (path, reason) =>
    ctx.addIssue({ code: 'custom', message: reason, path: pathOf(path) });

/** A Report for the part of an object under `prefix`. */
export const within =
  (report: Report, ...prefix: (string | number)[]): Report =>
  (path, reason) =>
    report([...prefix, ...pathOf(path)], reason);

const typeError = (what: string) => (issue: { code: string; input?: unknown }) =>
  issue.code === 'invalid_type' ? `must be ${what}, got ${describe(issue.input)}` : undefined;

type Shape = Record<string, z.ZodType>;
type Out<S extends Shape> = z.output<z.ZodObject<S>>;

interface SectionOptions<S extends Shape, T> {
  unsupported?: Record<string, Unsupported>;
  /** Checks that need several fields; sees the parsed object (milliseconds, defaults applied). */
  check?: (value: Out<S>, report: Report) => void;
  /** Reshapes the parsed object (and may report problems); docs and env still follow `shape`. */
  make?: (value: Out<S>, report: Report) => T;
  /** A list item: not filled in when absent. */
  item?: boolean;
}

/** An object of fields. */
export function section<S extends Shape, T = Out<S>>(doc: string, shape: S, opts: SectionOptions<S, T> = {}) {
  let schema: z.ZodType = z.object(shape, { error: typeError('an object') }).superRefine((value, ctx) => opts.check?.(value, reporter(ctx)));
  if (opts.make) schema = schema.transform((value, ctx) => opts.make!(value as Out<S>, reporter(ctx)));
  if (!opts.item) schema = schema.prefault({});
  FIELDS.set(schema, { kind: 'section', doc, input: undefined, shape, unsupported: opts.unsupported ?? {} });
  return schema as z.ZodType<NoInfer<T>, unknown>;
}

export function list<I extends z.ZodType>(doc: string, item: I, opts: { named?: boolean; check?: (value: z.output<I>[], report: Report) => void } = {}) {
  const schema = z
    .array(item, { error: typeError('a list') })
    .superRefine((value, ctx) => opts.check?.(value, reporter(ctx)))
    .default([]);
  FIELDS.set(schema, { kind: 'list', doc, input: [], item, named: opts.named ?? false });
  return schema;
}
