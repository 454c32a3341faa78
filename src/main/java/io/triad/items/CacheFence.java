package io.triad.items;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.triad.db.Database;
import io.triad.redis.Redis;
import io.triad.redis.RedisUnavailableException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Whether the Redis item cache may be read: decided in PostgreSQL, the one thing every
 * instance and every write already agree on.
 *
 * <h2>The promise</h2>
 * No read that starts after a write was acknowledged returns older data, on any instance,
 * whatever Redis does: drop connections, restart, come back with an older copy of its data,
 * evict keys, stall, or run this instance out of pooled connections.
 *
 * <h2>How</h2>
 * <ol>
 * <li><b>Leases</b> (ItemCache): a reader that misses first puts a lease token in the item's
 * key, then reads PostgreSQL, then fills only if the key still holds its token. A write
 * deletes the key after its commit. A fill that would be stale read the row before that commit,
 * so its lease was taken before it too, and the delete removed the lease: the fill is refused.
 * Eviction can only remove a value (a miss) or a lease (a refused fill): never stale.</li>
 * <li><b>The fence row</b> ({@code cache_fence}): when a write cannot delete the key (Redis
 * unreachable, timed out, paused, pool exhausted), it bumps {@code generation}, then waits until
 * no instance can still be trusting the cache from before the bump ({@link #LEASE} after the
 * first bump of the episode, PostgreSQL's clock), or until the cache was cleaned after the bump,
 * and only then answers. Each instance reads the row every {@link #POLL_EVERY} and trusts the
 * cache for {@link #LEASE} from the start of a read that found {@code clean_generation =
 * generation}: an instance that can't read the row stops trusting by itself.</li>
 * <li><b>The Redis process</b>: each pooled connection knows the {@code run_id} of the Redis it
 * reaches (a connection never outlives the process). The cache is read only through a
 * connection to the process recorded in the row. A restart, or a restored older AOF/RDB, is a
 * new process: its connections are not trusted until the cache is cleaned.</li>
 * <li><b>Cleaning</b>: an instance that sees an untrusted row (or a new Redis process) deletes
 * every item key in that Redis, then sets {@code clean_generation} and {@code redis_run_id} only
 * if {@code generation} is still what it read before the deletion. Anything stale was written
 * before a failed delete's commit, so before the bump, so before the cleaning: it is gone, and
 * so are the leases of any fill still in flight. A bump during the cleaning fails the update.</li>
 * </ol>
 * Assumed: one Redis process at a time (no split brain between two primaries), clocks that run
 * at the same rate (not synchronised), and a PostgreSQL that is not itself rolled back. Left
 * open: a write whose delete fails and whose bump then also fails (PostgreSQL lost right after
 * the commit, and Redis at the same time): it is answered, the bump is retried until it lands,
 * and a stale read is possible on another instance until then; logged as an error.
 */
public final class CacheFence {
    /** How long a read of the row lets an instance trust the cache. */
    static final Duration LEASE = Duration.ofMillis(1000);
    public static final Duration POLL_EVERY = Duration.ofMillis(200);
    /** For the commit after the statement that stamped poisoned_at, and scheduling jitter. */
    private static final Duration MARGIN = Duration.ofMillis(150);
    static final String KEY_PREFIX = "triad:item:";
    private static final System.Logger LOG = System.getLogger(CacheFence.class.getName());

    private final Database database;
    private final Redis redis;
    private volatile State state = new State(1, 0, "", System.nanoTime());
    /** For logging the loss and the return of the row once each, not every poll. */
    private volatile boolean readable = true;
    /** A bump this instance owes the row (its own write could not invalidate, and PostgreSQL failed too). */
    private final AtomicLong owedBumps = new AtomicLong();

    public CacheFence(Database database, Redis redis) {
        this.database = database;
        this.redis = redis;
    }

    /** What the last read of the row said, and until when it may be believed. */
    private record State(long generation, long cleanGeneration, String runId, long trustedUntilNanos) {
        boolean clean() {
            return generation == cleanGeneration;
        }
    }

    /** The cache may be read or filled through a connection to this Redis process, right now. */
    public boolean trusts(String runId) {
        State s = state;
        return s.clean() && s.runId.equals(runId) && System.nanoTime() - s.trustedUntilNanos < 0;
    }

    /**
     * A write could not invalidate its cached copy: stop every instance trusting the cache, and
     * return once none can still be reading it from before. Blocks for up to {@link #LEASE}.
     */
    void bump() {
        long deadline = System.nanoTime() + LEASE.toNanos() + MARGIN.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                Bump b = bumpOnce();
                awaitNoTrustFromBefore(b);
                return;
            } catch (SQLException e) {
                if (System.nanoTime() - deadline > 0 || attempt >= 3) {
                    owedBumps.incrementAndGet();
                    LOG.log(System.Logger.Level.ERROR, "cache fence: a write could not invalidate its cached copy and "
                            + "PostgreSQL refused the fence too (" + e.getMessage() + "); other instances may read "
                            + "the older copy until the fence lands (retried every " + POLL_EVERY.toMillis() + " ms)");
                    return;
                }
            }
        }
    }

    private record Bump(long generation, long waitMillis) {
    }

    private Bump bumpOnce() throws SQLException {
        try (Connection c = database.controlConnection();
             PreparedStatement s = c.prepareStatement("UPDATE cache_fence SET generation = generation + 1, "
                     + "poisoned_at = CASE WHEN generation = clean_generation THEN clock_timestamp() ELSE poisoned_at END "
                     + "RETURNING generation, GREATEST(0, ceil(1000 * extract(epoch FROM poisoned_at "
                     + "+ make_interval(secs => ?) - clock_timestamp())))::bigint")) {
            s.setDouble(1, (LEASE.toMillis() + MARGIN.toMillis()) / 1000.0);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                Bump b = new Bump(rs.getLong(1), rs.getLong(2));
                state = new State(b.generation(), state.cleanGeneration(), state.runId(), state.trustedUntilNanos());
                return b;
            }
        }
    }

    /** Until the lease of anyone who read the row before the episode began is over, or a cleaning followed the bump. */
    private void awaitNoTrustFromBefore(Bump b) {
        long until = System.nanoTime() + Duration.ofMillis(b.waitMillis()).toNanos();
        while (System.nanoTime() - until < 0) {
            if (state.cleanGeneration() >= b.generation()) {
                return;
            }
            try {
                Thread.sleep(Math.min(50, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Reads the row (renewing or ending this instance's trust) and cleans the cache when it must. Every POLL_EVERY. */
    public void poll() {
        try {
            payOwedBumps();
            long start = System.nanoTime();
            State read = read(start);
            state = read;
            if (!readable) {
                readable = true;
                LOG.log(System.Logger.Level.INFO, "cache fence readable again");
            }
            String current = currentRunId();
            if (current != null && (!read.clean() || !read.runId().equals(current))) {
                clean(read.generation(), start);
            }
        } catch (SQLException | RuntimeException e) {
            // The lease runs out by itself; until the row can be read again, reads bypass the cache.
            if (readable) {
                readable = false;
                LOG.log(System.Logger.Level.WARNING, "cache fence not readable, item reads bypass the cache: " + e.getMessage());
            }
        }
    }

    private void payOwedBumps() throws SQLException {
        while (owedBumps.get() > 0) {
            bumpOnce();
            owedBumps.decrementAndGet();
            LOG.log(System.Logger.Level.INFO, "cache fence: the owed bump landed");
        }
    }

    private State read(long start) throws SQLException {
        try (Connection c = database.controlConnection();
             PreparedStatement s = c.prepareStatement("SELECT generation, clean_generation, redis_run_id FROM cache_fence");
             ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("cache_fence has no row: load db/init.sql");
            }
            return new State(rs.getLong(1), rs.getLong(2), rs.getString(3), start + LEASE.toNanos());
        }
    }

    /** The run_id of the Redis this instance reaches now, or null when it can't reach it. */
    private String currentRunId() {
        try {
            return redis.call((jedis, runId) -> {
                jedis.ping();
                return runId;
            });
        } catch (RedisUnavailableException e) {
            return null;
        }
    }

    /** Deletes every item key (values and leases) in the Redis it reaches, then records it as clean. */
    private void clean(long generation, long start) throws SQLException {
        String runId;
        long deleted;
        try {
            long[] count = new long[1];
            runId = redis.call((jedis, run) -> {
                String cursor = ScanParams.SCAN_POINTER_START;
                ScanParams params = new ScanParams().match(KEY_PREFIX + "*").count(1000);
                do {
                    ScanResult<String> page = jedis.scan(cursor, params);
                    if (!page.getResult().isEmpty()) {
                        count[0] += jedis.unlink(page.getResult().toArray(String[]::new));
                    }
                    cursor = page.getCursor();
                } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
                return run;
            });
            deleted = count[0];
        } catch (RedisUnavailableException e) {
            return;
        }
        try (Connection c = database.controlConnection();
             PreparedStatement s = c.prepareStatement(
                     "UPDATE cache_fence SET clean_generation = generation, redis_run_id = ? WHERE generation = ?")) {
            s.setString(1, runId);
            s.setLong(2, generation);
            if (s.executeUpdate() == 1) {
                state = new State(generation, generation, runId, start + LEASE.toNanos());
                LOG.log(System.Logger.Level.INFO, "cache cleaned: " + deleted + " item keys deleted in redis run "
                        + runId + ", generation " + generation + "; reads use the cache again");
            }
        }
    }
}
