// The NATS the bench's Nats-broker runs share: the project's own, from
// scripts/services/nats.sh (installed and started when missing).

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './servers.js';

/** `scripts/services/nats.sh ensure`: the URL it prints last. */
export function ensureLocalNats(): string {
  const script = path.join(REPO_ROOT, 'scripts/services/nats.sh');
  let out: string;
  try {
    out = execFileSync('bash', [script, 'ensure'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
  } catch (err) {
    throw new Error(`scripts/services/nats.sh ensure failed: ${(err as Error).message}`);
  }
  const url = out.trim().split('\n').pop()?.trim() ?? '';
  if (!url.startsWith('nats://')) throw new Error(`scripts/services/nats.sh ensure printed no nats:// URL as its last line: ${JSON.stringify(out)}`);
  return url;
}
