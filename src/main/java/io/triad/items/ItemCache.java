package io.triad.items;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;

import io.triad.redis.Redis;
import io.triad.redis.RedisUnavailableException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Cache-aside for item reads in Redis. A value is "version:json"; a write leaves a tombstone
 * "version:" instead of a bare delete, and both the fill and the tombstone go through a script
 * that never lets a lower version replace a higher one. That closes the classic race where a
 * slow reader puts back the row it read before a concurrent, already acknowledged write.
 */
public final class ItemCache {
    /** Versions never reach this; a deleted item's tombstone outranks every fill. */
    static final long DELETED = 1L << 53;
    private static final String KEY_PREFIX = "triad:item:";
    private static final String FILL = """
            local cur = redis.call('GET', KEYS[1])
            if cur then
              local sep = string.find(cur, ':', 1, true)
              local v = tonumber(string.sub(cur, 1, sep - 1))
              local new = tonumber(ARGV[1])
              if sep == #cur then
                if v > new then return 0 end
              elseif v >= new then
                return 0
              end
            end
            redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3])
            return 1
            """;
    private static final String INVALIDATE = """
            local cur = redis.call('GET', KEYS[1])
            if cur then
              local sep = string.find(cur, ':', 1, true)
              if tonumber(string.sub(cur, 1, sep - 1)) >= tonumber(ARGV[1]) then return 0 end
            end
            redis.call('SET', KEYS[1], ARGV[1] .. ':', 'PX', ARGV[2])
            return 1
            """;

    private final Redis redis;
    private final String ttlMillis;
    private final Counter hits;
    private final Counter misses;
    private final Counter bypasses;
    /** A write could not invalidate: Redis may hold an old copy, so it is flushed before use. */
    private final AtomicBoolean mayBeStale = new AtomicBoolean();

    public ItemCache(Redis redis, Duration ttl, MeterRegistry registry) {
        this.redis = redis;
        this.ttlMillis = Long.toString(ttl.toMillis());
        this.hits = counter(registry, "triad.cache.hits", "Item reads answered from Redis");
        this.misses = counter(registry, "triad.cache.misses", "Item reads that went to PostgreSQL and filled the cache");
        this.bypasses = counter(registry, "triad.cache.bypasses", "Item reads that skipped an unavailable cache");
        redis.onRecovery(this::flushIfStale);
    }

    /** The cached copy, a miss, or a bypass when Redis is unavailable. */
    public Lookup get(long id) {
        if (mayBeStale.get() && !flushIfStale()) {
            bypasses.increment();
            return Lookup.BYPASS;
        }
        try {
            String value = redis.call(r -> r.get(KEY_PREFIX + id));
            int sep = value == null ? -1 : value.indexOf(':');
            if (sep < 0 || sep == value.length() - 1) {
                misses.increment();
                return Lookup.MISS;
            }
            hits.increment();
            return new Lookup(Lookup.State.HIT, Long.parseLong(value, 0, sep, 10), value.substring(sep + 1));
        } catch (RedisUnavailableException e) {
            bypasses.increment();
            return Lookup.BYPASS;
        }
    }

    public void fill(Item item) {
        try {
            redis.call(r -> r.eval(FILL, List.of(KEY_PREFIX + item.id()),
                    List.of(Long.toString(item.version()), item.toJson().toString(), ttlMillis)));
        } catch (RedisUnavailableException ignored) {
            // A fill is an optimisation; the next read tries again.
        }
    }

    /** After a committed write of this version (or a delete): older copies must never be read again. */
    public void invalidate(long id, long version) {
        try {
            redis.call(r -> r.eval(INVALIDATE, List.of(KEY_PREFIX + id), List.of(Long.toString(version), ttlMillis)));
        } catch (RedisUnavailableException e) {
            mayBeStale.set(true);
        }
    }

    public void invalidateDeleted(long id) {
        invalidate(id, DELETED);
    }

    private boolean flushIfStale() {
        if (!mayBeStale.get()) {
            return true;
        }
        try {
            redis.call(r -> {
                String cursor = ScanParams.SCAN_POINTER_START;
                ScanParams params = new ScanParams().match(KEY_PREFIX + "*").count(1000);
                do {
                    ScanResult<String> page = r.scan(cursor, params);
                    if (!page.getResult().isEmpty()) {
                        r.unlink(page.getResult().toArray(String[]::new));
                    }
                    cursor = page.getCursor();
                } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
                return null;
            });
            mayBeStale.set(false);
            return true;
        } catch (RedisUnavailableException e) {
            return false;
        }
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return registry.getOrCreate(Counter.builder(name).description(description));
    }

    /** The outcome of a cache read, named as the X-Cache header shows it. */
    public record Lookup(State state, long version, String json) {
        static final Lookup MISS = new Lookup(State.MISS, 0, null);
        static final Lookup BYPASS = new Lookup(State.BYPASS, 0, null);

        public enum State { HIT, MISS, BYPASS }
    }
}
