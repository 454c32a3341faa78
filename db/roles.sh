#!/usr/bin/env bash
# triad database roles. The postgres image's entrypoint sources this file from
# /docker-entrypoint-initdb.d (as 10-roles.sh) once, on an empty volume,
# connected as the image's superuser ($POSTGRES_USER, `postgres`); db/migrate-roles.sh runs it
# again on a volume initialised before the roles were split. Safe to run more than once.
#
#   triad_owner  owns the schema and the tables: db/migration (io.triad.migrate) runs as it.
#   triad        the service: DML on triad's own tables only (db/migration grants it), no DDL.
#   postgres     the image's superuser, for administration; neither role above is one.
#   triad_replicator  streaming replication only (a standby's pg_basebackup and WAL stream,
#                the backups' pg_receivewal): REPLICATION, no database, no table. Created only
#                when TRIAD_REPLICATION_PASSWORD_FILE is set (Compose); Kubernetes' prod
#                overlay replicates through CloudNativePG, which has its own.
#   triad_monitor  the PostgreSQL exporter's (Compose's observe profile): a member of
#                pg_monitor (the statistics views and settings), CONNECT to the database, no
#                table, no DML. Created only when TRIAD_MONITOR_PASSWORD_FILE is set (Compose);
#                Kubernetes has no such exporter (CloudNativePG's instance manager exports).
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
    triad_replicator || return 1
    triad_monitor || return 1
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

# The replication role, and a pg_hba line that admits it (over TCP, with its password) to the
# replication protocol only: initdb's own replication lines admit loopback only, and the
# image's `host all all all` line does not cover replication connections.
triad_replicator() {
    [ -n "${TRIAD_REPLICATION_PASSWORD_FILE:-}" ] || return 0
    if [ ! -s "$TRIAD_REPLICATION_PASSWORD_FILE" ]; then
        echo >&2 "triad roles: TRIAD_REPLICATION_PASSWORD_FILE='$TRIAD_REPLICATION_PASSWORD_FILE' names no readable, non-empty file: mount the secret or unset the variable."
        return 1
    fi
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-triad}" <<'SQL' || return 1
\set replication_password `cat "$TRIAD_REPLICATION_PASSWORD_FILE"`
SELECT 'CREATE ROLE triad_replicator' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'triad_replicator') \gexec
ALTER ROLE triad_replicator WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'replication_password';
SQL
    local hba=${PGDATA:-/var/lib/postgresql/data}/pg_hba.conf
    if [ -w "$hba" ] && ! grep -q '^host[[:space:]]\+replication[[:space:]]\+triad_replicator' "$hba"; then
        printf 'host replication triad_replicator all scram-sha-256\n' >> "$hba"
    fi
}

# The exporter's role: pg_monitor's statistics, nothing of the service's. NOINHERIT would
# make pg_monitor's privileges need a SET ROLE, which the exporter does not do: INHERIT, and
# pg_monitor grants read access to statistics and settings only.
triad_monitor() {
    [ -n "${TRIAD_MONITOR_PASSWORD_FILE:-}" ] || return 0
    if [ ! -s "$TRIAD_MONITOR_PASSWORD_FILE" ]; then
        echo >&2 "triad roles: TRIAD_MONITOR_PASSWORD_FILE='$TRIAD_MONITOR_PASSWORD_FILE' names no readable, non-empty file: mount the secret or unset the variable."
        return 1
    fi
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-triad}" --set db="${POSTGRES_DB:-triad}" <<'SQL'
\set monitor_password `cat "$TRIAD_MONITOR_PASSWORD_FILE"`
SELECT 'CREATE ROLE triad_monitor' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'triad_monitor') \gexec
ALTER ROLE triad_monitor WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'monitor_password';
GRANT pg_monitor TO triad_monitor;
GRANT CONNECT ON DATABASE :"db" TO triad_monitor;
SQL
}

triad_roles
