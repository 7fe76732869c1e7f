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

/**
 * A raw payload field and its base64 twin (`data`/`b64data`, `info`/`b64info`).
 * The base64 form wins when non-empty. Returns undefined when neither is set.
 */
export function rawOrBase64(f: Fields, key: string): Buffer | undefined {
  const b64 = f['b64' + key];
  if (b64 !== undefined && b64 !== null && b64 !== '') {
    if (typeof b64 !== 'string') throw new ApiDecodeError(`b64${key} must be a string`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new BadBase64(`b64${key}`);
    return Buffer.from(b64, 'base64');
  }
  const v = f[key];
  if (v === undefined) return undefined;
  if (v instanceof RawJson) return v.toBuffer();
  // Only reachable when a caller passed an already-parsed object (e.g. a consumer).
  return Buffer.from(JSON.stringify(v), 'utf8');
}

/** Invalid base64: a bad request (107), not an undecodable body. */
export class BadBase64 extends Error {}

export function position(f: Fields, key: string): { offset: number; epoch: string } | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  const p = asFields(v, key);
  return { offset: int(p, 'offset'), epoch: str(p, 'epoch') };
}
