// The OpenAPI descriptions against the contract in words, and the two checks that guard them
// (part of `make test` via `make openapi-test`; needs no stack, ~3 s):
// - docs/API.md and the descriptions name the same endpoints and the same statuses;
// - the lint (Redocly, redocly.yaml) fails on a broken description;
// - the per-answer validator of the e2e tests (lib/openapi.mjs) fails on a mismatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import YAML from 'yaml';
import { DESCRIPTION, responseValidator, OpenApiMismatch } from './lib/openapi.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const API_MD = fs.readFileSync(path.join(ROOT, 'docs', 'API.md'), 'utf8');
const ADMIN = path.join(ROOT, 'src', 'main', 'resources', 'META-INF', 'openapi-admin.yaml');
const REDOCLY = path.join(ROOT, 'e2e', 'node_modules', '.bin', 'redocly');
const publicDoc = YAML.parse(fs.readFileSync(DESCRIPTION, 'utf8'));
const adminDoc = YAML.parse(fs.readFileSync(ADMIN, 'utf8'));

function section(heading) {
  const start = API_MD.search(new RegExp(`^## ${heading}`, 'm'));
  assert.ok(start >= 0, `docs/API.md has no "## ${heading}"`);
  const rest = API_MD.slice(start + 3);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}
const rows = (text) => text.split('\n').filter((l) => /^\|/.test(l) && !/^\|\s*-/.test(l)).slice(1)
  .map((l) => l.replace(/^\||\|$/g, '').split('|').map((c) => c.trim()));
const endpointsOf = (text) => new Set(rows(text).flatMap(([first]) =>
  [...first.matchAll(/`(GET|POST|PUT|DELETE) ([^`?\s]+)[^`]*`/g)].map((m) => `${m[1]} ${m[2]}`)));
const operationsOf = (doc) => new Set(Object.entries(doc.paths).flatMap(([p, item]) =>
  Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k)).map((m) => `${m.toUpperCase()} ${p}`)));
const statusesOf = (doc) => new Set(Object.values(doc.paths).flatMap((item) =>
  Object.values(item).flatMap((op) => Object.keys(op?.responses ?? {}))));
const sorted = (set) => [...set].sort();

test('docs/API.md and openapi.yaml name the same public endpoints', () => {
  assert.deepEqual(sorted(operationsOf(publicDoc)), sorted(endpointsOf(section('Endpoints on 8080'))),
    'an endpoint is in one of docs/API.md ("Endpoints on 8080") and src/main/resources/META-INF/openapi.yaml but not the other: add it to both');
});

test('docs/API.md and openapi.yaml name the same statuses', () => {
  const md = new Set([
    ...rows(section('Errors')).map(([status]) => status),
    ...[...section('Endpoints on 8080').matchAll(/`([1-5]\d\d)`/g)].map((m) => m[1]),
  ]);
  assert.deepEqual(sorted(statusesOf(publicDoc)), sorted(md),
    'a status is in one of docs/API.md ("Endpoints on 8080", "Errors") and openapi.yaml but not the other');
});

test('docs/API.md and openapi-admin.yaml name the same admin endpoints and statuses', () => {
  const admin = section('Admin port 8081');
  assert.deepEqual(sorted(operationsOf(adminDoc)), sorted(endpointsOf(admin)));
  const md = new Set([...admin.matchAll(/`([1-5]\d\d)`/g)].map((m) => m[1]));
  assert.deepEqual(sorted(statusesOf(adminDoc)), sorted(md));
});

test('the lint passes on the descriptions and fails on a broken one', { timeout: 60_000 }, () => {
  // No telemetry or update check: make test talks to no server.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  const lint = (cwd) => spawnSync(REDOCLY, ['lint'], { cwd, encoding: 'utf8', env });
  const good = lint(ROOT);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  // A copy with one deliberate mistake: a $ref to a schema that does not exist.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-openapi-'));
  try {
    const meta = path.join(dir, 'src', 'main', 'resources', 'META-INF');
    fs.mkdirSync(meta, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'redocly.yaml'), path.join(dir, 'redocly.yaml'));
    fs.copyFileSync(ADMIN, path.join(meta, 'openapi-admin.yaml'));
    const text = fs.readFileSync(DESCRIPTION, 'utf8');
    const broken = text.replace("schema: { $ref: '#/components/schemas/ItemPage' }", "schema: { $ref: '#/components/schemas/NoSuchPage' }");
    assert.notEqual(broken, text);
    fs.writeFileSync(path.join(meta, 'openapi.yaml'), broken);
    const bad = lint(dir);
    assert.notEqual(bad.status, 0, 'the lint passed a description with a dangling $ref');
    assert.match(bad.stdout + bad.stderr, /NoSuchPage/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the per-answer validator accepts a right answer and fails on each kind of mismatch', () => {
  const validate = responseValidator(publicDoc);
  const item = { id: 7, name: 'w', description: '', quantity: 1, version: 2, createdAt: '2026-12-04T05:00:00.123Z', updatedAt: '2026-12-04T05:00:00.123Z' };
  const headers = { 'x-instance': 'web1', 'x-request-id': 'abc', 'x-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736', etag: '"2"', 'x-cache': 'HIT', 'content-type': 'application/json' };
  const answer = (over = {}) => ({ method: 'GET', url: '/api/items/7', status: 200, headers: { ...headers }, text: JSON.stringify(item), ...over });
  validate(answer());
  validate(answer({ method: 'GET', url: '/nope', status: 404, headers: { 'x-request-id': 'a', 'content-type': 'application/problem+json' },
    text: '{"type":"about:blank","title":"Not Found","status":404}' }));

  const fails = (a, why) => assert.throws(() => validate(a), (e) => e instanceof OpenApiMismatch && why.test(e.message), `expected a mismatch matching ${why}`);
  fails(answer({ status: 418 }), /status 418 is not described/);
  fails(answer({ headers: { ...headers, 'x-cache': undefined } }), /header X-Cache missing/);
  fails(answer({ headers: { ...headers, 'x-cache': 'WARM' } }), /header X-Cache: 'WARM'/);
  fails(answer({ headers: { ...headers, etag: '2' } }), /header ETag/);
  fails(answer({ text: JSON.stringify({ ...item, quantity: '1' }) }), /\/quantity must be integer/);
  fails(answer({ text: JSON.stringify({ ...item, extra: true }) }), /additional properties/);
  fails(answer({ headers: { ...headers, 'content-type': 'text/plain' } }), /Content-Type 'text\/plain'/);
  fails(answer({ status: 503, headers: { 'x-request-id': 'a', 'content-type': 'application/problem+json' },
    text: '{"type":"about:blank","title":"Service Unavailable","status":503}' }), /header Retry-After missing/);
  fails(answer({ url: '/api/items/7/parts', status: 200 }), /operation the description does not have/);
});
