import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateConfig } from '../../../src/config/documents.js';
import { loadConfig } from '../../../src/config/load.js';
import { tempFile } from './helpers.js';

describe('generateConfig', () => {
  it('produces fresh secrets', () => {
    const a = generateConfig();
    const b = generateConfig();
    assert.match(a.client.token.hmac_secret_key, /^[0-9a-f]{64}$/);
    assert.match(a.http_api.key, /^[0-9a-f]{64}$/);
    assert.notEqual(a.client.token.hmac_secret_key, b.client.token.hmac_secret_key);
    assert.notEqual(a.http_api.key, b.http_api.key);
    assert.notEqual(a.client.token.hmac_secret_key, a.http_api.key);
  });

  it("is the README's Try-it config: no admin block, localhost:3000 allowed, a chat namespace", () => {
    const g = generateConfig() as unknown as Record<string, unknown>;
    assert.equal('admin' in g, false);
    assert.deepEqual(generateConfig().client.allowed_origins, ['http://localhost:3000']);
    assert.deepEqual(
      generateConfig().channel.namespaces.map((n) => n.name),
      ['chat'],
    );
  });

  it('loads back without warnings and validates', () => {
    const generated = generateConfig();
    const { config, warnings } = loadConfig({ file: tempFile('config.json', generated), env: {} });
    assert.deepEqual(warnings, []);
    assert.equal(config.client.token.hmac_secret_key, generated.client.token.hmac_secret_key);
    assert.equal(config.http_api.key, generated.http_api.key);
  });
});
