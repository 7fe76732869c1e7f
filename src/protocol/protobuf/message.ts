// Schema-driven conversion between protocol values (plain objects with the
// snake_case names of schema.ts) and protobuf messages. One loop over a
// value's keys (encoding) or the wire's fields (decoding) and a switch on the
// field kind: no per-field closures, no intermediate buffers.
//
// Encoding conventions (codec.ts): bytes fields take Buffers/Uint8Arrays (also
// JsonStringData, whose bytes are sent as they are, and RawJson text); maps are
// plain objects or Maps; undefined/null, 0, false, '' and empty bytes are left
// out, but a message-typed field that holds an object is always written, even
// when empty, since presence is what the SDK looks at. A value of the wrong
// type is a server bug and throws TypeError.
//
// Decoding builds the same shapes, setting only the fields present on the
// wire, skipping unknown fields, and throwing DecodeError on anything malformed.

import { JsonStringData } from '../codec.js';
import { DecodeError } from '../decode-error.js';
import { RawJson } from '../json/raw-json.js';
import { Kind, type FieldDesc, type MessageDesc } from './schema.js';
import { Reader, Writer, WIRE_I64, WIRE_LEN } from './wire.js';

type Obj = Record<string, unknown>;

const TAG_MAP_KEY = (1 << 3) | WIRE_LEN;
const TAG_MAP_VALUE = (2 << 3) | WIRE_LEN;
const TAG_MAP_DOUBLE = (2 << 3) | WIRE_I64;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// ---- encoding ----------------------------------------------------------------

/**
 * Writes the fields of `value` (without a length prefix), in the value's key
 * order. Walking the few keys a value has, rather than every field of the
 * descriptor, keeps the cost per message proportional to what is sent (a
 * lookup of each absent field name is a megamorphic property load). Parsers
 * accept fields in any order (values built in field-number order come out
 * byte-identical to protobufjs). Keys that are not fields of the message are
 * ignored: client.proto has no place for them.
 */
export function writeMessage(w: Writer, desc: MessageDesc, value: object): void {
  const obj = value as Obj;
  const byName = desc.byName;
  for (const key in obj) {
    const f = byName.get(key);
    if (f === undefined) continue;
    const v = obj[key];
    if (v !== undefined && v !== null) writeField(w, f, v);
  }
}

/** Writes `value` as a nested, length-delimited message (tag already written). */
function writeNested(w: Writer, desc: MessageDesc, value: unknown, f: FieldDesc): void {
  if (typeof value !== 'object' || value === null) throw typeError(f, 'an object');
  const start = w.beginLen();
  writeMessage(w, desc, value);
  w.endLen(start);
}

function writeField(w: Writer, f: FieldDesc, v: unknown): void {
  switch (f.kind) {
    case Kind.uint32:
      if (int(v, f, 0, 0xffffffff) !== 0) {
        w.uint32(f.tag);
        w.uint32(v as number);
      }
      return;
    case Kind.int32:
      if (int(v, f, -0x80000000, 0x7fffffff) !== 0) {
        w.uint32(f.tag);
        w.int32(v as number);
      }
      return;
    case Kind.uint64:
      if (int(v, f, 0, MAX_SAFE) !== 0) {
        w.uint32(f.tag);
        w.uint64(v as number);
      }
      return;
    case Kind.int64:
      if (int(v, f, -MAX_SAFE, MAX_SAFE) !== 0) {
        w.uint32(f.tag);
        w.int64(v as number);
      }
      return;
    case Kind.sint64:
      if (int(v, f, -MAX_SAFE, MAX_SAFE) !== 0) {
        w.uint32(f.tag);
        w.sint64(v as number);
      }
      return;
    case Kind.bool:
      if (typeof v !== 'boolean') throw typeError(f, 'a boolean');
      if (v) {
        w.uint32(f.tag);
        w.uint32(1);
      }
      return;
    case Kind.string:
      if (typeof v !== 'string') throw typeError(f, 'a string');
      if (v !== '') {
        w.uint32(f.tag);
        w.string(v);
      }
      return;
    case Kind.bytes:
      writeBytes(w, f, v instanceof JsonStringData ? v.bytes : v);
      return;
    case Kind.message:
      w.uint32(f.tag);
      writeNested(w, f.message!, v, f);
      return;
    case Kind.repeated:
      if (!Array.isArray(v)) throw typeError(f, 'an array');
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (item === undefined || item === null) continue;
        w.uint32(f.tag);
        writeNested(w, f.message!, item, f);
      }
      return;
    case Kind.strings:
      if (!Array.isArray(v)) throw typeError(f, 'an array');
      for (const item of v as unknown[]) {
        if (typeof item !== 'string') throw typeError(f, 'an array of strings');
        w.uint32(f.tag);
        w.string(item);
      }
      return;
    case Kind.bytesList:
      if (!Array.isArray(v)) throw typeError(f, 'an array');
      for (const item of v as unknown[]) {
        if (!(item instanceof Uint8Array)) throw typeError(f, 'an array of bytes');
        w.uint32(f.tag);
        w.bytes(item);
      }
      return;
    case Kind.double:
      if (typeof v !== 'number') throw typeError(f, 'a number');
      if (v !== 0) {
        w.uint32(f.tag);
        w.double(v);
      }
      return;
    case Kind.mapString:
    case Kind.mapDouble:
    case Kind.mapMessage:
      if (v instanceof Map) {
        for (const [k, x] of v) writeEntry(w, f, k, x);
      } else if (typeof v === 'object') {
        for (const k of Object.keys(v as Obj)) writeEntry(w, f, k, (v as Obj)[k]);
      } else {
        throw typeError(f, 'an object or Map');
      }
      return;
  }
}

