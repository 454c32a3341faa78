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
 * no instance can still be trusting the cache from before the bump ({@link #LEASE} after its
 * bump's answer, on its own clock), or until the cache was cleaned after the bump, and only then
 * answers. Each instance reads the row every {@link #POLL_EVERY} and trusts the
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
 * at the same rate (not synchronised), and a PostgreSQL that is not itself rolled back. A
 * restore from backup (make restore, compose/backup.sh) does roll it back, the fence row with
 * the rest: the restored row may say "clean" for a Redis that holds copies of rows written after
 * the restore's target. So the restore bumps {@code generation} in the restored database before
 * any instance starts: no instance trusts the cache again until one has cleaned it (4.), which
 * removes every copy from before the restore. Left
 * open: a write whose delete fails and whose bump then fails for {@link #BUMP_GIVE_UP} (any
 * error: PostgreSQL lost right after the write's own commit, the control pool or the row's
 * lock unavailable that long): it is answered, the bump is retried every poll until it lands,
 * and a stale read is possible on another instance until then; logged as an error.
 */
public final class CacheFence {
    /** How long a read of the row lets an instance trust the cache. */
    static final Duration LEASE = Duration.ofMillis(1000);
    public static final Duration POLL_EVERY = Duration.ofMillis(200);
    /** Scheduling jitter and clock-rate differences between instances. */
    private static final Duration MARGIN = Duration.ofMillis(150);
    /**
     * How long a write keeps trying to raise the fence before it gives up (PostgreSQL lost right
     * after the write's own commit): below Nginx's 10 s read timeout.
     */
    private static final Duration BUMP_GIVE_UP = Duration.ofSeconds(5);
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
     * return once none can still be reading it from before. Blocks for about {@link #LEASE}
     * (less when a cleaning follows the bump), longer while the row can't be updated: a late
     * answer is allowed, a wrong one is not.
     */
    void bump() {
        // An interrupt (a server stopping) must not cut this short, and with the flag set the pool
        // would refuse every connection: it is held back and restored on the way out.
        boolean interrupted = Thread.interrupted();
        try {
            interrupted |= bumpAndWait();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** True when the thread was interrupted meanwhile. */
    private boolean bumpAndWait() {
        boolean interrupted = false;
        long giveUp = System.nanoTime() + BUMP_GIVE_UP.toNanos();
        while (true) {
            try {
                long generation = bumpOnce();
                // The UPDATE's answer comes after its commit, so after the first bump of this
                // episode was visible: whoever read a clean row read it before now, and trusts
                // it for at most LEASE from then. Counted here, on this clock: no commit-time or
                // wall-clock assumption about PostgreSQL.
                return interrupted | awaitNoTrustFromBefore(generation, System.nanoTime() + LEASE.toNanos() + MARGIN.toNanos());
            } catch (SQLException e) {
                if (System.nanoTime() - giveUp > 0) {
                    owedBumps.incrementAndGet();
                    LOG.log(System.Logger.Level.ERROR, "cache fence: a write could not invalidate its cached copy and "
                            + "PostgreSQL refused the fence for " + BUMP_GIVE_UP.toSeconds() + " s (" + e.getMessage()
                            + "); other instances may read the older copy until the fence lands (retried every "
                            + POLL_EVERY.toMillis() + " ms)");
                    return interrupted;
                }
                interrupted |= sleepUninterrupted(System.nanoTime() + POLL_EVERY.toNanos() / 4);
            }
        }
    }

    private long bumpOnce() throws SQLException {
        try (Connection c = database.controlConnection();
             PreparedStatement s = c.prepareStatement(
                     "UPDATE cache_fence SET generation = generation + 1 RETURNING generation");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            long generation = rs.getLong(1);
            state = new State(generation, state.cleanGeneration(), state.runId(), state.trustedUntilNanos());
            return generation;
        }
    }

    /** Until every lease taken before the bump is over, or a cleaning that followed the bump; true if interrupted. */
    private boolean awaitNoTrustFromBefore(long generation, long untilNanos) {
        boolean interrupted = false;
        while (System.nanoTime() - untilNanos < 0 && state.cleanGeneration() < generation) {
            interrupted |= sleepUninterrupted(Math.min(untilNanos, System.nanoTime() + 50_000_000L));
        }
        return interrupted;
    }

    /** Sleeps until then whatever interrupts come (the answer must not come early); true if one came. */
    private static boolean sleepUninterrupted(long untilNanos) {
        boolean interrupted = false;
        long left;
        while ((left = untilNanos - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
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
                throw new SQLException("cache_fence has no row: run the migrations (Compose: the migrate service; Kubernetes: the Job triad-migrate)");
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
