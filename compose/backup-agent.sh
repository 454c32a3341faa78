#!/bin/sh
# triad backups, the container side (POSIX sh: it runs in the postgres:17-alpine image, busybox).
# compose/backup.sh (the host side, behind make backup/backups/restore) calls it; the `backup`
# service runs `stream`.
#
#   stream              the backup service: stream WAL into the current chain (pg_receivewal
#                       through the physical slot triad_backup), and take the chain's first base
#                       backup once the stream runs, so plain `make up` is covered from the start.
#   base                a base backup now (make backup); prints what it holds.
#   inventory [ROOT]    what can be restored, one line per fact (read by compose/backup.sh).
#   rebuild CHAIN LABEL [TARGET_EPOCH TARGET_TEXT]   (the restore container only) rebuild
#                       the empty data directory from a base backup plus the chain's WAL.
#
# Layout under ROOT (the pgbackup volume, or BACKUP_DIR):
#   chains/<system id>-<timeline>/base/<label>/{base.tar,pg_wal.tar,backup_manifest,info}
#   chains/<system id>-<timeline>/wal/<segment>[.partial], <timeline>.history
# A chain is one linear WAL history: one database system (a fresh initdb is another system id)
# on one timeline. A point-in-time restore promotes onto a new timeline, so the stream after it
# goes into a new chain with its own base backup, and every chain stays restorable on its own:
# pg_receivewal never has to follow a fork, and a later restore into an older chain replays
# exactly that chain's WAL.
set -eu

ROOT=${TRIAD_BACKUP_ROOT:-/var/lib/postgresql/data}
SLOT=triad_backup
CONN="host=${TRIAD_BACKUP_PGHOST:-postgres} port=5432 user=triad_replicator"

say() { printf '%s\n' "$*"; }
die() { printf 'backup: %s\n' "$*" >&2; exit 1; }

# The replicator's password into a pgpass file on the tmpfs: never on a command line or in the
# environment of the long-running pg_receivewal.
pgpass() {
    [ -s /run/secrets/replication_password ] || die "the secret replication_password is missing: run make secrets (make up does)"
    umask 077
    printf '*:*:*:triad_replicator:%s\n' "$(cat /run/secrets/replication_password)" > /tmp/pgpass
    export PGPASSFILE=/tmp/pgpass
}

# "<system id> <timeline>" of the server, over the replication protocol.
identify() {
    psql -X -A -t -F ' ' -d "$CONN replication=true connect_timeout=3" -c IDENTIFY_SYSTEM 2>/dev/null | awk 'NF>=2 {print $1, $2; exit}'
}

current_chain() {
    id=$(identify) || return 1
    [ -n "$id" ] || return 1
    say "$ROOT/chains/$(say "$id" | tr ' ' '-')"
}

has_base() { ls "$1"/base/*/info >/dev/null 2>&1; }

# A base backup into CHAIN: tar format, its own WAL included (-X stream), so it is consistent
# by itself; the chain's streamed WAL carries it forward. mkdir as a lock: the service's first
# backup and `make backup` never run at once.
take_base() {
    chain=$1
    mkdir -p "$chain/base"
    mkdir "$chain/base/.lock" 2>/dev/null || die "another base backup is running into $chain: wait for it"
    trap 'rmdir "$chain/base/.lock" 2>/dev/null' EXIT
    label=$(date -u +%Y%m%dT%H%M%SZ)
    tmp="$chain/base/.$label"
    rm -rf "$tmp"
    start=$(date +%s)
    pg_basebackup -d "$CONN" -D "$tmp" -F tar -X stream -c fast -l "triad $label" -w >&2 \
        || { rm -rf "$tmp"; die "pg_basebackup failed (above): is postgres up and the secret replication_password current?"; }
    end=$(date +%s)
    start_lsn=$(tar -xOf "$tmp/base.tar" backup_label | sed -n 's/^START WAL LOCATION: \([^ ]*\).*/\1/p')
    end_lsn=$(tr -d '\n' < "$tmp/backup_manifest" | sed -n 's/.*"End-LSN": *"\([^"]*\)".*/\1/p')
    size=$(du -sk "$tmp" | awk '{print $1 * 1024}')
    # end_time is taken after pg_basebackup returned, so the backup is consistent at it: the
    # earliest time this backup can restore to.
    printf 'label=%s\nstart_lsn=%s\nend_lsn=%s\nstart_time=%s\nend_time=%s\nsize=%s\n' \
        "$label" "$start_lsn" "$end_lsn" "$start" "$end" "$size" > "$tmp/info"
    mv "$tmp" "$chain/base/$label"
    rmdir "$chain/base/.lock"
    trap - EXIT
    say "$chain/base/$label"
}

