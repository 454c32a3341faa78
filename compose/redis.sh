#!/bin/sh
# A Redis data node of the stack: the plain stack's redis, and in the HA profile redis and
# redis-replica (compose/ha.yaml). Every password is read from its secret file here and handed
# to Redis as configuration on standard input, so none appears in `docker inspect` or in the
# process list. Arguments: the redis-server options (compose/compose.yaml says why each).
#
# Users (ACL; issue 22): nobody logs in without a user of their own, and each can do only what
# its client needs. Key patterns and commands are those of the code that uses them; a command
# a client needs and lacks fails with NOPERM, which the tests below would show.
#   default         off: nobody logs in as it (the old shared password, requirepass, is gone).
#                   Its permissions stay all: Redis 8.0 replays the AOF at start as the default
#                   user and re-checks the ACL of each command of a MULTI/EXEC (a script with
#                   several writes is stored as one), so a restricted default user silently drops
#                   those writes on restart (redis/redis#14541, fixed in #14545 after 8.0; shown
#                   by RedisAclTest). A disabled user's permissions let no client do anything.
#   triad           the service (REDIS_USER, REDIS_PASSWORD_FILE): its keys triad:* only (item
#                   copies and leases, heartbeats, the request count), and only the commands
#                   the code sends (io.triad.items, io.triad.cluster, io.triad.redis: the item
#                   cache's GET/SET/EVAL/DEL, the cleaning's SCAN/UNLINK, the heartbeat's hash,
#                   sorted set and counter, INFO server for the run_id, CLIENT SETNAME and
#                   SETINFO at connect, PING). The script it EVALs runs with the same rights.
#                   No FLUSHALL, CONFIG, DEBUG, KEYS, no Pub/Sub.
#   triad-monitor   the exporter (profile observe): INFO, CONFIG GET, SLOWLOG, LATENCY, PING,
#                   CLIENT SETNAME: what redis_exporter reads, nothing that writes, no key.
#   triad-admin     the operator's (make chaos, e2e, the health check): every command, all keys;
#                   its password reaches the Redis containers only (docker exec redis-cli).
#   triad-replica   HA only: a replica's connection to its primary (masteruser): PSYNC, REPLCONF, PING.
#   triad-sentinel  HA only: the sentinels' connections to the data nodes (auth-user): the commands
#                   Sentinel sends (Redis' ACL guide, "ACL rules for Sentinel and Replicas").
# DEBUG is refused to every user: enable-debug-command is `no` unless an argument says
# otherwise (the JUnit tests start their Redis with `--enable-debug-command local`).
#
# HA only (REDIS_ANNOUNCE set):
#   masteruser/masterauth  triad-replica: after a failover Sentinel makes this node a replica
#                        of the other one.
#   replica-announce-ip  this node's service name (REDIS_ANNOUNCE): Sentinel learns the
#                        replicas from the primary's INFO, and a name survives a recreated
#                        container where its IP address does not (sentinel resolve-hostnames).
#   replicaof            REDIS_REPLICAOF, the initial primary (redis-replica only). After a
#                        failover Sentinel reconfigures the nodes at run time (REPLICAOF); this
#                        node starts as the initial role again when recreated and Sentinel
#                        converts it within seconds (+convert-to-slave), a full resync wiping
#                        what it held.
set -eu
secret() {
    [ -s "/run/secrets/$1" ] || { echo >&2 "redis: /run/secrets/$1 is missing or empty: run 'make secrets' (it renders compose/.env into the secret files)."; exit 1; }
    cat "/run/secrets/$1"
}
service=$(secret redis_password)
monitor=$(secret redis_monitor_password)
admin=$(secret redis_admin_password)
# The HA profile's users exist only there.
ha_users=
if [ -n "${REDIS_ANNOUNCE:-}" ]; then
    replica=$(secret redis_replication_password)
    sentinel=$(secret redis_sentinel_password)
    ha_users="user triad-replica on >$replica resetkeys resetchannels -@all +psync +replconf +ping
user triad-sentinel on >$sentinel resetkeys allchannels -@all +multi +exec +slaveof +replicaof +ping +subscribe +publish +config|rewrite +role +info +client|setname +client|kill +script|kill
masteruser triad-replica
masterauth $replica
replica-announce-ip $REDIS_ANNOUNCE"
fi

exec docker-entrypoint.sh redis-server - --enable-debug-command no "$@" <<CONF
user default off ~* &* +@all
user triad on >$service resetkeys ~triad:* resetchannels -@all +ping +info +client|setname +client|setinfo +get +set +eval +del +unlink +scan +hset +hgetall +pexpire +zadd +zrange +zrem +zremrangebyscore +incrby
user triad-monitor on >$monitor resetkeys resetchannels -@all +ping +info +config|get +slowlog|get +slowlog|len +latency|latest +latency|histogram +client|setname +client|setinfo
user triad-admin on >$admin ~* &* +@all
$ha_users
${REDIS_REPLICAOF:+replicaof $REDIS_REPLICAOF 6379}
CONF