function writeBytes(w: Writer, f: FieldDesc, v: unknown): void {
  if (v instanceof Uint8Array) {
    if (v.length === 0) return;
    w.uint32(f.tag);
    w.bytes(v);
  } else if (v instanceof RawJson || typeof v === 'string') {
    const text = typeof v === 'string' ? v : v.text;
    if (text === '') return;
    w.uint32(f.tag);
    w.string(text);
  } else {
    throw typeError(f, 'a Buffer');
  }
}

/**
 * A map entry is a message {key = 1, value = 2}. Both are always written, as
 * generated encoders do; an absent (null) value leaves the entry out.
 */
function writeEntry(w: Writer, f: FieldDesc, key: unknown, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof key !== 'string') throw typeError(f, 'string-keyed');
  w.uint32(f.tag);
  const start = w.beginLen();
  w.uint32(TAG_MAP_KEY);
  w.string(key);
  if (f.kind === Kind.mapDouble) {
    if (typeof value !== 'number') throw typeError(f, 'a map of numbers');
    w.uint32(TAG_MAP_DOUBLE);
    w.double(value);
  } else if (f.kind === Kind.mapString) {
    if (typeof value !== 'string') throw typeError(f, 'a map of strings');
    w.uint32(TAG_MAP_VALUE);
    w.string(value);
  } else {
    w.uint32(TAG_MAP_VALUE);
    writeNested(w, f.message!, value, f);
  }
  w.endLen(start);
}

function int(v: unknown, f: FieldDesc, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw typeError(f, `an integer in [${min}, ${max}]`);
  }
  return v;
}

function typeError(f: FieldDesc, expected: string): TypeError {
  return new TypeError(`protobuf encode: field ${f.name} must be ${expected}`);
}

// One writer is reused across encodes (encoding is synchronous); a nested call,
// which would find it taken, gets a fresh one.
let spare: Writer | undefined = new Writer();

export function acquireWriter(): Writer {
  const w = spare ?? new Writer();
  spare = undefined;
  return w;
}

/** Call in a finally: after finish() this is a no-op, after a throw it drops the partial message. */
export function releaseWriter(w: Writer): void {
  w.abandon();
  spare = w;
}

/** A bare message (no length prefix), e.g. the body of an emulation request. */
export function encodeMessage(desc: MessageDesc, value: object): Buffer {
  const w = acquireWriter();
  try {
    writeMessage(w, desc, value);
    return w.finish();
  } finally {
    releaseWriter(w);
  }
}

/** One varint-delimited message, as the WebSocket framing wants it. */
export function encodeDelimited(desc: MessageDesc, value: object): Buffer {
  const w = acquireWriter();
  try {
    const start = w.beginDelimited();
    writeMessage(w, desc, value);
    return w.finishDelimited(start);
  } finally {
    releaseWriter(w);
  }
}

