package io.triad.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

import io.triad.config.Settings;

/**
 * Whether PostgreSQL's primary answers this instance, known within about a second and a half of
 * a change: a probe on its own connection (no pool, so a saturated pool never reads as an
 * outage) every {@link #PROBE_EVERY}, each bounded by {@link #PROBE_TIMEOUT}.
 * <p>
 * Unreachable when the last probe failed, or when none succeeded for {@link #STALE_AFTER}
 * (a probe stuck on a frozen or partitioned server). The bound is 2 s from losing
 * PostgreSQL to readiness DOWN, and 2 s from its return to readiness UP: a lost server is seen
 * by the first probe that goes unanswered (at most {@code PROBE_EVERY + PROBE_TIMEOUT}) or by
 * staleness, whichever comes first; a returning one by the next probe, on a new connection.
 * A node in recovery (a standby, or a fenced former primary) counts as unreachable: it can't
 * take a write.
 */
final class Reachability implements AutoCloseable {
    static final Duration PROBE_EVERY = Duration.ofMillis(250);
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(1000);
    static final Duration STALE_AFTER = Duration.ofMillis(1500);
    private static final System.Logger LOG = System.getLogger(Reachability.class.getName());

    private final String url;
    private final Properties properties;
    private final Thread thread;
    private volatile long lastOkNanos = System.nanoTime();
    private volatile boolean lastFailed;
    private volatile String lastError = "";
    private volatile boolean closed;
    private Connection connection;

    private Reachability(String url, Properties properties) {
        this.url = url;
        this.properties = properties;
        this.thread = Thread.ofPlatform().name("triad-db-probe").daemon(true).unstarted(this::run);
    }

    static Reachability start(Settings settings, Properties base) {
        Properties p = new Properties();
        p.putAll(base);
        p.setProperty("user", settings.dbUser());
        p.setProperty("password", settings.dbPassword());
        // The driver's socket timeout (whole seconds): bounds the connect's handshake and every probe.
        p.setProperty("socketTimeout", Long.toString(Math.max(1, PROBE_TIMEOUT.toSeconds())));
        Reachability r = new Reachability(settings.dbUrl(), p);
        r.thread.start();
        return r;
    }

    boolean reachable() {
        return !lastFailed && System.nanoTime() - lastOkNanos < STALE_AFTER.toNanos();
    }

    String lastError() {
        if (!lastFailed && !reachable()) {
            return "no answer for " + (System.nanoTime() - lastOkNanos) / 1_000_000 + " ms";
        }
        return lastError;
    }

    private void run() {
        boolean wasReachable = true;
        while (!closed) {
            long start = System.nanoTime();
            String error = probe();
            if (error == null) {
                lastOkNanos = System.nanoTime();
                lastFailed = false;
            } else {
                lastError = error;
                lastFailed = true;
            }
            boolean now = reachable();
            if (now != wasReachable) {
                LOG.log(now ? System.Logger.Level.INFO : System.Logger.Level.WARNING, now
                        ? "PostgreSQL reachable again: readiness UP"
                        : "PostgreSQL unreachable from this instance (" + lastError()
                                + "): readiness DOWN, requests answered 503 without trying");
                wasReachable = now;
            }
            long left = PROBE_EVERY.toNanos() - (System.nanoTime() - start);
            if (left > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(left));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Null when the primary answered; else why not, in one line. */
    private String probe() {
        try {
            if (connection == null) {
                connection = new org.postgresql.Driver().connect(url, properties);
                if (connection == null) {
                    return "the JDBC URL is not a PostgreSQL URL";
                }
            }
            try (Statement s = connection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    closeConnection();
                    return "connected to a node in recovery (a standby), not the primary";
                }
            }
            return null;
        } catch (SQLException | RuntimeException e) {
            closeConnection();
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // Gone either way.
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