# Whether the chain holds streamed WAL (a segment, or the one being streamed).
has_wal() { ls "$1/wal" 2>/dev/null | grep -qE '^[0-9A-F]{24}(\.partial)?$'; }

stream() {
    pgpass
    # `docker compose stop` sends SIGTERM to this shell (PID 1): stop pg_receivewal and leave.
    child=
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM INT
    while :; do
        if ! chain=$(current_chain); then sleep 1; continue; fi
        mkdir -p "$chain/wal"
        fresh=
        if ! has_wal "$chain"; then
            # Nothing of this chain streamed yet. pg_receivewal then starts where the slot points,
            # and a slot (created without reserving WAL) whose first START_REPLICATION came after
            # a checkpoint points at WAL the server has already removed: "requested WAL segment
            # ... has already been removed" on every retry, the chain never gets WAL (seen after
            # a restore, when the new chain's base backup's checkpoint ran first). A fresh slot
            # starts at the server's current segment.
            fresh=1
            psql -X -q -d "$CONN replication=true connect_timeout=3" -c "DROP_REPLICATION_SLOT $SLOT" >/dev/null 2>&1 || true
        fi
        # The slot keeps the server from recycling WAL this stream has not received (a restored
        # data directory has no slots: created again here).
        pg_receivewal -d "$CONN" -S "$SLOT" --create-slot --if-not-exists -w 2>/dev/null || { sleep 1; continue; }
        # --synchronous: each piece of WAL is flushed here as it arrives, so what was received
        # survives this container's death too; the RPO is the network's delay, not a timeout.
        pg_receivewal -d "$CONN" -D "$chain/wal" -S "$SLOT" --synchronous -n -w 2>/tmp/receivewal.err &
        child=$!
        # The base backup only once the stream runs (its first WAL is here): the backup's
        # checkpoint then removes no WAL the stream still needs, and the chain's WAL continues
        # the base without a gap. A fresh start takes one even when the chain has a base backup:
        # WAL from now on does not continue an older one.
        n=0
        while ! has_wal "$chain" && kill -0 "$child" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
        if has_wal "$chain" && kill -0 "$child" 2>/dev/null && { [ -n "$fresh" ] || ! has_base "$chain"; }; then
            say "backup: the stream into $chain runs: taking its base backup"
            (take_base "$chain") || true
        fi
        wait "$child" || true
        child=
        cat /tmp/receivewal.err >&2
        if grep -q 'has already been removed' /tmp/receivewal.err; then
            # The server no longer has the WAL this chain needs next (seen after a restore: the
            # first stream was cut off after its first bytes, and the base backup's checkpoint
            # removed the segment before the retry): this chain's WAL can never continue. Its WAL
            # and its base backups (which that WAL carried) go aside, kept but out of the restore's
            # sight, so the next round starts fresh: a fresh slot and a new base backup that the
            # WAL from then on continues.
            gap=.gap-$(date -u +%Y%m%dT%H%M%SZ); aside="$chain/wal/$gap"
            mkdir -p "$aside" "$chain/base/$gap" && for f in "$chain"/wal/*; do [ -f "$f" ] && mv "$f" "$aside/"; done
            for b in "$chain"/base/*/; do [ -f "$b/info" ] && mv "${b%/}" "$chain/base/$gap/"; done
            say "backup: the WAL after $(ls "$aside" | tail -n1) is gone from the server: moved $chain's WAL to $aside, starting the chain's WAL again with a new base backup"
        fi
        sleep 1
    done
}

base() {
    pgpass
    chain=$(current_chain) || die "postgres does not answer triad_replicator: start the stack (make up)"
    dir=$(take_base "$chain")
    . "$dir/info"
    say "label:     $label"
    say "chain:     $(basename "$chain")"
    say "start:     $start_lsn at $(date -u -d "@$start_time" '+%Y-%m-%d %H:%M:%S+00')"
    say "end:       $end_lsn at $(date -u -d "@$end_time" '+%Y-%m-%d %H:%M:%S+00')"
    say "size:      $size bytes"
}

