// The project reads nothing outside its repository at build, test or run time (docs/API.md is
// the contract; issue 20). Two checks:
// 1. No tracked file refers to the team's ../shared folder, except .ci/run, which uses
//    ../shared/ci to prepare a CI machine (start a Docker Engine, build image stand-ins): that
//    is machine set-up, not the project's build, tests or run.
// 2. The suites that once read ../shared (this k8s/test suite, via docs/API.md) pass in a copy of
//    the repository's files in a fresh temporary folder, where no ../shared sits beside it.
//    The copy is of the working tree (tracked and untracked-but-not-ignored files), so what is
//    checked is what is about to be committed; node_modules is linked, not installed (~12 s).
// The Maven build reads only the repository (pom.xml, src/) and the Maven repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { REPO } from './lib/paths.mjs';

const MACHINE_SETUP = new Set(['.ci/run']);

function repoFiles() {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO })
    .toString().split('\0').filter((f) => f && fs.existsSync(path.join(REPO, f)));
}

test('no file of the project refers to ../shared (only .ci/run, for machine set-up)', () => {
  const offenders = repoFiles()
    .filter((f) => !MACHINE_SETUP.has(f) && f !== 'k8s/test/clone.test.mjs')
    .filter((f) => { const st = fs.lstatSync(path.join(REPO, f)); return st.isFile() && st.size < 2_000_000; })
    .filter((f) => /\.\.\/shared\b|(?<![\w-])shared\/(API|ci|STYLE)/.test(fs.readFileSync(path.join(REPO, f), 'utf8')));
  assert.deepEqual(offenders, [], `these files refer to ../shared, which a clone does not have: ${offenders.join(', ')}; use docs/API.md`);
});

test('the k8s/test suite passes in a copy of the repository with no ../shared beside it', { timeout: 120_000 }, () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-clone-'));
  try {
    const copy = path.join(parent, 'triad');
    for (const f of repoFiles()) {
      const from = path.join(REPO, f);
      const to = path.join(copy, f);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      const st = fs.lstatSync(from);
      if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
      else fs.copyFileSync(from, to);
    }
    assert.equal(fs.existsSync(path.join(parent, 'shared')), false);
    fs.symlinkSync(path.join(REPO, 'k8s', 'test', 'node_modules'), path.join(copy, 'k8s', 'test', 'node_modules'));
    // sbom.test.mjs checks the built target/bom.json; give the copy the same build output.
    const bom = path.join(REPO, 'target', 'bom.json');
    if (fs.existsSync(bom)) {
      fs.mkdirSync(path.join(copy, 'target'));
      fs.copyFileSync(bom, path.join(copy, 'target', 'bom.json'));
    }
    const suites = fs.readdirSync(path.join(copy, 'k8s', 'test')).filter((f) => f.endsWith('.test.mjs') && f !== 'clone.test.mjs');
    // Without NODE_TEST_CONTEXT, or node --test inside a test skips running files (and passes).
    const { NODE_TEST_CONTEXT, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...suites],
      { cwd: path.join(copy, 'k8s', 'test'), encoding: 'utf8', env });
    const failed = (run.stdout + run.stderr).split('\n').filter((l) => /^not ok|^\s+error:|the contract is missing/.test(l)).slice(0, 20);
    assert.equal(run.status, 0, `k8s/test fails in a clone without ../shared:\n${failed.join('\n')}`);
    const passed = Number(/^# pass (\d+)$/m.exec(run.stdout)?.[1] ?? 0);
    assert.ok(passed > 100, `the copy ran only ${passed} tests: ${run.stdout.slice(-400)}`);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});
