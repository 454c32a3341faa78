#!/bin/sh
# A Redis Sentinel of the HA profile (compose/ha.yaml: sentinel1..3). Sentinel rewrites its
# configuration file (the current primary, the known replicas and sentinels, the epoch), so it
# is rendered at each start into a tmpfs (/run/sentinel): the root file system stays read-only.
#
# Which primary to monitor at start: a restarted sentinel that monitored the initial primary
# (redis) after a failover would watch a replica, so it asks first the other sentinels, then
# the data nodes (ROLE), and only on a fresh stack falls back to redis. (A sentinel also
# adopts the configuration with the highest epoch from the others' hello messages.)
#
# Timings (why):
#   down-after-milliseconds 3000  a primary that answers no PING for 3 s is down. Above the
#       2 s of the `redis` drill's DEBUG SLEEP and of scheduling stalls on a loaded 2-core
#       host (a false failover costs a cache cleaning, not data); small enough that a killed
#       primary is replaced ~4 s after the kill (3 s, then the vote and REPLICAOF NO ONE).
#   failover-timeout 10000  how long a started failover may take before another sentinel
#       retries it (and twice that before the same one does): a promotion here takes well
#       under a second, so 10 s only bounds a stuck one.
#   quorum 2 of 3: one sentinel can be down or wrong; the failover itself needs a majority.
# Users (ACL, as on the data nodes: compose/redis.sh), the default user off:
#   triad           the service (REDIS_USER, its password): asks for the primary and follows
#                   +switch-master, nothing else.
#   triad-sentinel  the other sentinels (sentinel-user); the same user and password towards the
#                   data nodes (auth-user), where compose/redis.sh limits it to what Sentinel sends.
#   triad-admin     the health check and make chaos (docker exec redis-cli).
set -eu
umask 077
service=$(cat /run/secrets/redis_password)
sentinel=$(cat /run/secrets/redis_sentinel_password)
admin=$(cat /run/secrets/redis_admin_password)
me=${SENTINEL_ANNOUNCE:?}
export REDISCLI_AUTH="$sentinel"

primary=
for s in sentinel1 sentinel2 sentinel3; do
    [ "$s" = "$me" ] && continue
    a=$(redis-cli -h "$s" -p 26379 --user triad-sentinel --raw SENTINEL get-master-addr-by-name triad 2>/dev/null | head -n1) || true
    case "$a" in ''|*ERR*|*rror*) ;; *) primary=$a; break;; esac
done
if [ -z "$primary" ]; then
    for n in redis redis-replica; do
        if redis-cli -h "$n" --user triad-sentinel --raw ROLE 2>/dev/null | head -n1 | grep -qx master; then primary=$n; break; fi
    done
fi
primary=${primary:-redis}
echo "sentinel: monitoring $primary as the primary triad"

mkdir -p /run/sentinel
cat > /run/sentinel/sentinel.conf <<CONF
port 26379
dir /run/sentinel
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $me
user default off resetkeys resetchannels -@all
user triad on >$service resetkeys resetchannels &+switch-master -@all +ping +client|setname +client|setinfo +sentinel|get-master-addr-by-name +subscribe
user triad-sentinel on >$sentinel resetkeys allchannels -@all +ping +publish +subscribe +client|setname +client|setinfo +sentinel|is-master-down-by-addr +sentinel|get-master-addr-by-name +info +role
user triad-admin on >$admin allchannels +@all
sentinel sentinel-user triad-sentinel
sentinel sentinel-pass $sentinel
sentinel monitor triad $primary 6379 2
sentinel auth-user triad triad-sentinel
sentinel auth-pass triad $sentinel
sentinel down-after-milliseconds triad 3000
sentinel failover-timeout triad 10000
sentinel parallel-syncs triad 1
CONF
unset REDISCLI_AUTH
exec redis-sentinel /run/sentinel/sentinel.conf
