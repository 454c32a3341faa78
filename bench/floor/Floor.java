import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerResponse;

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
 * With FLOOR_DB_URL set it inserts one row into items (HikariCP, a fixed pool of 10 as
 * DB_POOL_SIZE, pgjdbc, one autocommitted INSERT ... RETURNING) and answers 201: the floor of
 * a create. Its rows are named bench-floor-*, which the bench's cleanup deletes.
 */
public final class Floor {
    private static final byte[] BODY = ("{\"id\":1,\"name\":\"bench-seed-constant\",\"description\":\"bench item\","
            + "\"quantity\":1,\"version\":1,\"createdAt\":\"2026-12-02T20:00:00.000Z\","
            + "\"updatedAt\":\"2026-12-02T20:00:00.000Z\"}").getBytes(StandardCharsets.UTF_8);
    private static final byte[] KEY = "triad:bench:floor".getBytes(StandardCharsets.US_ASCII);

    private Floor() {
    }

    public static void main(String[] args) throws Exception {
        String redisHost = System.getenv("FLOOR_REDIS_HOST");
        String dbUrl = System.getenv("FLOOR_DB_URL");
        Handler constant = (req, res) -> send(res, BODY);
        // GET: the answer (also the bench's readiness probe); POST: the create of the pg floor.
        Handler get = redisHost == null ? constant : redisRead(redisHost);
        Handler post = dbUrl == null ? constant : insert(dbUrl);
        WebServer.builder()
                .port(8080)
                .routing(r -> r.get("/*", get).post("/*", post))
                .build()
                .start();
    }

    private static void send(ServerResponse res, byte[] body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body);
    }

    /** One GET of the constant from Redis per request, with io.triad.redis.Redis's pool sizes. */
    private static Handler redisRead(String host) throws Exception {
        String password = Files.readString(Path.of(System.getenv("FLOOR_REDIS_PASSWORD_FILE"))).strip();
        GenericObjectPoolConfig<Jedis> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(64);
        pool.setMaxIdle(64);
        pool.setMaxWait(Duration.ofMillis(300));
        pool.setJmxEnabled(false);
        JedisPool redis = new JedisPool(pool, new HostAndPort(host, 6379),
                DefaultJedisClientConfig.builder().user(System.getenv("FLOOR_REDIS_USER")).password(password).build());
        try (Jedis jedis = redis.getResource()) {
            jedis.set(KEY, BODY);
        }
        return (req, res) -> {
            byte[] body;
            try (Jedis jedis = redis.getResource()) {
                body = jedis.get(KEY);
            }
            send(res, body);
        };
    }

    /** One autocommitted INSERT per request, on a fixed pool of 10 as DB_POOL_SIZE's default. */
    private static Handler insert(String dbUrl) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(dbUrl);
        config.setUsername(System.getenv("FLOOR_DB_USER"));
        config.setPassword(Files.readString(Path.of(System.getenv("FLOOR_DB_PASSWORD_FILE"))).strip());
        config.setMaximumPoolSize(10);
        config.setMinimumIdle(10);
        HikariDataSource db = new HikariDataSource(config);
        AtomicLong n = new AtomicLong();
        String prefix = "bench-floor-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "-";
        return (req, res) -> {
            req.content().consume();
            long id;
            try (Connection c = db.getConnection();
                 PreparedStatement statement = c.prepareStatement(
                         "INSERT INTO items (name, description, quantity) VALUES (?, 'bench floor', 1) RETURNING id")) {
                statement.setString(1, prefix + n.incrementAndGet());
                try (ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
            }
            res.status(Status.CREATED_201);
            res.header(HeaderNames.LOCATION, "/api/items/" + id);
            send(res, BODY);
        };
    }
}
