package io.triad.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.triad.support.TestStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.in;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The PostgreSQL roles as db/roles.sh and db/migration set them up (the same scripts Compose and
 * Kubernetes run): the service's role can read and write its own rows and nothing else, the
 * schema belongs to an owner that is no superuser, and the superuser is neither of them.
 */
class RolesIntegrationTest {
    /** SQLSTATE insufficient_privilege: PostgreSQL refused for lack of a privilege. */
    private static final String INSUFFICIENT_PRIVILEGE = "42501";
    private static final String PRIVATE_SCHEMA = "roles_test_private";

    private static final TestStack STACK = TestStack.get();

    @BeforeAll
    static void privateSchema() throws SQLException {
        // Another application's table in the same database, which triad was never granted.
        try (Connection c = STACK.jdbc(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + PRIVATE_SCHEMA);
            s.execute("CREATE TABLE IF NOT EXISTS " + PRIVATE_SCHEMA + ".secrets (v text)");
            s.execute("INSERT INTO " + PRIVATE_SCHEMA + ".secrets VALUES ('not for triad')");
        }
    }

    @AfterAll
    static void dropPrivateSchema() throws SQLException {
        try (Connection c = STACK.jdbc(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + PRIVATE_SCHEMA + " CASCADE");
        }
    }

    @Test
    void onlyTheImageSuperuserHasRoleAttributes() throws SQLException {
        List<String> rows = superuserQuery("""
                SELECT rolname || ' super=' || rolsuper || ' createrole=' || rolcreaterole
                       || ' createdb=' || rolcreatedb || ' replication=' || rolreplication
                       || ' bypassrls=' || rolbypassrls
                  FROM pg_roles WHERE rolname IN ('postgres', 'triad_owner', 'triad', 'triad_monitor') ORDER BY rolname""");
        assertThat(rows, contains(
                "postgres super=true createrole=true createdb=true replication=true bypassrls=true",
                "triad super=false createrole=false createdb=false replication=false bypassrls=false",
                "triad_monitor super=false createrole=false createdb=false replication=false bypassrls=false",
                "triad_owner super=false createrole=false createdb=false replication=false bypassrls=false"));
        assertThat(superuserQuery("SELECT string_agg(b.rolname, ',') FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid"
                + " WHERE m.member = 'triad_monitor'::regrole"), contains("pg_monitor"));
    }

    @Test
    void theOwnerOwnsTheSchemaAndEveryTable() throws SQLException {
        assertThat(superuserQuery("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"),
                contains(TestStack.OWNER_ROLE));
        List<String> tables = superuserQuery(
                "SELECT tablename || ' ' || tableowner FROM pg_tables WHERE schemaname = 'public'");
        assertThat(tables, containsInAnyOrder(
                "items triad_owner", "idempotency_keys triad_owner", "cache_fence triad_owner",
                "flyway_schema_history triad_owner"));
    }

