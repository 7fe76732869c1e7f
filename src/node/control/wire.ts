// Strict readers for decoded control-message JSON. A control message comes
// from another process: every field is checked for its type before use, and a
// mismatch is a ControlDecodeError the receiver counts and ignores.

import { isRecord } from '../../util/values.js';

/** Why a message was refused; a small fixed set, so it can be a metric label. */
export type DecodeFailure = 'bad_json' | 'bad_version' | 'unknown_type' | 'bad_field';

export class ControlDecodeError extends Error {
  constructor(
    message: string,
    readonly failure: DecodeFailure = 'bad_field',
  ) {
    super(message);
    this.name = 'ControlDecodeError';
  }
}

export type WireObject = Record<string, unknown>;

export function object(v: unknown, what: string): WireObject {
  if (!isRecord(v)) throw new ControlDecodeError(`${what} must be an object`);
  return v;
}

/** An optional string; missing reads as ''. */
export function str(o: WireObject, key: string): string {
  const v = o[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new ControlDecodeError(`${key} must be a string`);
  return v;
}

export function requiredStr(o: WireObject, key: string): string {
  if (o[key] === undefined || o[key] === '') throw new ControlDecodeError(`${key} is required`);
  return str(o, key);
}

/** An optional safe integer; missing reads as 0. */
export function int(o: WireObject, key: string): number {
  const v = o[key];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ControlDecodeError(`${key} must be an integer`);
  return v;
}

export function bool(o: WireObject, key: string): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ControlDecodeError(`${key} must be a boolean`);
  return v;
}

export function optBool(o: WireObject, key: string): boolean | undefined {
  return o[key] === undefined ? undefined : bool(o, key);
}

export function strList(o: WireObject, key: string): string[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ControlDecodeError(`${key} must be a list of strings`);
  return v as string[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Payload bytes travel as standard base64, so any bytes (not only JSON) arrive unchanged. */
export function bytes(o: WireObject, key: string): Buffer | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) throw new ControlDecodeError(`${key} must be base64`);
  return Buffer.from(v, 'base64');
}

export function putBytes(o: WireObject, key: string, b: Buffer | undefined): void {
  if (b !== undefined) o[key] = b.toString('base64');
}

/** Sets only non-empty values, keeping messages small (a missing key reads back as the empty value). */
export function putIf(o: WireObject, key: string, v: string | number | boolean | undefined): void {
  if (v !== undefined && v !== '' && v !== 0 && v !== false) o[key] = v;
}
