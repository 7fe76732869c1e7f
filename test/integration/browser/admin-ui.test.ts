// The admin web UI end to end, in headless Chromium (playwright-core, Debian's
// chromium: test/helpers/browser.ts) against two Tributary nodes in this process
// sharing a Redis (the first with a real PostgreSQL outbox consumer): the login
// (a wrong password refused, then the right one), Status (both nodes, the four charts with data while
// publications flow), Actions (publish from the form reaches an SDK subscriber;
// a server error shows its code), Channel tail (history, then live
// publications), Consumers (a dead-lettered outbox row fixed in the database and
// retried through to the subscriber, another deleted) and the log out.
//
// It builds the UI into dist/admin-ui first (the directory the server serves).
// A screenshot of each page goes to a temp dir; with
// TRIBUTARY_UPDATE_SCREENSHOTS=1 to test/integration/browser/screenshots/ (what
// the README shows) instead.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../../helpers/browser.js';
import { ownRedisPrefix } from '../../helpers/cleanup.js';
import { redisUrl } from '../../helpers/redis.js';
import { subscribedClient } from '../../helpers/sdk.js';
import { startServer, token, type TestServer } from '../../helpers/server.js';
import {
  api,
  bulkInsert,
  cleanUp,
  consumerConfig,
  count,
  newOutbox,
  newPool,
  startOutboxServer,
  waitFor,
  type InProcess,
  type Outbox,
} from '../outbox/helpers.js';

const PASSWORD = 'admin-ui-test-password';
const ADMIN_SECRET = 'admin-ui-test-secret';
const NODE_NAME = 'tributary-1';
const OTHER_NODE = 'tributary-2';
const CHANNEL = 'orders';
const CONSUMER = 'orders_outbox';
/** How long a UI condition may take: the slowest is a chart sample (every 2 s) reaching the page's poll (every 2 s). */
const UI_TIMEOUT = 10_000;
const CHARTS = ['connections', 'publications', 'deliveries', 'latency'];

