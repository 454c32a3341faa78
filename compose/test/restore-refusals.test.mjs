// make restore's validation (compose/backup.sh plan), without a stack: fixture backups in a
// temporary directory, listed by compose/backup-agent.sh's own inventory
// (TRIAD_BACKUP_FIXTURE), and a `docker` on PATH that records any call. A refusal must name its
// cause, exit non-zero and touch nothing (no docker call: in a real restore the stack is stopped
// only after this validation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const epoch = (s) => Math.floor(Date.parse(s) / 1000);

function fixture(chains) {
  const dir = mkdtempSync(path.join(tmpdir(), 'triad-backups-'));
  for (const [chain, { bases, walUntil }] of Object.entries(chains)) {
    for (const b of bases) {
      const d = path.join(dir, 'chains', chain, 'base', b.label);
      mkdirSync(d, { recursive: true });
      writeFileSync(
        path.join(d, 'info'),
        `label=${b.label}\nstart_lsn=0/2000028\nend_lsn=0/2000120\nstart_time=${epoch(b.end) - 2}\nend_time=${epoch(b.end)}\nsize=48963584\n`,
      );
    }
    if (walUntil) {
      const w = path.join(dir, 'chains', chain, 'wal');
      mkdirSync(w, { recursive: true });
      const f = path.join(w, '000000010000000000000003.partial');
      writeFileSync(f, 'wal');
      // The arrival time to the millisecond, as the stream's flushes set it.
      utimesSync(f, Date.parse(walUntil) / 1000, Date.parse(walUntil) / 1000);
    }
  }
  return dir;
}

function restore(dir, at) {
  const bin = mkdtempSync(path.join(tmpdir(), 'fake-docker-'));
  const marker = path.join(bin, 'docker-was-called');
  writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\necho "$@" >> '${marker}'\nexit 1\n`);
  chmodSync(path.join(bin, 'docker'), 0o755);
  const r = spawnSync('bash', [path.join(ROOT, 'compose', 'backup.sh'), 'restore', ...(at === undefined ? [] : [at])], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TRIAD_BACKUP_FIXTURE: dir },
    encoding: 'utf8',
  });
  return { ...r, dockerCalled: existsSync(marker) };
}

const ONE_CHAIN = {
  '7715300000000000001-1': {
    bases: [
      { label: '20261203T100000Z', end: '2026-12-03T10:00:00Z' },
      { label: '20261203T103000Z', end: '2026-12-03T10:30:00Z' },
    ],
    walUntil: '2026-12-03T11:00:00Z',
  },
};

test('no backup at all: refused, nothing touched', () => {
  for (const at of [undefined, '2026-12-03 10:20:00+00']) {
    const r = restore(fixture({}), at);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^restore: no backup to restore from: .*Nothing was changed\.\n$/);
    assert.equal(r.dockerCalled, false);
  }
});

test('a target before the first base backup or after the WAL: refused with the covered range, nothing touched', () => {
  const dir = fixture(ONE_CHAIN);
  for (const at of ['2026-12-03 09:59:59+00', '2026-12-03 11:00:01+00', '2025-01-01 00:00:00+00']) {
    const r = restore(dir, at);
    assert.notEqual(r.status, 0, at);
    assert.match(r.stderr, /is outside what the backups cover \(2026-12-03 10:00:00\.000\+00 to 2026-12-03 11:00:00\.000\+00\)/, at);
    assert.match(r.stderr, /Nothing was changed\.\n$/);
    assert.equal(r.stdout, '');
    assert.equal(r.dockerCalled, false);
  }
});

test('a target that is not a time: refused, nothing touched', () => {
  const r = restore(fixture(ONE_CHAIN), 'yesterday-ish 25:99');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /is not a time: write it like AT="2026-12-03 10:20:00\+00"/);
  assert.equal(r.dockerCalled, false);
});

test('a target inside the range: the newest base backup consistent before it, in the chain that covers it', () => {
  const dir = fixture({
    ...ONE_CHAIN,
    // A later chain (after a point-in-time restore: a new timeline), its own range.
    '7715300000000000001-2': { bases: [{ label: '20261203T120000Z', end: '2026-12-03T12:00:00Z' }], walUntil: '2026-12-03T13:00:00Z' },
  });
  const cases = [
    ['2026-12-03 10:20:00+00', '20261203T100000Z', '7715300000000000001-1'],
    ['2026-12-03 10:45:00+00', '20261203T103000Z', '7715300000000000001-1'],
    ['2026-12-03 12:30:00+00', '20261203T120000Z', '7715300000000000001-2'],
    [undefined, '20261203T120000Z', '7715300000000000001-2'],
  ];
  for (const [at, label, chain] of cases) {
    const r = restore(dir, at);
    assert.equal(r.status, 0, `${at}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Restoring from base backup ${label} \\(chain ${chain}\\)`), at);
  }
  // Between the chains (the first one's WAL ends at 11:00, the second starts at 12:00): refused.
  const gap = restore(dir, '2026-12-03 11:30:00+00');
  assert.notEqual(gap.status, 0);
  assert.match(gap.stderr, /2026-12-03 10:00:00\.000\+00 to 2026-12-03 11:00:00\.000\+00; 2026-12-03 12:00:00\.000\+00 to 2026-12-03 13:00:00\.000\+00/);
});

test('a target in the last second of the WAL (before its last arrival, to the millisecond): restored, not refused', () => {
  const dir = fixture({
    '7715300000000000001-1': { bases: [{ label: '20261203T100000Z', end: '2026-12-03T10:00:00Z' }], walUntil: '2026-12-03T11:00:00.600Z' },
  });
  const r = restore(dir, '2026-12-03 11:00:00.300+00');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Restoring from base backup 20261203T100000Z \(chain 7715300000000000001-1\) to 2026-12-03 11:00:00\.300\+00/);
  const after = restore(dir, '2026-12-03 11:00:00.700+00');
  assert.notEqual(after.status, 0);
  assert.match(after.stderr, /to 2026-12-03 11:00:00\.(599|600)\+00\)/); // (utimes rounds)
});

test('the latest state: the newest chain that has a base backup (a chain whose first base backup never finished restores nothing)', () => {
  const dir = fixture({
    ...ONE_CHAIN,
    '7715300000000000001-2': { bases: [], walUntil: '2026-12-03T13:00:00Z' },
  });
  const r = restore(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Restoring from base backup 20261203T103000Z \(chain 7715300000000000001-1\)/);
});
