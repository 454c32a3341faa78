#!/usr/bin/env bash
# PostgreSQL roles of the HA profile (compose/ha.yaml), the Compose rehearsal of what
# CloudNativePG does by itself in Kubernetes:
#   pg-admin.sh status            each node's role: primary, standby (streaming or not), down, fenced
#   pg-admin.sh failover          make db-failover: fence the primary (stopped, or found dead),
#                                 promote the standby, time the first acknowledged write
#   pg-admin.sh rebuild-standby   make db-rebuild-standby: re-clone the node that is not the
#                                 primary (a fenced old primary) as the synchronous standby
#   pg-admin.sh ensure-sync       the primary waits for its standby on COMMIT once it streams
#
# The roles are asked of the nodes themselves (pg_is_in_recovery()), never assumed from the
# service names: after a failover postgres-standby is the primary.
#
# No split brain: the fence is a removed container, the marker triad.fenced in the old
# primary's data directory (compose/ha/pg-node.sh refuses to start on it) and its control file
# global/pg_control moved aside to triad.fenced.pg_control, so that no start of that directory
# by any other way (the plain stack's postgres, a hand-run container) can run PostgreSQL on it:
# without pg_control PostgreSQL refuses to start. All three happen while no PostgreSQL runs on
# it, BEFORE the standby is promoted, so at no moment are two primaries running; and a
# crash-restart of the old primary cannot bring it back. Only rebuild-standby (a new clone)
# makes the directory usable again.
#
# synchronous_standby_names: 'FIRST 1 (triad_standby)' on a primary whose standby streams
# (every acknowledged COMMIT is on both nodes); '' on a promoted primary, which has no standby
# until rebuild-standby: a synchronous primary without a standby would make every write wait
# forever (the service would answer 504 to all of them). So between a failover and the rebuild
# an acknowledged write is on one node only; both commands print it.
# Environment: COMPOSE (the docker compose command line, from the Makefile).
set -Eeuo pipefail
cd "$(dirname "$0")/../.."

COMPOSE=${COMPOSE:-docker compose -f compose/compose.yaml -f compose/ha.yaml --project-name triad}
PROJECT=triad
NODES=(postgres postgres-standby)
SYNC="FIRST 1 (triad_standby)"
IMAGE=$(sed -n 's|^[[:space:]]*image:[[:space:]]*\(postgres:[^[:space:]]*\)[[:space:]]*$|\1|p' compose/compose.yaml | head -n1)

die() { printf 'db: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
volume_of() { case "$1" in postgres) echo "${PROJECT}_pgdata";; postgres-standby) echo "${PROJECT}_pgdata-standby";; esac; }
peer_of() { [ "$1" = postgres ] && echo postgres-standby || echo postgres; }
container_of() { $COMPOSE ps -q "$1" 2>/dev/null | head -n1; }

# SQL as the superuser over the node's local socket (peer authentication: no password).
sql() {
    local id; id=$(container_of "$1"); [ -n "$id" ] || return 1
    docker exec "$id" psql -XqtA -v ON_ERROR_STOP=1 -U postgres -d postgres -c "$2" 2>/dev/null
}

# primary | standby-streaming | standby-<receiver status> | fenced | down
role_of() {
    local r
    if r=$(sql "$1" "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby-' || coalesce((SELECT status FROM pg_stat_wal_receiver), 'not-streaming') ELSE 'primary' END"); then
        echo "$r"
    elif docker run --rm --network none --user postgres -v "$(volume_of "$1"):/data:ro" --entrypoint test "$IMAGE" -e /data/triad.fenced 2>/dev/null; then
        echo fenced
    else
        echo down
    fi
}

status() {
    local n
    for n in "${NODES[@]}"; do printf '%-17s %s\n' "$n" "$(role_of "$n")"; done
    n=$(primary_or_empty)
    [ -z "$n" ] || printf 'synchronous_standby_names on %s: %s\n' "$n" "'$(sql "$n" 'SHOW synchronous_standby_names')'"
}

