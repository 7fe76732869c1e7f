// JSON with "raw" fields: the protocol's payloads (`data`, `info`, ...) are any
// JSON value that must travel byte-for-byte, never re-serialised. Node 20 has no
// JSON.rawJSON / source-text access, so we keep the slices ourselves.

import { JsonStringData } from '../codec.js';
import { ownedUtf8 } from '../../util/owned-bytes.js';
import { isRecord } from '../../util/values.js';

/** A JSON value kept as the exact text it arrived as (newlines stripped, see below). */
export class RawJson {
  constructor(readonly text: string) {}
  /** Payloads are mostly kept (history, a connection's info): bytes of their own, no pool slab (see ownedBytes). */
  toBuffer(): Buffer {
    return ownedUtf8(this.text);
  }
}

/** A decoded JSON object: a record that is neither a raw member kept as text nor bytes. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && !(v instanceof RawJson) && !Buffer.isBuffer(v);
}

export type JsonPath = readonly (string | number)[];
export type RawPredicate = (path: JsonPath) => boolean;

/**
 * Parses `text` like JSON.parse (and throws exactly when it throws), except that
 * values at paths where `isRaw(path)` is true are returned as RawJson slices.
 * The root has path `[]`. Nothing below a raw value is asked about.
 * A raw slice has its `\n` bytes removed: outside strings they are whitespace,
 * inside valid JSON strings they cannot occur, and the JSON line framing of the
 * client protocol forbids them.
 *
 * JSON.parse builds the value (so duplicate keys, `__proto__` keys and number
 * parsing behave exactly as in JSON.parse); a non-recursive scan of the same
 * text finds where the raw values sit, so any nesting depth JSON.parse accepts
 * is accepted here too.
 */
export function parseJsonWithRaw(text: string, isRaw: RawPredicate, maxDepth = Infinity): unknown {
  const value: unknown = JSON.parse(text); // validation: from here on the text is valid JSON
  if (exceedsDepth(text, maxDepth)) throw new SyntaxError(`JSON nested deeper than ${maxDepth}`);
  if (isRaw([])) return new RawJson(stripNewlines(text.trim()));
  if (typeof value !== 'object' || value === null) return value;
  const found = scanRawSlices(text, isRaw);
  for (const { path, slice } of found) place(value, path, new RawJson(stripNewlines(slice)));
  return value;
}

/**
 * parseJsonWithRaw for requests whose raw values are members of the root
 * object only (`data`, `info`... of an API request or consumed message):
 * `isRawKey(name)` picks them. The result is parseJsonWithRaw's with the
 * predicate `path.length === 1 && isRawKey(path[0])`, but the scan reads only
 * the root's member names and skips the values whole, without the path
 * bookkeeping a predicate on any depth needs.
 */
