// The JSON Schema editors use is drawn from the same fields as the loader:
// what the loader takes, the schema accepts, and the other way round.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { configJsonSchema, defaultInputConfig } from '../../../src/config/documents.js';
import { loadConfig } from '../../../src/config/load.js';
import { defaultConfig } from '../../../src/config/schema.js';
import { configOf } from '../../helpers/config.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(configJsonSchema());
const errors = () => (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

/** The first ```json block of the README that has `key` at its top level. */
function readmeConfig(key: string): unknown {
  const blocks = [...readFileSync(`${root}README.md`, 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
  return blocks.find((b) => key in b);
}

describe('config JSON Schema', () => {
  it('accepts every option at its default, and those defaults load as the built-in ones', () => {
    const defaults = defaultInputConfig();
    assert.ok(validate(defaults), errors().join('\n'));
    assert.deepEqual(configOf(defaults), defaultConfig());
  });

  it("accepts the README's configs and the docker compose one", () => {
    for (const raw of [
      readmeConfig('client'),
      readmeConfig('consumers'),
      readmeConfig('engine'),
      JSON.parse(readFileSync(`${root}scripts/compose/tributary.json`, 'utf8')),
    ]) {
      assert.ok(validate(raw), errors().join('\n'));
      assert.doesNotThrow(() => configOf(raw));
    }
  });

  it('accepts what the loader decodes weakly (strings for numbers and booleans, Go durations, nanoseconds)', () => {
    const raw = {
      http_server: { port: '8001' },
      client: { insecure: 'true', ping_interval: '1m30s', pong_timeout: 5_000_000_000 },
      channel: { namespaces: [{ name: 'chat', presence: 1 }] },
    };
    assert.ok(validate(raw), errors().join('\n'));
    assert.equal(loadConfig({ raw, env: {} }).config.client.pong_timeout, 5000);
  });

  it('flags typos and wrong types, which the loader warns about or refuses', () => {
    assert.equal(validate({ client: { ping_intervall: '1s' } }), false);
    assert.equal(validate({ consumers: [{ name: 'k1', type: 'kafka', kafka: { dead_leter_topic: 'x' } }] }), false);
    assert.equal(validate({ log: { level: 'loud' } }), false);
    assert.equal(validate({ client: { ping_interval: '5 seconds' } }), false);
    assert.ok(validate({ admin: { enabled: false }, 'x-common': { presence: true } }), 'Centrifugo keys and YAML anchors are fine');
    assert.ok(validate({ $schema: './tributary.schema.json' }));
    assert.deepEqual(loadConfig({ raw: { $schema: './tributary.schema.json' }, env: {} }).warnings, []);
  });

  it('documents every option', () => {
    const undocumented: string[] = [];
    const walk = (s: Record<string, any>, path: string) => {
      if (!s.description && path && !path.endsWith('[]')) undocumented.push(path);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v as Record<string, any>, path ? `${path}.${k}` : k);
      if (s.items) walk(s.items, `${path}[]`);
    };
    walk(configJsonSchema(), '');
    assert.deepEqual(undocumented, []);
  });
});
