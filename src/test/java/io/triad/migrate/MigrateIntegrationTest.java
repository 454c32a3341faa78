package io.triad.migrate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.triad.support.ProjectFiles;
import io.triad.support.TestStack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * The one-shot migration against a real PostgreSQL set up by db/roles.sh, each test on a
 * database of its own: what an operator sees when it works, and when it must not.
 */
class MigrateIntegrationTest {
    private static final TestStack STACK = TestStack.get();

    @TempDir
    Path extra;

    @Test
    void anEmptyDatabaseGetsEveryMigrationOwnedByTheOwner() throws SQLException {
        String db = freshDatabase("mig_empty");
        Run run = migrate(db, null);
        assertThat(run.err, run.status, is(0));
        assertThat(superuser(db, "SELECT version || ' ' || type || ' ' || success FROM flyway_schema_history WHERE version IS NOT NULL"),
                contains("1 SQL true"));
        assertThat(superuser(db, "SELECT tablename || ' ' || tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"),
                contains("cache_fence triad_owner", "flyway_schema_history triad_owner", "idempotency_keys triad_owner", "items triad_owner"));
        try (Connection c = asService(db)) {
            assertThat(SchemaVersion.applied(c).orElseThrow().toString(), is("1"));
        }
    }

    @Test
    void aDatabaseOfTheOldInitSqlIsBaselinedNotRecreated() throws Exception {
        String db = freshDatabase("mig_old");
        String initSql = Files.readString(Path.of(Objects.requireNonNull(
                getClass().getResource("/migrate/init-before-flyway.sql")).toURI()));
        try (Connection c = STACK.jdbc(db); Statement s = c.createStatement()) {
            s.execute(initSql);
            s.execute("INSERT INTO items (name, quantity) VALUES ('made before Flyway', 7)");
        }
        Run run = migrate(db, null);
        assertThat(run.err, run.status, is(0));
        assertThat(superuser(db, "SELECT version || ' ' || type FROM flyway_schema_history WHERE version IS NOT NULL"),
                contains("1 BASELINE"));
        assertThat(superuser(db, "SELECT name || ' ' || quantity FROM items"), contains("made before Flyway 7"));
        // A second run finds nothing to do and changes nothing.
        assertThat(migrate(db, null).status, is(0));
        assertThat(superuser(db, "SELECT count(*) FROM flyway_schema_history WHERE version IS NOT NULL"), contains("1"));
    }

