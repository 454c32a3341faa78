// 11. `make deploy` rolls a second version out under a paced load (item reads, keyed POSTs,
// /api/instance, >= 200 req/s): no request fails, the rollout is visible as mixed versions in
// /api/cluster, all three instances end on the new version, every acknowledged item is intact;
// `make rollback` returns the same way. A deploy interrupted by Ctrl-C once web1 runs the new
// version fails no request either: it says which instance runs which version, and
// `make rollback` returns all three to the version that served before (issue 22). The image of
// each new version is built first, so the timed part is the rollout itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { INSTANCES, ROOT, allItems, request, restoreInstances, run, startLoad, waitFor } from './lib/stack.mjs';

before(restoreInstances);
after(restoreInstances);

const make = (...args) => run('make', ['--no-print-directory', '-s', '-C', ROOT, ...args], { timeoutMs: 900_000 });

/** The running version, and a new one (its image built, so that the timed part is the roll). */
async function runningAndNext() {
  const old = (await request('GET', '/api/instance')).json.version;
  assert.ok(old, 'the running version');
  const next = `${old.replace(/-e2e-.*$/, '')}-e2e-${Date.now().toString(36)}`;
  await make('_deploy-image', `VERSION=${next}`);
  return { old, next };
}
const re = (v) => v.replace(/[.]/g, '\\.');

async function clusterVersions() {
  const r = await request('GET', '/api/cluster');
  assert.equal(r.status, 200);
  return Object.fromEntries(r.json.instances.map((i) => [i.instance, i.version]));
}

/** Runs one make target under load; returns the load's stats, make's output and what /api/cluster showed meanwhile. */
async function underLoad(tag, target) {
  // 250 req/s on a schedule: the issue asks for at least 200 through the whole rollout.
  const load = startLoad({ tag, getWorkers: 8, postWorkers: 4, rate: 250, maxMs: 600_000 });
  const seen = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        seen.push(await clusterVersions());
      } catch {
        // the load counts failures; the watcher only looks
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const t0 = Date.now();
  let out;
  try {
    await load.progress(300);
    out = await make(...target);
    await load.progress(300);
  } finally {
    watching = false;
    await watcher;
    await load.stop();
  }
  const seconds = (Date.now() - t0) / 1000;
  const s = load.stats;
  const sent = s.gets + s.posts;
  console.log(`${target.join(' ')}:\n${out.trim()}`);
  console.log(`load: ${sent} requests in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)} req/s): ${s.gets} GETs, ${s.posts} keyed POSTs; failed ${s.failedGets.length + s.failedPosts.length}`);
  return { stats: s, out, seen, rate: sent / seconds };
}

async function assertIntact(stats) {
  assert.deepEqual(stats.failedGets, [], 'failed GETs');
  assert.deepEqual(stats.failedPosts, [], 'failed POSTs');
  const byName = new Map((await allItems()).map((it) => [it.name, it]));
  for (const [name, item] of stats.acknowledged) {
    const now = byName.get(name);
    assert.ok(now, `acknowledged item ${item.id} (${name}) is missing`);
    assert.deepEqual({ id: now.id, name: now.name, quantity: now.quantity, version: now.version, createdAt: now.createdAt },
      { id: item.id, name: item.name, quantity: item.quantity, version: item.version, createdAt: item.createdAt }, `item ${item.id} changed`);
  }
}

async function assertAllOn(version) {
  assert.deepEqual(await clusterVersions(), Object.fromEntries(INSTANCES.map((i) => [i, version])), '/api/cluster');
  // Through Nginx: the instance replaced last may still be set aside after the refused connects
  // of its restart (max_fails=1, fail_timeout=2s: nginx/conf.d/10-upstream.conf), so it gets
  // traffic again at most 2 s after it listens. Ask until every instance answered, within 5 s.
  const seen = new Map();
  const deadline = Date.now() + 5_000;
  while (seen.size < INSTANCES.length && Date.now() < deadline) {
    const r = await request('GET', '/api/instance');
    assert.equal(r.status, 200, '/api/instance');
    seen.set(r.json.instance, r.json.version);
  }
  assert.deepEqual(Object.fromEntries([...seen].sort()), Object.fromEntries(INSTANCES.map((i) => [i, version])), '/api/instance');
}

