package io.triad.db;

/**
 * No database connection within the pool's timeout: PostgreSQL cannot be reached, or every
 * connection of this instance is busy (saturated). Either way the request gets 503 with
 * Retry-After instead of waiting.
 */
public final class DatabaseUnavailableException extends RuntimeException {
    private final boolean saturated;

    public DatabaseUnavailableException(Throwable cause, boolean saturated) {
        super((saturated ? "database pool saturated: " : "database unavailable: ") + cause.getMessage(), cause);
        this.saturated = saturated;
    }

    public boolean saturated() {
        return saturated;
    }
}
