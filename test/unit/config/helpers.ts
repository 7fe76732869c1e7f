// Temp config files for loader tests; each test gets its own directory.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export function tempFile(name: string, content: string | object): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-config-'));
  dirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/** A path that does not exist. */
export function missingFile(name = 'config.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-config-'));
  dirs.push(dir);
  return join(dir, name);
}
