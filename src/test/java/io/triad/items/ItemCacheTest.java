package io.triad.items;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import io.helidon.metrics.api.Metrics;

import io.triad.db.Database;
import io.triad.redis.Redis;
import io.triad.support.Await;
import io.triad.support.TestStack;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The cache's promise under every Redis fault the issue lists, against a real Redis and a real
 * PostgreSQL: two "instances" (each its own Redis client, pool and fence, as two containers
 * have), a writer and a reader. After a write is acknowledged (its invalidate returned), the
 * reader never gets the older version: a HIT must carry the new one, or it must miss or bypass.
 */
class ItemCacheTest {
    private Instance writer;
    private Instance reader;

    /** What one service instance holds of the cache. */
    private static final class Instance implements AutoCloseable {
        final Database database;
        final Redis redis;
        final CacheFence fence;
        final ItemCache cache;
        final java.util.concurrent.ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();

        Instance(String id) {
            database = Database.open(TestStack.get().settings(id));
            redis = Redis.connect(TestStack.get().settings(id));
            fence = new CacheFence(database, redis);
            cache = new ItemCache(redis, fence, Duration.ofMinutes(5), Metrics.globalRegistry());
            poller.scheduleWithFixedDelay(fence::poll, 0, CacheFence.POLL_EVERY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            poller.shutdownNow();
            redis.close();
            database.close();
        }
    }

    @BeforeEach
    void instances() {
        writer = new Instance("cache-writer");
        reader = new Instance("cache-reader");
        awaitCacheInUse();
    }

    @AfterEach
    void close() {
        writer.close();
        reader.close();
    }

    @Test
    void aSlowFillAfterAnAcknowledgedWriteIsRefused() throws SQLException {
        long id = insert("slow reader");
        ItemCache.Lookup miss = reader.cache.get(id);
        assertThat(miss.state(), is(ItemCache.Lookup.State.MISS));
        Item old = row(id);                         // the reader read version 1...
        write(id, "new");                           // ...a write commits version 2 and invalidates...
        reader.cache.fill(miss, old);               // ...and the slow reader's fill arrives late
        assertThat("the stale fill was refused", reader.cache.get(id).state(), not(is(ItemCache.Lookup.State.HIT)));
    }

    @Test
    void evictingTheLeaseNeverLetsAStaleFillIn() throws SQLException {
        long id = insert("evicted");
        ItemCache.Lookup miss = reader.cache.get(id);
        Item old = row(id);
        write(id, "new");
        TestStack.get().redisCli("DEL", CacheFence.KEY_PREFIX + id); // Redis full: the key is evicted
        reader.cache.fill(miss, old);
        assertReaderNeverOlderThan(id, 2, Duration.ofMillis(300));
    }

    @Test
    void droppedConnections() throws SQLException {
        long id = cachedItem("dropped");
        TestStack.get().redisCli("CLIENT", "KILL", "TYPE", "normal");
        write(id, "new");
        assertReaderNeverOlderThan(id, 2, Duration.ofSeconds(3));
        awaitCacheInUse();
    }

    @Test
    void aRedisRestartWithAnOlderCopyOfItsData() throws SQLException {
        long id = cachedItem("restored");
        TestStack.get().redisCli("SET", "triad:test:backup", "older");
        TestStack.get().redisCli("SAVE");                        // the backup holds version 1 cached
        TestStack.get().redisShell("cp /data/dump.rdb /data/older.rdb");
        TestStack.get().redisCli("SET", "triad:test:backup", "newer");
        write(id, "new");                                          // invalidated in the live Redis
        TestStack.get().restartRedisWith("/data/older.rdb");       // ...which comes back with the backup
        assertThat("Redis came back with the older copy", TestStack.get().redisCli("GET", "triad:test:backup"), is("older"));
        assertReaderNeverOlderThan(id, 2, Duration.ofSeconds(3));
        awaitCacheInUse();
        assertThat(read(reader, id), greaterThanOrEqualTo(2L));
    }

