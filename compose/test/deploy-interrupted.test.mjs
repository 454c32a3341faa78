// compose/deploy.sh (make deploy, make rollback) when a roll stops part-way, without a stack:
// the script runs from a copy in a temporary directory (its own compose/.deployed and
// compose/.deploy.lock) with a `docker` on PATH (fake-docker.sh) that plays the three instances
// and records every call. A deploy must write its target into the history before it replaces an
// instance, so that after it stops part-way (a failed health check, SIGINT, SIGTERM) it reports
// which instance runs which version, exits non-zero, and `make rollback` returns all three to the
// version that served before; one roll at a time.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTANCES = ['web1', 'web2', 'web3'];

// Every deploy.sh started, each the leader of its own process group.
const started = [];
after(() => {
  // Whatever a failing check left behind (such as the fake's sleep, in the same group).
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A copy of deploy.sh beside its own history, the instances on `versions`, a fake docker. */
function sandbox({ versions = ['1.0.0', '1.0.0', '1.0.0'], history = [] } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'triad-deploy-'));
  mkdirSync(path.join(dir, 'compose'));
  copyFileSync(path.join(ROOT, 'compose', 'deploy.sh'), path.join(dir, 'compose', 'deploy.sh'));
  if (history.length) writeFileSync(path.join(dir, 'compose', '.deployed'), history.map((v) => `${v}\n`).join(''));
  const state = path.join(dir, 'state');
  mkdirSync(state);
  INSTANCES.forEach((inst, i) => {
    writeFileSync(path.join(state, inst), `${versions[i]}\n`);
    writeFileSync(path.join(state, `${inst}.health`), 'healthy\n');
  });
  writeFileSync(path.join(state, 'calls.log'), '');
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  copyFileSync(path.join(ROOT, 'compose', 'test', 'fake-docker.sh'), path.join(bin, 'docker'));
  return {
    dir,
    state,
    history: () => (existsSync(path.join(dir, 'compose', '.deployed')) ? readFileSync(path.join(dir, 'compose', '.deployed'), 'utf8').split('\n').filter(Boolean) : []),
    versions: () => INSTANCES.map((i) => readFileSync(path.join(state, i), 'utf8').trim()),
    calls: () => readFileSync(path.join(state, 'calls.log'), 'utf8').split('\n').filter(Boolean),
    hanging: () => existsSync(path.join(state, 'hanging')),
  };
}

/** Starts deploy.sh in its own process group; `done` resolves with its exit and output. */
function start(sb, args, { fail = '', hang = '' } = {}) {
  const child = spawn('bash', [path.join(sb.dir, 'compose', 'deploy.sh'), ...args], {
    detached: true,
    env: {
      ...process.env,
      PATH: `${path.join(sb.dir, 'bin')}:${process.env.PATH}`,
      COMPOSE: 'docker compose -f compose/compose.yaml --project-name triad',
      FAKE_DOCKER_STATE: sb.state,
      FAKE_FAIL: fail,
      FAKE_HANG: hang,
    },
  });
  started.push(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => child.on('close', (status, signal) => {
    resolve({ status, signal, stdout, stderr });
  }));
  return { child, done };
}

/** Runs deploy.sh to its end (bounded: a roll that never ends fails the check instead of hanging it). */
async function run(sb, args, opts) {
  const { child, done } = start(sb, args, opts);
  const r = await Promise.race([done, delay(20_000, null, { ref: false }).then(() => null)]);
  if (!r) {
    process.kill(-child.pid, 'SIGKILL');
    assert.fail(`deploy.sh ${args.join(' ')} did not end within 20 s`);
  }
  return r;
}

