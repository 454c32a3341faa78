#!/usr/bin/env bash
# triad backups, the host side: `make backup`, `make backups`, `make restore [AT=…]`.
#   backup.sh backup            a base backup now (in the running backup service)
#   backup.sh list              each base backup, and the time range each chain's WAL covers
#   backup.sh restore [AT]      the latest state, or the state at AT ("2026-12-03 10:20:00+00",
#                               anything GNU date -d reads), into the running stack
# The container side is compose/backup-agent.sh (layout of the backups, chains: read it first).
#
# restore, in this order:
#   1. validate (changes nothing): list the backups, find the chain whose range holds AT and its
#      latest base backup consistent before AT; refuse with one line when there is none, when
#      AT is outside every range, or in the HA profile (a standby would follow the old history);
#   2. stop web1-web3 (graceful: they drain), the backup stream, then PostgreSQL;
#   3. rebuild PostgreSQL's data directory from the base backup plus the chain's WAL
#      (recovery_target_time = AT, then promote), start it, wait for the promotion;
#   4. migrate (a restore to before a migration gets its schema back);
#   5. bump the cache fence's generation (CacheFence: the fence row was rolled back with
#      everything else, so without the bump instances would trust Redis copies written after
#      AT; with it every instance cleans Redis before it reads from it again);
#   6. start the backup stream (a new chain: a new timeline), wait for its base backup and for
#      the stream to have caught up, so every write after the restore is restorable too; start
#      web1-web3.
# Environment: COMPOSE (the docker compose command line, from the Makefile);
# TRIAD_BACKUP_FIXTURE=DIR (tests): list DIR instead of the backups, and stop after validating;
# TRIAD_BACKUP_STREAM_WAIT (seconds, default 120): how long a restore waits for the new chain's
# stream before it gives up with web1-web3 stopped.
set -Eeuo pipefail

cd "$(dirname "$0")/.."
COMPOSE=${COMPOSE:-docker compose -f compose/compose.yaml --project-name triad}
INSTANCES=(web1 web2 web3)

say() { printf '%s\n' "$*"; }
# A step's line with the seconds since the restore began (where the restore time goes).
step() { printf '[%5.1f s] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')" "$*"; }
die() { printf 'restore: %s\n' "$*" >&2; exit 1; }
fmt() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S.%3N+00'; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
running() { [ -n "$($COMPOSE ps --status running -q "$1" 2>/dev/null)" ]; }

# PostgreSQL as its superuser, inside its container (the socket: peer authentication).
psql_su() {
    $COMPOSE exec -T postgres sh -c 'exec psql -X -q -t -A -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "${POSTGRES_DB:-$POSTGRES_USER}" -c "$1"' psql "$1"
}

inventory() {
    if [ -n "${TRIAD_BACKUP_FIXTURE:-}" ]; then
        sh compose/backup-agent.sh inventory "$TRIAD_BACKUP_FIXTURE"
    else
        $COMPOSE run --rm --no-deps -T backup-list 2>/dev/null || die "could not list the backups (docker compose run backup-list failed): is Docker running and compose/.env present (make up)?"
    fi
}

# Per chain: the earliest time it can restore to (its first base backup's end), the latest (the
# newest WAL's arrival, to the nanosecond; for the chain streamed now, the time stream_caught_up
# proved it holds everything), its newest base backup's end. A chain without a base backup
# restores nothing: it has no range (and is never "the latest").
declare -A FROM TO
ranges() {
    local inv=$1 live=${2:-} live_to=${3:-} kind chain label st et rest
    while read -r kind chain a b c rest; do
        case "$kind" in
            base) et=$c; [ -z "${FROM[$chain]:-}" ] || awk -v x="$et" -v y="${FROM[$chain]}" 'BEGIN{exit !(x < y)}' && FROM[$chain]=$et ;;
            wal) TO[$chain]=$a ;;
        esac
    done <<<"$inv"
    for chain in "${!TO[@]}"; do [ -n "${FROM[$chain]:-}" ] || unset "TO[$chain]"; done
    for chain in "${!FROM[@]}"; do
        [ -n "${TO[$chain]:-}" ] || TO[$chain]=${FROM[$chain]}
        [ "$chain" = "$live" ] && TO[$chain]=$live_to
        awk -v a="${TO[$chain]}" -v b="${FROM[$chain]}" 'BEGIN{exit !(a < b)}' && TO[$chain]=${FROM[$chain]}
    done
    true
}

