package io.triad.db;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

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

    /**
     * lock_not_available, query_canceled (statement_timeout), idle_in_transaction_session_timeout,
     * transaction_timeout: PostgreSQL gave up and rolled back.
     */
    private static final Set<String> SERVER_TIMEOUTS = Set.of("55P03", "57014", "25P03", "25P04");

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

    /**
     * Why the database could not do this work, or null when the failure is not the database's:
     * one place that reads a failure's causes, for every repository and the error handler.
     */
    public static Reason reasonOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DatabaseUnavailableException d) {
                return d.reason();
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null && SERVER_TIMEOUTS.contains(sql.getSQLState())) {
                return Reason.TIMED_OUT;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SocketTimeoutException
                    || t instanceof ConnectException) {
                return Reason.UNAVAILABLE;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return Reason.UNAVAILABLE;
            }
        }
        return null;
    }
}
