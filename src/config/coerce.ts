// Turns a value from a file, an env var or a CLI flag into the kind the schema
// wants. Files are decoded weakly (a "8000" string is fine for a port), as
// Centrifugo's viper/mapstructure loader does; env values follow Go's strconv.

import { durationToMs } from './duration.js';
import type { LeafKind } from './schema.js';

export type ValueSource = 'file' | 'env' | 'flag';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new Error(`${JSON.stringify(s)} is not a boolean (use true/false, 1/0, t/f)`);
}

/**
 * Go strconv.ParseInt(s, 0, 64): decimal, 0x/0o/0b prefixes, a leading 0 means
 * octal (so "010" is 8, as in Centrifugo), underscores only after a prefix.
 */
export function parseGoInt(s: string): number {
  const sign = s.startsWith('-') || s.startsWith('+') ? s.charAt(0) : '';
  const body = s.slice(sign.length);
  const digits = (from: number) => body.slice(from).replace(/_/g, '');
  let n: number;
  if (/^0[xX](_?[0-9a-fA-F])+$/.test(body)) n = parseInt(digits(2), 16);
  else if (/^0[oO](_?[0-7])+$/.test(body)) n = parseInt(digits(2), 8);
  else if (/^0[bB](_?[01])+$/.test(body)) n = parseInt(digits(2), 2);
  else if (/^0(_?[0-7])+$/.test(body)) n = parseInt(digits(1), 8);
  else if (/^(0|[1-9][0-9]*)$/.test(body)) n = Number(body);
  else throw new Error(`${JSON.stringify(s)} is not an integer`);
  if (!Number.isSafeInteger(n)) throw new Error(`${JSON.stringify(s)} is out of range`);
  return sign === '-' ? -n : n;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

/** Coerces one value; throws an Error whose message is the reason (without the key). */
export function coerceLeaf(kind: LeafKind, value: unknown, source: ValueSource): unknown {
  switch (kind) {
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') return parseGoBool(value.trim());
      if (typeof value === 'number' && source !== 'env') return value !== 0;
      throw new Error(`${describe(value)} is not a boolean`);
    case 'int':
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value)) throw new Error(`${value} is not an integer`);
        return value;
      }
      if (typeof value === 'string') {
        const s = value.trim();
        // Weak decoding turns "" into 0; env never gets here with "" (empty is unset).
        return s === '' ? 0 : parseGoInt(s);
      }
      throw new Error(`${describe(value)} is not an integer`);
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw new Error(`${describe(value)} is not a string`);
    case 'strings':
      if (Array.isArray(value)) {
        return value.map((item) => {
          if (typeof item === 'string') return item;
          if (typeof item === 'number' || typeof item === 'boolean') return String(item);
          throw new Error(`list item ${describe(item)} is not a string`);
        });
      }
      if (typeof value === 'string') {
        // Env and flags give lists space-separated (Centrifugo's envconfig); a file
        // string is one element, as mapstructure's weak decoding makes it.
        if (source === 'file') return value === '' ? [] : [value];
        return value.split(/\s+/).filter((s) => s !== '');
      }
      throw new Error(`${describe(value)} is not a list of strings`);
    case 'duration':
      return durationToMs(value);
  }
}
