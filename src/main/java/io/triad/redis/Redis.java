package io.triad.redis;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

import io.triad.config.Settings;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisFactory;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisSentinelPool;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.Pool;

/**
 * Redis with the availability the contract asks for: Redis down is not an error.
 * <p>
 * After a failed connection (refused, reset, timed out) the client is skipped for
 * {@link #BACKOFF}, so reads bypass the cache at once instead of each waiting for a timeout;
 * the heartbeat's call, which always tries, is the probe that notices the recovery. Errors
 * that say nothing about the connection (a script error, OOM under maxmemory, an exhausted
 * local pool) fail that one call and leave Redis up.
 * <p>
 * Every pooled connection knows the {@code run_id} of the Redis process it talks to, read once
 * when it is opened. A TCP connection never outlives the process, so a command sent on it is
 * answered by exactly that process: the item cache uses this to tell a restarted Redis, or one
 * brought back with an older copy of its data, from the one it trusted (see CacheFence).
 * <p>
 * With {@code REDIS_SENTINELS} the primary is the one the sentinels name for
 * {@code REDIS_MASTER_NAME}, and the pool follows a failover by itself (Jedis subscribes to the
 * sentinels' {@code +switch-master} and then opens new connections only to the new primary).
 * A promoted replica is another process with another {@code run_id}, so the fence treats it
 * like a restarted Redis: nothing it holds is read before it was cleaned. Sentinels and data
 * nodes take the same user ({@code REDIS_USER}, an ACL user; unset: the default user) and
 * password.
 * <p>
 * The commands sent here and by the item cache, the fence and the cluster view are the ones
 * the service's ACL user is granted (compose/redis.sh, k8s/base/30-redis.yaml): a new one needs
 * a grant there too, or it fails with NOPERM (RedisAclTest runs every test against that user).
 */
public final class Redis implements AutoCloseable {
    static final Duration BACKOFF = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger(Redis.class.getName());

    private final Supplier<Pool<Jedis>> opener;
    private final Map<Jedis, String> runIds;
    /** Opened on first use: a sentinel pool asks the sentinels for the primary when it is created. */
    private volatile Pool<Jedis> pool;
    private volatile long skipUntilNanos = System.nanoTime();
    private volatile boolean up = true;

    private Redis(Supplier<Pool<Jedis>> opener, Map<Jedis, String> runIds) {
        this.opener = opener;
        this.runIds = runIds;
    }

    /**
     * The pool, opened now if it is not yet: a sentinel pool can't be created while no sentinel
     * answers, and Redis down is not an error, so the service starts anyway and tries again on
     * the next call after the backoff (the heartbeat probes every second).
     */
    private Pool<Jedis> pool() {
        Pool<Jedis> p = pool;
        if (p == null) {
            synchronized (this) {
                p = pool;
                if (p == null) {
                    try {
                        p = opener.get();
                    } catch (JedisException e) {
                        throw new JedisConnectionException("no sentinel named the primary: " + e.getMessage(), e);
                    }
                    pool = p;
                }
            }
        }
        return p;
    }

    public static Redis connect(Settings settings) {
        var uri = settings.redisUrl();
        DefaultJedisClientConfig.Builder config = clientConfig(settings)
                .ssl("rediss".equals(uri.getScheme()));
        String userInfo = uri.getUserInfo();
        if (userInfo != null && userInfo.contains(":")) {
            String user = userInfo.substring(0, userInfo.indexOf(':'));
            if (!user.isEmpty()) {
                config.user(user);
            }
            config.password(userInfo.substring(userInfo.indexOf(':') + 1));
        }
        settings.redisUser().ifPresent(config::user);
        settings.redisPassword().ifPresent(config::password);
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            config.database(Integer.parseInt(path.substring(1)));
        }
        GenericObjectPoolConfig<Jedis> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(64);
        // As many idle as in use: a smaller idle cap closes connections after every burst and
        // opens them again (AUTH, CLIENT SETNAME, INFO per connection): 932 new connections for
        // 22,000 cached GETs at 64 concurrent clients before (bench A/B, docs/PERFORMANCE.md).
        poolConfig.setMaxIdle(64);
        poolConfig.setMinIdle(0);
        poolConfig.setMaxWait(Duration.ofMillis(300));
        poolConfig.setJmxEnabled(false);
        Map<Jedis, String> runIds = new ConcurrentHashMap<>();
        if (settings.redisThroughSentinel()) {
            Set<HostAndPort> sentinels = new LinkedHashSet<>();
            settings.redisSentinels().forEach(s -> sentinels.add(HostAndPort.from(s)));
            DefaultJedisClientConfig.Builder sentinelConfig = clientConfig(settings);
            settings.redisUser().ifPresent(sentinelConfig::user);
            settings.redisPassword().ifPresent(sentinelConfig::password);
            // The address is replaced by the primary the sentinels name before any connection opens.
            RunIdTrackingFactory factory = new RunIdTrackingFactory(sentinels.iterator().next(), config.build(), runIds);
            JedisClientConfig sentinelClientConfig = sentinelConfig.build();
            return new Redis(() -> new JedisSentinelPool(settings.redisMasterName(), sentinels, poolConfig, factory,
                    sentinelClientConfig), runIds);
        }
        HostAndPort address = new HostAndPort(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
        JedisClientConfig clientConfig = config.build();
        return new Redis(() -> new JedisPool(poolConfig, new RunIdTrackingFactory(address, clientConfig, runIds)), runIds);
    }

