package io.triad.health;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

import io.triad.db.Database;

/**
 * Startup: configuration was read and the pools exist (or this object would not), and the
 * schema of db/init.sql is present. The service never creates tables: Compose and Kubernetes
 * load db/init.sql into PostgreSQL. Once the schema was seen the check stays UP.
 */
public final class SchemaStartup implements HealthCheck {
    static final List<String> TABLES = List.of("items", "idempotency_keys", "cache_fence");

    private final Database database;
    private volatile boolean verified;

    public SchemaStartup(Database database) {
        this.database = database;
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
        if (verified) {
            return HealthCheckResponse.builder().status(true).detail("tables", String.join(",", TABLES)).build();
        }
        try (Connection c = database.controlConnection();
             PreparedStatement s = c.prepareStatement("SELECT to_regclass('public.' || ?) IS NOT NULL")) {
            s.setQueryTimeout(1);
            List<String> missing = new ArrayList<>();
            for (String table : TABLES) {
                s.setString(1, table);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        missing.add(table);
                    }
                }
            }
            if (!missing.isEmpty()) {
                return HealthCheckResponse.builder().status(false)
                        .detail("error", "missing tables " + missing + ": load db/init.sql into the database").build();
            }
            verified = true;
            return call();
        } catch (Exception e) {
            return HealthCheckResponse.builder().status(false)
                    .detail("error", "cannot verify the schema: " + e.getMessage()).build();
        }
    }
}
