// Typed reads of server API request fields. A wrong JSON type is a decode
// error (HTTP 400, as Go's decoder would refuse the body); a missing value is
// up to each method.

import { RawJson } from '../protocol/raw-json.js';
import { ApiDecodeError } from './errors.js';

export type Fields = Record<string, unknown>;

export function asFields(v: unknown, what = 'request'): Fields {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof RawJson) throw new ApiDecodeError(`${what} must be an object`);
  return v as Fields;
}

export function str(f: Fields, key: string): string {
  const v = f[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ApiDecodeError(`${key} must be a string`);
  return v;
}

export function bool(f: Fields, key: string): boolean {
  const v = f[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new ApiDecodeError(`${key} must be a boolean`);
  return v;
}

export function int(f: Fields, key: string): number {
  const v = f[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ApiDecodeError(`${key} must be an integer`);
  return v;
}

export function strList(f: Fields, key: string): string[] {
  const v = f[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ApiDecodeError(`${key} must be a list of strings`);
  return v as string[];
}

export function strMap(f: Fields, key: string): Record<string, string> | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof RawJson) throw new ApiDecodeError(`${key} must be an object`);
  for (const x of Object.values(v)) if (typeof x !== 'string') throw new ApiDecodeError(`${key} values must be strings`);
  return v as Record<string, string>;
}

export function position(f: Fields, key: string): { offset: number; epoch: string } | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  const p = asFields(v, key);
  return { offset: int(p, 'offset'), epoch: str(p, 'epoch') };
}

// ---- request schemas ---------------------------------------------------------
//
// Centrifugo decodes a whole request with Go's encoding/json before running it,
// so a wrong JSON type anywhere (even in the last command of a batch, or in a
// field the method would only look at later) refuses the request with HTTP 400
// and nothing runs. decodeRequest does the same up front: it type-checks every
// known field, matches keys case-insensitively (an exact key and its other-case
// spellings all land on the field; the last one set wins, `null` sets nothing),
// drops unknown keys and returns an object with the canonical field names.

/** A field type of api.proto, as encoding/json reads it. */
export type FieldSpec =
  | 'string'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  /** Any JSON value, kept as given (RawJson from the parser, or a plain value). */
  | 'raw'
  | 'strings'
  | 'strmap'
  | ObjectSpec
  | ListSpec;

export interface ObjectSpec {
  kind: 'object';
  fields: Record<string, FieldSpec>;
  /** Lowercased field name → canonical name. */
  folded: Map<string, string>;
}

export interface ListSpec {
  kind: 'list';
  of: FieldSpec;
}

export function objectSpec(fields: Record<string, FieldSpec>): ObjectSpec {
  const spec: ObjectSpec = { kind: 'object', fields, folded: new Map() };
  for (const name of Object.keys(fields)) spec.folded.set(name.toLowerCase(), name);
  return spec;
}

const listOf = (of: FieldSpec): ListSpec => ({ kind: 'list', of });

const INT_RANGES = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
} as const;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawJson) && !Buffer.isBuffer(v);
}

/**
 * Type-checks `value` against `spec` and returns it normalised; undefined
 * means "not set" (absent or null). Throws ApiDecodeError naming `path`.
 */
export function decodeValue(spec: FieldSpec, value: unknown, path: string): unknown {
  path ||= 'request';
  if (spec === 'raw') return value; // null is kept: Go stores the literal `null`
  if (value === undefined || value === null) return undefined;
  switch (spec) {
    case 'string':
      if (typeof value !== 'string') throw new ApiDecodeError(`${path} must be a string`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new ApiDecodeError(`${path} must be a boolean`);
      return value;
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64': {
      const [min, max] = INT_RANGES[spec];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new ApiDecodeError(`${path} must be an ${spec}`);
      }
      return value;
    }
    case 'strings':
      if (!Array.isArray(value)) throw new ApiDecodeError(`${path} must be a list of strings`);
      return value.map((x, i) => (x === null ? '' : decodeValue('string', x, `${path}[${i}]`)));
    case 'strmap': {
      if (!isPlainObject(value)) throw new ApiDecodeError(`${path} must be an object`);
      // fromEntries defines own properties, so a "__proto__" tag stays a tag.
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, v === null ? '' : decodeValue('string', v, `${path}.${k}`)]),
      );
    }
  }
  if (spec.kind === 'list') {
    if (!Array.isArray(value)) throw new ApiDecodeError(`${path} must be a list`);
    // Elements are pointers in Go: a null element stays null.
    return value.map((x, i) => (x === null ? null : decodeValue(spec.of, x, `${path}[${i}]`)));
  }
  if (!isPlainObject(value)) throw new ApiDecodeError(`${path} must be an object`);
  const out: Fields = {};
  for (const [key, v] of Object.entries(value)) {
    const name = Object.hasOwn(spec.fields, key) ? key : spec.folded.get(key.toLowerCase());
    if (name === undefined) continue; // unknown keys are ignored
    const decoded = decodeValue(spec.fields[name]!, v, path === 'request' ? name : `${path}.${name}`);
    if (decoded !== undefined) out[name] = decoded;
  }
  return out;
}

