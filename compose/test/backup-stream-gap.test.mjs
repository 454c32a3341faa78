// The backup agent's stream (compose/backup-agent.sh stream) against a real PostgreSQL in
// containers of its own (no stack): a chain whose next WAL segment the server has already
// removed. Seen after a restore: the new chain's first stream was cut off after its first bytes,
// the base backup's checkpoint removed that segment, and every retry failed with "requested WAL
// segment ... has already been removed" - the chain never got WAL again, so writes acknowledged
// from then on were in no backup. The agent must start the chain's WAL again (a fresh slot, a new
// base backup the new WAL continues) and keep the unusable WAL aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const SCRIPT = String.raw`
set -eu
N=triad-gaptest-$$
trap 'docker rm -f $N-pg $N-ag >/dev/null 2>&1; docker volume rm $N-b >/dev/null 2>&1; docker network rm $N-net >/dev/null 2>&1' EXIT
docker network create $N-net >/dev/null
docker run -d --name $N-pg --network $N-net --network-alias postgres -e POSTGRES_PASSWORD=x -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17-alpine >/dev/null
until docker exec $N-pg psql -U postgres -h 127.0.0.1 -qc "create role triad_replicator login replication" >/dev/null 2>&1; do sleep 0.5; done
docker exec $N-pg sh -c 'echo "host replication all all trust" >> $PGDATA/pg_hba.conf'
docker exec $N-pg psql -U postgres -qc "select pg_reload_conf()" >/dev/null
SYS=$(docker exec $N-pg psql -U postgres -XAtc "select system_identifier from pg_control_system()")
# Segment 1 removed by the server: switches and checkpoints, no slot holding it.
for i in 1 2 3; do docker exec $N-pg psql -U postgres -qc "select pg_switch_wal()" -c "checkpoint" >/dev/null; done
docker volume create $N-b >/dev/null
docker run --rm -v $N-b:/var/lib/postgresql/data --user postgres --entrypoint sh postgres:17-alpine -c "
  c=/var/lib/postgresql/data/chains/$SYS-1; mkdir -p \$c/wal \$c/base/20261204T000000Z
  printf 'label=20261204T000000Z\nstart_lsn=0/1000028\nend_lsn=0/1000100\nstart_time=1\nend_time=2\nsize=1\n' > \$c/base/20261204T000000Z/info
  head -c 16777216 /dev/zero > \$c/wal/000000010000000000000001.partial"
docker exec $N-pg psql -U postgres -qc "select pg_create_physical_replication_slot('triad_backup')" >/dev/null
docker run -d --name $N-ag --network $N-net --user postgres -v "$AGENT":/usr/local/bin/backup-agent.sh:ro -v "$SECRET":/run/secrets/replication_password:ro \
  -v $N-b:/var/lib/postgresql/data -e TRIAD_BACKUP_ROOT=/var/lib/postgresql/data --entrypoint /usr/local/bin/backup-agent.sh postgres:17-alpine stream >/dev/null
# A write after the agent started: it must reach the chain.
sleep 3; docker exec $N-pg psql -U postgres -qc "create table t(i int); insert into t values (1)" >/dev/null
for i in $(seq 1 40); do
  [ "$(docker exec $N-pg psql -U postgres -XAtc "select coalesce(bool_and(active and restart_lsn >= pg_current_wal_flush_lsn()), false) from pg_replication_slots")" = t ] && break
  sleep 0.5
done
echo "slot caught up: $(docker exec $N-pg psql -U postgres -XAtc "select coalesce(bool_and(active and restart_lsn >= pg_current_wal_flush_lsn()), false) from pg_replication_slots")"
docker run --rm -v $N-b:/b:ro --entrypoint sh postgres:17-alpine -c "cd /b/chains/$SYS-1 && find . -type f | sort"
`;

test('a chain whose next WAL the server removed starts again: fresh slot, its WAL streamed, a new base backup, the old WAL aside', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'triad-gap-'));
  const secret = path.join(dir, 'replication_password');
  writeFileSync(secret, 'unused-trust-auth');
  chmodSync(secret, 0o644);
  const r = spawnSync('bash', ['-c', SCRIPT], { env: { ...process.env, AGENT: path.join(ROOT, 'compose', 'backup-agent.sh'), SECRET: secret }, encoding: 'utf8', timeout: 110_000 });
  assert.equal(r.status, 0, r.stderr);
  const files = r.stdout.split('\n');
  assert.ok(files.includes('slot caught up: t'), `the stream does not run:\n${r.stdout}`);
  assert.ok(files.some((f) => /^\.\/wal\/[0-9A-F]{24}\.partial$/.test(f) && !f.endsWith('000000010000000000000001.partial')), `no WAL streamed into the chain:\n${r.stdout}`);
  assert.ok(files.some((f) => /^\.\/base\/\d{8}T\d{6}Z\/base\.tar$/.test(f)), `no new base backup:\n${r.stdout}`);
  assert.ok(files.some((f) => /^\.\/wal\/\.gap-[^/]+\/000000010000000000000001\.partial$/.test(f)), `the unusable WAL was not kept aside:\n${r.stdout}`);
  // The old base backup goes aside with the WAL that carried it: the chain's range starts at the new one.
  assert.ok(files.includes('./base/.gap-' + files.find((f) => /^\.\/wal\/\.gap-/.test(f)).split('/')[2].slice(5) + '/20261204T000000Z/info'), `the old base backup is still in the chain:\n${r.stdout}`);
});
