package io.triad.db;

/** PostgreSQL cannot be reached or stopped answering: the request gets 503 with Retry-After. */
public final class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(Throwable cause) {
        super("database unavailable: " + cause.getMessage(), cause);
    }
}
