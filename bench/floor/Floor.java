import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * Bench-only: the framework floor. A Helidon SE 4 server that answers every GET with the same
 * item-sized constant the ceiling's Nginx upstreams answer (bench/ceiling/upstream.conf), in the
 * triad image's JVM with the image's flags. bench/run.py starts three of these as web1-web3 of a
 * throwaway copy of the edge: what that copy does is the best any Helidon service in this JVM can
 * do on this machine, so the gap between it and the stack is the project's, and the gap between
 * it and the proxy ceiling is the runtime's and the machine's.
 * <p>
 * With FLOOR_REDIS_HOST set it first reads the constant from that Redis with one GET (Jedis,
 * the pool sizes of io.triad.redis.Redis), as a cache hit must: the floor of a cached read.
 */
public final class Floor {
    private static final byte[] BODY = ("{\"id\":1,\"name\":\"bench-seed-constant\",\"description\":\"bench item\","
            + "\"quantity\":1,\"version\":1,\"createdAt\":\"2026-12-02T20:00:00.000Z\","
            + "\"updatedAt\":\"2026-12-02T20:00:00.000Z\"}").getBytes(StandardCharsets.UTF_8);
    private static final byte[] KEY = "triad:bench:floor".getBytes(StandardCharsets.US_ASCII);

    private Floor() {
    }

    public static void main(String[] args) throws Exception {
        String host = System.getenv("FLOOR_REDIS_HOST");
        Handler handler;
        if (host == null) {
            handler = (req, res) -> {
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send(BODY);
            };
        } else {
            String password = Files.readString(Path.of(System.getenv("FLOOR_REDIS_PASSWORD_FILE"))).strip();
            GenericObjectPoolConfig<Jedis> pool = new GenericObjectPoolConfig<>();
            pool.setMaxTotal(64);
            pool.setMaxIdle(64);
            pool.setMaxWait(Duration.ofMillis(300));
            pool.setJmxEnabled(false);
            JedisPool redis = new JedisPool(pool, new HostAndPort(host, 6379),
                    DefaultJedisClientConfig.builder().password(password).build());
            try (Jedis jedis = redis.getResource()) {
                jedis.set(KEY, BODY);
            }
            handler = (req, res) -> {
                byte[] body;
                try (Jedis jedis = redis.getResource()) {
                    body = jedis.get(KEY);
                }
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send(body);
            };
        }
        Handler answer = handler;
        WebServer.builder()
                .port(8080)
                .routing(r -> r.get("/*", answer))
                .build()
                .start();
    }
}
