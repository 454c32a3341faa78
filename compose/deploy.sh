#!/usr/bin/env bash
# Rolling deploy of the Compose stack: `make deploy [VERSION=]`, `make rollback`.
#   deploy.sh deploy VERSION   migrate with the image triad:VERSION, then replace web1, web2,
#                              web3 one at a time (the next one stops only once the new one is
#                              healthy; Nginx sends to the other two meanwhile)
#   deploy.sh rollback         the same, back to the tag deployed before the current one,
#                              without migrating (the schema stays: migrations only expand it)
# Each instance keeps its fixed address on the edge network (Nginx resolves them once, from
# /etc/hosts), so an instance is replaced in place: Compose stops the old container (SIGTERM:
# readiness DOWN, drain, close) and starts the new one; Nginx retries a refused connect on
# another instance.
#
# The history, compose/.deployed (newest last): every entry but the last was served by all three
# instances; the last is the target of the latest deploy, written before its first instance is
# replaced. So whether a roll finished or stopped part-way (a failed health check, Ctrl-C, a
# kill), the entry before the last is the version that served before it, and a rollback returns
# every instance there, those already replaced included. A rollback removes the last entry
# only once all three run the one before: after an interrupted rollback `make rollback` finishes
# it (to the same version, not one further back). A deploy that starts on a stack left part-way
# first drops the unfinished target (the entry before it served last), unless it deploys that
# very target (finishing the roll).
# One deploy or rollback at a time: compose/.deploy.lock (flock, released when the process and
# the docker commands it started end). When a roll stops part-way, the EXIT trap prints which
# instance runs which version and the commands to finish or undo it; the exit status is non-zero.
# Environment: COMPOSE (the docker compose command line), MIGRATIONS_EXTRA (a directory of
# extra migrations, tests only).
set -Eeuo pipefail

cd "$(dirname "$0")/.."
# Run by hand: the HA profile's file too when `make up HA=1` recorded it (as the Makefile does).
if [ -z "${COMPOSE:-}" ]; then
    COMPOSE="docker compose -f compose/compose.yaml --project-name triad"
    ! grep -qx 'TRIAD_HA=1' compose/.env 2>/dev/null || COMPOSE="docker compose -f compose/compose.yaml -f compose/ha.yaml --project-name triad"
fi
IMAGE=${TRIAD_IMAGE:-triad}
HISTORY=compose/.deployed
LOCK=compose/.deploy.lock
INSTANCES=(web1 web2 web3)

