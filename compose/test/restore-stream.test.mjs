// make restore (compose/backup.sh) after the rebuild, without a stack: a `docker` on PATH plays
// the stack (the restored PostgreSQL, the backup service, the new chain's base backup) and logs
// every `compose up`. The promise under test: web1-web3 start, and so accept writes, only once
// the backup stream of the new chain has caught up with PostgreSQL; while it does not run, the
// restore stops with one line and web1-web3 stay stopped (a write acknowledged then would be in
// no backup: a later restore would lose it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// FAKE_STREAM=up: the walsender of the slot has flushed PostgreSQL's position; down: no stream.
const FAKE_DOCKER = `#!/usr/bin/env bash
S=$FAKE_STATE
[ "$1" = compose ] || exit 0
shift; while [ $# -gt 0 ]; do case $1 in -f|-p|--project-name) shift 2;; *) break;; esac; done
sub=$1; svc=\${!#}
case $sub in
  ps) case $svc in postgres) echo c-postgres;; backup) [ -e "$S/backup-started" ] && echo c-backup;; esac ;;
  up) echo "up $*" >> "$S/calls.log"; case " $* " in *" backup "*) : > "$S/backup-started";; esac ;;
  run) case " $* " in
         *" backup-list "*) echo "base 7715300000000000001-1 20261203T100000Z 1764756000 1764756002 0/2000028 0/2000120 48963584"
                            echo "wal 7715300000000000001-1 1764759600.5 50331648"
                            [ -e "$S/backup-started" ] && echo "base 7715300000000000001-2 20261203T110000Z 1764759700 1764759702 0/4000028 0/4000120 48963584" ;;
         *" rebuild "*) echo "last_commit 1764759500.25"; echo "target end" ;;
       esac ;;
  exec) sql=\${!#}
        case "$*" in
          *IDENTIFY_SYSTEM*) echo "7715300000000000001 2 0/4000120 " ;;
          *) case $sql in
               *pg_is_in_recovery*) echo t ;;
               *pg_current_wal_flush_lsn*) echo 0/4000120 ;;
               *flush_lsn*) [ "$FAKE_STREAM" = up ] && echo t ;;
               *"count(*) FROM items"*) echo 0 ;;
             esac ;;
        esac ;;
esac
exit 0
`;

function restore(stream) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-stack-'));
  writeFileSync(path.join(dir, 'docker'), FAKE_DOCKER);
  chmodSync(path.join(dir, 'docker'), 0o755);
  const r = spawnSync('bash', [path.join(ROOT, 'compose', 'backup.sh'), 'restore'], {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_STATE: dir, FAKE_STREAM: stream, TRIAD_BACKUP_STREAM_WAIT: '2' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const calls = existsSync(path.join(dir, 'calls.log')) ? readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n') : [];
  return { ...r, ups: calls };
}

test('the new chain\'s stream does not run after the restore: the restore stops, web1-web3 stay stopped', () => {
  const r = restore('down');
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr, /^restore: the backup stream of the restored database is not running \(see make logs SERVICE=backup\); web1-web3 stay stopped/m);
  assert.ok(r.ups.some((u) => / backup$/.test(u)), `the stream was started: ${r.ups}`);
  assert.deepEqual(r.ups.filter((u) => /web1/.test(u)), [], 'web1-web3 were started although no stream carries their writes');
});

test('the new chain\'s stream has caught up: web1-web3 start after it', () => {
  const r = restore('up');
  assert.equal(r.status, 0, r.stderr);
  const backup = r.ups.findIndex((u) => / backup$/.test(u));
  const web = r.ups.findIndex((u) => /web1 web2 web3 nginx$/.test(u));
  assert.ok(backup >= 0 && web > backup, `order of the starts: ${r.ups}`);
  assert.match(r.stdout, /Waiting for the backup stream of the new chain\.\.\.\n.*Starting web1-web3/);
});
