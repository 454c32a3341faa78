package io.triad.db;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.postgresql.PGConnection;

/**
 * A COMMIT is confirmed within {@link #CONFIRM_WITHIN}, or it is not acknowledged.
 *
 * <h2>Why</h2>
 * With a synchronous standby, PostgreSQL's COMMIT writes the commit record locally and then
 * waits for the standby's confirmation, for as long as it takes: statement_timeout does not
 * apply (it is switched off before the commit), so while no standby answers, every write would
 * hang, and a client that gave up would leave its backend waiting, one more with every write,
 * until the server ran out of connections. A cancel ends the wait: PostgreSQL then answers the
 * COMMIT with success plus the WARNING "canceling wait for synchronous replication ... The
 * transaction has already committed locally, but might not have been replicated to the
 * standby" (measured on the postgres:17 stand-in, 2026-12-04).
 *
 * <h2>How</h2>
 * A commit that has not returned after {@link #CONFIRM_WITHIN} is cancelled (the driver's
 * cancel request, on a connection of its own). Any warning on the COMMIT is reported as a
 * failure with SQLSTATE 08007 (transaction resolution unknown), so the client gets 504
 * "outcome unknown", never a 2xx for a write that may exist on one node only ("no
 * acknowledged write is ever lost"). A connection whose cancel was sent is evicted from the
 * pool: a late cancel must not land on the next request's statement. Below the socket timeout
 * (Database.NETWORK_TIMEOUT), so the warning arrives before the driver gives up on the socket.
 */
final class CommitCheck {
    static final Duration CONFIRM_WITHIN = Duration.ofMillis(1000);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("triad-commit-timer").daemon(true).factory());

    private CommitCheck() {
    }

    /**
     * The connection, whose commit() is bounded and checked; evict closes it and removes it from
     * its pool, and takes the place of close() once a cancel may be on its way.
     */
    static Connection wrap(Connection connection, Consumer<Connection> evict) {
        AtomicBoolean evictOnClose = new AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit") && method.getParameterCount() == 0) {
                        commit(connection, evictOnClose);
                        return null;
                    }
                    if (method.getName().equals("close") && method.getParameterCount() == 0 && evictOnClose.get()) {
                        evict.accept(connection);
                        return null;
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void commit(Connection connection, AtomicBoolean evictOnClose) throws SQLException {
        connection.clearWarnings();
        // Whoever sets it first decides: the commit's return (no cancel will be sent) or the
        // timer (a cancel is on its way, so the connection must not serve another statement).
        AtomicBoolean decided = new AtomicBoolean();
        ScheduledFuture<?> timer = TIMER.schedule(() -> {
            if (decided.compareAndSet(false, true)) {
                Thread.startVirtualThread(() -> {
                    try {
                        connection.unwrap(PGConnection.class).cancelQuery();
                    } catch (SQLException | RuntimeException ignored) {
                        // The socket timeout ends the wait instead (a 504 as well).
                    }
                });
            }
        }, CONFIRM_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        try {
            connection.commit();
        } finally {
            timer.cancel(false);
            if (!decided.compareAndSet(false, true)) {
                evictOnClose.set(true);
            }
        }
        SQLWarning warning = connection.getWarnings();
        if (warning != null) {
            connection.clearWarnings();
            throw new SQLException("COMMIT was not confirmed within " + CONFIRM_WITHIN.toMillis() + " ms ("
                    + warning.getMessage() + ")", DatabaseFailure.RESOLUTION_UNKNOWN, warning);
        }
    }
}
