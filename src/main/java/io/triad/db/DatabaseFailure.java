package io.triad.db;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * What a failed database call means for the request that made it: the one classifier of
 * database failures, for the error handler and every repository.
 *
 * <h2>The promise</h2>
 * A write answered 503 was not applied, and never will be. A write whose outcome this instance
 * cannot know is answered 504 "outcome unknown", never 503 (docs: API.md, "Errors").
 *
 * <h2>The argument</h2>
 * A write is certainly <b>not applied</b> when:
 * <ul>
 * <li>no connection was handed out (pool timeout, PostgreSQL refused or unreachable at connect,
 * this instance knows PostgreSQL is unreachable: {@link DatabaseUnavailableException}): nothing
 * was sent;</li>
 * <li>PostgreSQL itself reported that it gave up: {@code lock_timeout} (55P03),
 * {@code statement_timeout} (57014), {@code idle_in_transaction_session_timeout} (25P03), or a
 * read-only node (25006, a standby or a fenced former primary). An error reply means the
 * transaction was rolled back; a COMMIT never answers with one of these after it committed.</li>
 * </ul>
 * The outcome is <b>unknown</b> when a statement or its COMMIT was sent and no reply came: the
 * connection was lost or timed out on the socket (08006, 08007, an I/O error, a
 * {@link SocketTimeoutException}), or the server ended the session mid-statement (57P01, 57P02,
 * administrator or crash shutdown: the wait for a synchronous standby ends that way after the
 * local commit). The write may have committed; only a retry with the same Idempotency-Key, or
 * reading the item's version, tells. A COMMIT that succeeded with a warning (PostgreSQL
 * cancelled the wait for the synchronous standby: "committed locally, but might not have been
 * replicated") is reported by {@link Database} as 08007 too: applied on the primary, not
 * confirmed on the standby, so it must not be acknowledged either.
 * <p>
 * Assumed: a statement is sent only on a connection the pool handed out, so every failure
 * before that is a {@link DatabaseUnavailableException}. Conservative on purpose: an I/O error
 * while <i>sending</i> on a connection that had died while idle also says "unknown", though
 * nothing arrived; the pool validates connections idle for more than half a second, which keeps
 * that rare.
 */
public enum DatabaseFailure {
    /** PostgreSQL can't be reached or refused the work before it started: not applied. */
    UNAVAILABLE("the database is unavailable; retry in a few seconds", false),
    /** Every connection of this instance busy: not applied. */
    SATURATED("this instance is at capacity (every database connection is busy); retry in a second", false),
    /** PostgreSQL cancelled it for time and rolled back: not applied. */
    TIMED_OUT("the database did not finish in time (a lock held elsewhere or a slow statement); "
            + "nothing was changed, retry in a few seconds", false),
    /** Sent, and no answer (or an unconfirmed commit): the outcome can't be known. */
    OUTCOME_UNKNOWN("outcome unknown: the database stopped answering after the write was sent, so it may or may "
            + "not have been applied; retry with the same Idempotency-Key (POST) or read the item's version "
            + "(PUT, DELETE)", true);

    /**
     * lock_not_available, query_canceled (statement_timeout), idle_in_transaction_session_timeout,
     * transaction_timeout: PostgreSQL gave up and rolled back.
     */
    private static final Set<String> SERVER_TIMEOUTS = Set.of("55P03", "57014", "25P03", "25P04");
    /** read_only_sql_transaction: a standby, or a former primary fenced read-only. */
    private static final String READ_ONLY = "25006";
    /** transaction_resolution_unknown: the SQL standard's own name for this case. */
    static final String RESOLUTION_UNKNOWN = "08007";

    private final String detail;
    private final boolean inFlight;

    DatabaseFailure(String detail, boolean inFlight) {
        this.detail = detail;
        this.inFlight = inFlight;
    }

    /** The problem's detail, as the client reads it. */
    public String detail() {
        return detail;
    }

    /** Sent and unanswered: for a write, the outcome is unknown; for a read, it only failed. */
    public boolean inFlight() {
        return inFlight;
    }

    /**
     * What this failure means, or null when it is not the database's (a bug, a bad argument):
     * PostgreSQL's own verdicts first, then what the connection says.
     */
    public static DatabaseFailure of(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DatabaseUnavailableException d) {
                return d.reason();
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (SERVER_TIMEOUTS.contains(state)) {
                    return TIMED_OUT;
                }
                if (READ_ONLY.equals(state)) {
                    return UNAVAILABLE;
                }
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof ConnectException) {
                return UNAVAILABLE;
            }
            if (t instanceof SocketTimeoutException || t instanceof IOException) {
                return OUTCOME_UNKNOWN;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 08001/08004: could not connect, refused: nothing was sent.
                if (state.equals("08001") || state.equals("08004") || state.equals("57P03")) {
                    return UNAVAILABLE;
                }
                if (state.startsWith("08") || state.startsWith("57P")) {
                    return OUTCOME_UNKNOWN;
                }
            }
        }
        return null;
    }
}
