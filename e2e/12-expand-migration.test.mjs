// 12. Migrations while a version serves. (a) An expand migration (a nullable column and an
// index, from a test-only location) applied while the running version serves under load: no
// request fails, the old version keeps working on the new schema. (b) A deploy whose migration
// fails stops before any instance is replaced: non-zero exit with Flyway's message, the same
// containers go on serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INSTANCES, ROOT, compose, containerId, request, restoreInstances, run, startLoad } from './lib/stack.mjs';

before(restoreInstances);
after(restoreInstances);

const psql = async (sql) => (await compose('exec', '-T', 'postgres', 'psql', '-XqtA', '-U', 'postgres', '-d', 'triad', '-c', sql)).trim();

function migrations(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-e2e-migrations-'));
  fs.chmodSync(dir, 0o755);
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql, { mode: 0o644 });
  return dir;
}

async function failuresOf(load) {
  const s = await load.stop();
  console.log(`load: ${s.gets} GETs, ${s.posts} keyed POSTs; failed ${s.failedGets.length + s.failedPosts.length}`);
  assert.deepEqual(s.failedGets, [], 'failed GETs');
  assert.deepEqual(s.failedPosts, [], 'failed POSTs');
  return s;
}

// The test-only migrations applied so far: a later migrate must find them (Flyway refuses an
// applied migration below the newest one that it can't resolve).
const applied = {};

test('an expand migration applied while the running version serves under load fails no request', async () => {
  const version = Number(await psql("SELECT coalesce(max(version::int), 0) FROM flyway_schema_history WHERE success AND version ~ '^[0-9]+$'"));
  const next = version + 1;
  applied[`V${next}__e2e_expand_colour.sql`] =
    `ALTER TABLE items ADD COLUMN IF NOT EXISTS e2e_colour_${next} text;\nCREATE INDEX IF NOT EXISTS items_e2e_colour_${next} ON items (e2e_colour_${next});\n`;
  const dir = migrations(applied);
  const load = startLoad({ tag: 'e2e-expand', getWorkers: 6, postWorkers: 3, paceMs: 5 });
  let s;
  try {
    await load.progress(300);
    const t0 = Date.now();
    const out = await compose('run', '--rm', '-T', '--no-deps', '-v', `${dir}:/migrations-extra:ro`,
      '-e', 'MIGRATE_LOCATIONS=filesystem:/migrations-extra', 'migrate');
    console.log(`migrate with V${next} in ${Date.now() - t0} ms: ${out.trim().split('\n').filter((l) => l.includes('migrate:')).join(' | ')}`);
    await load.progress(300);
  } finally {
    s = await failuresOf(load);
  }
  assert.equal(await psql(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'e2e_colour_${next}'`), '1');
  assert.equal(await psql(`SELECT max(version::int) FROM flyway_schema_history WHERE success AND version ~ '^[0-9]+$'`), String(next));
  assert.ok(s.acknowledged.size > 0, 'no item was created during the migration');
  // The old version goes on writing and reading on the expanded schema.
  const [name, item] = [...s.acknowledged][s.acknowledged.size - 1];
  const r = await request('GET', `/api/items/${item.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.name, name);
});

test('a deploy whose migration fails stops before replacing an instance; the running version keeps serving', async () => {
  const running = (await request('GET', '/api/instance')).json.version;
  const ids = Object.fromEntries(await Promise.all(INSTANCES.map(async (i) => [i, await containerId(i)])));
  const dir = migrations({ ...applied, 'V999__e2e_broken.sql': 'CREATE TABLE e2e_broken (;\n' });
  const load = startLoad({ tag: 'e2e-broken', getWorkers: 4, postWorkers: 2, paceMs: 5 });
  let err;
  try {
    await load.progress(200);
    await run('make', ['--no-print-directory', '-s', '-C', ROOT, 'deploy', 'SKIP_IMAGE=1', `VERSION=${running}`, `MIGRATIONS_EXTRA=${dir}`], { timeoutMs: 300_000 })
      .then(() => assert.fail('make deploy succeeded with a broken migration'), (e) => { err = e; });
    await load.progress(200);
  } finally {
    await failuresOf(load);
  }
  assert.match(err.message, /triad migrate: FAILED/);
  assert.match(err.message, /V999__e2e_broken\.sql/);
  assert.match(err.message, /syntax error/);
  assert.match(err.message, /no instance was replaced/);
  for (const i of INSTANCES) assert.equal(await containerId(i), ids[i], `${i} was replaced`);
  assert.equal(await psql("SELECT count(*) FROM flyway_schema_history WHERE version = '999' AND success"), '0');
  assert.equal((await request('GET', '/api/instance')).json.version, running);
});
