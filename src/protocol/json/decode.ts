// JSON framing of the client protocol: one WebSocket message holds one or more
// commands joined by '\n'. Decoding is strict about types so that garbage gets
// a clean 3501 instead of an exception deep inside a handler.

import { COMMAND_KINDS, type Command, type CommandKind, type ConnectRequest } from '../commands.js';
import { DecodeError } from '../decode-error.js';
import { RawJson, parseJsonWithRaw, type JsonPath } from './raw-json.js';
import { isRecord } from '../../util/values.js';

const RAW_DATA_KINDS = new Set(['connect', 'publish', 'rpc', 'send', 'subscribe']);

function isRawPath(path: JsonPath): boolean {
  if (path.length === 2) return path[1] === 'data' && RAW_DATA_KINDS.has(path[0] as string);
  // connect.subs.<channel>.data
  return path.length === 4 && path[0] === 'connect' && path[1] === 'subs' && path[3] === 'data';
}

/** Splits a frame into commands. Throws DecodeError on anything malformed. */
export function decodeJsonCommands(frame: string): Command[] {
  let text = frame;
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (text.length === 0) throw new DecodeError('empty frame');
  const lines = text.split('\n');
  const out: Command[] = [];
  for (const line of lines) out.push(decodeOne(line));
  return out;
}

/**
 * A connect request's raw fields (`data`, `subs.<channel>.data`), as isRawPath
 * sees them under `connect`. Asked for every value in the document, so it looks
 * at the length first: copying the path would make deep nesting quadratic.
 */
const isRawConnectPath = (path: JsonPath) => (path.length === 1 ? path[0] === 'data' : path.length === 3 && path[0] === 'subs' && path[2] === 'data');

/**
 * A bare ConnectRequest, as unidirectional transports receive it (a
 * `cf_connect` parameter, a request body, a first WebSocket message). A JSON
 * `null` is an empty request, as in Centrifugo. Throws DecodeError.
 */
export function decodeJsonConnectRequest(text: string): ConnectRequest {
  let value: unknown;
  try {
    value = parseJsonWithRaw(text, isRawConnectPath);
  } catch {
    throw new DecodeError('malformed JSON');
  }
  if (value === null) return {};
  if (!isRecord(value)) throw new DecodeError('connect request is not an object');
  return normalize('connect', value) as ConnectRequest;
}

function decodeOne(line: string): Command {
  let value: unknown;
  try {
    value = parseJsonWithRaw(line, isRawPath);
  } catch {
    throw new DecodeError('malformed JSON');
  }
  if (!isRecord(value)) throw new DecodeError('command is not an object');
  const id = value.id ?? 0;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new DecodeError('bad command id');
  }
  for (const kind of COMMAND_KINDS) {
    const req = value[kind];
    if (req === undefined || req === null) continue;
    if (!isRecord(req)) throw new DecodeError(`${kind} is not an object`);
    return { id, kind, req: normalize(kind, req) } as Command;
  }
  return { id, kind: 'pong', req: null };
}

function normalize(kind: CommandKind, req: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) {
    // No protocol field is called __proto__; assigning it would swap out's prototype.
    if (v === null || v === undefined || k === '__proto__') continue;
    out[k] = v instanceof RawJson ? v.toBuffer() : v;
  }
  checkTypes(kind, out);
  if (kind === 'connect' && out.subs !== undefined) {
    // Keys are channel names, any string (even "__proto__"): define, never assign.
    const subs: Record<string, unknown> = {};
    for (const [ch, sub] of Object.entries(out.subs as Record<string, unknown>)) {
      if (sub === null) continue; // a null map value is as good as absent
      if (!isRecord(sub)) throw new DecodeError('connect.subs entry is not an object');
      const s = normalize('subscribe', sub);
      s.channel = ch;
      Object.defineProperty(subs, ch, { value: s, enumerable: true, writable: true, configurable: true });
    }
    out.subs = subs;
  }
  return out;
}

type FieldType = 'string' | 'bool' | 'uint64' | 'int32' | 'int64' | 'object' | 'string-map' | 'position';

/**
 * The fields of each request that Tributary reads, with their protobuf types.
 * A wrong JSON type for one of them is a bad request (Go's decoder refuses it).
 * Fields not listed (experimental or ignored ones such as `tf`, `dict`, map-
 * subscription fields) are not looked at, so any value passes, as the spec
 * asks for unknown fields. Raw `data` fields are any JSON value.
 */
const SCHEMA: Record<CommandKind, Readonly<Record<string, FieldType>>> = {
  connect: { token: 'string', subs: 'object', name: 'string', version: 'string', headers: 'string-map' },
  subscribe: {
    channel: 'string',
    token: 'string',
    recover: 'bool',
    epoch: 'string',
    offset: 'uint64',
    positioned: 'bool',
    recoverable: 'bool',
    join_leave: 'bool',
    delta: 'string',
    flag: 'int64',
    type: 'int32',
  },
  unsubscribe: { channel: 'string' },
  publish: { channel: 'string' },
  presence: { channel: 'string' },
  presence_stats: { channel: 'string' },
  history: { channel: 'string', limit: 'int32', since: 'position', reverse: 'bool' },
  ping: {},
  send: {},
  rpc: { method: 'string' },
  refresh: { token: 'string' },
  sub_refresh: { channel: 'string', token: 'string' },
};

const INT_RANGE: Record<string, readonly [number, number]> = {
  uint64: [0, Number.MAX_SAFE_INTEGER], // offsets must stay below 2^53 anyway
  int32: [-0x80000000, 0x7fffffff],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function isIntIn(v: unknown, type: string): boolean {
  const [min, max] = INT_RANGE[type]!;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

function hasType(v: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'uint64':
    case 'int32':
    case 'int64':
      return isIntIn(v, type);
    case 'object':
      return isRecord(v);
    case 'string-map':
      return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
    case 'position':
      return (
        isRecord(v) &&
        (v.offset === undefined || v.offset === null || isIntIn(v.offset, 'uint64')) &&
        (v.epoch === undefined || v.epoch === null || typeof v.epoch === 'string')
      );
  }
}

function checkTypes(kind: CommandKind, req: Record<string, unknown>): void {
  const schema = SCHEMA[kind];
  for (const f in schema) {
    const v = req[f];
    if (v !== undefined && !hasType(v, schema[f]!)) throw new DecodeError(`${kind}.${f} must be of type ${schema[f]}`);
  }
}
