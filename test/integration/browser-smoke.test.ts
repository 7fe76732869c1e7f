// The browser-test harness works: headless Chromium (test/helpers/browser.ts)
// loads a page from a local HTTP server, renders its text, runs its script and
// takes a screenshot. The admin web UI's tests stand on this.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';

const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Tributary browser smoke</title></head>
  <body>
    <h1>Hello from Tributary</h1>
    <p id="out">script did not run</p>
    <script>
      document.getElementById('out').textContent = 'script ran: ' + [1, 2, 3].map((n) => n * 2).join(',');
    </script>
  </body>
</html>`;

describe('browser smoke', () => {
  it('renders a page from 127.0.0.1, runs its script and takes a screenshot', async () => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), 'tributary-browser-smoke-'));
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser();
      const page = await browser.newPage();
      const res = await page.goto(`http://127.0.0.1:${port}/`, { timeout: 10_000 });
      assert.equal(res?.status(), 200);
      assert.equal(await page.title(), 'Tributary browser smoke');
      assert.equal(await page.locator('h1').innerText(), 'Hello from Tributary');
      assert.equal(await page.locator('#out').innerText(), 'script ran: 2,4,6');
      assert.equal(await page.evaluate('navigator.userAgent.includes("Chrome")'), true);
      const shot = join(dir, 'page.png');
      await page.screenshot({ path: shot });
      // A PNG file: its signature, then something more than an empty image.
      const png = readFileSync(shot);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(png.length > 1000, `screenshot is ${png.length} bytes`);
    } finally {
      await browser?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
