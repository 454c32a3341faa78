package io.triad.health;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.health.HealthCheckResponse;

import io.triad.config.Settings;
import io.triad.db.Database;
import io.triad.migrate.Migrate;
import io.triad.migrate.SchemaVersion;
import io.triad.support.TestStack;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** /health/started's schema check against a real database, before and after the migration. */
class SchemaStartupTest {
    private static final TestStack STACK = TestStack.get();

    @Test
    void downUntilTheMigrationRanThenUp() throws SQLException {
        String db = database("startup_empty");
        try (Database database = open(db)) {
            SchemaStartup check = new SchemaStartup(database);
            HealthCheckResponse before = check.call();
            assertThat(before.status(), is(HealthCheckResponse.Status.DOWN));
            assertThat(String.valueOf(before.details().get("error")), containsString("schema version none (no Flyway history) is older than the version 1"));
            assertThat(Migrate.main(STACK.migrateEnv(db)), is(0));
            HealthCheckResponse after = check.call();
            assertThat(after.status(), is(HealthCheckResponse.Status.UP));
            assertThat(after.details().get("schemaVersion"), is("1"));
        }
    }

    @Test
    void downWhileTheSchemaIsOlderThanTheCodeNeeds() throws SQLException {
        try (Database database = open("triad")) {
            HealthCheckResponse r = new SchemaStartup(database, MigrationVersion.fromVersion("2")).call();
            assertThat(r.status(), is(HealthCheckResponse.Status.DOWN));
            assertThat(String.valueOf(r.details().get("error")), containsString("schema version 1 is older than the version 2 this code needs"));
            assertThat(new SchemaStartup(database, SchemaVersion.REQUIRED).call().status(), is(HealthCheckResponse.Status.UP));
        }
    }

    private static Database open(String db) {
        Map<String, String> env = STACK.env("startup-test");
        env.put("DB_URL", STACK.jdbcUrl(db));
        return Database.open(Settings.load(Config.create(), env));
    }

    private static String database(String db) throws SQLException {
        try (Connection c = STACK.jdbc(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + db);
            s.execute("GRANT CONNECT ON DATABASE " + db + " TO triad_owner, triad");
        }
        try (Connection c = STACK.jdbc(db); Statement s = c.createStatement()) {
            s.execute("ALTER SCHEMA public OWNER TO triad_owner");
            s.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC");
            s.execute("GRANT USAGE ON SCHEMA public TO triad");
        }
        return db;
    }
}
