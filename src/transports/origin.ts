// client.allowed_origins: empty → only requests without an Origin header
// (non-browser clients); "*" → everyone; otherwise glob patterns matched
// against the lowercased origin.

import { compileGlob, type Glob } from '../util/glob.js';

export class OriginCheck {
  private readonly any: boolean;
  private readonly patterns: Glob[];

  constructor(allowed: string[]) {
    this.any = allowed.includes('*');
    this.patterns = allowed.filter((a) => a !== '*').map((a) => compileGlob(a.toLowerCase()));
  }

  allowed(origin: string | undefined): boolean {
    if (origin === undefined || origin === '') return true;
    if (this.any) return true;
    const o = origin.toLowerCase();
    return this.patterns.some((p) => p.test(o));
  }
}