async function until(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Starts a roll that hangs on `hang`, stops deploy.sh with `signal` once it is replacing it. */
async function interrupt(sb, args, hang, signal) {
  const { child, done } = start(sb, args, { hang });
  await until(`deploy.sh replacing ${hang}`, sb.hanging);
  child.kill(signal); // deploy.sh alone, as a supervisor would; Ctrl-C (the whole group) in e2e
  const r = await Promise.race([done, delay(10_000, null, { ref: false }).then(() => null)]);
  if (!r) {
    process.kill(-child.pid, 'SIGKILL');
    assert.fail(`deploy.sh ${args.join(' ')} did not stop within 10 s of ${signal}`);
  }
  return r;
}

test('a deploy writes its target into compose/.deployed before it replaces the first instance', async () => {
  const sb = sandbox();
  const r = await run(sb, ['deploy', '1.1.0']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(sb.calls().filter((c) => c.startsWith('up ')), [
    'up web1 1.1.0 history=1.0.0,1.1.0',
    'up web2 1.1.0 history=1.0.0,1.1.0',
    'up web3 1.1.0 history=1.0.0,1.1.0',
  ]);
  assert.deepEqual(sb.versions(), ['1.1.0', '1.1.0', '1.1.0']);
  assert.deepEqual(sb.history(), ['1.0.0', '1.1.0']);
  // After a deploy that finished, rollback works as it did.
  const back = await run(sb, ['rollback']);
  assert.equal(back.status, 0, back.stderr);
  assert.deepEqual(sb.versions(), ['1.0.0', '1.0.0', '1.0.0']);
  assert.deepEqual(sb.history(), ['1.0.0']);
});

test('Ctrl-C during the migration: the deploy says that no instance was replaced, exits 130, and records nothing', async () => {
  const sb = sandbox({ history: ['0.9.0', '1.0.0'] });
  const { child, done } = start(sb, ['deploy', '1.1.0'], { hang: 'migrate' });
  await until('the migration running', sb.hanging);
  process.kill(-child.pid, 'SIGINT'); // the terminal's whole foreground group, the migration included
  const r = await Promise.race([done, delay(10_000, null, { ref: false })]);
  assert.ok(r, 'deploy.sh did not stop within 10 s of SIGINT');
  assert.equal(r.status, 130);
  assert.equal(r.stderr, 'deploy: stopped (SIGINT) before any instance was replaced: 1.0.0 goes on serving.\n');
  assert.deepEqual(sb.calls(), ['migrate 1.1.0']);
  assert.deepEqual(sb.history(), ['0.9.0', '1.0.0']);
});

test('a deploy whose new web2 fails its health check reports the mixed state and exits non-zero; rollback returns all three to the version that served', async () => {
  const sb = sandbox();
  const r = await run(sb, ['deploy', '1.1.0'], { fail: 'web2' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^web1 +1\.0\.0 -> 1\.1\.0 +ready in/m);
  assert.equal(
    r.stderr,
    "deploy: stopped (web2 on 1.1.0 did not become healthy within 120 s, see 'make logs SERVICE=web2') while replacing web2: " +
      'web1 1.1.0, web2 1.1.0 (unhealthy), web3 1.0.0. Finish: make deploy VERSION=1.1.0 SKIP_IMAGE=1; undo: make rollback (all three back to 1.0.0).\n',
  );
  assert.ok(!sb.calls().includes('up web3 1.1.0 history=1.0.0,1.1.0'), 'web3 was replaced after web2 failed');

  const back = await run(sb, ['rollback']);
  assert.equal(back.status, 0, back.stderr);
  assert.match(back.stdout, /^rollback 1\.1\.0 -> 1\.0\.0$/m);
  assert.deepEqual(sb.versions(), ['1.0.0', '1.0.0', '1.0.0']);
  assert.deepEqual(sb.history(), ['1.0.0']);
});

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  test(`a deploy stopped by ${signal} while it replaces web2 reports the mixed state and exits ${status}; rollback returns all three`, async () => {
    const sb = sandbox({ history: ['0.9.0', '1.0.0'] });
    const r = await interrupt(sb, ['deploy', '1.1.0'], 'web2', signal);
    assert.equal(r.status, status);
    assert.equal(
      r.stderr,
      `deploy: stopped (${signal}) while replacing web2: web1 1.1.0, web2 1.1.0 (starting), web3 1.0.0. ` +
        'Finish: make deploy VERSION=1.1.0 SKIP_IMAGE=1; undo: make rollback (all three back to 1.0.0).\n',
    );
    // The lock went with the interrupted roll (and the docker command it stopped): rollback runs.
    const back = await run(sb, ['rollback']);
    assert.equal(back.status, 0, back.stderr);
    assert.deepEqual(sb.versions(), ['1.0.0', '1.0.0', '1.0.0']);
    assert.deepEqual(sb.history(), ['0.9.0', '1.0.0']);
  });
}

test('after a deploy stopped part-way: deploying it again finishes it; deploying another one instead drops the unfinished one, and rollback returns to the version that served', async () => {
  const again = sandbox();
  assert.equal((await run(again, ['deploy', '1.1.0'], { fail: 'web2' })).status, 1);
  const finish = await run(again, ['deploy', '1.1.0']);
  assert.equal(finish.status, 0, finish.stderr);
  assert.deepEqual(again.versions(), ['1.1.0', '1.1.0', '1.1.0']);
  assert.deepEqual(again.history(), ['1.0.0', '1.1.0']);

  const other = sandbox();
  assert.equal((await run(other, ['deploy', '1.1.0'], { fail: 'web2' })).status, 1);
  const fixed = await run(other, ['deploy', '1.1.1']);
  assert.equal(fixed.status, 0, fixed.stderr);
  assert.deepEqual(other.history(), ['1.0.0', '1.1.1']);
  const back = await run(other, ['rollback']);
  assert.equal(back.status, 0, back.stderr);
  assert.deepEqual(other.versions(), ['1.0.0', '1.0.0', '1.0.0']);
});

test('a deploy killed with SIGKILL while it replaces web2: no report, but the lock holds until its docker command ends, then rollback returns all three', async () => {
  const sb = sandbox({ history: ['0.9.0', '1.0.0'] });
  const { child, done } = start(sb, ['deploy', '1.1.0'], { hang: 'web2' });
  await until('deploy.sh replacing web2', sb.hanging);
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
  // The docker command it started (the fake's sleep, left in its process group) still runs.
  const refused = await run(sb, ['rollback']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^deploy: another deploy or rollback is running \(pid [0-9]+: deploy 1\.1\.0 since /);
  process.kill(-child.pid, 'SIGKILL');
  await until('the lock released', () => spawnSync('flock', ['-n', path.join(sb.dir, 'compose', '.deploy.lock'), 'true']).status === 0);
  const back = await run(sb, ['rollback']);
  assert.equal(back.status, 0, back.stderr);
  assert.deepEqual(sb.versions(), ['1.0.0', '1.0.0', '1.0.0']);
  assert.deepEqual(sb.history(), ['0.9.0', '1.0.0']);
});

test('a rollback stopped part-way reports the mixed state; make rollback then finishes it (the same version, not one further back)', async () => {
  const sb = sandbox({ versions: ['1.1.0', '1.1.0', '1.1.0'], history: ['0.9.0', '1.0.0', '1.1.0'] });
  const r = await interrupt(sb, ['rollback'], 'web2', 'SIGTERM');
  assert.equal(r.status, 143);
  assert.equal(
    r.stderr,
    'rollback: stopped (SIGTERM) while replacing web2: web1 1.0.0, web2 1.0.0 (starting), web3 1.1.0. ' +
      'Finish: make rollback (to 1.0.0 again, not one further back); undo: make deploy VERSION=1.1.0 SKIP_IMAGE=1.\n',
  );
  const back = await run(sb, ['rollback']);
  assert.equal(back.status, 0, back.stderr);
  assert.deepEqual(sb.versions(), ['1.0.0', '1.0.0', '1.0.0']);
  assert.deepEqual(sb.history(), ['0.9.0', '1.0.0']);
});

test('while a deploy runs, a second deploy or a rollback is refused by the lock and touches nothing', async () => {
  const sb = sandbox();
  const first = start(sb, ['deploy', '1.1.0'], { hang: 'web1' });
  await until('the first deploy replacing web1', sb.hanging);
  const before = sb.calls().length;
  for (const args of [['deploy', '1.2.0'], ['rollback']]) {
    const r = await run(sb, args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(
      r.stderr,
      /^deploy: another deploy or rollback is running \(pid [0-9]+: deploy 1\.1\.0 since [0-9T:-]+Z; compose\/\.deploy\.lock\): wait for it to end, then run this again\.\n$/,
    );
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(sb.calls().slice(before), [], 'the refused commands called docker');
  assert.deepEqual(sb.history(), ['1.0.0', '1.1.0']);
  first.child.kill('SIGTERM');
  assert.equal((await first.done).status, 143);
});
