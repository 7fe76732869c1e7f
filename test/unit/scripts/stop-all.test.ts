// `npm run services:stop` must stop every service the tests can start. It cannot
// run inside the suite (it would stop the services under the other tests), so
// this checks that it names each of them: every script and port of
// test/services.json and every Redis port a test starts on its own.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../helpers/readme.js';

const stopAll = readFileSync(join(REPO_ROOT, 'scripts/services/stop-all.sh'), 'utf8');

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? testFiles(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));
}

describe('npm run services:stop', () => {
  it('is the package script', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.scripts['services:stop'], 'bash scripts/services/stop-all.sh');
  });

  it('stops every service of test/services.json, on its port', () => {
    const services = JSON.parse(readFileSync(join(REPO_ROOT, 'test/services.json'), 'utf8'));
    for (const [name, svc] of Object.entries<any>(services)) {
      if (name.startsWith('$')) continue;
      assert.ok(stopAll.includes(svc.ensure[1]), `${name}: ${svc.ensure[1]}`);
      const port = svc.ensure[3];
      if (port) assert.match(stopAll, new RegExp(`\\b${port}\\b`), `${name} on ${port}`);
    }
  });

  it('stops the scripts and Redis ports the tests start themselves', () => {
    const sources = testFiles(join(REPO_ROOT, 'test')).map((f) => readFileSync(f, 'utf8'));
    const scripts = new Set(sources.flatMap((s) => [...s.matchAll(/scripts\/services\/([a-z-]+\.sh)/g)].map((m) => m[1]!)));
    for (const script of scripts) if (script !== 'stop-all.sh') assert.ok(stopAll.includes(`scripts/services/${script}`), script);
    const ports = new Set(sources.flatMap((s) => [...s.matchAll(/redis\.sh[^\n]*?'(\d{5})'|PORT = '(\d{5})'/g)].map((m) => m[1] ?? m[2]!)));
    assert.ok(ports.size > 0);
    for (const port of ports) assert.match(stopAll, new RegExp(`\\b${port}\\b`), `Redis ${port}`);
  });
});
