package io.triad.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executor;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.jdbc.CloseableJdbcConnectionPool;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.triad.config.Settings;

/**
 * PostgreSQL through Helidon's DbClient on a HikariCP pool, with the time limits that make a
 * 503 mean "not applied" and arrive within the contract's 2 s.
 * <p>
 * The limits are enforced by PostgreSQL, per connection, so a request that runs out of time is
 * rolled back in the database before the client hears of it; no backend goes on waiting for a
 * lock after its client got the answer. Client side, a request waits at most
 * {@link #POOL_WAIT} for a connection, then PostgreSQL gives a lock {@link #LOCK_TIMEOUT}, a
 * statement {@link #STATEMENT_TIMEOUT}, and a transaction that waits on its client
 * {@link #IDLE_IN_TRANSACTION_TIMEOUT}. No transaction_timeout (PostgreSQL 17): under load it
 * terminated a pooled connection 0.13 s into a keyed POST's transaction (FATAL 25P04 in the e2e
 * graceful-stop test, 2026-12-02), apparently the timer of an earlier transaction on it;
 * the limits above already end every wait on the server. The socket
 * timeout, {@link #NETWORK_TIMEOUT}, is above all of them: it only decides for a PostgreSQL
 * that stopped answering at all (frozen, partitioned), where the outcome of a statement already
 * sent can't be known (see README, "What a 503 means").
 * <p>
 * A second, small pool serves the health checks and the cache fence, so readiness is not
 * starved by a saturated request pool and the fence keeps its lease while requests queue.
 */
public final class Database implements AutoCloseable {
    static final Duration POOL_WAIT = Duration.ofMillis(500);
    /**
     * Below a third of the contract's 2 s: Nginx passes a GET answered 503 to up to two more
     * instances, and a table lock held elsewhere times out on each of them.
     */
    static final Duration LOCK_TIMEOUT = Duration.ofMillis(600);
    static final Duration STATEMENT_TIMEOUT = Duration.ofMillis(1000);
    static final Duration IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofMillis(1000);
    static final Duration NETWORK_TIMEOUT = Duration.ofMillis(1500);
    private static final int CONTROL_POOL_SIZE = 3;
    /** Socket timeouts are enforced by the driver's own thread; none is needed to set them. */
    private static final Executor DIRECT = Runnable::run;

    private final HikariDataSource requests;
    private final HikariDataSource control;
    private final DbClient client;
    private final Reachability reachability;

    private Database(HikariDataSource requests, HikariDataSource control, Reachability reachability) {
        this.requests = requests;
        this.control = control;
        this.reachability = reachability;
        JdbcClientBuilder builder = JdbcClientBuilder.create()
                .connectionPool(new HikariPool(requests, reachability));
        // A span per statement while tracing exports (io.triad.tracing.Tracing); none otherwise.
        io.triad.tracing.Tracing.installed().dbClientService().ifPresent(builder::addService);
        this.client = builder.build();
    }

    public static Database open(Settings settings) {
        HikariDataSource control = dataSource(settings, "triad-db-control", CONTROL_POOL_SIZE);
        return new Database(dataSource(settings, "triad-db", settings.dbPoolSize()), control,
                Reachability.start(settings, connectionProperties(settings, "triad-db-probe")));
    }

    /**
     * PostgreSQL answered this instance's probe a moment ago, and it is the primary: readiness
     * reports it, and while it is false requests are refused at once (503, nothing sent)
     * instead of each waiting for a connection or a socket timeout.
     */
    public boolean reachable() {
        return reachability.reachable();
    }

    /** Why not, when {@link #reachable()} is false; for the readiness details. */
    public String unreachableBecause() {
        return reachability.lastError();
    }

    private static HikariDataSource dataSource(Settings settings, String name, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setJdbcUrl(settings.dbUrl());
        config.setUsername(settings.dbUser());
        config.setPassword(settings.dbPassword());
        config.setMaximumPoolSize(size);
        // A fixed-size pool: the short pool wait leaves no time to open connections under a burst.
        config.setMinimumIdle(size);
        config.setConnectionTimeout(POOL_WAIT.toMillis());
        config.setValidationTimeout(250);
        // Start even when PostgreSQL is not up yet: the startup and readiness checks report it,
        // and the pool connects as soon as the database answers.
        config.setInitializationFailTimeout(-1);
        config.setDataSourceProperties(connectionProperties(settings, name));
        return new HikariDataSource(config);
    }

    /** The driver's properties for every connection: connect timeout, keepalive, server-side limits. */
    static java.util.Properties connectionProperties(Settings settings, String name) {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("connectTimeout", "1");
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("ApplicationName", name.replace("triad-db", "triad") + "-" + settings.instanceId());
        p.setProperty("options", "-c lock_timeout=" + LOCK_TIMEOUT.toMillis()
                + " -c statement_timeout=" + STATEMENT_TIMEOUT.toMillis()
                + " -c idle_in_transaction_session_timeout=" + IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
        return p;
    }

    public DbClient client() {
        return client;
    }

    /**
     * A plain connection from the control pool, for the health checks and the cache fence: never
     * queued behind requests, never through a cache or a retry.
     */
    public Connection controlConnection() throws SQLException {
        Connection c = control.getConnection();
        c.setNetworkTimeout(DIRECT, (int) NETWORK_TIMEOUT.toMillis());
        return c;
    }

    public void registerMetrics(MeterRegistry registry) {
        HikariPoolMXBean pool = requests.getHikariPoolMXBean();
        registry.getOrCreate(Gauge.builder("triad.db.pool.active", pool, p -> p.getActiveConnections())
                .description("Database connections in use"));
        registry.getOrCreate(Gauge.builder("triad.db.pool.idle", pool, p -> p.getIdleConnections())
                .description("Idle database connections"));
        registry.getOrCreate(Gauge.builder("triad.db.pool.pending", pool, p -> p.getThreadsAwaitingConnection())
                .description("Requests waiting for a database connection"));
        registry.getOrCreate(Gauge.builder("triad.db.pool.max", requests, d -> d.getMaximumPoolSize())
                .description("Database pool size"));
    }

    @Override
    public void close() {
        reachability.close();
        client.close();
        requests.close();
        control.close();
    }

    private record HikariPool(HikariDataSource dataSource, Reachability reachability) implements CloseableJdbcConnectionPool {
        @Override
        public Connection connection() {
            if (!reachability.reachable()) {
                // Nothing is sent, so nothing is applied: a 503 at once, which Nginx passes to
                // another instance when the request is safe to repeat.
                throw new DatabaseUnavailableException("PostgreSQL is unreachable from this instance: "
                        + reachability.lastError(), null, DatabaseFailure.UNAVAILABLE);
            }
            try {
                Connection c = dataSource.getConnection();
                c.setNetworkTimeout(DIRECT, (int) NETWORK_TIMEOUT.toMillis());
                return CommitCheck.wrap(c, dataSource::evictConnection);
            } catch (SQLException e) {
                // Every connection in use means PostgreSQL answers but this instance is saturated:
                // still a 503, but one that says so instead of blaming the database.
                HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
                boolean saturated = pool != null && pool.getActiveConnections() >= dataSource.getMaximumPoolSize();
                throw new DatabaseUnavailableException(e, saturated);
            }
        }

        @Override
        public String dbType() {
            return "postgresql";
        }

        @Override
        public void close() {
            dataSource.close();
        }
    }
}
