// Real-browser test of the dashboard at GET /, against the stack that `make up` started.
//
//   make e2e        (all e2e tests)     or     cd e2e && node --test dashboard.test.mjs
//
// Environment:
//   TRIAD_URL            base URL of the stack (default: lib/stack.mjs, http://127.0.0.1:9999)
//   TRIAD_STOP_INSTANCE  the instance stopped and restarted by the outage test (default web2)
//   TRIAD_COMPOSE        a compose command to run instead of lib/stack.mjs's
//                        `docker compose -f compose/compose.yaml --project-name triad`
//                        (e.g. for a stand-in of the stack)
//   TRIAD_SKIP_OUTAGE=1  skip the stop/start test (on a stack this test must not touch)
//   TRIAD_ARTIFACTS      where screenshots go (default <repo>/target)
//   CHROMIUM             the browser binary (default /usr/bin/chromium)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { BASE as STACK_BASE, INSTANCES, ROOT, compose as stackCompose } from './lib/stack.mjs';

const BASE = STACK_BASE.replace(/\/+$/, '');
const ARTIFACTS = process.env.TRIAD_ARTIFACTS || path.join(ROOT, 'target');
const VICTIM = process.env.TRIAD_STOP_INSTANCE || 'web2';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const run = promisify(execFile);

/** `compose stop web2` etc.: lib/stack.mjs's docker compose, or TRIAD_COMPOSE when set. */
async function compose(...args) {
  if (!process.env.TRIAD_COMPOSE) return stackCompose(...args);
  const [cmd, ...rest] = process.env.TRIAD_COMPOSE.split(/\s+/).filter(Boolean);
  const { stdout } = await run(cmd, [...rest, ...args], { cwd: ROOT, timeout: 180_000 });
  return stdout;
}

/**
 * Watches a page for console errors, uncaught exceptions and CSP violations.
 * "Failed to load resource" for /api/ URLs is the browser logging an API answer with an error
 * status (a 400 we provoke on purpose, a 502 while an instance is stopped); the page shows those
 * itself, so they are kept apart from real errors.
 */
async function watch(context, page) {
  const w = { consoleErrors: [], apiErrors: [], pageErrors: [], csp: [], badAssets: [] };
  await context.exposeBinding('__triadCspViolation', (_source, v) => w.csp.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__triadCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber });
    });
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url || '';
    const entry = { text: m.text(), url };
    if (/^Failed to load resource/.test(entry.text) && url.startsWith(`${BASE}/api/`)) w.apiErrors.push(entry);
    else w.consoleErrors.push(entry);
  });
  page.on('pageerror', (e) => w.pageErrors.push(String(e?.stack || e)));
  page.on('response', (r) => {
    if (!r.url().startsWith(`${BASE}/api/`) && r.status() >= 400) w.badAssets.push(`${r.status()} ${r.url()}`);
  });
  return w;
}

function assertClean(w, { allowApiErrors }) {
  assert.deepEqual(w.csp, [], 'no Content-Security-Policy violations');
  assert.deepEqual(w.pageErrors, [], 'no uncaught exceptions');
  assert.deepEqual(w.consoleErrors, [], 'no console errors');
  assert.deepEqual(w.badAssets, [], 'every page asset loads');
  if (!allowApiErrors) assert.deepEqual(w.apiErrors, [], 'no failed API request');
}

/** Every instance in `names` has at least one cell in the strip. */
function stripHasAll(names) {
  const seen = new Set([...document.querySelectorAll('#strip > li[data-instance]')].map((e) => e.dataset.instance));
  return names.every((n) => seen.has(n));
}

const rowSelector = (name, state) => `#cluster-body tr[data-instance="${name}"]${state ? `[data-state="${state}"]` : ''}`;

async function shoot(page, file) {
  await mkdir(ARTIFACTS, { recursive: true });
  const p = path.join(ARTIFACTS, file);
  await page.screenshot({ path: p, fullPage: true });
  return p;
}