say() { printf '%s\n' "$*"; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

container_of() { { $COMPOSE ps -q "$1" 2>/dev/null || true; } | head -n1; }
# The version an instance reports is its image's (build-info.properties = the OCI label);
# "none" when it has no running container.
version_of() {
    local id; id=$(container_of "$1")
    [ -n "$id" ] || { echo "none"; return; }
    docker inspect -f '{{ index .Config.Labels "org.opencontainers.image.version" }}' "$id" 2>/dev/null || echo "unknown"
}
# For the report of a roll that stopped: the version, and the health while it is not healthy.
state_of() {
    local id health; id=$(container_of "$1")
    [ -n "$id" ] || { echo "none"; return; }
    health=$(docker inspect -f '{{ if .State.Health }}{{ .State.Health.Status }}{{ end }}' "$id" 2>/dev/null || echo "unknown")
    printf '%s%s' "$(version_of "$1")" "$([ -z "$health" ] || [ "$health" = healthy ] || echo " ($health)")"
}

entries() { [ -s "$HISTORY" ] && wc -l < "$HISTORY" || echo 0; }
last() { tail -n1 "$HISTORY" 2>/dev/null; }
# The entry before the last: what served before the latest roll (empty with fewer than two).
previous() { [ "$(entries)" -ge 2 ] && tail -n2 "$HISTORY" | head -n1 || true; }
drop_last() { sed -i '$d' "$HISTORY"; }

# Before a deploy replaces anything: make the history end with the version that served, then
# with the target (see the header for why).
record_target() {
    local target=$1 inst v id img
    local -A on=()
    for inst in "${INSTANCES[@]}"; do
        v=$(version_of "$inst")
        [ "$v" = none ] || on[$v]=$inst
    done
    [ "${#on[@]}" -gt 0 ] || die "no instance is running: start the stack with 'make up' first."
    if [ "${#on[@]}" -eq 1 ]; then
        v=${!on[*]}
        if [ "$v" = "$(last)" ]; then
            :
        elif [ "$v" = "$(previous)" ]; then
            # A roll to the last entry stopped before it replaced anything (or a rollback just
            # before it removed the entry): that entry never served.
            drop_last
        else
            # The first deploy on a stack that `make up` started (or one that `make up` replaced):
            # pin its image under the version it reports, so a rollback finds it even after
            # `make image` moves triad:latest.
            id=$(container_of "${on[$v]}")
            img=$(docker inspect -f '{{ .Image }}' "$id")
            docker tag "$img" "$IMAGE:$v"
            echo "$v" >> "$HISTORY"
        fi
    elif [ "$(entries)" -ge 2 ] && [ "$(last)" != "$target" ]; then
        # Mixed versions: a roll to the last entry stopped part-way; the entry before it served.
        drop_last
    fi
    [ "$(last)" = "$target" ] || echo "$target" >> "$HISTORY"
}

# What the EXIT trap reports: the action, its target, the instance being replaced, why it stopped.
action= target= stage= current= child= stopped_by=
stop_on() { stopped_by=$1; exit "$2"; }
trap 'stop_on SIGINT 130' INT
trap 'stop_on SIGTERM 143' TERM
# A command that fails unexpectedly (set -e) is named in the report.
trap 'stopped_by=${stopped_by:-"\"$BASH_COMMAND\" failed (exit $?, line $LINENO)"}' ERR
report() {
    local rc=$? inst states=() back
    # The docker command replacing an instance runs in the background so that a signal is
    # handled at once; stop it before looking (a started container keeps starting).
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
    if [ "$stage" = rolling ]; then
        for inst in "${INSTANCES[@]}"; do states+=("$inst $(state_of "$inst")"); done
        back=$(previous)
        back=${back:+"make rollback (all three back to $back)"}
        if [ "$action" = deploy ]; then
            printf '%s: stopped (%s) while replacing %s: %s. Finish: make deploy VERSION=%s SKIP_IMAGE=1; undo: %s.\n' \
                "$action" "$stopped_by" "$current" "$(IFS=,; echo "${states[*]}" | sed 's/,/, /g')" "$target" "${back:-no earlier version recorded}" >&2
        else
            printf '%s: stopped (%s) while replacing %s: %s. Finish: make rollback (to %s again, not one further back); undo: make deploy VERSION=%s SKIP_IMAGE=1.\n' \
                "$action" "$stopped_by" "$current" "$(IFS=,; echo "${states[*]}" | sed 's/,/, /g')" "$target" "$(last)" >&2
        fi
    elif [ "$stage" != done ] && [[ "$stopped_by" == SIG* ]]; then
        printf '%s: stopped (%s) before any instance was replaced: %s goes on serving.\n' "$action" "$stopped_by" "$(version_of web1)" >&2
    fi
    exit "$rc"
}
trap report EXIT

# One roll at a time: a second one would replace the instances the first is waiting for.
lock() {
    command -v flock >/dev/null || die "flock (util-linux) is missing: install it to deploy."
    exec 9<>"$LOCK"
    if ! flock -n 9; then
        local holder; holder=$(head -n1 "$LOCK" 2>/dev/null || true)
        die "another deploy or rollback is running (${holder:-just starting}; $LOCK): wait for it to end, then run this again."
    fi
    printf 'pid %s: %s since %s\n' "$$" "$*" "$(date -u +%FT%TZ)" > "$LOCK"
}

replace() {
    TRIAD_VERSION=$2 $COMPOSE up -d --no-deps --wait --wait-timeout 120 "$1" >/dev/null 2>&1 &
    child=$!
    local rc=0
    wait "$child" || rc=$?
    child=
    return "$rc"
}

roll() {
    local start=$1 migrate=$2 inst old t0 t1
    docker image inspect "$IMAGE:$target" >/dev/null 2>&1 || die "no image $IMAGE:$target: build it (make deploy builds it; SKIP_IMAGE=1 only reuses an existing one)."
    local extra=()
    if [ -n "${MIGRATIONS_EXTRA:-}" ]; then
        extra=(-v "$(cd "$MIGRATIONS_EXTRA" && pwd):/migrations-extra:ro" -e MIGRATE_LOCATIONS=filesystem:/migrations-extra)
    fi
    t0=$(now)
    if [ "$migrate" = no ]; then
        # Migrations are never undone: the previous version runs on the expanded schema.
        say "migrate     skipped (a rollback keeps the schema)"
    elif ! TRIAD_VERSION=$target $COMPOSE run --rm -T --no-deps "${extra[@]}" migrate; then
        die "the migration with $IMAGE:$target failed (Flyway's message above): no instance was replaced, $(version_of web1) keeps serving. Fix the migration and deploy again."
    else
        say "migrate     schema migrated with $target in $(secs "$t0" "$(now)") s"
    fi
    [ "$migrate" = no ] || record_target "$target"
    stage=rolling
    for inst in "${INSTANCES[@]}"; do
        current=$inst
        old=$(version_of "$inst")
        t0=$(now)
        if ! replace "$inst" "$target"; then
            stopped_by="$inst on $target did not become healthy within 120 s, see 'make logs SERVICE=$inst'"
            exit 1
        fi
        t1=$(now)
        printf '%-6s %s -> %s  ready in %s s\n' "$inst" "$old" "$(version_of "$inst")" "$(secs "$t0" "$t1")"
    done
    say "done: ${INSTANCES[*]} on $target in $(secs "$start" "$(now)") s (${#INSTANCES[@]} instances, one at a time)"
}

case "${1:-}" in
    deploy)
        action=deploy target=${2:?usage: deploy.sh deploy VERSION}
        start=$(now)
        lock deploy "$target"
        say "deploy $(version_of web1) -> $target"
        roll "$start" yes
        ;;
    rollback)
        action=rollback
        start=$(now)
        lock rollback
        target=$(previous)
        [ -n "$target" ] || die "nothing to roll back to: compose/.deployed lists fewer than two deployed versions."
        say "rollback $(version_of web1) -> $target"
        roll "$start" no
        # The rolled-back version leaves the history: a second rollback goes one further back.
        drop_last
        ;;
    *) die "usage: deploy.sh deploy VERSION | rollback" ;;
esac
stage=done