    /** Timeouts, name and protocol of every connection, to a data node or a sentinel. */
    private static DefaultJedisClientConfig.Builder clientConfig(Settings settings) {
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(300)
                .socketTimeoutMillis(500)
                .clientName("triad-" + settings.instanceId())
                // RESP2, the protocol the pooled Jedis speaks (and every Redis 6+ answers), without a HELLO per connection.
                .serverDefaultProtocol();
    }

    /** Runs op unless Redis failed in the last second; throws {@link RedisUnavailableException} otherwise. */
    public <T> T call(Function<Jedis, T> op) {
        return call((jedis, runId) -> op.apply(jedis));
    }

    /** Like {@link #call(Function)}, and tells op which Redis process (run_id) the connection reaches. */
    public <T> T call(BiFunction<Jedis, String, T> op) {
        if (System.nanoTime() - skipUntilNanos < 0) {
            throw new RedisUnavailableException("redis skipped after a recent failure", null);
        }
        return probe(op);
    }

    /** Like {@link #call(Function)} but always tries: the heartbeat uses it to notice a recovery. */
    public <T> T probe(Function<Jedis, T> op) {
        return probe((jedis, runId) -> op.apply(jedis));
    }

    private <T> T probe(BiFunction<Jedis, String, T> op) {
        // A child span of the request's when tracing exports; otherwise just the call.
        return io.triad.tracing.Tracing.installed().client("redis", "redis", () -> probeUntraced(op));
    }

    private <T> T probeUntraced(BiFunction<Jedis, String, T> op) {
        T result;
        try (Jedis jedis = pool().getResource()) {
            result = op.apply(jedis, runIds.get(jedis));
        } catch (JedisConnectionException e) {
            skipUntilNanos = System.nanoTime() + BACKOFF.toNanos();
            if (up) {
                up = false;
                LOG.log(System.Logger.Level.WARNING, "redis unavailable, bypassing the cache and pausing heartbeats: "
                        + e.getMessage());
            }
            throw new RedisUnavailableException(e.getMessage(), e);
        } catch (RuntimeException e) {
            // The connection works; this call did not (script, OOM, pool exhausted, parse error).
            throw new RedisUnavailableException(e.getMessage(), e);
        }
        if (!up) {
            up = true;
            LOG.log(System.Logger.Level.INFO, "redis is reachable again");
        }
        return result;
    }

    @Override
    public void close() {
        Pool<Jedis> p = pool;
        if (p != null) {
            p.close();
        }
    }

    /** Jedis' own factory, plus the run_id of each new connection's server. */
    private static final class RunIdTrackingFactory extends JedisFactory {
        private final Map<Jedis, String> runIds;

        RunIdTrackingFactory(HostAndPort address, JedisClientConfig config, Map<Jedis, String> runIds) {
            super(address, config);
            this.runIds = runIds;
        }

        @Override
        public PooledObject<Jedis> makeObject() throws Exception {
            PooledObject<Jedis> pooled = super.makeObject();
            Jedis jedis = pooled.getObject();
            try {
                runIds.put(jedis, runId(jedis.info("server")));
            } catch (RuntimeException e) {
                jedis.close();
                throw e;
            }
            return pooled;
        }

        @Override
        public void destroyObject(PooledObject<Jedis> pooled) throws Exception {
            runIds.remove(pooled.getObject());
            super.destroyObject(pooled);
        }

        static String runId(String info) {
            for (String line : info.split("\r?\n")) {
                if (line.startsWith("run_id:")) {
                    return line.substring("run_id:".length()).strip();
                }
            }
            throw new IllegalStateException("INFO server has no run_id");
        }
    }
}
