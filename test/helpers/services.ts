// The address of a service a test needs: what the runner (scripts/run-tests.mjs)
// put in the environment, or else what the project's own script prints when it
// starts the service (its last stdout line). Never skipped: a service that
// cannot be started fails the test.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function serviceAddress(env: string, script: string, ...args: string[]): string {
  const given = process.env[env];
  if (given) return given;
  const r = spawnSync('bash', [script, 'ensure', ...args], { cwd: root, encoding: 'utf8' });
  const out = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !out) throw new Error(`cannot start a test service (${[script, 'ensure', ...args].join(' ')}):\n${r.stderr}`);
  process.env[env] = out;
  return out;
}
