#!/usr/bin/env bash
# The start of a PostgreSQL node of the HA profile (compose/ha.yaml: postgres, postgres-standby).
# Both nodes run this; which one is the primary is decided by the data directory, never by the
# service name: `make db-failover` swaps the roles, `make db-rebuild-standby` re-clones a node.
#
#   $PGDATA/triad.fenced  written by `make db-failover` into the volume of the primary it
#                         replaced: this node may hold writes the new primary lacks (or lack
#                         ones it has), so it never starts again, as primary or standby. The
#                         way back is `make db-rebuild-standby` (empties the volume).
#   $PGDATA/triad.clone   written by `make db-rebuild-standby` into the emptied volume: clone
#                         the peer (never initdb, which would make a second, empty primary).
#   empty, TRIAD_PG_BOOTSTRAP=1 (the service `postgres` only): the first start of the stack,
#                         the image's entrypoint initialises a new primary (db/roles.sh).
#   empty otherwise:      clone the peer.
#   PG_VERSION present:   start; standby.signal (written by pg_basebackup -R) makes a standby.
#
# A clone is pg_basebackup -R -X stream from TRIAD_PG_PEER as triad_replicator, through the
# physical slot SLOT (created here on the peer if missing): the primary keeps every WAL segment
# the standby has not received, so a standby that was down catches up instead of needing a new
# clone (bounded by max_slot_wal_keep_size, compose/ha.yaml). application_name SLOT is the name
# synchronous_standby_names waits for.
set -Eeuo pipefail

SLOT=triad_standby
PEER=${TRIAD_PG_PEER:?TRIAD_PG_PEER names the other PostgreSQL node}

if [ -e "$PGDATA/triad.fenced" ]; then
    echo >&2 "pg-node: this node was fenced by make db-failover ($(cat "$PGDATA/triad.fenced")): it is not started, so it can never accept writes beside the new primary. Run 'make db-rebuild-standby' to re-clone it as the standby."
    exit 78
fi

clone() {
    export PGPASSWORD
    PGPASSWORD=$(cat "${TRIAD_REPLICATION_PASSWORD_FILE:?}")
    local conn="host=$PEER port=5432 user=triad_replicator"
    echo "pg-node: waiting for $PEER to accept replication connections"
    until psql -XqtA -d "$conn replication=true dbname=replication" -c IDENTIFY_SYSTEM >/dev/null 2>&1; do sleep 1; done
    # The slot first, so that no WAL written during the copy is recycled before the stream
    # asks for it. "already exists" is fine: a slot left by an earlier standby of this peer.
    local out
    if ! out=$(psql -XqtA -d "$conn replication=true dbname=replication" -c "CREATE_REPLICATION_SLOT $SLOT PHYSICAL RESERVE_WAL" 2>&1); then
        case "$out" in *"already exists"*) ;; *) echo >&2 "pg-node: could not create the slot $SLOT on $PEER: $out"; exit 1;; esac
    fi
    rm -f "$PGDATA/triad.clone"
    echo "pg-node: cloning $PEER into $PGDATA (pg_basebackup, slot $SLOT)"
    if ! pg_basebackup -D "$PGDATA" -R -X stream -S "$SLOT" -c fast \
            -d "$conn application_name=$SLOT"; then
        # Leave the directory as the rebuild left it: the next start clones again.
        find "$PGDATA" -mindepth 1 -delete
        touch "$PGDATA/triad.clone"
        echo >&2 "pg-node: pg_basebackup from $PEER failed (above): the next start retries."
        exit 1
    fi
    unset PGPASSWORD
    # PostgreSQL refuses a data directory others may read; the volume's root is the image's 0777.
    chmod 700 "$PGDATA"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -e "$PGDATA/triad.clone" ] || [ "${TRIAD_PG_BOOTSTRAP:-}" != 1 ]; then
        clone
    fi
fi
# The image's entrypoint: initdb and db/roles.sh on an empty directory (the bootstrap node's
# first start only), then postgres with the settings given to this script.
exec docker-entrypoint.sh postgres "$@"
