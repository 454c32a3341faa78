package io.triad.db;

/**
 * The database could not do the work in time, so it did none of it: no connection within the
 * pool's timeout (PostgreSQL unreachable, or every connection of this instance busy), or a
 * statement that PostgreSQL itself cancelled (a lock not granted, a statement or transaction
 * over its time limit). Either way the request gets 503 with Retry-After, and the write it
 * carried was not applied.
 */
public final class DatabaseUnavailableException extends RuntimeException {
    /** Why, as the client reads it in the problem's detail. */
    public enum Reason {
        UNAVAILABLE("the database is unavailable; retry in a few seconds"),
        SATURATED("this instance is at capacity (every database connection is busy); retry in a second"),
        TIMED_OUT("the database did not finish in time (a lock held elsewhere or a slow statement); "
                + "nothing was changed, retry in a few seconds");

        private final String detail;

        Reason(String detail) {
            this.detail = detail;
        }

        public String detail() {
            return detail;
        }
    }

    private final Reason reason;

    public DatabaseUnavailableException(Throwable cause, Reason reason) {
        super(reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": " + cause.getMessage(), cause);
        this.reason = reason;
    }

    public DatabaseUnavailableException(Throwable cause, boolean saturated) {
        this(cause, saturated ? Reason.SATURATED : Reason.UNAVAILABLE);
    }

    public Reason reason() {
        return reason;
    }

    public boolean saturated() {
        return reason == Reason.SATURATED;
    }
}
