// Issue 22, point 4: no container of the stack can fill the disk with its log. Renders the
// Compose model of each way the stack runs (plain, HA=1, AUTH=1, every profile) with
// `docker compose config` and checks that every service has a rotated log: json-file or local,
// a size cap of at most 50 MB per file and a file count of at most 5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function model(files) {
  const args = ['compose', ...files.flatMap((f) => ['-f', path.join(ROOT, 'compose', f)]), '--profile', '*', 'config', '--format', 'json'];
  // compose/.env's variables are not needed to render the model: only the secrets' folder must be set.
  const r = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, TRIAD_SECRETS_DIR: '/nonexistent' } });
  assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout).services;
}

const MB = { k: 1 / 1024, m: 1, g: 1024 };
const megabytes = (size) => {
  const m = /^([0-9]+)([kmg])b?$/i.exec(String(size ?? ''));
  return m ? Number(m[1]) * MB[m[2].toLowerCase()] : Infinity;
};

for (const files of [['compose.yaml'], ['compose.yaml', 'ha.yaml'], ['compose.yaml', 'auth.yaml'], ['compose.yaml', 'ha.yaml', 'auth.yaml']]) {
  test(`every service of ${files.join(' + ')} has a capped, rotated log`, () => {
    const services = model(files);
    assert.ok(Object.keys(services).length >= 10, 'the model has the stack in it');
    const uncapped = [];
    for (const [name, s] of Object.entries(services)) {
      const l = s.logging ?? {};
      const ok = ['json-file', 'local'].includes(l.driver)
        && megabytes(l.options?.['max-size']) <= 50
        && Number(l.options?.['max-file'] ?? 'x') <= 5;
      if (!ok) uncapped.push(`${name}: ${JSON.stringify(l)}`);
    }
    assert.deepEqual(uncapped, [], 'services whose log grows without bound (add `logging: *logging`, compose/compose.yaml)');
  });
}