const position_ = objectSpec({ offset: 'uint64', epoch: 'string' });
const boolValue = objectSpec({ value: 'bool' });
/** PRO label filter: parsed (so its types are checked) and ignored. */
const filterNode: ObjectSpec = objectSpec({ op: 'string', key: 'string', cmp: 'string', val: 'string', vals: 'strings' });
filterNode.fields.nodes = listOf(filterNode);
filterNode.folded.set('nodes', 'nodes');

const publishFields: Record<string, FieldSpec> = {
  data: 'raw',
  b64data: 'string',
  skip_history: 'bool',
  tags: 'strmap',
  idempotency_key: 'string',
  delta: 'bool',
  version: 'uint64',
  version_epoch: 'string',
};
const targetFields: Record<string, FieldSpec> = {
  user: 'string',
  client: 'string',
  session: 'string',
  label_filter: filterNode,
  all_users: 'bool',
};

/** Request schemas of the methods Tributary serves (api.proto). */
export const REQUEST_SPECS: Record<string, ObjectSpec> = {
  publish: objectSpec({ channel: 'string', ...publishFields }),
  broadcast: objectSpec({ channels: 'strings', ...publishFields }),
  subscribe: objectSpec({
    channel: 'string',
    ...targetFields,
    expire_at: 'int64',
    info: 'raw',
    b64info: 'string',
    data: 'raw',
    b64data: 'string',
    recover_since: position_,
    override: objectSpec({
      presence: boolValue,
      join_leave: boolValue,
      force_recovery: boolValue,
      force_positioning: boolValue,
      force_push_join_leave: boolValue,
    }),
  }),
  unsubscribe: objectSpec({ channel: 'string', ...targetFields }),
  disconnect: objectSpec({
    ...targetFields,
    disconnect: objectSpec({ code: 'uint32', reason: 'string' }),
    whitelist: 'strings',
  }),
  refresh: objectSpec({ ...targetFields, expired: 'bool', expire_at: 'int64', info: 'raw' }),
  presence: objectSpec({ channel: 'string' }),
  presence_stats: objectSpec({ channel: 'string' }),
  history: objectSpec({ channel: 'string', limit: 'int32', since: position_, reverse: 'bool' }),
  history_remove: objectSpec({ channel: 'string' }),
  channels: objectSpec({ pattern: 'string' }),
  info: objectSpec({}),
  rpc: objectSpec({ method: 'string', params: 'raw' }),
};

/** Batch command keys in the order Centrifugo picks the first that is set. */
export const BATCH_KEYS = [
  'publish',
  'broadcast',
  'subscribe',
  'unsubscribe',
  'disconnect',
  'history',
  'history_remove',
  'presence',
  'presence_stats',
  'info',
  'rpc',
  'refresh',
  'channels',
] as const;

const command = objectSpec(Object.fromEntries(BATCH_KEYS.map((k) => [k, REQUEST_SPECS[k]!])));
REQUEST_SPECS.batch = objectSpec({ commands: listOf(command), parallel: 'bool' });

/**
 * Decodes a whole request of `method` as Centrifugo would before running it.
 * `null` is an empty request; a method without a schema only needs an object.
 */
export function decodeRequest(method: string, req: unknown): Fields {
  const spec = Object.hasOwn(REQUEST_SPECS, method) ? REQUEST_SPECS[method]! : undefined;
  if (!spec) return asFields(req);
  return (decodeValue(spec, req, '') as Fields | undefined) ?? {};
}