export function parseJsonWithRawMembers(text: string, isRawKey: (key: string) => boolean, maxDepth = Infinity): unknown {
  const value: unknown = JSON.parse(text); // validation: from here on the text is valid JSON
  if (exceedsDepth(text, maxDepth)) throw new SyntaxError(`JSON nested deeper than ${maxDepth}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  let pos = skipWs(text, skipWs(text, 0) + 1); // past the root's '{'
  if (text.charCodeAt(pos) === 0x7d /* } */) return value;
  for (;;) {
    const keyStart = pos;
    pos = skipString(text, pos);
    const body = text.slice(keyStart + 1, pos - 1);
    const key = body.includes('\\') ? (JSON.parse(text.slice(keyStart, pos)) as string) : body;
    pos = skipWs(text, skipWs(text, pos) + 1); // past the ':'
    const valueStart = pos;
    pos = skipValue(text, pos);
    // In text order, so a duplicate key ends as JSON.parse ends it: the last one wins. JSON.parse
    // made every member an own data property (`__proto__` included), so it is set in place, as place() does.
    if (isRawKey(key)) (value as Record<string, unknown>)[key] = new RawJson(stripNewlines(text.slice(valueStart, pos)));
    pos = skipWs(text, pos);
    if (text.charCodeAt(pos) !== 0x2c /* , */) return value; // the root's '}'
    pos = skipWs(text, pos + 1);
  }
}

function skipWs(text: string, pos: number): number {
  while (isWs(text.charCodeAt(pos))) pos++;
  return pos;
}

function stripNewlines(s: string): string {
  return s.includes('\n') ? s.replaceAll('\n', '') : s;
}

/**
 * Puts `raw` at `path` inside the parsed value. Slices are applied in text
 * order; a slice from an earlier duplicate key is applied only where the value
 * JSON.parse kept has a member at the same path, and then the kept occurrence
 * (which comes later in the text) overwrites it. So the result is exactly
 * JSON.parse's, with raw slices at raw paths.
 */
function place(root: unknown, path: JsonPath, raw: RawJson): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (typeof node !== 'object' || node === null) return;
    const key = path[i]!;
    if (!Object.hasOwn(node, key)) return;
    node = (node as Record<string | number, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null || node instanceof RawJson) return;
  const last = path[path.length - 1]!;
  if (!Object.hasOwn(node, last)) return;
  // An own data property (JSON.parse creates them, `__proto__` included) is set in place.
  (node as Record<string | number, unknown>)[last] = raw;
}

const OBJ = 0;
const ARR = 1;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Walks text already known to be valid JSON (with an object or array at the
 * root) and returns the slices of values at raw paths. Iterative: the depth of
 * the document costs heap, not stack.
 */
function scanRawSlices(text: string, isRaw: RawPredicate): Array<{ path: JsonPath; slice: string }> {
  const out: Array<{ path: JsonPath; slice: string }> = [];
  const path: (string | number)[] = [];
  const kinds: number[] = [];
  let pos = 0;

  const ws = (): void => {
    while (isWs(text.charCodeAt(pos))) pos++;
  };
  const readKey = (): void => {
    // at the opening quote of a member name; leaves pos after the ':'
    const start = pos;
    pos = skipString(text, pos);
    const body = text.slice(start + 1, pos - 1);
    path.push(body.includes('\\') ? (JSON.parse(text.slice(start, pos)) as string) : body);
    ws();
    pos++; // :
  };

  for (;;) {
    // At the start of a value; `path` names it.
    ws();
    const c = text.charCodeAt(pos);
    if (path.length > 0 && isRaw(path)) {
      const start = pos;
      pos = skipValue(text, pos);
      out.push({ path: path.slice(), slice: text.slice(start, pos) });
    } else if (c === 0x7b /* { */) {
      pos++;
      ws();
      if (text.charCodeAt(pos) === 0x7d /* } */) pos++;
      else {
        kinds.push(OBJ);
        readKey();
        continue;
      }
    } else if (c === 0x5b /* [ */) {
      pos++;
      ws();
      if (text.charCodeAt(pos) === 0x5d /* ] */) pos++;
      else {
        kinds.push(ARR);
        path.push(0);
        continue;
      }
    } else {
      pos = skipValue(text, pos);
    }
    // After a value: close finished containers, or move to the next member.
    for (;;) {
      if (kinds.length === 0) return out;
      ws();
      const d = text.charCodeAt(pos++);
      if (d === 0x2c /* , */) {
        if (kinds[kinds.length - 1] === OBJ) {
          path.pop();
          ws();
          readKey();
        } else {
          path[path.length - 1] = (path[path.length - 1] as number) + 1;
        }
        break;
      }
      // } or ]
      kinds.pop();
      path.pop();
    }
  }
}

/** From an opening quote, returns the position after the closing quote. */
function skipString(text: string, pos: number): number {
  pos++; // opening quote
  for (;;) {
    const c = text.charCodeAt(pos++);
    if (c === 0x5c /* \ */) pos++;
    else if (c === 0x22 /* " */) return pos;
  }
}

/**
 * Go's encoding/json refuses documents nested deeper than 10,000 (the root
 * object counts as 1); the server API decodes with it, so ours refuses them too.
 */
export const GO_JSON_MAX_DEPTH = 10_000;

/**
 * Whether valid JSON `text` nests objects and arrays deeper than `limit`. A
 * document that deep needs more than 2·limit bytes of brackets, so any
 * shorter text (every ordinary request) is answered without a scan.
 */
export function exceedsDepth(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  for (let pos = 0; pos < text.length;) {
    const c = text.charCodeAt(pos);
    if (c === 0x22) {
      pos = skipString(text, pos);
      continue;
    }
    pos++;
    if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Skips one complete value (of valid JSON) starting at `pos`. Iterative. */
function skipValue(text: string, pos: number): number {
  const c = text.charCodeAt(pos);
  if (c === 0x22) return skipString(text, pos);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (;;) {
      const d = text.charCodeAt(pos);
      if (d === 0x22) {
        pos = skipString(text, pos);
        continue;
      }
      pos++;
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return pos;
      }
    }
  }
  // number, true, false, null
  for (;;) {
    const d = text.charCodeAt(pos);
    if (Number.isNaN(d) || d === 0x2c || d === 0x7d || d === 0x5d || isWs(d)) return pos;
    pos++;
  }
}

/**
 * JSON.stringify that splices RawJson values verbatim and Buffers holding raw
 * JSON (the engine's payload type) as their UTF-8 text.
 *
 * - Raw text is emitted without `\n` bytes (as Go's protocol Raw marshaller
 *   does), so the output never breaks the newline framing of JSON frames.
 * - An empty raw value is not JSON: as an object member it is omitted (Go's
 *   `omitempty`), elsewhere it becomes `null`.
 * - Otherwise it follows JSON.stringify: `toJSON` is honoured, undefined,
 *   functions and symbols are omitted from objects and become `null` in arrays.
 */
export function stringifyWithRaw(value: unknown): string {
  return encodeValue(value) ?? 'null';
}

/** The JSON text of `value`, or undefined when it has none (omitted in objects). */
function encodeValue(value: unknown): string | undefined {
  if (value instanceof JsonStringData) return JSON.stringify(value.bytes.toString('utf8'));
  if (value instanceof RawJson) return value.text === '' ? undefined : stripNewlines(value.text);
  if (Buffer.isBuffer(value)) return value.length === 0 ? undefined : stripNewlines(value.toString('utf8'));
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return encodeValue(toJSON.call(value));
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (encodeValue(value[i]) ?? 'null');
    return out + ']';
  }
  if (value instanceof Map) return encodeValue(Object.fromEntries(value));
  let out = '{';
  let first = true;
  for (const [k, v] of Object.entries(value)) {
    const text = encodeValue(v);
    if (text === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + text;
    first = false;
  }
  return out + '}';
}

// ignoreBOM: a leading byte order mark must stay in the text and fail the
// parse, since the bytes are spliced into the frame as they are.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * True when `data` can be spliced into a frame for a JSON connection: valid
 * UTF-8 holding one JSON value (or empty, which stringifyWithRaw omits).
 * Payloads from Protobuf clients or `b64data` may be arbitrary bytes; a JSON
 * connection must never get them (client-protocol.md §2.2: disconnect 3506).
 */
export function isJsonSafePayload(data: Buffer): boolean {
  if (data.length === 0) return true;
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    return false;
  }
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
