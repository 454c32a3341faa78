package io.triad.db;

/**
 * The database could not start the work, so it did none of it: no connection within the pool's
 * timeout (PostgreSQL unreachable, or every connection of this instance busy), or this instance
 * knows PostgreSQL is unreachable from here ({@link Database#reachable()}). The request gets 503
 * with Retry-After, and the write it carried was not applied ({@link DatabaseFailure} has the
 * whole argument).
 */
public final class DatabaseUnavailableException extends RuntimeException {
    private final DatabaseFailure reason;

    public DatabaseUnavailableException(String message, Throwable cause, DatabaseFailure reason) {
        super(message, cause);
        if (reason.inFlight()) {
            throw new IllegalArgumentException("nothing was sent: " + reason);
        }
        this.reason = reason;
    }

    public DatabaseUnavailableException(Throwable cause, boolean saturated) {
        this((saturated ? "saturated: " : "unavailable: ") + cause.getMessage(), cause,
                saturated ? DatabaseFailure.SATURATED : DatabaseFailure.UNAVAILABLE);
    }

    public DatabaseFailure reason() {
        return reason;
    }
}
