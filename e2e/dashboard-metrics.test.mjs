// Real-browser test of the dashboard's metrics panel (js/metrics.js) against the stack that
// `make up` started (or `make up OBSERVE=1`: then the plots come from Prometheus).
//
//   make e2e E2E_FILES=dashboard-metrics.test.mjs
//
// Environment: TRIAD_URL, TRIAD_ARTIFACTS (screenshots, default <repo>/target), CHROMIUM.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BASE as STACK_BASE, INSTANCES, ROOT, request, createItem } from './lib/stack.mjs';

const BASE = STACK_BASE.replace(/\/+$/, '');
const ARTIFACTS = process.env.TRIAD_ARTIFACTS || path.join(ROOT, 'target');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHARTS = ['rps', 'latency', 'errors', 'cache'];

async function shoot(page, file) {
  await mkdir(ARTIFACTS, { recursive: true });
  const p = path.join(ARTIFACTS, file);
  await page.locator('#metrics').screenshot({ path: p });
  return p;
}

describe('dashboard metrics panel', { timeout: 180_000 }, () => {
  let browser;
  let context;
  let page;
  const problems = [];

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.exposeBinding('__triadCsp', (_s, v) => problems.push(`CSP: ${JSON.stringify(v)}`));
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => window.__triadCsp({ directive: e.violatedDirective, blocked: e.blockedURI }));
    });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e}`));
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`); });
  });

  after(async () => {
    await browser?.close();
  });

  test('GET /api/stats answers from Prometheus or from the instance, never a PromQL of the client', async () => {
    const r = await request('GET', '/api/stats');
    assert.equal(r.status, 200);
    const body = r.json;
    assert.ok(['prometheus', 'instance'].includes(body.source), `source ${body.source}`);
    assert.ok(INSTANCES.includes(body.instance));
    if (body.source === 'instance') {
      assert.equal(typeof body.counters.requests, 'number');
      assert.equal(body.counters.buckets.length, 11);
    } else {
      assert.ok(body.series.requestsPerSecond, 'requests per second per instance');
    }
    assert.equal((await request('POST', '/api/stats', { body: {} })).status, 405);
  });

  test('before the first answer every plot shows its empty state (screenshot)', async () => {
    // Hold /api/stats back: the panel as a user sees it before data arrives.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/api/stats', async (route) => { await held; await route.continue(); });
    await page.goto(`${BASE}/`, { waitUntil: 'load' });
    await page.waitForSelector('#chart-cache');
    for (const id of CHARTS) {
      assert.equal(await page.getAttribute(`#chart-${id}`, 'data-state'), 'empty', `${id} starts empty`);
      assert.equal(await page.locator(`#chart-${id} .chart__empty`).innerText(), 'Waiting for data…');
    }
    await shoot(page, 'dashboard-metrics-empty.png');
    release();
    // Waits for the held requests' handlers: a plain unroute races them (route already handled).
    await page.unrouteAll({ behavior: 'wait' });
  });

  test('with traffic, every plot draws a line and names its source (screenshot)', async () => {
    // Reads with cache hits, a 404 or two, spread over the instances, while the page samples.
    const { json: item } = await createItem(`metrics panel ${Date.now()}`);
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        await Promise.all([request('GET', `/api/items/${item.id}`), request('GET', '/api/instance'), request('GET', '/api/items/999999999')]);
        await new Promise((resolve) => setTimeout(resolve, 20)); // a shared machine: no flood
      }
    })();
    try {
      await page.waitForFunction((ids) => ids.every((id) => document.getElementById(`chart-${id}`)?.dataset.state === 'data'),
        CHARTS, { timeout: 90_000 });
    } finally {
      stop = true;
      await traffic;
    }
    const source = await page.getAttribute('#charts', 'data-source');
    assert.match(await page.locator('#metrics-source').innerText(), source === 'prometheus' ? /^Source: Prometheus/ : /^Source: the instances' own counters/);
    for (const id of CHARTS) assert.ok(await page.locator(`#chart-${id} path.chart__line`).count() >= 1, `${id} has a line`);
    // One line per instance, each in its instance colour, and a current value in the legend.
    const keys = await page.locator('#chart-rps .chart__key').allInnerTexts();
    for (const n of INSTANCES) assert.ok(keys.some((k) => k.startsWith(n) && /\/s$/.test(k)), `${n} in ${keys}`);
    assert.match((await page.locator('#chart-latency .chart__key').allInnerTexts()).join(' '), /p50 .*m?s.*p99 /);
    assert.match(await page.locator('#chart-cache .chart__key').innerText(), /hits \d+(\.\d)? %/);
    await shoot(page, 'dashboard-metrics.png');
    assert.deepEqual(problems, [], 'no CSP violation, console error or uncaught exception');
  });
});
