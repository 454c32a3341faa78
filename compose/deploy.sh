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
# another instance. The tags deployed so far are in compose/.deployed (newest last).
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
INSTANCES=(web1 web2 web3)

say() { printf '%s\n' "$*"; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

container_of() { $COMPOSE ps -q "$1" 2>/dev/null | head -n1; }
# The version an instance reports is its image's (build-info.properties = the OCI label).
version_of() {
    local id; id=$(container_of "$1")
    [ -n "$id" ] || { echo "none"; return; }
    docker inspect -f '{{ index .Config.Labels "org.opencontainers.image.version" }}' "$id" 2>/dev/null || echo "unknown"
}

# The first deploy on a stack that `make up` started: pin its image under the version it
# reports, so a rollback finds it even after `make image` moves triad:latest.
# (Also after a `make up` that replaced a deployed version: the history ends with what runs.)
record_running() {
    local id v img
    id=$(container_of web1); [ -n "$id" ] || die "web1 is not running: start the stack with 'make up' first."
    v=$(version_of web1)
    [ -s "$HISTORY" ] && [ "$(tail -n1 "$HISTORY")" = "$v" ] && return 0
    img=$(docker inspect -f '{{ .Image }}' "$id")
    docker tag "$img" "$IMAGE:$v"
    echo "$v" >> "$HISTORY"
}

roll() {
    local target=$1 start=$2 migrate=$3 inst old t0 t1
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
    for inst in "${INSTANCES[@]}"; do
        old=$(version_of "$inst")
        t0=$(now)
        if ! TRIAD_VERSION=$target $COMPOSE up -d --no-deps --wait --wait-timeout 120 "$inst" >/dev/null 2>&1; then
            die "$inst on $target did not become healthy within 120 s: stopped here (the instances after it still run their version). See 'make logs SERVICE=$inst'; 'make rollback' returns to the previous version."
        fi
        t1=$(now)
        printf '%-6s %s -> %s  ready in %s s\n' "$inst" "$old" "$(version_of "$inst")" "$(secs "$t0" "$t1")"
    done
    say "done: ${INSTANCES[*]} on $target in $(secs "$start" "$(now)") s (${#INSTANCES[@]} instances, one at a time)"
}

case "${1:-}" in
    deploy)
        version=${2:?usage: deploy.sh deploy VERSION}
        start=$(now)
        record_running
        say "deploy $(version_of web1) -> $version"
        roll "$version" "$start" yes
        [ "$(tail -n1 "$HISTORY")" = "$version" ] || echo "$version" >> "$HISTORY"
        ;;
    rollback)
        start=$(now)
        [ -s "$HISTORY" ] && [ "$(wc -l < "$HISTORY")" -ge 2 ] || die "nothing to roll back to: compose/.deployed lists fewer than two deployed versions."
        previous=$(tail -n2 "$HISTORY" | head -n1)
        say "rollback $(version_of web1) -> $previous"
        roll "$previous" "$start" no
        # The rolled-back version leaves the history: a second rollback goes one further back.
        sed -i '$d' "$HISTORY"
        ;;
    *) die "usage: deploy.sh deploy VERSION | rollback" ;;
esac