const UPDATE_SCREENSHOTS = process.env.TRIBUTARY_UPDATE_SCREENSHOTS === '1';
const SCREENSHOT_DIR = UPDATE_SCREENSHOTS ? fileURLToPath(new URL('./screenshots/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'tributary-admin-ui-'));

type BuildUi = (outDir?: string) => Promise<{ name: string; bytes: number; gzip: number }[]>;

/** scripts/build-ui.mjs is plain JavaScript without types: imported by URL and typed here. */
async function buildUi(): Promise<void> {
  const script = new URL('../../../scripts/build-ui.mjs', import.meta.url).href;
  const { buildUi: build } = (await import(script)) as { buildUi: BuildUi };
  await build();
}

type Subscriber = Awaited<ReturnType<typeof subscribedClient>>;

let pool: pg.Pool;
let box: Outbox;
let srv: InProcess;
/** The second node: same Redis, same admin secret, no consumer. */
let other: TestServer;
let browser: Browser;
let page: Page;
const subscribers: Subscriber[] = [];
/** Console errors and uncaught exceptions of the page, as "<kind>: <text> (<url>)". */
const pageErrors: string[] = [];
/** The offset of the publication sent from the Actions form. */
let actionOffset = 0;

let lastOrder = 1000;
const nextOrder = () => ++lastOrder;
const STATUSES = ['paid', 'paid', 'shipped', 'paid', 'delivered'];
/** An order as the trickle and the tail publish them. */
function orderData(status?: string): Record<string, unknown> {
  const order = nextOrder();
  return { order, status: status ?? STATUSES[order % STATUSES.length], amount: Number((19.99 + (order % 7) * 5).toFixed(2)) };
}

const sdkData = (s: Subscriber) => s.pubs.map((p) => p.data as unknown);

/** Publishes into CHANNEL through the server HTTP API; the offset. */
async function publish(data: unknown): Promise<number> {
  const r = await api(srv.httpUrl, 'publish', { channel: CHANNEL, data });
  if (r.error) throw new Error(`publish: ${JSON.stringify(r.error)}`);
  return r.result.offset as number;
}

/**
 * Polls a condition on the page until it holds (UI_TIMEOUT at most). Not
 * page.waitForFunction: Playwright runs its predicate through eval in the page,
 * which the admin's CSP (script-src 'self', no unsafe-eval) rightly refuses.
 */
function until(cond: () => Promise<boolean>, what: string, ms = UI_TIMEOUT): Promise<void> {
  return waitFor(cond, ms, what, 100);
}

/** Until the page's images (the logo) have loaded, so that screenshots show them. */
function waitImages(): Promise<void> {
  return until(async () => (await page.evaluate('[...document.images].every((img) => img.complete && img.naturalWidth > 0)')) === true, 'the images loaded');
}

/** A screenshot of the viewport (or the whole page), checked to be a non-trivial PNG. */
async function screenshot(name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await waitImages();
  await page.screenshot({ path, animations: 'disabled', caret: 'hide', ...opts });
  const png = readFileSync(path);
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${name}.png is a PNG`);
  assert.ok(png.length > 5_000 && png.length < 600_000, `${name}.png is ${png.length} bytes`);
}

/** Rows of the consumer's dead-letter table, oldest first. */
async function deadLetters(): Promise<{ id: string; channel: string }[]> {
  const r = await pool.query(`SELECT id::text AS id, payload->>'channel' AS channel FROM ${box.deadLetter} ORDER BY id`);
  return r.rows as { id: string; channel: string }[];
}

before(async () => {
  if (UPDATE_SCREENSHOTS) mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await buildUi();
  pool = newPool();
  box = await newOutbox('admin_ui');
  const shared = {
    engine: { type: 'redis', redis: { address: [redisUrl()], prefix: ownRedisPrefix(redisUrl(), 'admin_ui') } },
    admin: { enabled: true, password: PASSWORD, secret: ADMIN_SECRET },
    channel: { without_namespace: { allow_subscribe_for_client: true, history_size: 100, history_ttl: 600_000 } },
  };
  srv = await startOutboxServer([consumerConfig(CONSUMER, box, { num_partitions: 2 })], { config: { ...shared, node: { name: NODE_NAME } } as never });
  other = await startServer({ ...shared, node: { name: OTHER_NODE } } as never);
  // Three subscribers, so the status page has clients and deliveries to show; the first is the one the checks read.
  for (const user of ['alice', 'bob', 'carol']) subscribers.push(await subscribedClient(srv.wsUrl, CHANNEL, user, (u) => token(u)));
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
});

after(async () => {
  await browser?.close();
  for (const s of subscribers) s.client.disconnect();
  await srv?.stop();
  await other?.stop();
  await pool?.end();
  await cleanUp();
  if (!UPDATE_SCREENSHOTS) rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
});

describe('admin web UI in Chromium', () => {
  it('shows the login form, refuses a wrong password, logs in with the right one', async () => {
    await page.goto(`${srv.httpUrl}/`);
    await page.getByTestId('login-password').waitFor();
    assert.equal(await page.getByTestId('nav-status').count(), 0, 'no app before the login');
    await screenshot('login');

    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    assert.match(await page.getByTestId('login-error').innerText(), /Wrong password/);
    assert.equal(await page.evaluate("localStorage.getItem('token')"), null);

    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('nav-status').waitFor();
    assert.equal(await page.getByTestId('login-password').count(), 0);
    assert.ok(await page.evaluate("localStorage.getItem('token')"), 'the token is kept');
  });

  it('Status: shows every node and charts the traffic', async () => {
    await page.getByTestId('nav-status').click();
    const rows = page.locator('[data-testid="nodes-table"] tr[data-node]');
    await until(async () => (await rows.count()) === 2, 'both nodes in the table');
    assert.deepEqual((await Promise.all((await rows.all()).map((r) => r.getAttribute('data-node')))).sort(), [NODE_NAME, OTHER_NODE]);
    const row = page.locator(`[data-testid="nodes-table"] tr[data-node="${NODE_NAME}"]`);
    assert.equal(await row.getAttribute('data-uid'), srv.server.node.id);

    // The fewest points any of the four charts draws.
    const points = async () =>
      Math.min(...(await Promise.all(CHARTS.map(async (n) => Number((await page.getByTestId(`chart-${n}`).getAttribute('data-points')) ?? 0)))));
    const before = await points();

    // Orders trickle in through the HTTP API while the charts sample (every 2 s), at a rate that rises and
    // falls (10 to 70 a second), and viewers join one by one: charts with a shape, for the screenshot.
    const started = Date.now();
    let stop = false;
    let sent = 0;
    const trickle = (async () => {
      while (!stop) {
        const burst = 1 + Math.round(3 * (1 + Math.sin((Date.now() - started) / 2000)));
        await Promise.all(Array.from({ length: burst }, () => publish(orderData())));
        sent += burst;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const viewers = (async () => {
      for (const user of ['dave', 'erin', 'frank']) {
        await new Promise((r) => setTimeout(r, 2500));
        if (stop) return;
        subscribers.push(await subscribedClient(srv.wsUrl, CHANNEL, user, (u) => token(u)));
      }
    })();
    try {
      // Two samples after the trickle started are enough to check; four make charts worth a screenshot (~8 s).
      const want = Math.max(2, before + 4);
      await until(async () => (await points()) >= want, `every chart with ${want} points or more`, 15_000);
      // The newest sample covers the trickle: the node's rates are not zero.
      const cells = await row.locator('td').allInnerTexts();
      const [pubs, deliveries] = cells.slice(7, 9).map(Number);
      assert.ok(pubs! > 0, `publications/s in the table: ${cells.join(' | ')}`);
      assert.ok(deliveries! > pubs!, `deliveries/s (to 3 or more subscribers) in the table: ${cells.join(' | ')}`);
      const clients = Number(await row.locator('td').nth(3).innerText());
      assert.ok(clients >= 3, `clients in the table: ${clients}`);
      await screenshot('status', { fullPage: true });
    } finally {
      stop = true;
      await Promise.all([trickle, viewers]);
    }
    await waitFor(() => sdkData(subscribers[0]!).length === sent, 5000, `the ${sent} trickled publications at the SDK subscriber`);
  });

  it('Actions: publishes from the form to an SDK subscriber and shows a server error with its code', async () => {
    await page.getByTestId('nav-actions').click();
    await page.getByTestId('action-method').selectOption('publish');
    const data = { order: nextOrder(), status: 'shipped', carrier: 'DHL' };
    await page.getByTestId('param-channel').fill(CHANNEL);
    await page.getByTestId('param-data').fill(JSON.stringify(data, null, 2));
    const seen = sdkData(subscribers[0]!).length;
    await page.getByTestId('action-submit').click();

    const response = page.getByTestId('action-response');
    await response.waitFor();
    const reply = JSON.parse(await response.innerText()) as { result?: { offset?: number; epoch?: string }; error?: unknown };
    assert.equal(reply.error, undefined, JSON.stringify(reply));
    assert.equal(typeof reply.result?.offset, 'number');
    actionOffset = reply.result!.offset!;
    assert.ok(actionOffset > 0);
    await waitFor(() => sdkData(subscribers[0]!).length > seen, 5000, 'the publication at the SDK subscriber');
    assert.deepEqual(sdkData(subscribers[0]!).at(-1), data);
    assert.equal(subscribers[0]!.pubs.at(-1).offset, actionOffset);
    await screenshot('actions');

    // An unknown namespace: the server's error, code and message, in the page.
    await page.getByTestId('param-channel').fill('nope:x');
    await page.getByTestId('action-submit').click();
    await page.locator('[data-testid="action-error"]', { hasText: 'Error 102' }).waitFor();
    assert.match(await page.getByTestId('action-error').innerText(), /^Error 102: unknown channel/);
    const failed = JSON.parse(await response.innerText()) as { error?: { code: number } };
    assert.equal(failed.error?.code, 102);
    assert.equal(await response.getAttribute('class'), 'code code-error');
    assert.equal(sdkData(subscribers[0]!).length, seen + 1, 'nothing more reached the subscriber');
  });

  it('Channel tail: history from a limit, then live publications', async () => {
    await page.getByTestId('nav-tail').click();
    await page.getByTestId('tail-channel').fill(CHANNEL);
    await page.getByTestId('tail-limit').fill('5');
    await page.getByTestId('tail-start').click();
    await page.locator(`[data-testid="tail-list"] li[data-offset="${actionOffset}"][data-kind="history"]`).waitFor();
    await page.locator('[data-testid="tail-status"][data-state="live"]').waitFor();
    assert.equal(await page.locator('[data-testid="tail-list"] li[data-kind="history"]').count(), 5);

    const live: number[] = [];
    for (const status of ['paid', 'refunded', 'shipped']) {
      const data = orderData(status);
      const offset = await publish(data);
      live.push(offset);
      const row = page.locator(`[data-testid="tail-list"] li[data-offset="${offset}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-kind'), 'live');
      assert.equal(await row.locator('.tail-data').innerText(), JSON.stringify(data));
    }
    assert.deepEqual(live, [actionOffset + 1, actionOffset + 2, actionOffset + 3]);
    // Newest on top.
    assert.equal(await page.locator('[data-testid="tail-list"] li[data-offset]').first().getAttribute('data-offset'), String(actionOffset + 3));
    await screenshot('tail');
    await page.getByTestId('tail-stop').click();
    await page.locator('[data-testid="tail-status"][data-state="stopped"]').waitFor();
  });

  it('Consumers: a dead-lettered outbox row, fixed and retried to the subscriber; another deleted', async () => {
    const insert = (partition: number, payload: unknown) =>
      pool.query(`INSERT INTO ${box.table} (method, payload, partition) VALUES ('publish', $1, $2)`, [JSON.stringify(payload), partition]);
    // The page's first look, then rows through the outbox, then Refresh: the server has a rate to show.
    await page.getByTestId('nav-consumers').click();
    await page.locator(`[data-testid="consumers-table"] tr[data-consumer-row="${CONSUMER}"]`).waitFor();
    const section = page.locator(`section[data-consumer="${CONSUMER}"]`);
    await section.locator('.empty-note', { hasText: 'No dead letters.' }).waitFor();

    const seen = sdkData(subscribers[0]!).length;
    await bulkInsert(pool, box.table, 300, 2, 'stock-');
    const good = orderData('paid');
    await insert(0, { channel: CHANNEL, data: good });
    const bad = { order: nextOrder() };
    await insert(1, { channel: 'nowhere:x', data: bad }); // an unknown namespace: dead-lettered
    await insert(0, { channel: 'nowhere:y', data: { order: nextOrder() } });
    await waitFor(async () => (await deadLetters()).length === 2, 5000, 'two dead letters in the database');
    // The partitions run in parallel: which failed first is not known.
    const toRetry = (await deadLetters()).find((d) => d.channel === 'nowhere:x');
    const toDelete = (await deadLetters()).find((d) => d.channel === 'nowhere:y');
    assert.ok(toRetry && toDelete);
    await waitFor(() => sdkData(subscribers[0]!).length === seen + 1, 5000, 'the good outbox row at the subscriber');
    assert.deepEqual(sdkData(subscribers[0]!).at(-1), good);
    await waitFor(async () => (await count(pool, box.table)) === 0, 5000, 'the outbox emptied');

    const row = (id: string) => section.locator(`[data-testid="dlq-row"][data-id="${id}"]`);
    // The page polls every 5 s; Refresh asks at once.
    await page.getByTestId('consumers-refresh').click();
    await row(toRetry.id).waitFor();
    await row(toDelete.id).waitFor();
    assert.match(await row(toRetry.id).innerText(), /102: unknown channel/);
    assert.equal(await section.getByTestId('consumer-health').getAttribute('data-healthy'), 'true');
    assert.notEqual(await section.locator('.consumer-rate strong').innerText(), '0', 'the rows between the two looks make a rate');
    await screenshot('consumers');

    // The operator fixes the row's channel, then retries it from the page: it is published.
    await pool.query(`UPDATE ${box.deadLetter} SET payload = jsonb_set(payload, '{channel}', $1::jsonb) WHERE id = $2`, [JSON.stringify(CHANNEL), toRetry.id]);
    await row(toRetry.id).getByTestId('dlq-select').check();
    await section.getByTestId('dlq-retry').click();
    await section.locator('[data-testid="dlq-note"]', { hasText: 'Retried 1 dead letter' }).waitFor();
    await row(toRetry.id).waitFor({ state: 'detached' });
    await waitFor(() => sdkData(subscribers[0]!).length === seen + 2, 5000, 'the retried row at the subscriber');
    assert.deepEqual(sdkData(subscribers[0]!).at(-1), bad);

    // Delete asks first.
    await row(toDelete.id).getByTestId('dlq-select').check();
    await section.getByTestId('dlq-delete').click();
    await section.getByTestId('dlq-confirm-delete').click();
    await section.locator('[data-testid="dlq-note"]', { hasText: 'Deleted 1 dead letter' }).waitFor();
    await row(toDelete.id).waitFor({ state: 'detached' });
    assert.deepEqual(await deadLetters(), []);
    await section.locator('.empty-note', { hasText: 'No dead letters.' }).waitFor();
  });

  it('logs out back to the login form', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('login-password').waitFor();
    assert.equal(await page.getByTestId('nav-status').count(), 0);
    assert.equal(await page.evaluate("localStorage.getItem('token')"), null);
    // A reload stays logged out.
    await page.reload();
    await page.getByTestId('login-password').waitFor();
  });

  it('had no errors in the page but the wrong password’s 400', () => {
    const unexpected = pageErrors.filter((e) => !/^console: Failed to load resource: the server responded with a status of 40[01] .*\/admin\/auth\)$/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
