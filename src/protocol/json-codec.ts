// JSON framing of the client protocol: one WebSocket message holds one or more
// commands joined by '\n'. Decoding is strict about types so that garbage gets
// a clean 3501 instead of an exception deep inside a handler.

import { COMMAND_KINDS, type Command, type CommandKind } from './commands.js';
import { RawJson, parseJsonWithRaw, type JsonPath } from './raw-json.js';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

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

function decodeOne(line: string): Command {
  let value: unknown;
  try {
    value = parseJsonWithRaw(line, isRawPath);
  } catch {
    throw new DecodeError('malformed JSON');
  }
  if (!isObject(value)) throw new DecodeError('command is not an object');
  const id = value.id ?? 0;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new DecodeError('bad command id');
  }
  for (const kind of COMMAND_KINDS) {
    const req = value[kind];
    if (req === undefined || req === null) continue;
    if (!isObject(req)) throw new DecodeError(`${kind} is not an object`);
    return { id, kind, req: normalize(kind, req) } as Command;
  }
  return { id, kind: 'pong', req: null };
}

function normalize(kind: CommandKind, req: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) {
    if (v === null || v === undefined) continue;
    out[k] = v instanceof RawJson ? v.toBuffer() : v;
  }
  checkTypes(kind, out);
  if (kind === 'connect' && out.subs !== undefined) {
    const subs = out.subs as Record<string, unknown>;
    for (const [ch, sub] of Object.entries(subs)) {
      if (!isObject(sub)) throw new DecodeError('connect.subs entry is not an object');
      const s = normalize('subscribe', { ...sub, channel: ch });
      subs[ch] = s;
    }
  }
  return out;
}

const STRING_FIELDS = ['channel', 'token', 'epoch', 'name', 'version', 'method', 'delta'];
const BOOL_FIELDS = ['recover', 'positioned', 'recoverable', 'join_leave', 'reverse'];
const INT_FIELDS = ['offset', 'limit', 'flag', 'type'];

function checkTypes(kind: CommandKind, req: Record<string, unknown>): void {
  for (const f of STRING_FIELDS) {
    if (req[f] !== undefined && typeof req[f] !== 'string') throw new DecodeError(`${kind}.${f} must be a string`);
  }
  for (const f of BOOL_FIELDS) {
    if (req[f] !== undefined && typeof req[f] !== 'boolean') throw new DecodeError(`${kind}.${f} must be a boolean`);
  }
  for (const f of INT_FIELDS) {
    const v = req[f];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v))) {
      throw new DecodeError(`${kind}.${f} must be an integer`);
    }
  }
  if (req.subs !== undefined && !isObject(req.subs)) throw new DecodeError(`${kind}.subs must be an object`);
  if (req.headers !== undefined && !isObject(req.headers)) throw new DecodeError(`${kind}.headers must be an object`);
  if (req.since !== undefined) {
    const since = req.since;
    if (!isObject(since)) throw new DecodeError(`${kind}.since must be an object`);
    if (since.offset !== undefined && (typeof since.offset !== 'number' || !Number.isSafeInteger(since.offset))) {
      throw new DecodeError(`${kind}.since.offset must be an integer`);
    }
    if (since.epoch !== undefined && typeof since.epoch !== 'string') {
      throw new DecodeError(`${kind}.since.epoch must be a string`);
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
