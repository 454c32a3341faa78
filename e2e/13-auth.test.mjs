// 13. Authentication in Compose (issue 21): `make up AUTH=1` turns bearer tokens on with the
// development issuer; through Nginx, writes without a token are refused (401 problem+json with
// WWW-Authenticate), writes with `make token` are accepted, a token without the scope is 403,
// every write has its audit line, reads stay public, and no token appears in any container's
// log (Nginx passes Authorization on and does not log it). The file switches the stack itself
// and puts the mode back as it found it (compose/.env's TRIAD_AUTH), so `make e2e` stays
// runnable against a plain `make up`. E2E_MAKE_ARGS adds arguments to the make calls (for
// example SKIP_IMAGE=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, ROOT, compose, newKey, request, run, waitAllServing, waitFor } from './lib/stack.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const makeArgs = (process.env.E2E_MAKE_ARGS ?? '').split(/\s+/).filter(Boolean);
const mode = () => (readFileSync(path.join(ROOT, 'compose', '.env'), 'utf8').match(/^TRIAD_AUTH=(.*)$/m)?.[1] ?? '0').trim();
let modeBefore;
const tokens = [];

async function token(...args) {
  const t = (await run('make', ['--no-print-directory', '-s', 'token', ...args])).trim();
  tokens.push(t);
  return t;
}

function assertProblem(r, status) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/, 'Nginx request id');
  assert.equal(r.json.status, status);
}

/** The audit line of a request id, from the instances' logs (written once the answer went out). */
async function auditLine(requestId) {
  return waitFor(`the audit line of ${requestId}`, async () => {
    const logs = await compose('logs', '--no-log-prefix', 'web1', 'web2', 'web3');
    return logs.split('\n').find((l) => l.includes(' io.triad.audit ') && l.includes(`[${requestId}`));
  }, { timeoutMs: 10_000, intervalMs: 250 });
}

before(async () => {
  modeBefore = mode();
  const out = await run('make', ['up', 'AUTH=1', ...makeArgs], { timeoutMs: 480_000 });
  assert.match(out, /authentication on: item writes need a bearer token/);
  assert.equal(mode(), '1', 'make up AUTH=1 records TRIAD_AUTH=1 in compose/.env');
  await waitAllServing();
});

after(async () => {
  const out = await run('make', ['up', `AUTH=${modeBefore}`, ...makeArgs], { timeoutMs: 480_000 });
  if (modeBefore !== '1') assert.match(out, /authentication off: anyone who reaches the port can create/);
  await waitAllServing();
});

