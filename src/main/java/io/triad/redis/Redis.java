package io.triad.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import io.triad.config.Settings;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Redis with the availability the contract asks for: Redis down is not an error. After a
 * failed call the client is skipped for {@link #BACKOFF} (reads bypass the cache at once
 * instead of each waiting for a timeout), and the heartbeat's call, which always tries,
 * is the probe that notices the recovery.
 */
public final class Redis implements AutoCloseable {
    static final Duration BACKOFF = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger(Redis.class.getName());

    private final UnifiedJedis client;
    private final List<Runnable> recoveryListeners = new CopyOnWriteArrayList<>();
    private volatile long skipUntilNanos = System.nanoTime();
    private volatile boolean up = true;

    Redis(UnifiedJedis client) {
        this.client = client;
    }

    public static Redis connect(Settings settings) {
        var uri = settings.redisUrl();
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(300)
                .socketTimeoutMillis(500)
                .clientName("triad-" + settings.instanceId())
                .ssl("rediss".equals(uri.getScheme()));
        String userInfo = uri.getUserInfo();
        if (userInfo != null && userInfo.contains(":")) {
            String user = userInfo.substring(0, userInfo.indexOf(':'));
            if (!user.isEmpty()) {
                config.user(user);
            }
            config.password(userInfo.substring(userInfo.indexOf(':') + 1));
        }
        settings.redisPassword().ifPresent(config::password);
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            config.database(Integer.parseInt(path.substring(1)));
        }
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(64);
        pool.setMaxIdle(16);
        pool.setMinIdle(0);
        pool.setMaxWait(Duration.ofMillis(500));
        pool.setJmxEnabled(false);
        RedisClient client = RedisClient.builder()
                .hostAndPort(new HostAndPort(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()))
                .clientConfig(config.build())
                .poolConfig(pool)
                .build();
        return new Redis(client);
    }

    /** Runs op unless Redis failed in the last second; throws {@link RedisUnavailableException} otherwise. */
    public <T> T call(Function<UnifiedJedis, T> op) {
        if (System.nanoTime() - skipUntilNanos < 0) {
            throw new RedisUnavailableException("redis skipped after a recent failure", null);
        }
        return probe(op);
    }

    /** Like {@link #call} but always tries: the heartbeat uses it to notice a recovery. */
    public <T> T probe(Function<UnifiedJedis, T> op) {
        try {
            T result = op.apply(client);
            if (!up) {
                up = true;
                LOG.log(System.Logger.Level.INFO, "redis is reachable again");
                recoveryListeners.forEach(Runnable::run);
            }
            return result;
        } catch (RuntimeException e) {
            skipUntilNanos = System.nanoTime() + BACKOFF.toNanos();
            if (up) {
                up = false;
                LOG.log(System.Logger.Level.WARNING, "redis unavailable, bypassing the cache and pausing heartbeats: "
                        + e.getMessage());
            }
            throw new RedisUnavailableException(e.getMessage(), e);
        }
    }

    public void onRecovery(Runnable listener) {
        recoveryListeners.add(listener);
    }

    @Override
    public void close() {
        client.close();
    }
}
