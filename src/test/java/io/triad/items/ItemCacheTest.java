package io.triad.items;

import java.time.Duration;
import java.time.Instant;

import io.helidon.metrics.api.Metrics;

import io.triad.redis.Redis;
import io.triad.support.TestStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * The version guard, made deterministic: a slow reader's fill that arrives after an
 * acknowledged write must not put the older row back (the race the integration test provokes).
 */
class ItemCacheTest {
    private static Redis redis;
    private static ItemCache cache;

    @BeforeAll
    static void connect() {
        redis = Redis.connect(TestStack.get().settings("cache-test"));
        cache = new ItemCache(redis, Duration.ofMinutes(5), Metrics.globalRegistry());
    }

    @AfterAll
    static void close() {
        redis.close();
    }

    @Test
    void aFillOlderThanTheLastWriteIsRefused() {
        long id = 900_000_001L;
        cache.invalidate(id, 2);            // the write of version 2 was acknowledged
        cache.fill(item(id, 1));            // a reader that read version 1 before it comes late
        assertThat(cache.get(id).state(), is(ItemCache.Lookup.State.MISS));
        cache.fill(item(id, 2));
        assertThat(cache.get(id).version(), is(2L));
        cache.fill(item(id, 1));
        assertThat("a lower version never replaces a higher one", cache.get(id).version(), is(2L));
        cache.invalidate(id, 1);
        assertThat("a late invalidation of an older write keeps the newer copy", cache.get(id).version(), is(2L));
    }

    @Test
    void aDeletedItemIsNeverFilledAgain() {
        long id = 900_000_002L;
        cache.fill(item(id, 5));
        cache.invalidateDeleted(id);
        cache.fill(item(id, 5));
        assertThat(cache.get(id).state(), is(ItemCache.Lookup.State.MISS));
    }

    private static Item item(long id, long version) {
        return new Item(id, "n" + version, "", 0, version, Instant.EPOCH, Instant.EPOCH);
    }
}
