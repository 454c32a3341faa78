package io.triad.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

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
 * PostgreSQL through Helidon's DbClient on a HikariCP pool.
 * The timeouts are what keep the contract's promise that an outage answers 503 within 2 s:
 * a connection is waited for at most 1 s, a connect attempt 1 s, and a socket that stops
 * answering (a partitioned database, a lock that is never released) is given up after 2 s
 * instead of hanging a request.
 */
public final class Database implements AutoCloseable {
    private static final Duration CONNECTION_TIMEOUT = Duration.ofMillis(1000);

    private final HikariDataSource dataSource;
    private final DbClient client;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.client = JdbcClientBuilder.create()
                .connectionPool(new HikariPool(dataSource))
                .build();
    }

    public static Database open(Settings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("triad-db");
        config.setJdbcUrl(settings.dbUrl());
        config.setUsername(settings.dbUser());
        config.setPassword(settings.dbPassword());
        config.setMaximumPoolSize(settings.dbPoolSize());
        config.setMinimumIdle(Math.min(2, settings.dbPoolSize()));
        config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
        config.setValidationTimeout(500);
        // Start even when PostgreSQL is not up yet: the startup and readiness checks report it,
        // and the pool connects as soon as the database answers.
        config.setInitializationFailTimeout(-1);
        config.addDataSourceProperty("connectTimeout", "1");
        config.addDataSourceProperty("socketTimeout", "2");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("ApplicationName", "triad-" + settings.instanceId());
        return new Database(new HikariDataSource(config));
    }

    public DbClient client() {
        return client;
    }

    /** A plain connection for the health checks, which must not go through a cache or a retry. */
    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    public void registerMetrics(MeterRegistry registry) {
        HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
        registry.getOrCreate(Gauge.builder("triad.db.pool.active", pool, p -> p.getActiveConnections())
                .description("Database connections in use"));
        registry.getOrCreate(Gauge.builder("triad.db.pool.idle", pool, p -> p.getIdleConnections())
                .description("Idle database connections"));
        registry.getOrCreate(Gauge.builder("triad.db.pool.pending", pool, p -> p.getThreadsAwaitingConnection())
                .description("Requests waiting for a database connection"));
        registry.getOrCreate(Gauge.builder("triad.db.pool.max", dataSource, d -> d.getMaximumPoolSize())
                .description("Database pool size"));
    }

    @Override
    public void close() {
        client.close();
        dataSource.close();
    }

    private record HikariPool(HikariDataSource dataSource) implements CloseableJdbcConnectionPool {
        @Override
        public Connection connection() {
            try {
                return dataSource.getConnection();
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