covered() {
    local out="" chain
    for chain in $(for c in "${!FROM[@]}"; do say "${FROM[$c]} $c"; done | sort -n | awk '{print $2}'); do
        out+="${out:+; }$(fmt "${FROM[$chain]}") to $(fmt "${TO[$chain]}")"
    done
    say "$out"
}

# "<system id>-<timeline>": the chain PostgreSQL writes now (IDENTIFY_SYSTEM over the socket's
# replication line, as the superuser).
ident_su() {
    $COMPOSE exec -T postgres sh -c 'exec psql -X -A -t -F " " -U "$POSTGRES_USER" -d "dbname=postgres replication=true" -c IDENTIFY_SYSTEM' | awk 'NF>=2 {print $1 "-" $2; exit}'
}

# The coverage of a running stream, proved rather than assumed: PostgreSQL acknowledges a commit
# only after its WAL is flushed, so once the backup stream (the walsender of the slot
# triad_backup; pg_receivewal --synchronous reports what it flushed) has flushed PostgreSQL's
# flush position read at time A, every commit acknowledged before A is in the backups. Prints A
# (epoch, nanoseconds); fails when no stream runs or it does not catch up within $1 seconds.
# (The file times alone are not that proof: they lag by however long the WAL was idle, and a
# stream that is down leaves them standing still.)
stream_caught_up() {
    local at lsn deadline=$(( $(date +%s) + ${1:-10} ))
    at=$(now)
    lsn=$(psql_su "SELECT pg_current_wal_flush_lsn()" 2>/dev/null) && [ -n "$lsn" ] || return 1
    until [ "$(psql_su "SELECT r.flush_lsn >= '$lsn'::pg_lsn FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = 'triad_backup'" 2>/dev/null)" = t ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        # After a segment switch (every base backup ends with one) PostgreSQL's flush position
        # is the next segment's start, and pg_receivewal reports the switched segment's end only
        # once more WAL follows (seen: 0/8FC0000 against 0/9000000 until the next write). One
        # commit of nothing (an xid, no row) is that WAL.
        psql_su "SELECT pg_current_xact_id()" >/dev/null 2>&1 || true
        sleep 0.2
    done
    say "$at"
}

# "<chain> <covered until>" of the chain streamed into now, when the backup service streams and
# has caught up (else nothing: that chain's range then ends at its newest WAL's arrival).
live_chain() {
    [ -z "${TRIAD_BACKUP_FIXTURE:-}" ] || return 0
    running backup && running postgres || return 0
    local chain at
    chain=$(ident_su 2>/dev/null) && [ -n "$chain" ] || return 0
    at=$(stream_caught_up 10) || return 0
    say "$chain $at"
}

list() {
    local inv; inv=$(inventory)
    [ -n "$inv" ] || { say "No backups yet: the backup service takes the first base backup once PostgreSQL is up (make up)."; return 0; }
    local live; live=$(live_chain)
    ranges "$inv" $live
    say "Base backups:"
    printf '  %-18s %-24s %-22s %-22s %s\n' LABEL CHAIN "CONSISTENT FROM" "START LSN / END LSN" SIZE
    while read -r kind chain label st et slsn elsn size; do
        [ "$kind" = base ] || continue
        printf '  %-18s %-24s %-22s %-22s %s MB\n' "$label" "$chain" "$(date -u -d "@$et" '+%Y-%m-%d %H:%M:%S+00')" "$slsn / $elsn" "$(awk -v s="$size" 'BEGIN{printf "%.1f", s/1048576}')"
    done <<<"$inv"
    say "WAL (restorable time ranges, make restore AT=… within one):"
    for chain in $(for c in "${!FROM[@]}"; do say "${FROM[$c]} $c"; done | sort -n | awk '{print $2}'); do
        local bytes; bytes=$(awk -v c="$chain" '$1=="wal" && $2==c {print $4}' <<<"$inv")
        say "  $chain: $(fmt "${FROM[$chain]}") to $(fmt "${TO[$chain]}")$([ "$chain" = "${live%% *}" ] && say ' (now: streaming)') WAL $(awk -v s="${bytes:-0}" 'BEGIN{printf "%.1f", s/1048576}') MB"
    done
}

# Sets CHAIN, LABEL, TARGET (epoch, empty = the end of the WAL) or refuses.
plan() {
    local at=$1 inv chain best="" bestto=""
    inv=$(inventory)
    grep -q '^base ' <<<"$inv" || die "no backup to restore from: there is no base backup (the backup service takes one once PostgreSQL is up; make backup takes one now). Nothing was changed."
    ranges "$inv" $(live_chain)
    if [ -z "$at" ]; then
        # The latest state: the chain whose WAL reaches furthest.
        for chain in "${!TO[@]}"; do
            if [ -z "$bestto" ] || awk -v x="${TO[$chain]}" -v y="$bestto" 'BEGIN{exit !(x > y)}'; then best=$chain bestto=${TO[$chain]}; fi
        done
        CHAIN=$best TARGET=""
    else
        TARGET=$(date -d "$at" +%s.%N 2>/dev/null) || die "AT='$at' is not a time: write it like AT=\"2026-12-03 10:20:00+00\". Nothing was changed."
        for chain in "${!FROM[@]}"; do
            if awk -v t="$TARGET" -v a="${FROM[$chain]}" -v b="${TO[$chain]}" 'BEGIN{exit !(t >= a && t <= b)}'; then CHAIN=$chain; fi
        done
        [ -n "${CHAIN:-}" ] || die "AT=$(fmt "$TARGET") is outside what the backups cover ($(covered)): choose a time within it (make backups lists it). Nothing was changed."
    fi
    # The newest base backup of the chain that is consistent by the target.
    LABEL=$(awk -v c="$CHAIN" -v t="${TARGET:-9e18}" '$1=="base" && $2==c && $5 <= t {print $5, $3}' <<<"$inv" | sort -n | tail -n1 | awk '{print $2}')
    [ -n "$LABEL" ] || die "no base backup of chain $CHAIN is consistent before the target. Nothing was changed."
}

restore() {
    local at=${1:-} t0 t1 out last target
    plan "$at"
    say "Restoring from base backup $LABEL (chain $CHAIN) to $([ -n "$TARGET" ] && fmt "$TARGET" || say 'the end of the WAL (the latest state)')."
    [ -z "${TRIAD_BACKUP_FIXTURE:-}" ] || { say "(fixture: validated only)"; return 0; }
    # The HA profile's standby follows the primary's history: after the primary is rebuilt onto
    # a new timeline it would have to be rebuilt too. Not covered yet: refuse before any change.
    if running postgres-standby; then
        die "the HA profile runs (postgres-standby): restore is not supported in HA mode yet; stop the stack and start it without HA=1 (make down; make up), then restore. Nothing was changed."
    fi
    t0=$(now) T0=$t0
    step "Stopping web1-web3 (they drain in-flight requests), the backup stream, PostgreSQL..."
    $COMPOSE stop "${INSTANCES[@]}" >/dev/null 2>&1
    $COMPOSE stop backup >/dev/null 2>&1 || true
    # The stream stops before PostgreSQL: the instances are already stopped, so no commit comes
    # after it, and the shutdown checkpoint it misses is not needed to recover from a base backup.
    $COMPOSE stop postgres >/dev/null 2>&1 || true
    $COMPOSE rm -f -s postgres >/dev/null 2>&1 || true
    # Creates the volume again (with Compose's labels) when it was lost.
    $COMPOSE create --no-recreate postgres >/dev/null 2>&1
    step "Rebuilding the PostgreSQL data directory..."
    if [ -n "$TARGET" ]; then
        out=$($COMPOSE run --rm --no-deps -T backup-restore rebuild "$CHAIN" "$LABEL" "$TARGET" "$(fmt "$TARGET")") || die "the rebuild failed (above); PostgreSQL is stopped: run make restore again."
    else
        out=$($COMPOSE run --rm --no-deps -T backup-restore rebuild "$CHAIN" "$LABEL") || die "the rebuild failed (above); PostgreSQL is stopped: run make restore again."
    fi
    last=$(sed -n 's/^last_commit //p' <<<"$out")
    target=$(sed -n 's/^target //p' <<<"$out")
    $COMPOSE up -d --no-deps postgres >/dev/null 2>&1
    step "Recovering (replaying the WAL), then promoting..."
    local deadline=$(( $(date +%s) + 1800 ))
    until [ "$(psql_su 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; do
        [ "$(date +%s)" -lt "$deadline" ] || die "PostgreSQL was not promoted within 30 min: see make logs SERVICE=postgres."
        running postgres || die "PostgreSQL stopped during recovery: see make logs SERVICE=postgres (its last lines name the cause)."
        sleep 0.5
    done
    # Recovery's settings out again, the staged WAL away: the next start is a plain one.
    local setting
    for setting in restore_command recovery_target_time recovery_target_action recovery_target_timeline; do
        psql_su "ALTER SYSTEM RESET $setting" >/dev/null
    done
    $COMPOSE exec -T postgres sh -c 'rm -rf "$PGDATA/triad_restore_wal"'
    step "Migrating..."
    $COMPOSE run --rm --no-deps -T migrate >/dev/null 2>&1 || die "migrate failed after the restore: see docker compose logs migrate; web1-web3 stay stopped."
    # Through the fence (CacheFence): the row is as old as the data, so it may say "clean" for
    # Redis copies of rows that the restore took back. A new generation is untrusted everywhere:
    # every instance cleans Redis before it reads from it again.
    psql_su "UPDATE cache_fence SET generation = generation + 1" >/dev/null
    step "Starting the backup stream (a new chain) and waiting for its first base backup..."
    $COMPOSE up -d --no-deps backup >/dev/null 2>&1
    local chain_now
    chain_now=$(ident_su)
    deadline=$(( $(date +%s) + 600 ))
    # (The list into a variable first: with pipefail, grep -q closing the pipe early would fail
    # the pipeline and this wait would never end.)
    until grep -q "^base $chain_now " <<<"$($COMPOSE run --rm --no-deps -T backup-list 2>/dev/null || true)"; do
        [ "$(date +%s)" -lt "$deadline" ] || die "no base backup of the restored database within 10 min: see make logs SERVICE=backup (web1-web3 stay stopped; make up starts them)."
        sleep 1
    done
    # The base backup alone does not protect the writes to come: they are in the backups only
    # once the stream of the new timeline carries them, and the stream may still be connecting
    # (or retrying) when the base backup is done. So web1-web3 start only after the stream has
    # caught up with PostgreSQL (stream_caught_up: the walsender of the slot flushed everything
    # PostgreSQL flushed): from then on a write acknowledged to a client is in the new chain as
    # soon as the stream has it, the RPO of the running stream.
    step "Waiting for the backup stream of the new chain..."
    stream_caught_up "${TRIAD_BACKUP_STREAM_WAIT:-120}" >/dev/null || die "the backup stream of the restored database is not running (see make logs SERVICE=backup); web1-web3 stay stopped so that no write goes unprotected (make up starts them)."
    step "Starting web1-web3..."
    $COMPOSE up -d --wait "${INSTANCES[@]}" nginx >/dev/null 2>&1 || die "web1-web3 did not become healthy: see make ps and make logs."
    t1=$(now)
    local items; items=$(psql_su "SELECT count(*) FROM items")
    if [ "$target" = end ]; then
        say "Restored to the end of the WAL: the last transaction committed at $([ -n "$last" ] && fmt "$last" || say '(none after the base backup)')."
    else
        say "Restored to $(fmt "$TARGET")."
    fi
    say "Items: $items. Restore took $(secs "$t0" "$t1") s (web tier down to serving again)."
}

case "${1:-}" in
    backup)
        running backup || die "the backup service is not running: start the stack (make up)."
        $COMPOSE exec -T backup backup-agent.sh base ;;
    list) list ;;
    restore) restore "${2:-}" ;;
    *) die "usage: backup.sh backup | list | restore [AT]" ;;
esac