test('make deploy rolls out a new version under load without a failed request; make rollback returns', async () => {
  const { old, next } = await runningAndNext();
  const deploy = await underLoad('e2e-deploy', ['deploy', 'SKIP_IMAGE=1', `VERSION=${next}`]);
  for (const i of INSTANCES) assert.match(deploy.out, new RegExp(`^${i} +${re(old)} -> ${next} +ready in [0-9.]+ s$`, 'm'));
  assert.match(deploy.out, /^done: web1 web2 web3 on .* in [0-9.]+ s/m);
  assert.ok(deploy.rate >= 200, `paced load of ${deploy.rate.toFixed(0)} req/s, want >= 200`);
  assert.ok(deploy.seen.some((v) => new Set(Object.values(v)).size > 1), `/api/cluster never showed mixed versions during the rollout: ${JSON.stringify(deploy.seen.slice(0, 5))}`);
  await assertIntact(deploy.stats);
  await assertAllOn(next);

  const back = await underLoad('e2e-rollback', ['rollback']);
  for (const i of INSTANCES) assert.match(back.out, new RegExp(`^${i} +${next} -> ${re(old)} +ready in [0-9.]+ s$`, 'm'));
  assert.ok(back.rate >= 200, `paced load of ${back.rate.toFixed(0)} req/s, want >= 200`);
  await assertIntact(back.stats);
  await assertIntact(deploy.stats);
  await assertAllOn(old);
});

/**
 * Runs `make deploy` until it reports web1 ready on `version`, then presses Ctrl-C: SIGINT to
 * make's whole process group, as a terminal sends it. Resolves with the exit and the output.
 */
async function deployInterruptedAfterWeb1(version) {
  const child = spawn('make', ['--no-print-directory', '-s', '-C', ROOT, 'deploy', 'SKIP_IMAGE=1', `VERSION=${version}`], { detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let ended = false;
  const exited = new Promise((resolve) => child.on('close', (status, signal) => {
    ended = true;
    resolve({ status, signal, stdout, stderr });
  }));
  try {
    const web1Ready = new RegExp(`^web1 .* -> ${re(version)} +ready in`, 'm');
    await waitFor('make deploy to report web1 ready', () => ended || web1Ready.test(stdout), { timeoutMs: 300_000, intervalMs: 20 });
    if (ended) assert.fail(`make deploy ended before it replaced web1:\n${stdout}${stderr}`);
    process.kill(-child.pid, 'SIGINT');
    const r = await Promise.race([exited, delay(60_000, null, { ref: false })]);
    return r ?? assert.fail(`make deploy did not stop within 60 s of Ctrl-C:\n${stdout}${stderr}`);
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ended
    }
  }
}

test('a deploy interrupted by Ctrl-C after web1 fails no request and reports the mixed state; make rollback returns all three to the version that served', async () => {
  const { old, next } = await runningAndNext();
  const load = startLoad({ tag: 'e2e-interrupted', getWorkers: 8, postWorkers: 4, rate: 250, maxMs: 600_000 });
  let stopped;
  let mixed;
  let back;
  try {
    await load.progress(300);
    stopped = await deployInterruptedAfterWeb1(next);
    mixed = await clusterVersions();
    await load.progress(300);
    back = await make('rollback');
    await load.progress(300);
  } finally {
    await load.stop();
  }
  const s = load.stats;
  console.log(`make deploy, Ctrl-C after web1 (exit ${stopped.status}):\n${stopped.stdout.trim()}\n${stopped.stderr.trim()}`);
  console.log(`/api/cluster then: ${JSON.stringify(mixed)}\nmake rollback:\n${back.trim()}`);
  console.log(`load: ${s.gets} GETs, ${s.posts} keyed POSTs; failed ${s.failedGets.length + s.failedPosts.length}`);

  assert.ok(stopped.status !== 0, `make deploy ended with ${stopped.status ?? stopped.signal}`);
  assert.match(stopped.stderr, new RegExp(`^deploy: stopped \\(SIGINT\\) while replacing web2: web1 ${re(next)}, web2 [^,]+, web3 ${re(old)}\\. ` +
    `Finish: make deploy VERSION=${re(next)} SKIP_IMAGE=1; undo: make rollback \\(all three back to ${re(old)}\\)\\.$`, 'm'));
  assert.equal(mixed.web1, next, 'web1 after the interruption');
  assert.equal(mixed.web3, old, 'web3 after the interruption');
  assert.match(back, new RegExp(`^rollback ${re(next)} -> ${re(old)}$`, 'm'));
  assert.match(back, new RegExp(`^web1 +${re(next)} -> ${re(old)} +ready in [0-9.]+ s$`, 'm'));
  assert.match(back, new RegExp(`^done: web1 web2 web3 on ${re(old)} in [0-9.]+ s`, 'm'));
  await assertIntact(s);
  await assertAllOn(old);
});
