package io.triad.health;

import java.sql.Connection;
import java.sql.Statement;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

import io.triad.db.Database;

/** Readiness: PostgreSQL answers and this instance is not draining. Never part of liveness. */
public final class DatabaseReadiness implements HealthCheck {
    private final Database database;
    private final Draining draining;

    public DatabaseReadiness(Database database, Draining draining) {
        this.database = database;
        this.draining = draining;
    }

    @Override
    public HealthCheckType type() {
        return HealthCheckType.READINESS;
    }

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponse.Builder response = HealthCheckResponse.builder();
        boolean drainingNow = draining.isDraining();
        response.detail("draining", drainingNow);
        long start = System.nanoTime();
        try (Connection c = database.controlConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(1);
            s.execute("SELECT 1");
            response.detail("latencyMs", (System.nanoTime() - start) / 1_000_000);
            return response.status(!drainingNow).build();
        } catch (Exception e) {
            return response.status(false).detail("error", e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage()).build();
        }
    }
}
