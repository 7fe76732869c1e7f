// The config documents the CLI prints or writes. `config schema` and
// `defaultconfig` are drawn from the schema's own fields, so they cannot drift
// from what the loader reads: a JSON Schema (draft 2020-12) for editors to
// complete and check a config file with, and every option at its default.
// `genconfig` writes a minimal file with fresh secrets.

import { randomBytes } from 'node:crypto';
import { metaOf, type FieldMeta } from './fields.js';
import { CONFIG } from './schema.js';
import { VERSION } from '../version.js';

type Json = Record<string, unknown>;

// As the loader reads them: numbers and booleans may be written as strings,
// durations as Go strings or a number of nanoseconds.
const GO_INT = '^[+-]?(0[xXoObB]?)?[0-9a-fA-F_]+$';
const GO_DURATION = '^[+-]?(0|([0-9]*(\\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)$';
const LEAF_TYPES: Record<string, Json> = {
  bool: { anyOf: [{ type: 'boolean' }, { type: 'integer' }, { type: 'string', enum: '1 t T TRUE true True 0 f F FALSE false False'.split(' ') }] },
  int: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: GO_INT }] },
  string: { type: 'string' },
  strings: { type: 'array', items: { type: 'string' } },
  map: { type: 'object', additionalProperties: { type: 'string' } },
  duration: {
    anyOf: [
      { type: 'string', pattern: GO_DURATION },
      { type: 'integer', description: 'ns' },
    ],
  },
};

function schemaOf(meta: FieldMeta): Json {
  const doc = meta.doc ? { description: meta.doc } : {};
  if (meta.kind === 'list') return { ...doc, type: 'array', items: schemaOf(metaOf(meta.item)) };
  if (meta.kind === 'section') {
    const properties: Json = {};
    for (const [key, field] of Object.entries(meta.shape)) properties[key] = schemaOf(metaOf(field));
    for (const [key, mode] of Object.entries(meta.unsupported)) {
      properties[key] = { description: `Centrifugo option not supported by Tributary${mode === 'warn' ? ' (a warning says so when switched on)' : ''}.` };
    }
    // Unknown keys only warn when loading, but an editor should flag them: they are usually typos.
    return { ...doc, type: 'object', properties, additionalProperties: false };
  }
  const type = meta.values ? { type: 'string', enum: [...meta.values] } : LEAF_TYPES[meta.kind];
  return { ...doc, ...type, default: meta.input };
}

export function configJsonSchema(): Json {
  const root = schemaOf(metaOf(CONFIG));
  (root.properties as Json).$schema = { type: 'string', description: 'Where editors find this schema; the server ignores it.' };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Tributary ${VERSION} configuration (Centrifugo v6 keys)`,
    ...root,
    // YAML files keep anchors under x- keys (`x-common: &common`).
    patternProperties: { '^x-': {} },
  };
}

/** Every option at its default, in the form a config file writes it. */
export function defaultInputConfig(meta: FieldMeta = metaOf(CONFIG)): unknown {
  if (meta.kind !== 'section') return meta.input;
  return Object.fromEntries(Object.entries(meta.shape).map(([key, field]) => [key, defaultInputConfig(metaOf(field))]));
}

/** A minimal config with fresh secrets: 64 hex chars, as HS256 wants a key at least as long as its 256-bit output. */
export function generateConfig() {
  const secret = () => randomBytes(32).toString('hex');
  // The README's "Try it" config with fresh secrets, so that every step there works as
  // written: a page on localhost:3000 may connect, and the chat namespace exists.
  return {
    client: { token: { hmac_secret_key: secret() }, allowed_origins: ['http://localhost:3000'] },
    http_api: { key: secret() },
    channel: {
      without_namespace: { allow_subscribe_for_client: true },
      namespaces: [
        {
          name: 'chat',
          allow_subscribe_for_client: true,
          presence: true,
          join_leave: true,
          force_push_join_leave: true,
          history_size: 100,
          history_ttl: '300s',
          force_recovery: true,
        },
      ],
    },
  };
}