describe('dashboard', { timeout: 300_000 }, () => {
  let browser;
  let context;
  let page;
  const watchers = [];
  let mainWatcher;
  let createdName;

  /** A new browser context (an empty HTTP cache) with a watched page. */
  async function freshPage(options = { viewport: { width: 1280, height: 900 } }) {
    const ctx = await browser.newContext(options);
    const pg = await ctx.newPage();
    const w = await watch(ctx, pg);
    watchers.push(w);
    return { ctx, pg, w };
  }

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  after(async () => {
    await browser?.close();
  });

  /** On failure, keep a screenshot of what the page showed. */
  async function step(name, fn) {
    try {
      await fn();
    } catch (e) {
      try { await shoot(page, `dashboard-failure-${name}.png`); } catch { /* the page may be gone */ }
      throw e;
    }
  }

  test('GET / serves the page with its security headers; it loads with no console error and no CSP violation', async () => {
    const { ctx, pg, w } = await freshPage();
    context = ctx;
    page = pg;
    mainWatcher = w;
    await step('load', async () => {
      const res = await page.goto(`${BASE}/`, { waitUntil: 'load' });
      assert.equal(res.status(), 200);
      const h = res.headers();
      assert.match(h['content-type'] || '', /^text\/html/);
      assert.match(h['content-security-policy'] || '', /script-src 'self'/, 'the page is served under the CSP');
      assert.match(h['content-security-policy'] || '', /style-src 'self'/);
      assert.equal(h['x-content-type-options'], 'nosniff');

      assert.equal(await page.locator('h1').innerText(), 'triad');
      // The modules ran: every panel received its first data.
      await page.waitForSelector('#strip > li', { timeout: 5000 });
      await page.waitForSelector('#cluster-body tr[data-instance]', { timeout: 5000 });
      await page.waitForFunction(() => document.querySelector('#item-list > li') || /No items yet/.test(document.getElementById('list-meta').textContent), null, { timeout: 5000 });
      assertClean(w, { allowApiErrors: false });
    });
  });

  test('within 5 s of opening the page the strip shows every instance, each cell with colour and text', async () => {
    // A new context, so the time counts from a first visit (nothing cached).
    await context?.close();
    ({ ctx: context, pg: page, w: mainWatcher } = await freshPage());
    await step('strip', async () => {
      const t0 = Date.now();
      await page.goto(`${BASE}/`, { waitUntil: 'commit' });
      await page.waitForFunction(stripHasAll, INSTANCES, { timeout: Math.max(1, 5000 - (Date.now() - t0)) });

      const cells = await page.$$eval('#strip > li', (lis) => lis.map((li) => ({
        instance: li.dataset.instance, text: li.textContent.trim(), bg: getComputedStyle(li).backgroundColor,
      })));
      assert.ok(cells.length > 0 && cells.length <= 60);
      for (const c of cells) assert.ok(c.text.length > 0, 'every cell carries text, not colour alone');
      const colours = new Map();
      for (const c of cells.filter((x) => x.instance)) colours.set(c.instance, c.bg);
      assert.equal(new Set(INSTANCES.map((n) => colours.get(n))).size, INSTANCES.length, 'each instance has its own colour');

      for (const n of INSTANCES) {
        const count = await page.locator(`#legend li[data-instance="${n}"] .legend__count`).innerText();
        assert.match(count, /^[1-9]\d* of last \d+$/, `a live count for ${n}`);
      }
    });
  });

  test('the cluster table lists every instance as LIVE with version, start, last seen and requests served', () => step('cluster', async () => {
    for (const n of INSTANCES) await page.waitForSelector(rowSelector(n, 'live'), { timeout: 10_000 });
    for (const n of INSTANCES) {
      const row = page.locator(rowSelector(n));
      assert.equal(await row.locator('th[scope="row"]').innerText().then((t) => t.includes(n)), true);
      assert.match(await row.locator('.badge').innerText(), /LIVE/);
      assert.notEqual((await row.locator('.cell-version').innerText()).trim(), '–');
      assert.match(await row.locator('.cell-seen').innerText(), /ago/);
      assert.match(await row.locator('td.num').innerText(), /\d/);
    }
    assert.equal(await page.locator('#cluster-table thead th[scope="col"]').count(), 6);
    assert.match(await page.locator('#total-requests').innerText(), /\d/);
    assert.equal(await page.locator('#degraded').isHidden(), true, 'not degraded');
    assert.match(await page.locator('#redis-state').innerText(), /OK/);
  }));

  test('creating an item through the form shows it in the list; opening it shows X-Cache and ETag', () => step('create', async () => {
    createdName = `e2e item ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
    await page.fill('#item-name', createdName);
    await page.fill('#item-description', 'made by the dashboard browser test');
    await page.fill('#item-quantity', '7');

    const isPost = (r) => r.url() === `${BASE}/api/items` && r.request().method() === 'POST';
    const posted = page.waitForResponse(isPost, { timeout: 15_000 });
    await page.press('#item-quantity', 'Enter'); // keyboard submit
    const res = await posted;
    const req = res.request();
    assert.equal(res.status(), 201);
    assert.match(req.headers()['content-type'], /^application\/json/);
    assert.match(req.headers()['idempotency-key'] || '', UUID, 'an Idempotency-Key per submission');
    assert.deepEqual(req.postDataJSON(), { name: createdName, description: 'made by the dashboard browser test', quantity: 7 });
    const created = await res.json();

    const button = page.locator('#item-list button', { hasText: createdName });
    await button.waitFor({ timeout: 10_000 });
    assert.match(await button.innerText(), new RegExp(`#${created.id}\\b`));
    assert.match(await page.locator('#form-status').innerText(), new RegExp(`Created item #${created.id}`));
    assert.equal(await page.inputValue('#item-name'), '', 'the form is cleared');

    // Open it with the keyboard and compare what is shown with what the API answered.
    const isGet = (r) => r.url() === `${BASE}/api/items/${created.id}` && r.request().method() === 'GET';
    let read = page.waitForResponse(isGet, { timeout: 10_000 });
    await button.focus();
    await page.keyboard.press('Enter');
    let got = await read;
    assert.equal(got.status(), 200);
    await page.waitForFunction((id) => document.getElementById('detail-body').dataset.itemId === String(id), created.id, { timeout: 5000 });
    const first = { cache: got.headers()['x-cache'], etag: got.headers().etag };
    assert.match(first.cache || '', /^(HIT|MISS|BYPASS)$/, 'the API answers X-Cache');
    assert.match(first.etag || '', /^(W\/)?"1"$/, 'the API answers ETag "<version>"');
    assert.equal(await page.locator('#detail-cache .badge__value').innerText(), first.cache);
    assert.equal(await page.locator('#detail-etag .badge__value').innerText(), first.etag);
    assert.match(await page.locator('#detail-body').innerText(), new RegExp(createdName));

    // Read again: after a MISS the cache holds it, so the next read is a HIT.
    read = page.waitForResponse(isGet, { timeout: 10_000 });
    await page.click('#detail-again');
    got = await read;
    const second = got.headers()['x-cache'];
    await page.waitForFunction((v) => document.querySelector('#detail-cache .badge__value')?.textContent === v, second, { timeout: 5000 });
    if (first.cache !== 'BYPASS') assert.equal(second, 'HIT', 'a second read is served from the cache');
  }));

  test('an invalid name shows the API\'s message next to the name field', () => step('invalid', async () => {
    // What the API itself says about a blank name:
    const direct = await fetch(`${BASE}/api/items`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: '   ' }),
    });
    assert.equal(direct.status, 400);
    assert.match(direct.headers.get('content-type') || '', /^application\/problem\+json/);
    const problem = await direct.json();
    assert.match(problem.detail, /\bname\b/);

    await page.fill('#item-name', '   ');
    await page.fill('#item-description', '');
    await page.fill('#item-quantity', '');
    await page.click('#item-submit');
    const error = page.locator('#item-name-error');
    await error.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await error.innerText()).trim(), problem.detail);
    assert.equal(await page.getAttribute('#item-name', 'aria-invalid'), 'true');
    assert.match(await page.getAttribute('#item-name', 'aria-describedby'), /\bitem-name-error\b/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'item-name', 'focus moves to the field');
    assert.equal(await page.evaluate(() => document.getElementById('item-name-error').closest('.field')
      === document.getElementById('item-name').closest('.field')), true, 'the message sits next to the field');
    assert.equal(await page.locator('#form-error').isHidden(), true, 'not (only) in the general error area');
    assert.equal(await page.locator('#item-description').getAttribute('aria-invalid'), null);
  }));

  test('screenshots at 1280 px and 375 px; no horizontal scrolling on a phone', () => step('screens', async () => {
    const desktop = await shoot(page, 'dashboard.png');

    const { ctx: mobileContext, pg: mobile, w: mw } = await freshPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    try {
      await mobile.goto(`${BASE}/`, { waitUntil: 'load' });
      await mobile.waitForFunction(stripHasAll, INSTANCES, { timeout: 5000 });
      for (const n of INSTANCES) await mobile.waitForSelector(rowSelector(n, 'live'), { timeout: 10_000 });
      await mobile.locator('#item-list button', { hasText: createdName || '' }).first().waitFor({ timeout: 10_000 });
      const width = await mobile.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 375, `page is ${width} px wide at a 375 px viewport`);
      await mkdir(ARTIFACTS, { recursive: true });
      await mobile.screenshot({ path: path.join(ARTIFACTS, 'dashboard-mobile.png'), fullPage: true });
      assertClean(mw, { allowApiErrors: false });
    } finally {
      await mobileContext.close();
    }
    console.log(`screenshots: ${desktop}, ${path.join(ARTIFACTS, 'dashboard-mobile.png')}`);
  }));

  test(`stopping ${VICTIM} marks it STALE within 15 s; starting it again clears the mark`,
    { skip: process.env.TRIAD_SKIP_OUTAGE === '1' && 'TRIAD_SKIP_OUTAGE=1' }, () => step('outage', async () => {
      await page.waitForSelector(rowSelector(VICTIM, 'live'), { timeout: 10_000 });
      const t0 = Date.now();
      let stopped;
      try {
        // Watch while compose stops it: the graceful shutdown itself may take seconds.
        stopped = compose('stop', VICTIM);
        stopped.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
        await page.waitForSelector(rowSelector(VICTIM, 'stale'), { timeout: 15_000 });
        const staleAfter = Date.now() - t0;
        const row = page.locator(rowSelector(VICTIM));
        assert.match(await row.innerText(), /STALE/, 'stale is said in text, not only shown in colour');
        assert.match(await page.locator('#log').innerText(), new RegExp(`${VICTIM} is STALE`));
        for (const n of INSTANCES.filter((x) => x !== VICTIM)) await page.waitForSelector(rowSelector(n, 'live'), { timeout: 5000 });
        await stopped;
        await shoot(page, 'dashboard-stale.png');
        console.log(`${VICTIM} shown STALE ${staleAfter} ms after "compose stop" began`);
      } finally {
        await stopped?.catch(() => {});
        await compose('start', VICTIM);
      }
      const t1 = Date.now();
      await page.waitForSelector(rowSelector(VICTIM, 'live'), { timeout: 120_000 });
      assert.doesNotMatch(await page.locator(rowSelector(VICTIM)).innerText(), /STALE/);
      console.log(`${VICTIM} live again ${Date.now() - t1} ms after "compose start"`);
      await page.waitForFunction(stripHasAll, INSTANCES, { timeout: 30_000 });
    }));

  test('no uncaught exception, console error or CSP violation during the run', () => {
    // API answers with error statuses (the provoked 400, a 502 during the outage) are expected here.
    for (const w of watchers) assertClean(w, { allowApiErrors: true });
  });
  test('reloading revalidates the page and its assets without an error', () => step('reload', async () => {
    const res = await page.reload({ waitUntil: 'load' });
    assert.ok(res && res.status() < 400, `the reload answered ${res?.status()} (the browser sends If-None-Match for the cached page)`);
    await page.waitForFunction(stripHasAll, INSTANCES, { timeout: 10_000 });
    assertClean(mainWatcher, { allowApiErrors: true });
  }));

});
