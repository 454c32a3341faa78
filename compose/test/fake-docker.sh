#!/usr/bin/env bash
# A stand-in for `docker` in compose/test/deploy-interrupted.test.mjs: plays web1-web3 of the
# Compose stack for compose/deploy.sh, each one's version and health a file in
# $FAKE_DOCKER_STATE, and logs its calls there (calls.log).
# `docker compose up ... webN` sets webN's version to TRIAD_VERSION (healthy), except for the
# instance named in FAKE_FAIL (its new container stays unhealthy: exit 1) and in FAKE_HANG (its
# new container keeps starting: the call never returns on its own; FAKE_HANG=migrate: the
# migration never ends). Each `up` is logged with the
# history (compose/.deployed) as it is at that moment.
S=$FAKE_DOCKER_STATE
log() { printf '%s\n' "$*" >> "$S/calls.log"; }
if [ "$1" = compose ]; then
    shift
    while [ $# -gt 0 ]; do case $1 in -f|-p|--project-name) shift 2;; *) break;; esac; done
    sub=$1; svc=${!#}
    case $sub in
        ps) [ -s "$S/$svc" ] && echo "c-$svc"; exit 0;;
        run) log "migrate $TRIAD_VERSION"
            if [ "$FAKE_HANG" = migrate ]; then : > "$S/hanging"; exec sleep 300; fi
            exit 0;;
        up)
            log "up $svc $TRIAD_VERSION history=$(paste -sd, compose/.deployed 2>/dev/null)"
            echo "$TRIAD_VERSION" > "$S/$svc"
            if [ "$svc" = "$FAKE_HANG" ]; then echo starting > "$S/$svc.health"; : > "$S/hanging"; exec sleep 300; fi
            if [ "$svc" = "$FAKE_FAIL" ]; then echo unhealthy > "$S/$svc.health"; exit 1; fi
            echo healthy > "$S/$svc.health"; exit 0;;
    esac
    exit 0
fi
case $1 in
    inspect) svc=${4#c-}
        case $3 in
            *Labels*) cat "$S/$svc";;
            *Health*) cat "$S/$svc.health";;
            *Image*) echo "sha256:image-of-$(cat "$S/$svc")";;
        esac;;
    tag) log "tag $2 $3";;
esac
exit 0
