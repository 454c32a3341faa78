package io.triad.logging;

import java.util.Map;

/**
 * Which requests get a line in the service's access log. Nginx already writes one line per
 * request at the edge (request id, upstream, status, timings), so by default the service adds
 * a line only where it has something to say: a status outside 2xx, or a request slower than
 * {@code ACCESS_LOG_SLOW_MS} (500). {@code ACCESS_LOG=all} logs every request, as before.
 * A line per request cost a quarter of a cached GET's Java CPU and, through Docker's json-file
 * driver, more again in dockerd (docs/PERFORMANCE.md).
 *
 * @param all         every request is logged
 * @param slowNanos   a request at least this slow is logged whatever its status
 */
public record AccessLogPolicy(boolean all, long slowNanos) {
    public static final String MODE_VARIABLE = "ACCESS_LOG";
    public static final String SLOW_VARIABLE = "ACCESS_LOG_SLOW_MS";
    static final long DEFAULT_SLOW_MS = 500;

    /** Whether a request with this status and duration gets a line. */
    public boolean logs(int status, long nanos) {
        return all || status < 200 || status > 299 || nanos >= slowNanos;
    }

    /**
     * From {@code ACCESS_LOG} ({@code notable}, the default, or {@code all}) and
     * {@code ACCESS_LOG_SLOW_MS} (a positive integer); a malformed value is refused with one line
     * naming it, so a typo never silently changes what is logged.
     */
    public static AccessLogPolicy from(Map<String, String> env) {
        String mode = env.getOrDefault(MODE_VARIABLE, "notable").strip();
        boolean all = switch (mode) {
            case "notable", "" -> false;
            case "all" -> true;
            default -> throw new IllegalArgumentException(MODE_VARIABLE + "='" + mode
                    + "' is invalid: expected notable (non-2xx and slow requests) or all");
        };
        String slow = env.getOrDefault(SLOW_VARIABLE, "").strip();
        long slowMs = DEFAULT_SLOW_MS;
        if (!slow.isEmpty()) {
            try {
                slowMs = Long.parseLong(slow);
            } catch (NumberFormatException e) {
                slowMs = -1;
            }
            if (slowMs <= 0 || slowMs > 3_600_000) {
                throw new IllegalArgumentException(SLOW_VARIABLE + "='" + slow
                        + "' is invalid: expected milliseconds from 1 to 3600000, such as 500");
            }
        }
        return new AccessLogPolicy(all, slowMs * 1_000_000);
    }
}