test('writes need a token of the issuer with items:write; reads stay public; every write is audited', { timeout: 120_000 }, async () => {
  const body = { name: `e2e-auth-${newKey().slice(4, 12)}` };

  const anonymous = await request('POST', '/api/items', { body, headers: { 'idempotency-key': newKey() } });
  assertProblem(anonymous, 401);
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="triad"');
  assert.match(await auditLine(anonymous.headers.get('x-request-id')), /write POST item=- outcome=missing status=401 sub=- client=-$/);

  const forged = await request('DELETE', '/api/items/1', { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' } });
  assertProblem(forged, 401);
  assert.match(forged.headers.get('www-authenticate'), /^Bearer realm="triad", error="invalid_token"/);

  const write = await token();
  const auth = { authorization: `Bearer ${write}` };
  const created = await request('POST', '/api/items', { body, headers: { ...auth, 'idempotency-key': newKey() } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id;
  assert.match(await auditLine(created.headers.get('x-request-id')),
    new RegExp(`write POST item=${id} outcome=ok status=201 sub=\\S+ client=triad-dev$`));

  // Reads need no token.
  const read = await request('GET', `/api/items/${id}`);
  assert.equal(read.status, 200, read.text);
  assert.equal((await request('GET', '/api/items?order=desc&limit=5')).status, 200);

  const put = await request('PUT', `/api/items/${id}`, { body: { name: 'changed' }, headers: auth });
  assert.equal(put.status, 200, put.text);
  assert.match(await auditLine(put.headers.get('x-request-id')), new RegExp(`write PUT item=${id} outcome=ok status=200 `));

  const readOnly = await token('SCOPE=items:read');
  const refused = await request('DELETE', `/api/items/${id}`, { headers: { authorization: `Bearer ${readOnly}` } });
  assertProblem(refused, 403);
  assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="triad", error="insufficient_scope", scope="items:write"');
  assert.match(await auditLine(refused.headers.get('x-request-id')), new RegExp(`write DELETE item=${id} outcome=forbidden status=403 `));
  assert.equal((await request('GET', `/api/items/${id}`)).status, 200, 'a refused DELETE deleted nothing');

  const deleted = await request('DELETE', `/api/items/${id}`, { headers: auth });
  assert.equal(deleted.status, 204, deleted.text);
  assert.match(await auditLine(deleted.headers.get('x-request-id')), new RegExp(`write DELETE item=${id} outcome=ok status=204 `));
});

test('the dashboard asks for a token on 401 and keeps it in the page only', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const sent = [];
    page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.headers().authorization ?? ''); });
    await page.goto(`${BASE}/`);
    assert.equal(await page.isVisible('#item-token'), false, 'no token field before the service asks');
    const name = `e2e-auth-ui-${newKey().slice(4, 12)}`;
    await page.fill('#item-name', name);
    await page.click('#item-submit');
    await page.waitForSelector('#item-token', { state: 'visible' });
    assert.match(await page.textContent('#form-error'), /401 Unauthorized/);
    const t = await token();
    await page.fill('#item-token', t);
    await page.click('#item-submit');
    await page.waitForFunction((n) => document.getElementById('form-status').textContent.includes(n), name);
    assert.deepEqual(sent, ['', `Bearer ${t}`]);
    assert.equal(await page.inputValue('#item-token'), '', 'the token is not left in the field');
    // Nowhere but the page's memory: no storage, no cookie, not in the URL.
    const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie, location.href]));
    assert.ok(!stored.includes(t.split('.')[2]), stored);
    // A second write in the same page reuses it; a reload forgets it.
    await page.fill('#item-name', `${name}-2`);
    await page.click('#item-submit');
    await page.waitForFunction((n) => document.getElementById('form-status').textContent.includes(n), `${name}-2`);
    await page.reload();
    await page.fill('#item-name', `${name}-3`);
    await page.click('#item-submit');
    await page.waitForSelector('#item-token', { state: 'visible' });
    assert.deepEqual(sent, ['', `Bearer ${t}`, `Bearer ${t}`, '']);
  } finally {
    await browser.close();
  }
});

test('no token appears in the logs of Nginx or the instances', { timeout: 60_000 }, async () => {
  assert.ok(tokens.length >= 2, 'the first test sent tokens');
  // Nginx's access log is buffered for up to 1 s (nginx/conf.d/20-proxy.conf): wait for the
  // last request's line before reading it.
  const last = await request('GET', '/api/instance', { headers: { 'x-request-id': `e2e-auth-${newKey().slice(4, 12)}` } });
  const lastId = last.headers.get('x-request-id');
  await waitFor('Nginx logged the last request', async () => (await compose('logs', 'nginx')).includes(lastId), { timeoutMs: 10_000, intervalMs: 250 });
  const logs = await compose('logs', '--no-log-prefix', 'nginx', 'web1', 'web2', 'web3');
  for (const t of tokens) {
    assert.ok(!logs.includes(t), 'a token appears in the logs');
    assert.ok(!logs.includes(t.split('.')[2]), "a token's signature appears in the logs");
  }
  assert.ok(!/authorization/i.test(logs.split('\n').filter((l) => l.startsWith('{')).join('\n')), 'Nginx logs an Authorization field');
});
