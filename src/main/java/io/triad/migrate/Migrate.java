package io.triad.migrate;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.helidon.config.Config;

import io.triad.config.ConfigException;
import io.triad.config.Settings;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The one-shot schema migration: `docker compose run migrate`, the Kubernetes Job triad-migrate,
 * `make deploy` before it replaces any instance. Same image as the service, started with the
 * argument {@code migrate}; connects as the schema owner (DB_USER=triad_owner, DB_PASSWORD_FILE),
 * never as the service's role, which has DML only.
 * <p>
 * A database that the old db/init.sql created (its tables, no Flyway history) is recorded as
 * version 1 ("baselined"), not re-created. Every failure of Flyway (a syntax error, a lock not
 * granted within MIGRATE_LOCK_TIMEOUT, the checksum of an applied migration changed) exits 1
 * with Flyway's own message: the migration's transaction is rolled back, and the deploy stops
 * before any instance is replaced.
 */
public final class Migrate {
    static final String LOCATION = "classpath:db/migration";
    /** The tables db/init.sql created: all of them present and no history = an old database. */
    static final List<String> INIT_SQL_TABLES = List.of("items", "idempotency_keys", "cache_fence");
    /**
     * Below the service's own lock_timeout (700 ms, db/Database.java): requests queued behind a
     * migration's waiting ALTER give up after the service's timeout with a 503, so a migration
     * that waits longer than that turns into failed requests. It gives up first instead, and
     * the deploy stops (run it again, or at a quieter time).
     */
    static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMillis(500);
    static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofMinutes(10);
    private static final System.Logger LOG = System.getLogger(Migrate.class.getName());

    private final Flyway flyway;

    Migrate(Flyway flyway) {
        this.flyway = flyway;
    }

    /**
     * From the environment: DB_URL, DB_USER, DB_PASSWORD(_FILE) as for the service;
     * MIGRATE_LOCATIONS, further Flyway locations (comma-separated, e.g. filesystem:/migrations);
     * MIGRATE_LOCK_TIMEOUT and MIGRATE_STATEMENT_TIMEOUT, ISO-8601 durations.
     */
    public static Migrate fromEnvironment(Map<String, String> env) {
        Settings settings = Settings.load(Config.create(), env);
        List<String> locations = new ArrayList<>(List.of(LOCATION));
        Optional.ofNullable(env.get("MIGRATE_LOCATIONS")).filter(v -> !v.isBlank()).ifPresent(v -> {
            for (String l : v.split(",")) {
                locations.add(l.strip());
            }
        });
        Duration lock = duration(env, "MIGRATE_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT);
        Duration statement = duration(env, "MIGRATE_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT);
        Flyway flyway = Flyway.configure()
                .dataSource(settings.dbUrl(), settings.dbUser(), settings.dbPassword())
                .locations(locations.toArray(String[]::new))
                // Every connection Flyway opens: a migration that waits for a table lock held by
                // live traffic gives up instead of queueing every request behind it.
                .initSql("SET lock_timeout = '" + lock.toMillis() + "ms'; SET statement_timeout = '"
                        + statement.toMillis() + "ms'")
                .baselineVersion("1")
                .baselineDescription("db/init.sql (before Flyway)")
                // Baselining is decided below, on evidence (init.sql's tables), not on "non-empty".
                .baselineOnMigrate(false)
                .cleanDisabled(true)
                .validateOnMigrate(true)
                // PostgreSQL may still be starting (a Kubernetes Job has no depends_on).
                .connectRetries(12)
                .connectRetriesInterval(5)
                .load();
        return new Migrate(flyway);
    }

    private static Duration duration(Map<String, String> env, String name, Duration fallback) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            Duration d = Duration.parse(raw.strip());
            if (d.isNegative() || d.isZero()) {
                throw new DateTimeParseException("not positive", raw, 0);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new ConfigException(name + "='" + raw + "' is invalid: expected a positive ISO-8601 duration such as PT10S");
        }
    }

    /** Baselines an old init.sql database if it is one, then applies what is pending. */
    public MigrateResult run() {
        if (isInitSqlDatabase()) {
            flyway.baseline();
            LOG.log(System.Logger.Level.INFO, "migrate: the database was created by db/init.sql (tables "
                    + INIT_SQL_TABLES + ", no Flyway history): recorded as version 1, not re-created");
        }
        MigrateResult result = flyway.migrate();
        // Without a pending migration Flyway names no target: the current version is the answer.
        String version = result.targetSchemaVersion != null ? result.targetSchemaVersion
                : Optional.ofNullable(flyway.info().current()).map(m -> m.getVersion().getVersion()).orElse("none");
        LOG.log(System.Logger.Level.INFO, "migrate: schema at version " + version
                + " (" + result.migrationsExecuted + " migration(s) applied, code of this image needs "
                + SchemaVersion.REQUIRED + ")");
        return result;
    }

    private boolean isInitSqlDatabase() {
        try (Connection c = flyway.getConfiguration().getDataSource().getConnection();
             Statement s = c.createStatement()) {
            if (historyExists(s)) {
                return false;
            }
            for (String table : INIT_SQL_TABLES) {
                try (var rs = s.executeQuery("SELECT to_regclass('public." + table + "') IS NOT NULL")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return false;
                    }
                }
            }
            return true;
        } catch (SQLException e) {
            throw new FlywayException("cannot inspect the database before migrating: " + e.getMessage(), e);
        }
    }

    private static boolean historyExists(Statement s) throws SQLException {
        try (var rs = s.executeQuery("SELECT to_regclass('public." + SchemaVersion.HISTORY + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Exit status: 0 migrated (or nothing to do), 1 Flyway failed, 2 configuration error. */
    public static int main(Map<String, String> env) {
        return main(env, System.err);
    }

    static int main(Map<String, String> env, java.io.PrintStream err) {
        Migrate migrate;
        try {
            migrate = fromEnvironment(env);
        } catch (ConfigException e) {
            err.println("triad migrate: configuration error: " + e.getMessage());
            return 2;
        }
        try {
            migrate.run();
            return 0;
        } catch (FlywayException e) {
            err.println("triad migrate: FAILED, nothing after the failed migration was applied and no instance should be replaced: "
                    + e.getMessage());
            return 1;
        }
    }
}
