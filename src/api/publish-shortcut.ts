// The decode of a plain publish without the schema machinery: almost every
// publish (HTTP API, outbox row, Kafka record) is an object of lowercase field
// names with values of the right type, and for that shape the result is known
// without running zod (which, with its key folding, cost more per outbox row
// than the publish itself). Anything else (another spelling of a key, a null,
// an unknown key, a wrong type) returns undefined and takes the full decode,
// which also words the error. A batch of nothing but such publishes (what a
// busy publisher sends) is taken the same way. test/unit/api/publish-shortcut.test.ts
// holds the two to the same output.

import type { Requests } from './requests.js';

type Publish = Requests['publish'];
type Batch = Requests['batch'];

const STRING_FIELDS = new Set(['channel', 'b64data', 'idempotency_key', 'version_epoch']);
const BOOLEAN_FIELDS = new Set(['skip_history', 'delta']);

/** `{tags}` as the full decode gives it, or undefined when it must take that road (a non-string value, a `__proto__` key). */
function plainTags(v: unknown): Record<string, string> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  const out: Record<string, string> = {};
  for (const key of Object.keys(v)) {
    const value = (v as Record<string, unknown>)[key];
    if (typeof value !== 'string' || key === '__proto__') return undefined;
    out[key] = value;
  }
  return out;
}

/** The decoded publish request, or undefined when only the full decode can say. */
export function decodePlainPublish(req: unknown): Publish | undefined {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return undefined;
  const out: Publish = {
    channel: '',
    b64data: '',
    skip_history: false,
    idempotency_key: '',
    delta: false,
    version: 0,
    version_epoch: '',
  };
  const fields = out as Record<string, unknown>;
  for (const key in req) {
    if (!Object.hasOwn(req, key)) return undefined;
    const value = (req as Record<string, unknown>)[key];
    if (value === null || value === undefined) return undefined;
    if (STRING_FIELDS.has(key)) {
      if (typeof value !== 'string') return undefined;
      fields[key] = value;
    } else if (BOOLEAN_FIELDS.has(key)) {
      if (typeof value !== 'boolean') return undefined;
      fields[key] = value;
    } else if (key === 'data') {
      out.data = value;
    } else if (key === 'version') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return undefined;
      out.version = value;
    } else if (key === 'tags') {
      const tags = plainTags(value);
      if (tags === undefined) return undefined;
      out.tags = tags;
    } else return undefined;
  }
  return out;
}

/** The decoded batch when it is `{commands: [{publish: <plain>}...], parallel?}`, else undefined. */
export function decodePlainPublishBatch(req: unknown): Batch | undefined {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return undefined;
  let commands: unknown[] | undefined;
  let parallel = false;
  for (const key in req) {
    if (!Object.hasOwn(req, key)) return undefined;
    const value = (req as Record<string, unknown>)[key];
    if (key === 'commands' && Array.isArray(value)) commands = value;
    else if (key === 'parallel' && typeof value === 'boolean') parallel = value;
    else return undefined;
  }
  if (commands === undefined) return undefined;
  const decoded: Array<{ publish: Publish }> = [];
  for (const command of commands) {
    if (typeof command !== 'object' || command === null || Array.isArray(command)) return undefined;
    const keys = Object.keys(command);
    if (keys.length !== 1 || keys[0] !== 'publish') return undefined;
    const publish = decodePlainPublish((command as { publish: unknown }).publish);
    if (publish === undefined) return undefined;
    decoded.push({ publish });
  }
  return { commands: decoded, parallel };
}
