package io.triad.http;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

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
 * status is the class of the code sent ({@code 2xx} ... {@code 5xx}). {@link #MAX_SERIES} bounds
 * the family even if a future route label broke that rule.
 * <p>
 * Latency buckets are {@link #BUCKETS}, chosen for the SLO (docs/SLO.md): 250 ms, the p99
 * objective, is a bound, so "within 250 ms" is counted exactly rather than interpolated; 2 s is
 * the contract's limit for a 503. The same counts, summed over the family, are kept for
 * {@link #totals()} (the dashboard's numbers when no Prometheus runs).
 */
public final class RequestMetrics {
    /** The route of a request refused before routing (bad request line, header or %-escape). */
    public static final String UNROUTED = "unrouted";
    static final String OTHER = "other";
    /** RFC 9110's methods and PATCH; any other token is counted as {@code other}. */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT");
    /**
     * Above what the fixed sets reach (8 routes, 10 methods, and the few statuses each route
     * answers: under 200), below what hurts: 500 series are about 5 MB of /metrics.
     */
    static final int MAX_SERIES = 500;
    /** Upper bounds of the latency histogram, in seconds (and +Inf). */
    public static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10};
    private static final Duration[] BUCKET_DURATIONS = java.util.Arrays.stream(BUCKETS)
            .mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9))).toArray(Duration[]::new);
    private static final Labels OVERFLOW = new Labels(OTHER, OTHER, OTHER);
    private static final System.Logger LOG = System.getLogger(RequestMetrics.class.getName());

    private final MeterRegistry registry;
    private final ConcurrentHashMap<Labels, Timer> timers = new ConcurrentHashMap<>();
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private final LongAdder requests = new LongAdder();
    private final LongAdder serverErrors = new LongAdder();
    /** Requests at or under each bound of {@link #BUCKETS}, cumulative like Prometheus' le. */
    private final LongAdder[] atOrUnder = new LongAdder[BUCKETS.length];

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (int i = 0; i < atOrUnder.length; i++) {
            atOrUnder[i] = new LongAdder();
        }
    }

    /** The status label: {@code 1xx} to {@code 5xx}, or {@code other} for a code outside 100-599. */
    static String statusClass(int status) {
        return status >= 100 && status <= 599 ? (status / 100) + "xx" : OTHER;
    }

    /** The method's label: its name when it is a standard method, otherwise {@code other}. */
    public static String methodLabel(String method) {
        return method != null && METHODS.contains(method) ? method : OTHER;
    }

    public void record(String route, String method, int status, long nanos) {
        Labels labels = new Labels(route, methodLabel(method), statusClass(status));
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
        requests.increment();
        if (status >= 500 && status <= 599) {
            serverErrors.increment();
        }
        double seconds = nanos / 1e9;
        for (int i = BUCKETS.length - 1; i >= 0 && seconds <= BUCKETS[i]; i--) {
            atOrUnder[i].increment();
        }
    }

    /** This instance's counts since it started, over every route. */
    public Totals totals() {
        long[] buckets = new long[atOrUnder.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = atOrUnder[i].sum();
        }
        return new Totals(requests.sum(), serverErrors.sum(), buckets);
    }

    /**
     * Counts since start: requests, those answered 5xx, and per bound of {@link #BUCKETS} those
     * answered within it.
     */
    public record Totals(long requests, long serverErrors, long[] atOrUnder) {
    }

    private Timer timer(Labels labels) {
        return registry.getOrCreate(Timer.builder("triad.http.requests")
                .description("Public HTTP requests by route, method and status")
                .tags(List.of(Tag.create("route", labels.route()), Tag.create("method", labels.method()),
                        Tag.create("status", labels.status())))
                // Buckets only: client-side percentiles would add a `quantile` label to a
                // histogram, which Prometheus rejects, and cannot be summed over instances.
                .publishPercentileHistogram(false)
                .percentiles(new double[0])
                .buckets(BUCKET_DURATIONS));
    }

    private record Labels(String route, String method, String status) {
    }
}
