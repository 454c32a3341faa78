package io.triad.http;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * Public requests by route, method and status, with latency, as one Prometheus timer family.
 * <p>
 * Every label comes from a fixed set, never from request data: each new label value is a new
 * series with a percentile histogram (about 10 KB of /metrics, kept for the life of the
 * process), so a label a client can choose is a way to fill the heap: 1,500 made-up methods
 * grew /metrics from 54 KB to 8.2 MB (WireTest's server, before this class bounded them). So the method is one of {@link #METHODS} or
 * {@code other}; the route is a routing pattern, {@code unmatched} or {@link #UNROUTED}; the
 * status is the code sent, which this service chooses. {@link #MAX_SERIES} bounds the family
 * even if a future route label broke that rule.
 */
public final class RequestMetrics {
    /** The route of a request refused before routing (bad request line, header or %-escape). */
    public static final String UNROUTED = "unrouted";
    static final String OTHER = "other";
    /** RFC 9110's methods and PATCH; any other token is counted as {@code other}. */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT");
    /**
     * Above what the fixed sets reach (7 routes, 10 methods, and the few statuses each route
     * answers: under 200), below what hurts: 500 series are about 5 MB of /metrics.
     */
    static final int MAX_SERIES = 500;
    private static final Labels OVERFLOW = new Labels(OTHER, OTHER, OTHER);
    private static final System.Logger LOG = System.getLogger(RequestMetrics.class.getName());

    private final MeterRegistry registry;
    private final ConcurrentHashMap<Labels, Timer> timers = new ConcurrentHashMap<>();
    private final AtomicBoolean overflowed = new AtomicBoolean();

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The method's label: its name when it is a standard method, otherwise {@code other}. */
    public static String methodLabel(String method) {
        return method != null && METHODS.contains(method) ? method : OTHER;
    }

    void record(String route, String method, int status, long nanos) {
        Labels labels = new Labels(route, methodLabel(method), status >= 100 && status <= 599 ? Integer.toString(status) : OTHER);
        Timer timer = timers.get(labels);
        if (timer == null) {
            if (timers.size() >= MAX_SERIES) {
                labels = OVERFLOW;
                if (overflowed.compareAndSet(false, true)) {
                    LOG.log(System.Logger.Level.WARNING, MAX_SERIES + " request series reached; further new ones "
                            + "are counted as route=\"other\": a route label is not a fixed pattern (" + route + ")");
                }
            }
            timer = timers.computeIfAbsent(labels, this::timer);
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer timer(Labels labels) {
        return registry.getOrCreate(Timer.builder("triad.http.requests")
                .description("Public HTTP requests by route, method and status")
                .tags(List.of(Tag.create("route", labels.route()), Tag.create("method", labels.method()),
                        Tag.create("status", labels.status())))
                .publishPercentileHistogram(true));
    }

    private record Labels(String route, String method, String status) {
    }
}