primary_or_empty() {
    local n found=()
    for n in "${NODES[@]}"; do [ "$(role_of "$n")" = primary ] && found+=("$n"); done
    [ "${#found[@]}" -le 1 ] || die "both nodes answer as primary (${found[*]}): this must never happen; stop the one with the older data and run 'make db-rebuild-standby'."
    echo "${found[0]:-}"
}

set_sync() {
    sql "$1" "ALTER SYSTEM SET synchronous_standby_names = '$2'" >/dev/null \
        && sql "$1" "SELECT pg_reload_conf()" >/dev/null \
        || die "could not set synchronous_standby_names on $1."
}

ensure_sync() {
    local p s
    p=$(primary_or_empty); [ -n "$p" ] || die "no node answers as primary: 'make db-status' shows the roles."
    s=$(peer_of "$p")
    [ "$(role_of "$s")" = standby-streaming ] || die "$s does not stream from $p: synchronous_standby_names left at '$(sql "$p" 'SHOW synchronous_standby_names')'. 'make db-rebuild-standby' re-clones it."
    set_sync "$p" "$SYNC"
    # The standby is the synchronous one once the primary sees it as such.
    local i state=
    for i in $(seq 1 50); do
        state=$(sql "$p" "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'triad_standby'") || true
        [ "$state" = sync ] && break
        sleep 0.2
    done
    [ "$state" = sync ] || die "$s streams but $p does not report it as synchronous (sync_state '$state')."
    echo "synchronous: $p waits on COMMIT for $s (synchronous_standby_names = '$SYNC')"
}

base_url() {
    local bind port
    bind=$(sed -n 's/^TRIAD_BIND=//p' compose/.env 2>/dev/null | tail -n1); port=$(sed -n 's/^TRIAD_PORT=//p' compose/.env 2>/dev/null | tail -n1)
    bind=${bind:-127.0.0.1}; [ "$bind" = 0.0.0.0 ] && bind=127.0.0.1
    echo "http://$bind:${port:-9999}"
}