    @Test
    void aSyntaxErrorFailsWithFlywaysMessageAndAppliesNothing() throws Exception {
        String db = migrated("mig_syntax");
        Files.writeString(extra.resolve("V2__broken.sql"), "ALTER TABLE items ADD COLUMN colour text;\nCREATE TABLE oops (;\n");
        Run run = migrate(db, null, "MIGRATE_LOCATIONS", "filesystem:" + extra);
        assertThat(run.status, is(1));
        assertThat(run.err, containsString("triad migrate: FAILED"));
        assertThat(run.err, containsString("V2__broken.sql"));
        assertThat(run.err, containsString("syntax error"));
        // PostgreSQL's DDL is transactional: the first statement of the failed migration is gone too.
        assertThat(superuser(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'colour'"),
                contains("0"));
        assertThat(versionSeenByService(db), is("1"));
    }

    @Test
    void aLockItCannotGetInTimeFailsInsteadOfQueueingTraffic() throws Exception {
        String db = migrated("mig_lock");
        Files.writeString(extra.resolve("V2__add_column.sql"), "ALTER TABLE items ADD COLUMN colour text;\n");
        try (Connection reader = asService(db)) {
            // A long transaction of the running version that has read items.
            reader.setAutoCommit(false);
            try (Statement s = reader.createStatement()) {
                s.execute("SELECT count(*) FROM items");
                long start = System.nanoTime();
                Run run = migrate(db, null, "MIGRATE_LOCATIONS", "filesystem:" + extra, "MIGRATE_LOCK_TIMEOUT", "PT1S");
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                assertThat(run.status, is(1));
                assertThat(run.err, containsString("lock timeout"));
                assertThat("gave up after its lock timeout, not later", tookMs, lessThan(15_000L));
                // The reader was not disturbed and goes on.
                s.execute("SELECT count(*) FROM items");
            } finally {
                reader.rollback();
            }
        }
        assertThat(versionSeenByService(db), is("1"));
    }

    @Test
    void aChangedAppliedMigrationIsRefused() throws Exception {
        String db = migrated("mig_checksum");
        Path v2 = extra.resolve("V2__add_column.sql");
        Files.writeString(v2, "ALTER TABLE items ADD COLUMN colour text;\n");
        assertThat(migrate(db, null, "MIGRATE_LOCATIONS", "filesystem:" + extra).status, is(0));
        Files.writeString(v2, "ALTER TABLE items ADD COLUMN color text;\n");
        Run run = migrate(db, null, "MIGRATE_LOCATIONS", "filesystem:" + extra);
        assertThat(run.status, is(1));
        assertThat(run.err, containsString("checksum mismatch"));
        assertThat(superuser(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'color'"),
                contains("0"));
    }

    @Test
    void theServiceRoleCannotMigrate() throws SQLException {
        String db = freshDatabase("mig_as_service");
        Run run = migrate(db, TestStack.SERVICE_ROLE);
        assertThat(run.status, is(1));
        assertThat(run.err, containsString("permission denied"));
        assertThat(superuser(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), contains("0"));
    }

    @Test
    void aBadTimeoutIsAConfigurationError() {
        Run run = migrate("triad", null, "MIGRATE_LOCK_TIMEOUT", "10 seconds");
        assertThat(run.status, is(2));
        assertThat(run.err, containsString("MIGRATE_LOCK_TIMEOUT='10 seconds' is invalid"));
    }

    @Test
    void theCodeNeedsNoVersionNewerThanItsMigrations() throws IOException {
        List<String> versions = new ArrayList<>();
        try (var files = Files.list(ProjectFiles.MIGRATIONS)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.matches("V[0-9._]+__.+\\.sql"))
                    .forEach(n -> versions.add(n.substring(1, n.indexOf("__")).replace('_', '.')));
        }
        String newest = versions.stream().map(org.flywaydb.core.api.MigrationVersion::fromVersion)
                .max(Comparable::compareTo).orElseThrow().toString();
        assertThat("SchemaVersion.REQUIRED may not be newer than db/migration", SchemaVersion.REQUIRED.compareTo(
                org.flywaydb.core.api.MigrationVersion.fromVersion(newest)) <= 0, is(true));
    }

    // ---- helpers -----------------------------------------------------------------------

    private record Run(int status, String err) {
    }

    private static Run migrate(String db, String user, String... extraEnv) {
        Map<String, String> env = new java.util.HashMap<>(STACK.migrateEnv(db));
        if (user != null) {
            env.put("DB_USER", user);
            env.put("DB_PASSWORD", STACK.servicePassword());
        }
        for (int i = 0; i < extraEnv.length; i += 2) {
            env.put(extraEnv[i], extraEnv[i + 1]);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Migrate.main(env, new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, err.toString(StandardCharsets.UTF_8));
    }

    /** A database set up as db/roles.sh sets up triad's: the owner owns public, the service may use it. */
    private static String freshDatabase(String db) throws SQLException {
        try (Connection c = STACK.jdbc(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + db);
            s.execute("REVOKE ALL ON DATABASE " + db + " FROM PUBLIC");
            s.execute("GRANT CONNECT ON DATABASE " + db + " TO triad_owner, triad");
        }
        try (Connection c = STACK.jdbc(db); Statement s = c.createStatement()) {
            s.execute("ALTER SCHEMA public OWNER TO triad_owner");
            s.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC");
            s.execute("GRANT USAGE ON SCHEMA public TO triad");
        }
        return db;
    }

    private static String migrated(String db) throws SQLException {
        freshDatabase(db);
        Run run = migrate(db, null);
        assertThat(run.err, run.status, is(0));
        return db;
    }

    private static Connection asService(String db) throws SQLException {
        return DriverManager.getConnection(STACK.jdbcUrl(db), TestStack.SERVICE_ROLE, STACK.servicePassword());
    }

    private static String versionSeenByService(String db) throws SQLException {
        try (Connection c = asService(db)) {
            return SchemaVersion.applied(c).map(Object::toString).orElse("none");
        }
    }

    private static List<String> superuser(String db, String sql) throws SQLException {
        try (Connection c = STACK.jdbc(db); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            while (r.next()) {
                rows.add(r.getString(1));
            }
            return rows;
        }
    }
}
