// JSON with "raw" fields: the protocol's payloads (`data`, `info`, ...) are any
// JSON value that must travel byte-for-byte, never re-serialised. Node 20 has no
// JSON.rawJSON / source-text access, so we keep the slices ourselves.

/** A JSON value kept as the exact text it arrived as (newlines stripped, see below). */
export class RawJson {
  constructor(readonly text: string) {}
  toBuffer(): Buffer {
    return Buffer.from(this.text, 'utf8');
  }
}

export type JsonPath = readonly (string | number)[];
export type RawPredicate = (path: JsonPath) => boolean;

/**
 * Parses `text` like JSON.parse (and throws exactly when it throws), except that
 * values at paths where `isRaw(path)` is true are returned as RawJson slices.
 * A raw slice has its `\n` bytes removed: outside strings they are whitespace,
 * inside valid JSON strings they cannot occur, and the JSON line framing of the
 * client protocol forbids them.
 */
export function parseJsonWithRaw(text: string, isRaw: RawPredicate): unknown {
  const value: unknown = JSON.parse(text); // validation: from here on the text is valid JSON
  if (typeof value !== 'object' || value === null) return value;
  const reader = new TrustedReader(text, isRaw);
  return reader.read([]);
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

/** A reader over text already known to be valid JSON, so it checks nothing. */
class TrustedReader {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly isRaw: RawPredicate,
  ) {}

  read(path: (string | number)[]): unknown {
    this.skipWs();
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b /* { */) return this.readObject(path);
    if (c === 0x5b /* [ */) return this.readArray(path);
    const start = this.pos;
    this.skipValue();
    return JSON.parse(this.text.slice(start, this.pos));
  }

  private readObject(path: (string | number)[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++; // {
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      const keyStart = this.pos;
      this.skipString();
      const key = JSON.parse(this.text.slice(keyStart, this.pos)) as string;
      this.skipWs();
      this.pos++; // :
      path.push(key);
      const value = this.readMaybeRaw(path);
      path.pop();
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = value;
      }
      this.skipWs();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) return out;
    }
  }

  private readArray(path: (string | number)[]): unknown[] {
    const out: unknown[] = [];
    this.pos++; // [
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (let i = 0; ; i++) {
      path.push(i);
      out.push(this.readMaybeRaw(path));
      path.pop();
      this.skipWs();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) return out;
    }
  }

  private readMaybeRaw(path: (string | number)[]): unknown {
    if (!this.isRaw(path)) return this.read(path);
    this.skipWs();
    const start = this.pos;
    this.skipValue();
    const slice = this.text.slice(start, this.pos);
    return new RawJson(slice.includes('\n') ? slice.replaceAll('\n', '') : slice);
  }

  private skipWs(): void {
    while (WS.has(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private skipString(): void {
    this.pos++; // opening quote
    for (;;) {
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5c /* \ */) this.pos++;
      else if (c === 0x22 /* " */) return;
    }
  }

  private skipValue(): void {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x22) return this.skipString();
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      for (;;) {
        const d = this.text.charCodeAt(this.pos);
        if (d === 0x22) {
          this.skipString();
          continue;
        }
        this.pos++;
        if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          depth--;
          if (depth === 0) return;
        }
      }
    }
    // number, true, false, null
    for (;;) {
      const d = this.text.charCodeAt(this.pos);
      if (Number.isNaN(d) || d === 0x2c || d === 0x7d || d === 0x5d || WS.has(d)) return;
      this.pos++;
    }
  }
}

/**
 * JSON.stringify that splices RawJson values verbatim and Buffers holding raw
 * JSON (the engine's payload type) as their UTF-8 text. Undefined members are
 * omitted, like JSON.stringify.
 */
export function stringifyWithRaw(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    return '[' + value.map((v) => (v === undefined ? 'null' : stringifyWithRaw(v))).join(',') + ']';
  }
  if (value instanceof Map) return stringifyWithRaw(Object.fromEntries(value));
  let out = '{';
  let first = true;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + stringifyWithRaw(v);
    first = false;
  }
  return out + '}';
}
