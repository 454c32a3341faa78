package io.triad.items;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;

import io.triad.redis.Redis;
import io.triad.redis.RedisUnavailableException;
import redis.clients.jedis.params.SetParams;

/**
 * Cache-aside for item reads in Redis, with leases against the slow-fill race and a fence in
 * PostgreSQL against every Redis fault: {@link CacheFence} states the promise and the argument.
 * <p>
 * A key holds either a value, {@code "<version>:<json>"}, or a lease, {@code "L<token>"}: a
 * reader that misses takes the lease before it reads PostgreSQL and fills only if the key
 * still holds its token; a write deletes the key after its commit, which removes any lease
 * taken before. A hit is one GET, and its JSON is answered as the bytes Redis holds: no
 * decoding to a String and encoding back per hit.
 */
public final class ItemCache {
    /** Longer than a database read may take (the pool wait plus a statement); an expired lease only costs a fill. */
    private static final Duration LEASE_TTL = Duration.ofMillis(2000);
    private static final String FILL = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
              return 1
            end
            return 0
            """;

    private final Redis redis;
    private final CacheFence fence;
    private final String ttlMillis;
    private final Counter hits;
    private final Counter misses;
    private final Counter bypasses;

    public ItemCache(Redis redis, CacheFence fence, Duration ttl, MeterRegistry registry) {
        this.redis = redis;
        this.fence = fence;
        this.ttlMillis = Long.toString(ttl.toMillis());
        this.hits = counter(registry, "triad.cache.hits", "Item reads answered from Redis");
        this.misses = counter(registry, "triad.cache.misses", "Item reads that went to PostgreSQL and filled the cache");
        this.bypasses = counter(registry, "triad.cache.bypasses", "Item reads that skipped an unavailable or untrusted cache");
    }

    /** The cached copy; a miss (with a lease when this reader may fill); or a bypass when the cache can't be shown current. */
    public Lookup get(long id) {
        String key = CacheFence.KEY_PREFIX + id;
        byte[] rawKey = key.getBytes(StandardCharsets.US_ASCII);
        try {
            Lookup lookup = redis.call((jedis, runId) -> {
                if (!fence.trusts(runId)) {
                    return Lookup.BYPASS;
                }
                byte[] value = jedis.get(rawKey);
                if (value != null && value.length > 0 && value[0] != 'L') {
                    int sep = indexOf(value, (byte) ':');
                    // Trusted before and after: a GET stalled past the lease is not believed.
                    return fence.trusts(runId)
                            ? new Lookup(Lookup.State.HIT, version(value, sep), Arrays.copyOfRange(value, sep + 1, value.length), null)
                            : Lookup.BYPASS;
                }
                if (value != null) {
                    return Lookup.MISS; // another reader holds the lease and fills
                }
                String token = "L" + Long.toHexString(ThreadLocalRandom.current().nextLong());
                boolean leased = "OK".equals(jedis.set(key, token, SetParams.setParams().nx().px(LEASE_TTL.toMillis())));
                return leased ? new Lookup(Lookup.State.MISS, 0, null, token) : Lookup.MISS;
            });
            (lookup.state() == Lookup.State.HIT ? hits : lookup.state() == Lookup.State.MISS ? misses : bypasses).increment();
            return lookup;
        } catch (RedisUnavailableException e) {
            bypasses.increment();
            return Lookup.BYPASS;
        }
    }

    /** Puts the row read after a leased miss, unless a write (or eviction, or a cleaning) took the lease away. */
    public void fill(Lookup miss, Item item) {
        if (miss.lease() == null) {
            return;
        }
        String key = CacheFence.KEY_PREFIX + item.id();
        try {
            redis.call(jedis -> jedis.eval(FILL, List.of(key),
                    List.of(miss.lease(), item.version() + ":" + item.toJson(), ttlMillis)));
        } catch (RedisUnavailableException ignored) {
            // A fill is an optimisation; the lease expires and the next read tries again.
        }
    }

    /**
     * After a committed write or delete: older copies must never be read again. Deletes the key;
     * if that can't be shown to have happened, raises the fence and returns once no instance can
     * still read the older copy (up to about a second).
     */
    public void invalidate(long id) {
        try {
            redis.call(jedis -> jedis.del(CacheFence.KEY_PREFIX + id));
        } catch (RedisUnavailableException e) {
            fence.bump();
        }
    }

    private static int indexOf(byte[] value, byte b) {
        for (int i = 0; i < value.length; i++) {
            if (value[i] == b) {
                return i;
            }
        }
        throw new IllegalStateException("cached item without a version prefix");
    }

    /** The ASCII decimal before the separator; the same parse as Long.parseLong (a bad prefix throws). */
    private static long version(byte[] value, int sep) {
        return Long.parseLong(new String(value, 0, sep, StandardCharsets.US_ASCII));
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return registry.getOrCreate(Counter.builder(name).description(description));
    }

    /**
     * The outcome of a cache read, named as the X-Cache header shows it; a hit carries the item's
     * JSON as UTF-8 bytes (as stored), a miss may carry the lease to fill with.
     */
    public record Lookup(State state, long version, byte[] json, String lease) {
        static final Lookup MISS = new Lookup(State.MISS, 0, null, null);
        static final Lookup BYPASS = new Lookup(State.BYPASS, 0, null, null);

        public enum State { HIT, MISS, BYPASS }
    }
}
