package io.triad.http;

import io.helidon.metrics.api.Meter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The request series stay bounded whatever labels reach them. */
class RequestMetricsTest {
    /**
     * A route no server in this JVM records: a timer of this registry with the labels of a real
     * route also counted the requests of servers that other test classes had run before
     * (GET /api/items 2xx counted 4 instead of 2 after AuthIntegrationTest), so its counts
     * depended on the order of the test classes.
     */
    private static final String ROUTE = "/request-metrics-test";
    private final MeterRegistry registry = Metrics.createMeterRegistry();
    private final RequestMetrics metrics = new RequestMetrics(registry);

    @Test
    void madeUpMethodsAndStatusesShareOneSeries() {
        for (int i = 0; i < 5000; i++) {
            metrics.record(ROUTE, "Z" + i, 405, 1_000);
        }
        metrics.record(ROUTE, "GET", 200, 1_000);
        metrics.record(ROUTE, "GET", 204, 1_000);
        metrics.record(ROUTE, "GET", 1000, 1_000);
        assertThat(series(), is(3L));
        assertThat(timer(ROUTE, "other", "4xx").count(), is(5000L));
        assertThat(timer(ROUTE, "GET", "2xx").count(), is(2L));
        assertThat(timer(ROUTE, "GET", "other").count(), is(1L));
    }

    @Test
    void routesThatBreakTheFixedSetStopAtTheCap() {
        for (int i = 0; i < RequestMetrics.MAX_SERIES + 5000; i++) {
            metrics.record("/leak/" + i, "GET", 200, 1_000);
        }
        assertThat(series(), is((long) RequestMetrics.MAX_SERIES + 1));
        assertThat(timer("other", "other", "other").count(), is(5000L));
        // A series that existed before the cap goes on counting under its own labels.
        metrics.record("/leak/7", "GET", 200, 1_000);
        assertThat(timer("/leak/7", "GET", "2xx").count(), is(2L));
    }

    @Test
    void totalsCountServerErrorsAndLatencyWithinEachBucket() {
        metrics.record(ROUTE, "GET", 200, 3_000_000);        // 3 ms
        metrics.record(ROUTE, "GET", 503, 200_000_000);      // 200 ms
        metrics.record(ROUTE, "GET", 200, 250_000_000);      // 250 ms: within the 250 ms bound
        metrics.record(ROUTE, "GET", 200, 30_000_000_000L);  // 30 s: above every bound
        RequestMetrics.Totals totals = metrics.totals();
        assertThat(totals.requests(), is(4L));
        assertThat(totals.serverErrors(), is(1L));
        int at5ms = java.util.Arrays.binarySearch(RequestMetrics.BUCKETS, 0.005);
        int at250ms = java.util.Arrays.binarySearch(RequestMetrics.BUCKETS, 0.25);
        assertThat(totals.atOrUnder()[at5ms], is(1L));
        assertThat(totals.atOrUnder()[at250ms], is(3L));
        assertThat(totals.atOrUnder()[RequestMetrics.BUCKETS.length - 1], is(3L));
    }

    /** Helidon backs every registry with one Prometheus registry: leave no series behind for /metrics. */
    @AfterEach
    void removeSeries() {
        registry.meters(m -> m.id().name().equals("triad.http.requests")).forEach(registry::remove);
        assertThat(Metrics.globalRegistry().meters(m -> m.id().tagsMap().getOrDefault("route", "").startsWith("/leak/"))
                .size(), is(0));
    }

    private long series() {
        return registry.meters(m -> m.id().name().equals("triad.http.requests")).size();
    }

    private Timer timer(String route, String method, String status) {
        for (Meter m : registry.meters(m -> m.id().name().equals("triad.http.requests"))) {
            var tags = m.id().tagsMap();
            if (route.equals(tags.get("route")) && method.equals(tags.get("method")) && status.equals(tags.get("status"))) {
                return (Timer) m;
            }
        }
        throw new AssertionError("no series route=" + route + " method=" + method + " status=" + status);
    }
}