    @Test
    void aPausedRedis() throws Exception {
        long id = cachedItem("paused");
        // Reads go on, writes (the invalidation) wait: the case where a stale copy stays readable.
        TestStack.get().redisCli("CLIENT", "PAUSE", "2500", "WRITE");
        try {
            write(id, "new");
            assertReaderNeverOlderThan(id, 2, Duration.ofSeconds(1));
        } finally {
            TestStack.get().redisCli("CLIENT", "UNPAUSE");
        }
        awaitCacheInUse();
        assertThat(read(reader, id), greaterThanOrEqualTo(2L));
    }

    @Test
    void aRedisBusyInDebugSleep() throws Exception {
        long id = cachedItem("sleeping");
        CompletableFuture<String> sleep = CompletableFuture.supplyAsync(() -> TestStack.get().redisCli("DEBUG", "SLEEP", "1.5"));
        Await.until(Duration.ofSeconds(2), "Redis busy", () -> {
            long start = System.nanoTime();
            reader.cache.get(id);
            return System.nanoTime() - start > 200_000_000L;
        });
        write(id, "new");
        assertReaderNeverOlderThan(id, 2, Duration.ofSeconds(1));
        sleep.join();
        awaitCacheInUse();
        assertThat(read(reader, id), greaterThanOrEqualTo(2L));
    }

