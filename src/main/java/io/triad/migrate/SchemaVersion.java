package io.triad.migrate;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

import org.flywaydb.core.api.MigrationVersion;

/**
 * The schema version this code needs, and the one a database has. Raise {@link #REQUIRED} in
 * the release whose code first uses what a new migration adds (expand/contract: README,
 * "Deploy a new version"); SchemaVersionTest keeps it at or below the newest file in db/migration.
 */
public final class SchemaVersion {
    public static final MigrationVersion REQUIRED = MigrationVersion.fromVersion("1");
    /** Flyway's default history table; migrate grants the service SELECT on it. */
    static final String HISTORY = "flyway_schema_history";

    private SchemaVersion() {
    }

    /**
     * The highest successfully applied (or baselined) version; empty when Flyway never ran on
     * this database (no history table).
     */
    public static Optional<MigrationVersion> applied(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.setQueryTimeout(2);
            try (ResultSet rs = s.executeQuery("SELECT to_regclass('public." + HISTORY + "') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
            MigrationVersion max = null;
            try (ResultSet rs = s.executeQuery("SELECT version FROM public." + HISTORY
                    + " WHERE success AND version IS NOT NULL")) {
                while (rs.next()) {
                    MigrationVersion v = MigrationVersion.fromVersion(rs.getString(1));
                    if (max == null || v.compareTo(max) > 0) {
                        max = v;
                    }
                }
            }
            return Optional.ofNullable(max);
        }
    }
}