# The first write that an instance acknowledges through Nginx (a keyed POST: repeating it after
# an unknown outcome creates the item once), then deleted again.
first_write() {
    local url key deadline code body
    url=$(base_url); key="db-failover-$(date +%s%N)"; deadline=$(( $(date +%s) + 120 ))
    while :; do
        body=$(curl -sS -m 3 -o - -w '\n%{http_code}' -X POST "$url/api/items" -H 'content-type: application/json' \
            -H "idempotency-key: $key" -d "{\"name\":\"$key\",\"description\":\"make db-failover probe\",\"quantity\":1}" 2>/dev/null) || body=$'\n000'
        code=${body##*$'\n'}
        if [ "$code" = 201 ] || [ "$code" = 200 ]; then
            local id; id=$(printf '%s' "${body%$'\n'*}" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
            [ -z "$id" ] || curl -sS -m 3 -o /dev/null -X DELETE "$url/api/items/$id" 2>/dev/null || true
            return 0
        fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

failover() {
    local t0 a b old new ra rb
    t0=$(now)
    ra=$(role_of postgres); rb=$(role_of postgres-standby)
    echo "before: postgres $ra, postgres-standby $rb"
    case "$ra/$rb" in
        primary/standby-*) old=postgres; new=postgres-standby;;
        standby-*/primary) old=postgres-standby; new=postgres;;
        */standby-*) old=postgres; new=postgres-standby;;
        standby-*/*) old=postgres-standby; new=postgres;;
        *) die "no standby to promote (postgres: $ra, postgres-standby: $rb): nothing was changed. 'make db-rebuild-standby' makes one when a primary runs.";;
    esac
    # A standby that lost its primary reports no receiver: that is the case of a dead primary.
    # 1. Fence: no PostgreSQL may run on the old primary's data from here on.
    $COMPOSE rm -fsv "$old" >/dev/null 2>&1 || true
    docker run --rm --network none --user postgres -v "$(volume_of "$old"):/data" --entrypoint sh "$IMAGE" \
        -c 'echo "fenced by make db-failover at $1, $2 promoted" > /data/triad.fenced && { [ ! -e /data/global/pg_control ] || mv /data/global/pg_control /data/triad.fenced.pg_control; }' sh "$(date -u +%FT%TZ)" "$new" \
        || die "could not write the fence into $(volume_of "$old"): $new was NOT promoted. Check 'docker volume inspect $(volume_of "$old")'."
    local t1; t1=$(now)
    echo "fenced:   $old (container removed, $(volume_of "$old") marked triad.fenced, its pg_control moved aside) at +$(secs "$t0" "$t1") s"
    # 2. No standby behind the new primary: it must not wait for one (see the file comment).
    #    Set before the promotion (ALTER SYSTEM works on a standby), so no COMMIT ever waits.
    set_sync "$new" ""
    sql "$new" "SELECT pg_promote(true, 60)" | grep -qx t || die "$new did not finish its promotion within 60 s: see 'make logs SERVICE=$new'."
    local t2; t2=$(now)
    echo "promoted: $new at +$(secs "$t0" "$t2") s; synchronous_standby_names = '$(sql "$new" 'SHOW synchronous_standby_names')' (no standby: acknowledged writes are on $new only until 'make db-rebuild-standby')"
    if first_write; then
        echo "first acknowledged write through $(base_url) at +$(secs "$t0" "$(now)") s after the start of db-failover"
    else
        die "no write was acknowledged through $(base_url) within 120 s of the promotion: see 'make logs SERVICE=web1'."
    fi
}

rebuild_standby() {
    local p s t0
    t0=$(now)
    p=$(primary_or_empty); [ -n "$p" ] || die "no node answers as primary, nothing to clone from: 'make db-status' shows the roles (after a dead primary, 'make db-failover' first)."
    s=$(peer_of "$p")
    echo "primary $p; re-cloning $s ($(role_of "$s")) as its standby"
    $COMPOSE rm -fsv "$s" >/dev/null 2>&1 || true
    docker run --rm --network none --user postgres -v "$(volume_of "$s"):/data" --entrypoint sh "$IMAGE" \
        -c 'find /data -mindepth 1 -delete && touch /data/triad.clone' \
        || die "could not empty $(volume_of "$s")."
    $COMPOSE up -d --no-deps --wait --wait-timeout 300 "$s" >/dev/null \
        || die "$s did not become a streaming standby within 300 s: see 'make logs SERVICE=$s'."
    echo "cloned:  $s streams from $p after $(secs "$t0" "$(now)") s"
    ensure_sync
}

# Plain `make up` after the HA profile: the plain stack runs postgres alone on the volume
# pgdata, so that volume must hold the primary's data, and its PostgreSQL must no longer wait
# for a standby nor keep WAL for one (the slot). COMPOSE is the plain stack's here.
leave_ha() {
    local vol; vol=$(volume_of postgres)
    docker volume inspect "$vol" >/dev/null 2>&1 || return 0
    if docker run --rm --network none --user postgres -v "$vol:/data:ro" --entrypoint sh "$IMAGE" -c 'test -e /data/triad.fenced || test -e /data/standby.signal'; then
        die "after a failover the primary's data is in $(volume_of postgres-standby), not in $vol, which the plain stack uses: stay on 'make up HA=1', or make postgres the primary again first ('make db-failover' with both nodes up, then 'make db-rebuild-standby'), or 'make clean'."
    fi
    docker compose -f compose/compose.yaml -f compose/ha.yaml --project-name "$PROJECT" rm -fs postgres-standby >/dev/null 2>&1 || true
    $COMPOSE up -d --wait postgres >/dev/null || die "postgres did not become healthy: see 'make logs SERVICE=postgres'."
    sql postgres "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null && sql postgres "SELECT pg_reload_conf()" >/dev/null \
        && sql postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'triad_standby'" >/dev/null \
        || die "could not reset the HA settings of postgres (synchronous_standby_names, the slot triad_standby)."
    echo "left the HA profile: postgres alone, synchronous_standby_names reset, slot triad_standby dropped"
}

case "${1:-}" in
    leave-ha) leave_ha ;;
    status) status ;;
    failover) failover ;;
    rebuild-standby) rebuild_standby ;;
    ensure-sync) ensure_sync ;;
    *) die "usage: pg-admin.sh status | failover | rebuild-standby | ensure-sync" ;;
esac