# One line per fact, for compose/backup.sh:
#   base <chain> <label> <start_time> <end_time> <start_lsn> <end_lsn> <size>
#   wal <chain> <newest WAL file's mtime, epoch with nanoseconds> <bytes>
inventory() {
    root=${1:-$ROOT}
    [ -d "$root/chains" ] || return 0
    for chain in "$root"/chains/*/; do
        [ -d "$chain" ] || continue
        c=$(basename "$chain")
        for info in "$chain"base/*/info; do
            [ -f "$info" ] || continue
            (. "$info"; say "base $c $label $start_time $end_time $start_lsn $end_lsn $size")
        done
        newest=$(ls -t "$chain"wal 2>/dev/null | grep -v '^\.' | head -n1 || true)
        if [ -n "$newest" ]; then
            # To the nanosecond (date -r, in busybox and GNU): whole seconds would end the range
            # up to a second before WAL that is there, and refuse a target inside it.
            say "wal $c $(date -r "$chain/wal/$newest" +%s.%N) $(du -sk "$chain/wal" | awk '{print $1 * 1024}')"
        fi
    done
}

# Runs in the restore container: /var/lib/postgresql/data is the (stopped) PostgreSQL volume,
# ROOT=/backup the backups, read-only.
rebuild() {
    chain=$ROOT/chains/$1 base=$ROOT/chains/$1/base/$2 target=${3:-} target_text=${4:-}
    data=/var/lib/postgresql/data
    [ -f "$base/info" ] || die "no base backup $2 in chain $1"
    find "$data" -mindepth 1 -delete
    # A lost volume comes back as a copy of the image's directory (0755): PostgreSQL wants 0700.
    chmod 700 "$data"
    tar -xf "$base/base.tar" -C "$data"
    tar -xf "$base/pg_wal.tar" -C "$data/pg_wal"
    # The chain's WAL, staged inside the data directory: restore_command reads it from there,
    # so PostgreSQL itself never mounts the backups (they stay out of reach of its roles).
    # The segment being streamed when the stream ended is a .partial: it is the segment's
    # beginning, which is what recovery needs. Every chain's timeline history files come
    # along, so the timeline this restore promotes onto is new across all chains.
    staged=$data/triad_restore_wal
    mkdir -p "$staged"
    for f in "$chain"/wal/*; do
        [ -f "$f" ] || continue
        n=$(basename "$f")
        case "$n" in
            *.partial) [ -e "$chain/wal/${n%.partial}" ] || cp "$f" "$staged/${n%.partial}" ;;
            *) cp "$f" "$staged/$n" ;;
        esac
    done
    for h in "$ROOT"/chains/*/wal/*.history; do [ -f "$h" ] && cp "$h" "$staged/"; done
    tli=${1##*-}
    # PostgreSQL stops with an error when a recovery target is never reached: a target after
    # the last commit in the WAL means the end of the WAL, the same state.
    last=$(last_commit "$staged")
    if [ -n "$target" ] && [ -n "$last" ] && awk -v t="$target" -v l="$last" 'BEGIN{exit !(t >= l)}'; then
        target=
    fi
    {
        say "# triad restore (compose/backup.sh): removed again after the promotion"
        say "restore_command = 'cp triad_restore_wal/%f %p'"
        say "recovery_target_timeline = '$tli'"
        if [ -n "$target" ]; then
            say "recovery_target_time = '$target_text'"
            say "recovery_target_action = 'promote'"
        fi
    } >> "$data/postgresql.auto.conf"
    touch "$data/recovery.signal"
    say "last_commit ${last:-none}"
    say "target ${target:-end}"
}

# The epoch (with fractions) of the last COMMIT record in the staged WAL, newest segment first.
last_commit() {
    for seg in $(ls -r "$1" | grep -E '^[0-9A-F]{24}$'); do
        ts=$(pg_waldump -p "$1" -r Transaction "$seg" 2>/dev/null | sed -n 's/.*desc: COMMIT \([0-9-]* [0-9:]*\)\(\.[0-9]*\)\{0,1\} UTC.*/\1 \2/p' | tail -n1)
        if [ -n "$ts" ]; then
            secs=$(TZ=UTC date -d "${ts% *}" +%s)
            say "$secs${ts##* }"
            return 0
        fi
    done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    stream) stream ;;
    base) base ;;
    inventory) inventory "$@" ;;
    rebuild) rebuild "$@" ;;
    *) die "usage: backup-agent.sh stream|base|inventory [ROOT]|rebuild CHAIN LABEL [TARGET_EPOCH TARGET_TEXT]" ;;
esac
