// How Go's encoding/json assigns the keys of a JSON object to the fields of a
// struct, for struct() in fields.ts: a key matches a field name
// case-insensitively (the names are lowercase), unknown keys are dropped, a
// null sets nothing (except on a raw field, where Go stores the literal), and
// when several spellings set one field the last one wins. Go decodes every
// spelling in turn, so a bad value fails the request even when a later
// spelling is fine; the fold keeps that bad value for zod to report.

import type { z } from 'zod';

/**
 * Objects where several keys set one field: object → field → the key whose
 * value was kept. Only these are noted (they are rare); keptKey reads them.
 */
const KEPT_KEYS = new WeakMap<object, Map<string, string>>();

/**
 * Folds an object's keys onto `fields` (lowercase name → schema). Returns the
 * input itself when there is nothing to fold, which is the usual case: every
 * key is a field name or an unknown one (zod's object ignores those), and no
 * field is null.
 */
export function keyFolder(fields: ReadonlyMap<string, z.ZodType>, keepsNull: ReadonlySet<string>) {
  const sets = (name: string, value: unknown) => value !== null || keepsNull.has(name);
  const canonical = (input: Record<string, unknown>): boolean => {
    for (const key in input) {
      if (fields.has(key) ? !sets(key, input[key]) : fields.has(key.toLowerCase())) return false;
    }
    return true;
  };
  const fold = (input: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    let kept: Map<string, string> | undefined;
    for (const key in input) {
      const name = key.toLowerCase();
      const field = fields.get(name);
      const value = input[key];
      if (field === undefined || !sets(name, value)) continue;
      if (Object.hasOwn(out, name)) {
        const keep = field.safeParse(out[name]).success ? key : (kept?.get(name) ?? firstKeySetting(input, name, sets));
        (kept ??= new Map()).set(name, keep);
        if (keep !== key) continue;
      }
      out[name] = value;
    }
    if (kept) KEPT_KEYS.set(input, kept);
    return out;
  };
  return (input: Record<string, unknown>) => (canonical(input) ? input : fold(input));
}

function firstKeySetting(input: Record<string, unknown>, name: string, sets: (name: string, value: unknown) => boolean): string {
  for (const key in input) if (key.toLowerCase() === name && sets(name, input[key])) return key;
  throw new Error(`fold: no key sets ${name}`); // unreachable: the field was set
}

/**
 * The key of `obj` a value at `name` came from: for a struct field, the one
 * the fold kept, else its only spelling that is not null; for a map key, the
 * key itself.
 */
export function keptKey(obj: Record<string, unknown>, name: string): string | undefined {
  const kept = KEPT_KEYS.get(obj)?.get(name);
  if (kept !== undefined) return kept;
  if (Object.hasOwn(obj, name) && obj[name] !== null) return name;
  for (const key in obj) if (obj[key] !== null && key.toLowerCase() === name) return key;
  return undefined;
}
