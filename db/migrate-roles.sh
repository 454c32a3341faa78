#!/usr/bin/env bash
# One-off migration of a PostgreSQL volume initialised before the roles split, when the
# image's superuser was `triad`, the service's own role, and owned the tables. Keeps the data.
# `make db-migrate-roles` runs it inside the postgres container (as the OS user postgres, over
# the Unix socket), with the service stopped. On a volume that is already split it only
# re-applies db/roles.sh and the grants, which adds the roles created since (the exporter's
# triad_monitor) and changes nothing else.
#
# The old superuser `triad` is the bootstrap role (OID 10): PostgreSQL refuses to take its
# superuser attribute away or to hand its objects to another role. So it is renamed to
# `postgres` (the superuser of a fresh volume) and gets the superuser password; then
# db/roles.sh creates triad_owner and a new, unprivileged `triad` (same password as before,
# so the service connects as it did), the tables move to triad_owner, and the service gets
# its DML back. Finally the socket and localhost stop being trusted, as on a fresh volume.
set -Eeuo pipefail

db=${POSTGRES_DB:-triad}
say() { echo "migrate-roles: $*"; }
# Warnings and errors only: a re-run notices every object that already exists.
sql() { local user=$1; shift; PGOPTIONS='-c client_min_messages=warning' psql -X -v ON_ERROR_STOP=1 --quiet --no-psqlrc --username "$user" --dbname "$db" "$@"; }

for var in POSTGRES_PASSWORD_FILE TRIAD_APP_PASSWORD_FILE TRIAD_OWNER_PASSWORD_FILE; do
    [ -s "${!var:-}" ] || { say "$var names no readable file: run it through 'make db-migrate-roles', which mounts the secrets."; exit 1; }
done

boot=
for user in postgres triad; do
    boot=$(sql "$user" -tA -c 'SELECT rolname FROM pg_roles WHERE oid = 10' 2>/dev/null) && break
done
[ -n "$boot" ] || { say "cannot connect over the socket as postgres or triad: is this triad's PostgreSQL volume?"; exit 1; }

if [ "$boot" = triad ]; then
    say "the superuser is triad (initialised before the roles split): renaming it to postgres"
    # The bootstrap role cannot rename itself: a second superuser, dropped below, does it.
    sql triad <<'SQL'
SELECT 'CREATE ROLE triad_migration SUPERUSER LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'triad_migration') \gexec
SQL
    sql triad_migration <<'SQL'
\set superuser_password `cat "$POSTGRES_PASSWORD_FILE"`
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres') THEN
    RAISE EXCEPTION 'a role postgres exists besides the superuser triad: migrate by hand';
  END IF;
END $$;
-- Sessions still open as triad would go on as the superuser after the rename.
DO $$ BEGIN
  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
   WHERE backend_type = 'client backend' AND usename = 'triad';
END $$;
ALTER ROLE triad RENAME TO postgres;
ALTER ROLE postgres PASSWORD :'superuser_password';
SQL
elif [ "$boot" != postgres ]; then
    say "the superuser is $boot, neither triad (before the split) nor postgres: migrate by hand."
    exit 1
fi

POSTGRES_USER=postgres POSTGRES_DB=$db bash /docker-entrypoint-initdb.d/10-roles.sh
sql postgres <<'SQL'
-- Everything in the schema goes to the owner; ALTER TABLE also moves the table's indexes and
-- identity sequences, so the second query only finds sequences of their own.
SELECT format('ALTER TABLE public.%I OWNER TO triad_owner', c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND c.relowner <> 'triad_owner'::regrole \gexec
SELECT format('ALTER SEQUENCE public.%I OWNER TO triad_owner', c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind = 'S'
   AND c.relowner <> 'triad_owner'::regrole \gexec
DROP ROLE IF EXISTS triad_migration;
SQL
# The service's DML, as db/migration/V1__schema.sql grants it (the migrate service then
# baselines this database at version 1 instead of running V1).
sql postgres <<'SQL'
GRANT SELECT, INSERT, UPDATE, DELETE ON items, idempotency_keys, cache_fence TO triad;
GRANT USAGE ON SEQUENCE items_id_seq TO triad;
SQL

# initdb's defaults trust every local connection; a fresh volume has peer and passwords.
hba="$PGDATA/pg_hba.conf"
if grep -Eq '^[^#]*[[:space:]]trust[[:space:]]*$' "$hba"; then
    sed -E -i.before-roles \
        -e 's/^(local[[:space:]].*[[:space:]])trust[[:space:]]*$/\1peer/' \
        -e 's/^(host[[:space:]].*[[:space:]])trust[[:space:]]*$/\1scram-sha-256/' "$hba"
    sql postgres -tA -c 'SELECT pg_reload_conf()' >/dev/null
    say "pg_hba.conf: trust replaced by peer (socket) and scram-sha-256 (TCP); the old file is pg_hba.conf.before-roles"
fi

sql postgres -tA -F ' ' <<'SQL' | while read -r line; do say "$line"; done
SELECT 'role ' || rolname || ': superuser=' || rolsuper || ' createrole=' || rolcreaterole || ' createdb=' || rolcreatedb
  FROM pg_roles WHERE rolname IN ('postgres', 'triad_owner', 'triad', 'triad_monitor') ORDER BY rolname;
SELECT 'table ' || tablename || ': owner ' || tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename;
SQL
say "done"
