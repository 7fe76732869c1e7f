// The project's service scripts, as the bench uses them: `scripts/services/<name>.sh
// ensure` installs and starts (or builds) what is missing and prints where it
// is as its last line: a URL, or a binary's path.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServiceScript {
  /** scripts/services/<name>.sh */
  name: string;
  /** What the last line must start with (redis://, nats://, / for a path), and how to say it in an error. */
  prints: string;
  what: string;
  /** How to do without the script, for the error. */
  instead?: string;
  timeoutMs?: number;
}

/** Runs the script's `ensure` and returns its last line. */
export function ensureService(s: ServiceScript): string {
  const script = `scripts/services/${s.name}.sh`;
  let out: string;
  try {
    out = execFileSync('bash', [path.join(REPO_ROOT, script), 'ensure'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: s.timeoutMs ?? 300_000,
    });
  } catch (err) {
    throw new Error(`${script} ensure failed${s.instead ? ` (${s.instead})` : ''}: ${(err as Error).message}`);
  }
  const last = out.trim().split('\n').pop()?.trim() ?? '';
  if (!last.startsWith(s.prints)) throw new Error(`${script} ensure printed no ${s.what} as its last line: ${JSON.stringify(out)}`);
  return last;
}

/** The project's NATS (scripts/services/nats.sh: Debian's nats-server on 127.0.0.1:14222), started when needed; its URL. */
export function ensureLocalNats(): string {
  return ensureService({ name: 'nats', prints: 'nats://', what: 'nats:// URL' });
}
