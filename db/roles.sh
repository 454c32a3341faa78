#!/usr/bin/env bash
# triad database roles. The postgres image's entrypoint sources this file from
# /docker-entrypoint-initdb.d (as 10-roles.sh) once, on an empty volume,
# connected as the image's superuser ($POSTGRES_USER, `postgres`); db/migrate-roles.sh runs it
# again on a volume initialised before the roles were split. Safe to run more than once.
#
#   triad_owner  owns the schema and the tables: db/migration (io.triad.migrate) runs as it.
#   triad        the service: DML on triad's own tables only (db/migration grants it), no DDL.
#   postgres     the image's superuser, for administration; neither role above is one.
#
# The passwords come from secret files named by TRIAD_APP_PASSWORD_FILE and
# TRIAD_OWNER_PASSWORD_FILE. psql reads them itself (backquotes below), so they appear on no
# command line. Timeouts (statement_timeout, lock_timeout) are not set on the roles: the
# service sets them per connection, next to its socket timeout.

triad_roles() {
    local var
    for var in TRIAD_APP_PASSWORD_FILE TRIAD_OWNER_PASSWORD_FILE; do
        if [ -z "${!var:-}" ] || [ ! -s "${!var}" ]; then
            echo >&2 "triad roles: $var='${!var:-}' names no readable, non-empty file: mount the secret and set $var to its path."
            return 1
        fi
    done
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-triad}" --set db="${POSTGRES_DB:-triad}" <<'SQL'
\set app_password `cat "$TRIAD_APP_PASSWORD_FILE"`
\set owner_password `cat "$TRIAD_OWNER_PASSWORD_FILE"`
SELECT 'CREATE ROLE triad_owner' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'triad_owner') \gexec
SELECT 'CREATE ROLE triad' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'triad') \gexec
-- Every attribute spelled out, so a second run also repairs a role that was changed by hand.
ALTER ROLE triad_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
-- NOINHERIT: a role granted to triad later (by mistake) does not lend it its privileges.
ALTER ROLE triad WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
    PASSWORD :'app_password';

-- Only triad's roles may connect to its database, and nobody but the superuser to the others
-- (PUBLIC has CONNECT and TEMPORARY on every database by default).
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO triad_owner, triad;
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;

-- The owner creates in the schema; the service may only look up names in it.
ALTER SCHEMA public OWNER TO triad_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO triad;
SQL
}

triad_roles
