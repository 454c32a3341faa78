package io.triad.health;

import java.sql.Connection;
import java.util.Optional;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

import io.triad.db.Database;
import io.triad.migrate.SchemaVersion;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Startup: configuration was read and the pools exist (or this object would not), and the
 * schema is at least the version this code needs ({@link SchemaVersion#REQUIRED}). The service
 * never migrates: the one-shot `migrate` (Compose service, Kubernetes Job) does, as the schema
 * owner, before the new instances start. Until then the check is DOWN, and the log says why
 * once per reason (not on every probe); once the version was reached it stays UP.
 */
public final class SchemaStartup implements HealthCheck {
    private static final System.Logger LOG = System.getLogger(SchemaStartup.class.getName());

    private final Database database;
    private final MigrationVersion required;
    /** The version seen when the check first passed; null until then. */
    private volatile String verified;
    private volatile String lastLogged;

    public SchemaStartup(Database database) {
        this(database, SchemaVersion.REQUIRED);
    }

    SchemaStartup(Database database, MigrationVersion required) {
        this.database = database;
        this.required = required;
    }

    @Override
    public HealthCheckType type() {
        return HealthCheckType.STARTUP;
    }

    @Override
    public String name() {
        return "schema";
    }

    @Override
    public HealthCheckResponse call() {
        if (verified != null) {
            return up();
        }
        String problem;
        try (Connection c = database.controlConnection()) {
            Optional<MigrationVersion> applied = SchemaVersion.applied(c);
            if (applied.isPresent() && applied.get().compareTo(required) >= 0) {
                verified = applied.get().toString();
                LOG.log(System.Logger.Level.INFO, "schema version " + applied.get() + " (this code needs " + required + "): started");
                return up();
            }
            problem = "schema version " + applied.map(MigrationVersion::toString).orElse("none (no Flyway history)")
                    + " is older than the version " + required + " this code needs: run the migration first"
                    + " (Compose: the migrate service, make deploy; Kubernetes: the Job triad-migrate)";
        } catch (Exception e) {
            problem = "cannot read the schema version: " + e.getMessage();
        }
        if (!problem.equals(lastLogged)) {
            lastLogged = problem;
            LOG.log(System.Logger.Level.WARNING, "startup DOWN: " + problem);
        }
        return HealthCheckResponse.builder().status(false).detail("error", problem).build();
    }

    private HealthCheckResponse up() {
        return HealthCheckResponse.builder().status(true).detail("schemaVersion", verified)
                .detail("requiredVersion", required.toString()).build();
    }
}
