package io.triad.health;

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

    /**
     * Answers at once from the instance's probe (io.triad.db.Reachability): DOWN within about
     * 1.5 s of losing PostgreSQL's primary, UP within about a second of its return.
     */
    @Override
    public HealthCheckResponse call() {
        HealthCheckResponse.Builder response = HealthCheckResponse.builder();
        boolean drainingNow = draining.isDraining();
        response.detail("draining", drainingNow);
        boolean reachable = database.reachable();
        response.detail("reachable", reachable);
        if (!reachable) {
            response.detail("error", database.unreachableBecause());
        }
        return response.status(reachable && !drainingNow).build();
    }
}
