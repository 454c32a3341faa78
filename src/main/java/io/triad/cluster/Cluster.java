package io.triad.cluster;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import io.triad.items.Item;
import io.triad.redis.Redis;
import io.triad.redis.RedisUnavailableException;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ZRangeParams;

/**
 * The cluster as Redis sees it. Each instance counts its public requests in memory and, about
 * once a second, publishes a heartbeat (its info and count) and adds the new requests to the
 * cluster-wide total: one Redis round trip per second instead of one per request.
 */
public final class Cluster {
    /** The contract: instances that sent a heartbeat in the last 10 s. */
    static final long ALIVE_MILLIS = 10_000;
    private static final String HEARTBEATS = "triad:heartbeats";
    private static final String INSTANCE_PREFIX = "triad:instance:";
    private static final String TOTAL = "triad:requests:total";

    private final InstanceInfo self;
    private final Redis redis;
    private final LongAdder served = new LongAdder();
    private final LongAdder unpublished = new LongAdder();
    /** For /metrics: when the last heartbeat reached Redis, and how many did not. */
    private volatile long lastHeartbeatMillis;
    private final LongAdder heartbeatFailures = new LongAdder();

    public Cluster(InstanceInfo self, Redis redis) {
        this.self = self;
        this.redis = redis;
    }

    public InstanceInfo self() {
        return self;
    }

    public void countRequest() {
        served.increment();
        unpublished.increment();
    }

    public long requestsServed() {
        return served.sum();
    }

    /** Publishes the heartbeat; always tries, so it is also what notices Redis coming back. */
    public void heartbeat() {
        long delta = unpublished.sumThenReset();
        long now = System.currentTimeMillis();
        try {
            redis.probe(r -> {
                try (AbstractPipeline p = r.pipelined()) {
                    String key = INSTANCE_PREFIX + self.instance();
                    p.hset(key, Map.of(
                            "instance", self.instance(),
                            "version", self.version(),
                            "startedAt", Item.TIMESTAMP.format(self.startedAt()),
                            "lastSeen", Item.TIMESTAMP.format(Instant.ofEpochMilli(now)),
                            "requestsServed", Long.toString(served.sum())));
                    p.pexpire(key, ALIVE_MILLIS * 3);
                    p.zadd(HEARTBEATS, now, self.instance());
                    p.zremrangeByScore(HEARTBEATS, Double.NEGATIVE_INFINITY, now - ALIVE_MILLIS * 6);
                    if (delta > 0) {
                        p.incrBy(TOTAL, delta);
                    }
                    p.sync();
                }
                return null;
            });
            lastHeartbeatMillis = now;
        } catch (RedisUnavailableException e) {
            // Keep the count for the next heartbeat; a killed instance loses at most this second.
            unpublished.add(delta);
            heartbeatFailures.increment();
        }
    }

    /** Epoch milliseconds of the last heartbeat Redis took; 0 before the first. */
    public long lastHeartbeatMillis() {
        return lastHeartbeatMillis;
    }

    public long heartbeatFailures() {
        return heartbeatFailures.sum();
    }

    /** On a graceful stop: publish the last counts and leave the cluster view at once. */
    public void leave() {
        long delta = unpublished.sumThenReset();
        try {
            redis.call(r -> {
                try (AbstractPipeline p = r.pipelined()) {
                    if (delta > 0) {
                        p.incrBy(TOTAL, delta);
                    }
                    p.zrem(HEARTBEATS, self.instance());
                    p.del(INSTANCE_PREFIX + self.instance());
                    p.sync();
                }
                return null;
            });
        } catch (RedisUnavailableException ignored) {
            // The heartbeat expires by itself within 10 s.
        }
    }

    public View view() {
        long now = System.currentTimeMillis();
        try {
            return redis.call(r -> read(r, now));
        } catch (RedisUnavailableException e) {
            return new View(List.of(new Member(self.instance(), self.version(),
                    Item.TIMESTAMP.format(self.startedAt()), Item.TIMESTAMP.format(Instant.ofEpochMilli(now)),
                    served.sum())), null, true);
        }
    }

    private static View read(Jedis r, long now) {
        List<String> ids = r.zrange(HEARTBEATS, ZRangeParams.zrangeByScoreParams(now - ALIVE_MILLIS, Double.POSITIVE_INFINITY));
        List<Response<Map<String, String>>> infos = new ArrayList<>();
        Response<String> total;
        try (AbstractPipeline p = r.pipelined()) {
            ids.stream().sorted().forEach(id -> infos.add(p.hgetAll(INSTANCE_PREFIX + id)));
            total = p.get(TOTAL);
            p.sync();
        }
        List<Member> members = new ArrayList<>();
        for (Response<Map<String, String>> response : infos) {
            Map<String, String> info = response.get();
            if (!info.isEmpty()) {
                members.add(new Member(info.get("instance"), info.get("version"), info.get("startedAt"),
                        info.get("lastSeen"), Long.parseLong(info.getOrDefault("requestsServed", "0"))));
            }
        }
        return new View(members, total.get() == null ? 0L : Long.parseLong(total.get()), false);
    }

    public record Member(String instance, String version, String startedAt, String lastSeen, long requestsServed) {
    }

    /** totalRequests is null when Redis is unavailable (degraded). */
    public record View(List<Member> instances, Long totalRequests, boolean degraded) {
    }
}
