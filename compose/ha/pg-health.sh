#!/bin/sh
# Health of a PostgreSQL node of the HA profile: a primary is healthy when it accepts
# connections; a standby only when it also streams WAL from the primary (a standby that
# replays but lost its primary is not one a failover may promote without losing writes).
pg_isready -q -U triad -d triad -h 127.0.0.1 || exit 1
role=$(psql -XqtA -U postgres -d postgres -c "SELECT CASE WHEN pg_is_in_recovery() THEN coalesce((SELECT status FROM pg_stat_wal_receiver), 'not streaming') ELSE 'primary' END") || exit 1
echo "$role"
[ "$role" = primary ] || [ "$role" = streaming ]
