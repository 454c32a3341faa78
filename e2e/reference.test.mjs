// Real-browser test of the API reference page (GET /reference.html: Swagger UI over GET
// /openapi), against the stack that `make up` started: reached from the dashboard's link,
// served under the dashboard's Content-Security-Policy, renders every operation, and its
// "Try it out" reaches the API. CHROMIUM: the browser binary (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import YAML from 'yaml';
import { BASE as STACK_BASE, request } from './lib/stack.mjs';

const BASE = STACK_BASE.replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let browser;

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
after(async () => {
  await browser?.close();
});

test('GET /openapi through :9999 is the description, as YAML', async () => {
  const r = await request('GET', '/openapi');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/yaml/);
  const doc = YAML.parse(r.text);
  assert.match(doc.openapi, /^3\.1\./);
  assert.ok(doc.paths['/api/items/{id}'].put, 'the description names PUT /api/items/{id}');
});

test('the reference page: linked from the dashboard, same CSP, every operation shown, Try it out works, no violation', { timeout: 120_000 }, async () => {
  const [dashboard, reference] = [await request('GET', '/'), await request('GET', '/reference.html')];
  assert.equal(reference.status, 200);
  assert.ok(dashboard.headers.get('content-security-policy'), 'the dashboard has a CSP');
  assert.equal(reference.headers.get('content-security-policy'), dashboard.headers.get('content-security-policy'),
    'the reference page is served under the dashboard\'s Content-Security-Policy');

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const seen = { csp: [], pageErrors: [], consoleErrors: [], external: [], failed: [] };
  await context.exposeBinding('__cspViolation', (_s, v) => seen.csp.push(v));
  await context.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) =>
    window.__cspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile })));
  const page = await context.newPage();
  page.on('pageerror', (e) => seen.pageErrors.push(String(e?.stack || e)));
  page.on('console', (m) => { if (m.type() === 'error') seen.consoleErrors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('data:')) seen.external.push(r.url()); });
  page.on('response', (r) => { if (r.status() >= 400) seen.failed.push(`${r.status()} ${r.url()}`); });
  try {
    await page.goto(`${BASE}/`);
    await page.getByRole('link', { name: 'API reference' }).click();
    await page.waitForURL(`${BASE}/reference.html`);
    // Every operation of the description is rendered (one .opblock each).
    const doc = YAML.parse((await request('GET', '/openapi')).text);
    const operations = Object.values(doc.paths).flatMap((item) => Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete'].includes(k)));
    await page.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, operations.length, { timeout: 30_000 });
    assert.ok(await page.getByText('Create an item').first().isVisible());

    // "Try it out" on GET /api/instance: the request leaves from the page (connect-src 'self').
    const block = page.locator('#operations-cluster-getInstance');
    await block.locator('.opblock-summary').click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    await block.getByRole('button', { name: 'Execute' }).click();
    const status = block.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    assert.match((await status.innerText()).trim(), /^200\b/, 'the page sent GET /api/instance and showed its 200');
  } finally {
    await context.close();
  }
  assert.deepEqual(seen.csp, [], 'no Content-Security-Policy violation');
  assert.deepEqual(seen.pageErrors, [], 'no uncaught exception');
  assert.deepEqual(seen.consoleErrors, [], 'no console error');
  assert.deepEqual(seen.external, [], 'nothing is loaded from outside the stack (no CDN)');
  assert.deepEqual(seen.failed, [], 'every asset and API call answered');
});