// ---- decoding ----------------------------------------------------------------

/**
 * Reads fields until r.end into `target`. Repeated occurrences of a field
 * behave as protobuf says: scalars last-wins, messages merge, repeated and
 * map fields accumulate.
 */
export function readMessage(r: Reader, desc: MessageDesc, target: Obj): Obj {
  const byNo = desc.byNo;
  while (r.pos < r.end) {
    const tag = r.tag();
    const no = tag >>> 3;
    const wire = tag & 7;
    const f = no < byNo.length ? byNo[no] : undefined;
    if (f === undefined) {
      r.skip(wire, no);
      continue;
    }
    if (wire !== f.wire) throw new DecodeError(`protobuf: ${desc.name}.${f.name} has wire type ${wire}, want ${f.wire}`);
    switch (f.kind) {
      case Kind.uint32:
        target[f.name] = r.uint32();
        break;
      case Kind.int32:
        target[f.name] = r.int32();
        break;
      case Kind.uint64:
        target[f.name] = r.uint64();
        break;
      case Kind.int64:
        target[f.name] = r.int64();
        break;
      case Kind.sint64:
        target[f.name] = r.sint64();
        break;
      case Kind.bool:
        target[f.name] = r.bool();
        break;
      case Kind.string:
        target[f.name] = r.string();
        break;
      case Kind.bytes:
        target[f.name] = r.bytes();
        break;
      case Kind.message: {
        const prev = target[f.name];
        target[f.name] = readNested(r, f.message!, (prev as Obj | undefined) ?? {});
        break;
      }
      case Kind.repeated: {
        const list = (target[f.name] ??= []) as Obj[];
        list.push(readNested(r, f.message!, {}));
        break;
      }
      case Kind.strings:
        ((target[f.name] ??= []) as string[]).push(r.string());
        break;
      case Kind.double:
        target[f.name] = r.double();
        break;
      case Kind.bytesList:
        ((target[f.name] ??= []) as Buffer[]).push(r.bytes());
        break;
      default:
        readEntry(r, f, (target[f.name] ??= {}) as Obj);
    }
  }
  return target;
}

function readNested(r: Reader, desc: MessageDesc, target: Obj): Obj {
  const len = r.length();
  const outer = r.end;
  r.end = r.pos + len;
  readMessage(r, desc, target);
  r.end = outer;
  return target;
}

/** A map entry; a missing key is '', a missing value is '' or an empty message, per protobuf. */
function readEntry(r: Reader, f: FieldDesc, map: Obj): void {
  const len = r.length();
  const outer = r.end;
  r.end = r.pos + len;
  let key = '';
  let value: unknown;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === TAG_MAP_KEY) {
      key = r.string();
    } else if (tag === TAG_MAP_DOUBLE && f.kind === Kind.mapDouble) {
      value = r.double();
    } else if (tag === TAG_MAP_VALUE && f.kind !== Kind.mapDouble) {
      value = f.kind === Kind.mapString ? r.string() : readNested(r, f.message!, (value as Obj | undefined) ?? {});
    } else if (tag >>> 3 === 1 || tag >>> 3 === 2) {
      throw new DecodeError(`protobuf: ${f.name} map entry has a wrong wire type`);
    } else {
      r.skip(tag & 7, tag >>> 3);
    }
  }
  r.end = outer;
  value ??= f.kind === Kind.mapString ? '' : f.kind === Kind.mapDouble ? 0 : {};
  // Keys are arbitrary client strings ("__proto__" included): define, never assign.
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A bare message filling the whole buffer. */
export function decodeMessage(buf: Buffer, desc: MessageDesc, opts: { strictUtf8?: boolean } = {}): Obj {
  return readMessage(new Reader(buf, 0, buf.length, opts.strictUtf8 === true), desc, {});
}

/** A sequence of varint-delimited messages filling the whole buffer. */
export function decodeDelimited(buf: Buffer, desc: MessageDesc): Obj[] {
  const r = new Reader(buf);
  const out: Obj[] = [];
  while (r.pos < buf.length) out.push(readNested(r, desc, {}));
  return out;
}