    @Test
    void theServiceRoleReadsAndWritesItsTables() throws SQLException {
        try (Connection c = STACK.jdbcAsService()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO items (name) VALUES ('roles test')");
                s.execute("UPDATE items SET quantity = 1 WHERE name = 'roles test'");
                s.execute("INSERT INTO idempotency_keys (key, fingerprint) VALUES ('roles-test', 'f')");
                s.execute("DELETE FROM idempotency_keys WHERE key = 'roles-test'");
                s.execute("DELETE FROM items WHERE name = 'roles test'");
                s.execute("UPDATE cache_fence SET generation = generation");
                s.execute("SELECT nextval('items_id_seq')");
                assertThat(query(c, "SELECT count(*) FROM cache_fence"), contains("1"));
            } finally {
                c.rollback();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "CREATE TABLE public.intruder (i int)",
        "CREATE TEMPORARY TABLE intruder (i int)",
        "CREATE SCHEMA intruder",
        "CREATE VIEW public.intruder AS SELECT 1",
        "CREATE FUNCTION public.intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "ALTER TABLE items ADD COLUMN intruder int",
        "ALTER TABLE items DISABLE TRIGGER ALL",
        "CREATE INDEX intruder ON items (name)",
        "DROP TABLE cache_fence",
        "TRUNCATE items",
        "TRUNCATE idempotency_keys",
        "CREATE ROLE intruder",
        "CREATE DATABASE intruder",
        "ALTER ROLE triad SUPERUSER",
        "ALTER ROLE triad CREATEDB",
        "SET ROLE triad_owner",
        "SET ROLE postgres",
        "SELECT * FROM " + PRIVATE_SCHEMA + ".secrets",
        "SELECT rolpassword FROM pg_authid",
        "SELECT pg_read_file('postgresql.conf')",
        "COPY items TO PROGRAM 'cat'",
        "ALTER SYSTEM SET log_statement = 'none'",
        // The schema version is the migrations' record: the service reads it, never writes it.
        "UPDATE flyway_schema_history SET version = '99'",
        "DELETE FROM flyway_schema_history",
    })
    void theServiceRoleIsRefused(String statement) throws SQLException {
        try (Connection c = STACK.jdbcAsService(); Statement s = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> s.execute(statement), statement);
            assertThat(statement + ": " + e.getMessage(), e.getSQLState(), is(INSUFFICIENT_PRIVILEGE));
        }
    }

    @Test
    void theServiceRoleCannotConnectToOtherDatabases() {
        SQLException e = assertThrows(SQLException.class, () -> {
            try (Connection c = DriverManager.getConnection(
                    STACK.env("roles").get("DB_URL").replaceFirst("/triad$", "/postgres"),
                    TestStack.SERVICE_ROLE, STACK.env("roles").get("DB_PASSWORD"))) {
                c.isValid(1);
            }
        });
        assertThat(e.getMessage(), e.getSQLState(), is(INSUFFICIENT_PRIVILEGE));
    }

    @Test
    void theOwnerCanMigrateTheSchemaButIsNoSuperuser() throws SQLException {
        try (Connection c = STACK.jdbcAsOwner()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                // What a migration does: DDL on its own tables, run as the owner.
                s.execute("CREATE TABLE public.migration_probe (i int)");
                s.execute("ALTER TABLE items ADD COLUMN migration_probe int");
                s.execute("DROP TABLE public.migration_probe");
            } finally {
                c.rollback();
            }
            try (Statement s = c.createStatement()) {
                SQLException e = assertThrows(SQLException.class, () -> s.execute("CREATE ROLE intruder"));
                assertThat(e.getMessage(), e.getSQLState(), is(INSUFFICIENT_PRIVILEGE));
            }
        }
    }

    /** The PostgreSQL exporter's role (issue 22): statistics, nothing of the service's data. */
    @Test
    void theMonitorRoleReadsStatistics() throws SQLException {
        try (Connection c = STACK.jdbcAsMonitor()) {
            assertThat(query(c, "SELECT count(*) > 0 FROM pg_stat_database WHERE datname = 'triad'"), contains("t"));
            assertThat(query(c, "SELECT count(*) >= 0 FROM pg_stat_user_tables"), contains("t"));
            // pg_read_all_stats (in pg_monitor): other roles' sessions, with their query text.
            try (Connection service = STACK.jdbcAsService(); Statement s = service.createStatement()) {
                s.execute("SELECT 'monitor sees this'");
                assertThat(query(c, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'triad' AND query LIKE '%monitor sees this%'"),
                        contains("1"));
            }
            assertThat(query(c, "SELECT setting FROM pg_settings WHERE name = 'max_connections'"), contains("100"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // Schema-qualified: the role may not even look names up in public.
        "SELECT * FROM public.items",
        "INSERT INTO public.items (name) VALUES ('monitor')",
        "UPDATE public.items SET quantity = 0",
        "DELETE FROM public.items",
        "UPDATE public.cache_fence SET generation = generation + 1",
        "SELECT * FROM public.idempotency_keys",
        "SELECT * FROM public.flyway_schema_history",
        "CREATE TABLE public.intruder (i int)",
        "SET ROLE triad",
        "SELECT rolpassword FROM pg_authid",
        "SELECT * FROM " + PRIVATE_SCHEMA + ".secrets",
    })
    void theMonitorRoleIsRefused(String statement) throws SQLException {
        try (Connection c = STACK.jdbcAsMonitor(); Statement s = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> s.execute(statement), statement);
            assertThat(statement + ": " + e.getMessage(), e.getSQLState(), is(INSUFFICIENT_PRIVILEGE));
        }
    }

    @Test
    void theServiceRoleHasNoTableOutsideItsOwn() throws SQLException {
        List<String> granted = superuserQuery("""
                SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.role_table_grants
                 WHERE grantee = 'triad'""");
        assertThat(granted, containsInAnyOrder("public.items", "public.idempotency_keys", "public.cache_fence",
                "public.flyway_schema_history"));
        List<String> privileges = superuserQuery("""
                SELECT DISTINCT privilege_type FROM information_schema.role_table_grants WHERE grantee = 'triad'""");
        assertThat(privileges, everyItem(in(List.of("SELECT", "INSERT", "UPDATE", "DELETE"))));
    }

    private static List<String> superuserQuery(String sql) throws SQLException {
        try (Connection c = STACK.jdbc()) {
            return query(c, sql);
        }
    }

    private static List<String> query(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
            List<String> rows = new ArrayList<>();
            while (r.next()) {
                rows.add(r.getString(1));
            }
            return rows;
        }
    }
}
