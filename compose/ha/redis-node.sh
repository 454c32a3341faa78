#!/bin/sh
# A Redis data node of the HA profile (compose/ha.yaml: redis, redis-replica). As the plain
# stack's redis (compose/compose.yaml), the password reaches Redis as configuration on standard
# input, never on a command line; in addition:
#   masterauth           the same password: after a failover Sentinel makes this node a
#                        replica of the other one, which requires AUTH like every node.
#   replica-announce-ip  this node's service name (REDIS_ANNOUNCE): Sentinel learns the
#                        replicas from the primary's INFO, and a name survives a recreated
#                        container where its IP address does not (sentinel resolve-hostnames).
#   replicaof            REDIS_REPLICAOF, the initial primary (redis-replica only). After a
#                        failover Sentinel reconfigures the nodes at run time (REPLICAOF); this
#                        node starts as the initial role again when recreated and Sentinel
#                        converts it within seconds (+convert-to-slave), a full resync wiping
#                        what it held.
# Arguments: the redis-server options, the same as the plain stack's redis.
pw=$(cat /run/secrets/redis_password)
exec docker-entrypoint.sh redis-server - "$@" <<CONF
requirepass $pw
masterauth $pw
replica-announce-ip ${REDIS_ANNOUNCE:?}
${REDIS_REPLICAOF:+replicaof $REDIS_REPLICAOF 6379}
CONF
