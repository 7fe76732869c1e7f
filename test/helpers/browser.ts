// A headless Chromium for browser tests, driven by playwright-core (never
// Playwright's own browser downloads). The executable is TRIBUTARY_TEST_CHROMIUM when
// set (the runner sets it from test/services.json), else what
// scripts/services/chromium.sh ensure prints: /usr/bin/chromium or chromium on
// PATH, installing the Debian chromium package first when neither exists (see
// services.ts). Never skipped: a Chromium that cannot be found, installed or
// launched fails the test, with CI=true or without.

import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { serviceAddress } from './services.js';

/** The Chromium executable the browser tests run. */
export function chromiumPath(): string {
  const path = serviceAddress('TRIBUTARY_TEST_CHROMIUM', 'scripts/services/chromium.sh');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`TRIBUTARY_TEST_CHROMIUM=${path} is not an executable file (unset it to use /usr/bin/chromium, installed if missing)`);
  }
  return path;
}

/** A headless Chromium; the caller closes it (browser.close(), in a finally or an after hook). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      timeout: 30_000,
      args: [
        // We run as root (apt installs), where Chromium's sandbox refuses to start.
        '--no-sandbox',
        // Containers often have a 64 MB /dev/shm, too small for Chromium's shared memory.
        '--disable-dev-shm-usage',
        '--disable-gpu',
      ],
    });
  } catch (err) {
    throw new Error(`cannot launch Chromium (${executablePath}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
