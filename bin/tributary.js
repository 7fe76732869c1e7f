#!/usr/bin/env node
// Launcher for the compiled CLI. dist/ is made by `npm run build` (npm start
// builds first); a checkout that was never built gets a hint, not a stack.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'tributary: this checkout is not built yet (dist/main.js is missing).\n' +
      'Run `npm ci && npm run build` first, or `npm start` to build and serve in one step.\n',
  );
  process.exit(1);
}
await import(main.href);
