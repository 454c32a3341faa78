// Issue 22, point 8: `make secrets` refuses a password typed into compose/.env that is a
// placeholder, empty, not letters and digits, or short, with one line naming the variable and
// the fix, and renders nothing then; a random one passes. Runs `make secrets` against a
// compose/.env of its own in a temporary folder (TRIAD_ENV=...), so the stack's is never read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `make secrets` with a compose/.env that sets TRIAD_REDIS_PASSWORD to `password` and every other one randomly. */
function secrets(password) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-secrets-'));
  try {
    const env = path.join(dir, '.env');
    // The variables make secrets knows, read from the Makefile: every other one random.
    const names = [...spawnSync('make', ['-s', '--no-print-directory', '-p', '-n', 'help'], { cwd: ROOT, encoding: 'utf8' })
      .stdout.match(/^TRIAD_SECRETS :=(.*)$/m)[1].matchAll(/:(TRIAD_[A-Z_]+)/g)].map((m) => m[1]);
    assert.ok(names.length >= 10 && names.includes('TRIAD_REDIS_PASSWORD'), `TRIAD_SECRETS of the Makefile: ${names}`);
    const lines = names.map((n) => `${n}=${n === 'TRIAD_REDIS_PASSWORD' ? password : randomBytes(24).toString('hex')}`);
    writeFileSync(env, [...lines, `TRIAD_SECRETS_DIR=${path.join(dir, 'secrets')}`, ''].join('\n'), { mode: 0o600 });
    const r = spawnSync('make', ['-s', '--no-print-directory', 'secrets', `TRIAD_ENV=${env}`], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status, out: (r.stdout + r.stderr).split('\n').filter((l) => l && !/^make(\[[0-9]+\])?: /.test(l)), rendered: existsSync(path.join(dir, 'secrets')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const refused = {
  'change-me': /looks like a placeholder \(it contains 'changeme'\)/,
  changeme: /looks like a placeholder \(it contains 'changeme'\)/,
  Password1234567890: /looks like a placeholder \(it contains 'password'\)/,
  placeholderplaceholder: /looks like a placeholder \(it contains 'placeholder'\)/,
  exampleexampleexample: /looks like a placeholder \(it contains 'example'\)/,
  '': /is empty/,
  a8Fk2m9Q: /is shorter than 16 characters/,
  'a8Fk2m9Q-x7Lp3z0W': /has characters other than letters and digits/,
};

for (const [password, why] of Object.entries(refused)) {
  test(`make secrets refuses TRIAD_REDIS_PASSWORD=${JSON.stringify(password)} with one line naming it and the fix`, () => {
    const r = secrets(password);
    assert.notEqual(r.status, 0, 'make secrets succeeded');
    assert.equal(r.out.length, 1, r.out.join('\n'));
    assert.match(r.out[0], /^TRIAD_REDIS_PASSWORD in \S+\.env /);
    assert.match(r.out[0], why);
    assert.match(r.out[0], /set a random password of 16 or more letters and digits .*or delete the line and run make secrets/);
    assert.equal(r.rendered, false, 'secret files were written anyway');
  });
}

test('make secrets renders a random password of letters and digits', () => {
  const r = secrets(randomBytes(24).toString('hex'));
  assert.equal(r.status, 0, r.out.join('\n'));
  assert.equal(r.rendered, true);
});