    @Test
    void theWritersPoolExhausted() throws Exception {
        long id = cachedItem("exhausted");
        // Every connection of the writer's pool held by a blocking command: its delete gets none.
        CountDownLatch held = new CountDownLatch(64);
        List<CompletableFuture<Void>> holders = new ArrayList<>();
        var threads = Executors.newVirtualThreadPerTaskExecutor();
        for (int i = 0; i < 64; i++) {
            holders.add(CompletableFuture.runAsync(() -> writer.redis.call(j -> {
                held.countDown();
                return j.blpop(2, "triad:test:never");
            }), threads));
        }
        held.await();
        write(id, "new");
        assertReaderNeverOlderThan(id, 2, Duration.ofSeconds(1));
        CompletableFuture.allOf(holders.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
        threads.close();
        awaitCacheInUse();
    }

    @Test
    void anInterruptedWriterStillWaitsOutTheOtherInstancesTrust() {
        // A fence of its own that no poll refreshes: only the full wait can end the bump.
        CacheFence fence = new CacheFence(writer.database, writer.redis);
        Thread.currentThread().interrupt();
        long start = System.nanoTime();
        fence.bump();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat("the interrupt is kept for the caller", Thread.interrupted(), is(true));
        assertThat("waited out the lease (ms)", millis, greaterThanOrEqualTo(CacheFence.LEASE.toMillis()));
        assertThat("and did not give up", millis < 4000, is(true));
        awaitCacheInUse();
    }

    @Test
    void redisFullWithEvictionUnderConcurrentReadsAndWrites() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ids.add(insert("x".repeat(190)));
        }
        String maxmemory = TestStack.get().redisCli("CONFIG", "GET", "maxmemory").split("\n")[1];
        String policy = TestStack.get().redisCli("CONFIG", "GET", "maxmemory-policy").split("\n")[1];
        TestStack.get().redisCli("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
        TestStack.get().redisCli("CONFIG", "SET", "maxmemory", usedMemory() + 8_000 + "");
        try {
            var acknowledged = new java.util.concurrent.ConcurrentHashMap<Long, Long>();
            var stale = new java.util.concurrent.atomic.AtomicInteger();
            var hits = new java.util.concurrent.atomic.AtomicInteger();
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            var threads = Executors.newVirtualThreadPerTaskExecutor();
            List<CompletableFuture<Void>> work = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                work.add(CompletableFuture.runAsync(() -> {
                    while (System.nanoTime() < until) {
                        for (long id : ids) {
                            Long floor = acknowledged.get(id);
                            ItemCache.Lookup lookup = reader.cache.get(id);
                            if (lookup.state() == ItemCache.Lookup.State.HIT) {
                                hits.incrementAndGet();
                                if (floor != null && lookup.version() < floor) {
                                    stale.incrementAndGet();
                                }
                            } else {
                                reader.cache.fill(lookup, row(id));
                            }
                        }
                    }
                }, threads));
            }
            work.add(CompletableFuture.runAsync(() -> {
                while (System.nanoTime() < until) {
                    for (long id : ids) {
                        acknowledged.put(id, write(id, "y".repeat(190)));
                    }
                }
            }, threads));
            CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).join();
            threads.close();
            assertThat("evictions happened", Long.parseLong(info("evicted_keys")) > 0, is(true));
            assertThat("the cache was used", hits.get() > 0, is(true));
            assertThat("stale hits", stale.get(), is(0));
        } finally {
            TestStack.get().redisCli("CONFIG", "SET", "maxmemory", maxmemory);
            TestStack.get().redisCli("CONFIG", "SET", "maxmemory-policy", policy);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** An item that the reader has cached (a HIT) at version 1. */
    private long cachedItem(String name) throws SQLException {
        long id = insert(name);
        assertThat(read(reader, id), is(1L));
        Await.until(Duration.ofSeconds(5), "a HIT", () -> reader.cache.get(id).state() == ItemCache.Lookup.State.HIT);
        return id;
    }

    /** For a while after the write was acknowledged, no reader lookup returns an older version. */
    private void assertReaderNeverOlderThan(long id, long version, Duration during) {
        long until = System.nanoTime() + during.toNanos();
        int reads = 0;
        do {
            ItemCache.Lookup lookup = reader.cache.get(id);
            if (lookup.state() == ItemCache.Lookup.State.HIT) {
                assertThat("version served from the cache after read " + reads, lookup.version(), greaterThanOrEqualTo(version));
            }
            reads++;
        } while (System.nanoTime() < until);
    }

    /** Both instances trust the cache again (after a fault: cleaned, the row read). */
    private void awaitCacheInUse() {
        Await.until(Duration.ofSeconds(30), "the cache trusted by both instances", () -> {
            long probe = 1L << 50;
            return writer.cache.get(probe).state() != ItemCache.Lookup.State.BYPASS
                    && reader.cache.get(probe).state() != ItemCache.Lookup.State.BYPASS;
        });
    }

    /** A read as ItemService does it: the cache, else PostgreSQL and a fill. */
    private static long read(Instance instance, long id) {
        ItemCache.Lookup lookup = instance.cache.get(id);
        if (lookup.state() == ItemCache.Lookup.State.HIT) {
            return lookup.version();
        }
        Item item = row(id);
        instance.cache.fill(lookup, item);
        return item.version();
    }

    /** A PUT as ItemService does it: commit, then invalidate; returns the acknowledged version. */
    private long write(long id, String name) {
        long version;
        try (Connection c = TestStack.get().jdbc();
             PreparedStatement s = c.prepareStatement("UPDATE items SET name = ?, version = version + 1 WHERE id = ? RETURNING version")) {
            s.setString(1, name);
            s.setLong(2, id);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                version = rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        writer.cache.invalidate(id);
        return version;
    }

    private static long insert(String name) throws SQLException {
        try (Connection c = TestStack.get().jdbc(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("INSERT INTO items (name) VALUES ('" + name + "') RETURNING id")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Item row(long id) {
        try (Connection c = TestStack.get().jdbc();
             PreparedStatement s = c.prepareStatement("SELECT name, version FROM items WHERE id = ?")) {
            s.setLong(1, id);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new Item(id, rs.getString(1), "", 0, rs.getLong(2), Instant.EPOCH, Instant.EPOCH);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long usedMemory() {
        return Long.parseLong(info("used_memory"));
    }

    private static String info(String field) {
        for (String line : TestStack.get().redisCli("INFO").split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).strip();
            }
        }
        throw new IllegalStateException("no " + field + " in INFO");
    }
}
